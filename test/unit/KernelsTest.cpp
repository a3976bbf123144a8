//===- KernelsTest.cpp - CPU kernels against their references -------------===//
//
// Every kernel in kernels/cpu/Kernels.h, in f32 and f64, on random inputs of
// several shapes (odd sizes included), compared with its double-precision
// reference by relative L2 error: below 1e-5 for f32 and 1e-12 for f64.
// Outputs start as NaN, so an element a kernel forgets to write fails the
// comparison. Bad indices must be recorded in the status, not crash, and
// leave the documented safe result. MoE kernels are in KernelsMoeTest.cpp,
// checks of the references themselves in KernelsReferenceTest.cpp.
//
//===----------------------------------------------------------------------===//

#include "kernels/cpu/Kernels.h"
#include "kernels/cpu/reference/Reference.h"
#include "test/unit/KernelsTestUtil.h"

#include <gtest/gtest.h>

#include <omp.h>

#include <cstring>
#include <thread>
#include <vector>

using namespace ds::kernels;
using namespace ds::kernels::test;
namespace ref = ds::kernels::reference;

namespace {

//===----------------------------------------------------------------------===//
// Status
//===----------------------------------------------------------------------===//

TEST(KernelsStatus, FirstFailureWins) {
  ds_status status{};
  ds_status_fail(&status, DS_STATUS_INDEX_OUT_OF_RANGE, 3, 42, 10);
  ds_status_fail(&status, DS_STATUS_DIVISION_BY_ZERO, 4, 0, 0);
  EXPECT_EQ(status.code, DS_STATUS_INDEX_OUT_OF_RANGE);
  EXPECT_EQ(status.site, 3);
  EXPECT_EQ(status.value, 42);
  EXPECT_EQ(status.bound, 10);
  ds_status_fail(nullptr, DS_STATUS_INDEX_OUT_OF_RANGE, 1, 2, 3); // no crash
}

TEST(KernelsStatus, ConcurrentFailuresRecordOneWhole) {
  for (int round = 0; round < 20; ++round) {
    ds_status status{};
    std::vector<std::thread> threads;
    for (int t = 1; t <= 8; ++t)
      threads.emplace_back([&status, t] {
        ds_status_fail(&status, DS_STATUS_INDEX_OUT_OF_RANGE, t, 100 * t,
                       1000 * t);
      });
    for (std::thread &t : threads)
      t.join();
    ASSERT_EQ(status.code, DS_STATUS_INDEX_OUT_OF_RANGE);
    // site, value and bound all come from the same (winning) call.
    EXPECT_EQ(status.value, 100 * status.site);
    EXPECT_EQ(status.bound, 1000 * status.site);
  }
}

//===----------------------------------------------------------------------===//
// GEMM
//===----------------------------------------------------------------------===//

template <typename T> class KernelsMatmul : public ::testing::Test {};
TYPED_TEST_SUITE(KernelsMatmul, ElementTypes);

struct MatmulCase {
  int64_t batch, M, N, K;
  bool transA, transB;
  bool broadcastA, broadcastB; // stride 0
};

TYPED_TEST(KernelsMatmul, MatchesReference) {
  using T = TypeParam;
  const MatmulCase cases[] = {
      {1, 1, 1, 1, false, false, false, false},
      {1, 3, 5, 7, false, false, false, false},
      {1, 17, 33, 9, true, false, false, false},
      {1, 17, 33, 9, false, true, false, false},
      {1, 17, 33, 9, true, true, false, false},
      {3, 8, 12, 5, false, false, false, false},
      {4, 7, 11, 13, false, true, false, true}, // folds into one GEMM
      {4, 7, 11, 13, false, false, false, true},
      {3, 7, 11, 13, true, false, false, true}, // transA: no folding
      {3, 9, 6, 10, false, false, true, false},
      {2, 9, 6, 10, true, true, true, true},
      {2, 64, 70, 65, false, false, false, false},
      // At most 16 rows (decoding): register tiles instead of OpenBLAS,
      // split into column panels when the product is large enough.
      {1, 1, 300, 70, false, true, false, false},
      {1, 8, 1000, 320, false, false, false, false},
      {1, 5, 77, 33, false, true, false, false},
      {1, 16, 4099, 257, false, true, false, false},
      {3, 2, 640, 1100, false, false, false, true},
  };
  uint64_t seed = 1;
  for (const MatmulCase &c : cases) {
    SCOPED_TRACE(::testing::Message()
                 << "batch " << c.batch << " M " << c.M << " N " << c.N << " K "
                 << c.K << " tA " << c.transA << " tB " << c.transB << " bA "
                 << c.broadcastA << " bB " << c.broadcastB);
    const int64_t strideA = c.broadcastA ? 0 : c.M * c.K;
    const int64_t strideB = c.broadcastB ? 0 : c.K * c.N;
    const auto A =
        randomVector<T>(c.broadcastA ? c.M * c.K : c.batch * c.M * c.K, seed++);
    const auto B =
        randomVector<T>(c.broadcastB ? c.K * c.N : c.batch * c.K * c.N, seed++);
    auto C = garbage<T>(c.batch * c.M * c.N);
    std::vector<double> want(C.size());
    api::matmul(A.data(), B.data(), C.data(), c.batch, c.M, c.N, c.K, c.transA,
                c.transB, strideA, strideB);
    ref::matmul(toDouble(A).data(), toDouble(B).data(), want.data(), c.batch,
                c.M, c.N, c.K, c.transA, c.transB, strideA, strideB);
    EXPECT_LT(relativeError(C, want), tolerance<T>());
  }
}

TYPED_TEST(KernelsMatmul, EmptySumIsZero) {
  using T = TypeParam;
  auto C = garbage<T>(2 * 3 * 4);
  api::matmul(static_cast<const T *>(nullptr), static_cast<const T *>(nullptr),
              C.data(), 2, 3, 4, 0, 0, 0, 0, 0);
  for (T x : C)
    EXPECT_EQ(x, T(0));
}

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

template <typename T> class KernelsAttention : public ::testing::Test {};
TYPED_TEST_SUITE(KernelsAttention, ElementTypes);

struct AttentionCase {
  int64_t B, Tq, Tk, Hq, Hkv, Dqk, Dv;
  bool causal;
  int64_t window;
  /// Filled keys (a KV cache); -1: all Tk.
  int64_t keyLength = -1;
  int64_t length() const { return keyLength < 0 ? Tk : keyLength; }
};

const AttentionCase kAttentionCases[] = {
    {1, 1, 1, 1, 1, 1, 1, false, 0},
    {2, 37, 37, 4, 2, 16, 8, true, 0},    // GQA, causal, partial blocks
    {1, 70, 70, 3, 3, 24, 24, true, 16},  // sliding window
    {2, 5, 40, 4, 1, 32, 16, true, 0},    // queries at the end (decoding)
    {1, 40, 33, 2, 2, 8, 12, false, 0},   // more queries than keys
    {1, 50, 20, 2, 1, 8, 8, true, 0},     // early queries see nothing
    {1, 65, 65, 2, 2, 72, 40, false, 7},  // window without causal
    {3, 33, 33, 6, 2, 19, 17, true, 0},   // odd head sizes
    {1, 130, 130, 2, 1, 64, 64, true, 0}, // several query blocks, MQA
    {2, 1, 40, 4, 1, 32, 16, true, 0, 17}, // one decoding step into a cache
    {1, 5, 40, 2, 2, 8, 8, true, 0, 23},   // a chunk of queries into a cache
    {2, 4, 33, 2, 1, 8, 8, true, 6, 20},   // cache with a sliding window
    {1, 3, 30, 2, 1, 8, 8, false, 0, 9},   // non-causal over a filled prefix
    {1, 2, 16, 2, 2, 8, 8, true, 0, 0},    // empty cache: zeros
    {1, 2, 16, 2, 2, 8, 8, true, 0, 99},   // length clamped to Tk
};

std::string describe(const AttentionCase &c) {
  return (::testing::Message()
          << "B " << c.B << " Tq " << c.Tq << " Tk " << c.Tk << " Hq " << c.Hq
          << " Hkv " << c.Hkv << " Dqk " << c.Dqk << " Dv " << c.Dv
          << " causal " << c.causal << " window " << c.window
          << " key length " << c.length())
      .GetString();
}

TYPED_TEST(KernelsAttention, ForwardMatchesReference) {
  using T = TypeParam;
  uint64_t seed = 100;
  for (const AttentionCase &c : kAttentionCases) {
    SCOPED_TRACE(describe(c));
    const double scale = 1.0 / std::sqrt(double(c.Dqk));
    const auto q = randomVector<T>(c.B * c.Tq * c.Hq * c.Dqk, seed++);
    const auto k = randomVector<T>(c.B * c.Tk * c.Hkv * c.Dqk, seed++);
    const auto v = randomVector<T>(c.B * c.Tk * c.Hkv * c.Dv, seed++);
    auto out = garbage<T>(c.B * c.Tq * c.Hq * c.Dv);
    std::vector<double> want(out.size());
    api::attention<T>(q.data(), k.data(), v.data(), out.data(), c.B, c.Tq, c.Tk,
                      c.Hq, c.Hkv, c.Dqk, c.Dv, scale, int32_t(c.causal),
                      c.window, c.length());
    ref::attention(toDouble(q).data(), toDouble(k).data(), toDouble(v).data(),
                   want.data(), c.B, c.Tq, c.Tk, c.Hq, c.Hkv, c.Dqk, c.Dv,
                   scale, c.causal, c.window, c.length());
    EXPECT_LT(relativeError(out, want), tolerance<T>());
  }
}

TYPED_TEST(KernelsAttention, QueriesSeeingNoKeyGiveZeros) {
  using T = TypeParam;
  // Tq > Tk with causal: query i sits at i − 10 and the first 10 see nothing.
  const int64_t B = 1, Tq = 30, Tk = 20, H = 2, D = 8;
  const auto q = randomVector<T>(B * Tq * H * D, 1);
  const auto k = randomVector<T>(B * Tk * H * D, 2);
  const auto v = randomVector<T>(B * Tk * H * D, 3);
  auto out = garbage<T>(B * Tq * H * D);
  api::attention<T>(q.data(), k.data(), v.data(), out.data(), B, Tq, Tk, H, H,
                    D, D, 0.3, 1, int64_t(0), Tk);
  for (int64_t i = 0; i < Tq; ++i)
    for (int64_t c = 0; c < H * D; ++c) {
      const T x = out[i * H * D + c];
      if (i < Tq - Tk)
        EXPECT_EQ(x, T(0)) << "query " << i;
      else
        EXPECT_NE(x, T(0)) << "query " << i;
    }
}

/// The gradient on every case, with 1 thread (one task per kv head) and with
/// more threads than kv heads (several tasks per head summing private dK/dV).
TYPED_TEST(KernelsAttention, GradientMatchesReference) {
  using T = TypeParam;
  const int savedThreads = omp_get_max_threads();
  for (int threads : {1, 3, 8}) {
    omp_set_num_threads(threads);
    uint64_t seed = 200;
    for (const AttentionCase &c : kAttentionCases) {
      SCOPED_TRACE(describe(c) + " threads " + std::to_string(threads));
      const double scale = 0.7 / std::sqrt(double(c.Dqk));
      const auto q = randomVector<T>(c.B * c.Tq * c.Hq * c.Dqk, seed++);
      const auto k = randomVector<T>(c.B * c.Tk * c.Hkv * c.Dqk, seed++);
      const auto v = randomVector<T>(c.B * c.Tk * c.Hkv * c.Dv, seed++);
      const auto dout = randomVector<T>(c.B * c.Tq * c.Hq * c.Dv, seed++);
      auto dq = garbage<T>(q.size()), dk = garbage<T>(k.size()),
           dv = garbage<T>(v.size());
      std::vector<double> wq(q.size()), wk(k.size()), wv(v.size());
      api::attentionGrad<T>(q.data(), k.data(), v.data(), dout.data(),
                            dq.data(), dk.data(), dv.data(), c.B, c.Tq, c.Tk,
                            c.Hq, c.Hkv, c.Dqk, c.Dv, scale, int32_t(c.causal),
                            c.window, c.length());
      ref::attentionGrad(toDouble(q).data(), toDouble(k).data(),
                         toDouble(v).data(), toDouble(dout).data(), wq.data(),
                         wk.data(), wv.data(), c.B, c.Tq, c.Tk, c.Hq, c.Hkv,
                         c.Dqk, c.Dv, scale, c.causal, c.window, c.length());
      EXPECT_LT(relativeError(dq, wq), tolerance<T>());
      EXPECT_LT(relativeError(dk, wk), tolerance<T>());
      EXPECT_LT(relativeError(dv, wv), tolerance<T>());
    }
  }
  omp_set_num_threads(savedThreads);
}

//===----------------------------------------------------------------------===//
// Cross-entropy
//===----------------------------------------------------------------------===//

template <typename T> class KernelsLoss : public ::testing::Test {};
TYPED_TEST_SUITE(KernelsLoss, ElementTypes);

TYPED_TEST(KernelsLoss, MatchesReferenceWithIgnoredPositions) {
  using T = TypeParam;
  const int64_t ignore = -100;
  for (auto [P, V] :
       {std::pair<int64_t, int64_t>{1, 1}, {7, 5}, {33, 517}, {64, 4099}}) {
    SCOPED_TRACE(::testing::Message() << "P " << P << " V " << V);
    const auto logits = randomVector<T>(P * V, uint64_t(P * V), -4.0, 4.0);
    auto targets = randomIndices(P, V, uint64_t(P));
    for (int64_t p = 0; p < P; p += 3)
      if (P > 1)
        targets[p] = ignore;
    const T dloss = T(1.7);

    ds_status status{};
    std::vector<T> loss = garbage<T>(1);
    double want = 0;
    api::crossEntropy<T>(&status, 5, logits.data(), targets.data(), loss.data(),
                         P, V, ignore);
    ref::crossEntropy(nullptr, 5, toDouble(logits).data(), targets.data(),
                      &want, P, V, ignore);
    EXPECT_EQ(status.code, DS_STATUS_OK);
    EXPECT_LT(relativeError(loss, {want}), tolerance<T>());

    auto dlogits = garbage<T>(P * V);
    std::vector<double> wantGrad(P * V);
    const double dlossD = double(dloss);
    api::crossEntropyGrad<T>(&status, 5, logits.data(), targets.data(), &dloss,
                             dlogits.data(), P, V, ignore);
    ref::crossEntropyGrad(nullptr, 5, toDouble(logits).data(), targets.data(),
                          &dlossD, wantGrad.data(), P, V, ignore);
    EXPECT_EQ(status.code, DS_STATUS_OK);
    EXPECT_LT(relativeError(dlogits, wantGrad), tolerance<T>());
  }
}

TYPED_TEST(KernelsLoss, AllIgnoredGivesZero) {
  using T = TypeParam;
  const int64_t P = 4, V = 6;
  const auto logits = randomVector<T>(P * V, 9);
  const std::vector<int64_t> targets(P, -1);
  T loss = T(123), dloss = T(1);
  auto dlogits = garbage<T>(P * V);
  api::crossEntropy<T>(nullptr, 0, logits.data(), targets.data(), &loss, P, V,
                       int64_t(-1));
  api::crossEntropyGrad<T>(nullptr, 0, logits.data(), targets.data(), &dloss,
                           dlogits.data(), P, V, int64_t(-1));
  EXPECT_EQ(loss, T(0));
  for (T x : dlogits)
    EXPECT_EQ(x, T(0));
}

TYPED_TEST(KernelsLoss, BadTargetIsRecordedAndSkipped) {
  using T = TypeParam;
  const int64_t P = 5, V = 8;
  const auto logits = randomVector<T>(P * V, 11);
  const std::vector<int64_t> targets = {1, 9, 3, -100, -2};
  ds_status status{};
  T loss = T(0), dloss = T(1);
  double want = 0;
  api::crossEntropy<T>(&status, 17, logits.data(), targets.data(), &loss, P, V,
                       int64_t(-100));
  EXPECT_EQ(status.code, DS_STATUS_INDEX_OUT_OF_RANGE);
  EXPECT_EQ(status.site, 17);
  EXPECT_EQ(status.value, 9); // the first bad target
  EXPECT_EQ(status.bound, V);
  ref::crossEntropy(nullptr, 0, toDouble(logits).data(), targets.data(), &want,
                    P, V, -100);
  EXPECT_LT(relativeError(std::vector<T>{loss}, {want}), tolerance<T>());

  ds_status gradStatus{};
  auto dlogits = garbage<T>(P * V);
  std::vector<double> wantGrad(P * V);
  const double one = 1.0;
  api::crossEntropyGrad<T>(&gradStatus, 18, logits.data(), targets.data(),
                           &dloss, dlogits.data(), P, V, int64_t(-100));
  EXPECT_EQ(gradStatus.code, DS_STATUS_INDEX_OUT_OF_RANGE);
  EXPECT_EQ(gradStatus.site, 18);
  ref::crossEntropyGrad(nullptr, 0, toDouble(logits).data(), targets.data(),
                        &one, wantGrad.data(), P, V, -100);
  EXPECT_LT(relativeError(dlogits, wantGrad), tolerance<T>());
  for (int64_t v = 0; v < V; ++v) // the bad position's row is zero
    EXPECT_EQ(dlogits[1 * V + v], T(0));
}

//===----------------------------------------------------------------------===//
// Gather and scatter-add
//===----------------------------------------------------------------------===//

TEST(KernelsIndexing, GatherMatchesReference) {
  struct Case {
    int64_t outer, axis, innerBytes, count;
  };
  for (const Case &c : std::vector<Case>{
           {1, 1, 1, 1}, {3, 7, 3, 11}, {2, 50, 12, 9}, {1, 1000, 256, 700}}) {
    SCOPED_TRACE(::testing::Message() << "outer " << c.outer << " axis "
                                      << c.axis << " bytes " << c.innerBytes);
    std::vector<unsigned char> src(c.outer * c.axis * c.innerBytes);
    for (size_t i = 0; i < src.size(); ++i)
      src[i] = (unsigned char)(i * 37 + 11);
    const auto indices = randomIndices(c.count, c.axis, uint64_t(c.axis));
    std::vector<unsigned char> out(c.outer * c.count * c.innerBytes, 0xAB),
        want(out.size());
    ds_status status{};
    ds_gather(&status, 1, src.data(), indices.data(), out.data(), c.outer,
              c.axis, c.innerBytes, c.count);
    ref::gather(nullptr, 1, src.data(), indices.data(), want.data(), c.outer,
                c.axis, c.innerBytes, c.count);
    EXPECT_EQ(status.code, DS_STATUS_OK);
    EXPECT_EQ(out, want);
  }
}

TEST(KernelsIndexing, GatherBadIndexZeroFills) {
  const int64_t outer = 2, axis = 4, inner = 3;
  std::vector<float> src = randomVector<float>(outer * axis * inner, 5);
  const std::vector<int64_t> indices = {2, -1, 3, 4};
  std::vector<float> out = garbage<float>(outer * 4 * inner);
  ds_status status{};
  ds_gather(&status, 8, src.data(), indices.data(), out.data(), outer, axis,
            inner * int64_t(sizeof(float)), 4);
  EXPECT_EQ(status.code, DS_STATUS_INDEX_OUT_OF_RANGE);
  EXPECT_EQ(status.site, 8);
  EXPECT_EQ(status.value, -1);
  EXPECT_EQ(status.bound, axis);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t c = 0; c < inner; ++c) {
      EXPECT_EQ(out[(o * 4 + 0) * inner + c], src[(o * axis + 2) * inner + c]);
      EXPECT_EQ(out[(o * 4 + 1) * inner + c], 0.0f);
      EXPECT_EQ(out[(o * 4 + 2) * inner + c], src[(o * axis + 3) * inner + c]);
      EXPECT_EQ(out[(o * 4 + 3) * inner + c], 0.0f);
    }
}

/// Scatter-add of every element type on small integers (exact in all of
/// them), repeated indices included; large cases take the parallel path.
template <typename T> class KernelsScatter : public ::testing::Test {};
using ScatterTypes = ::testing::Types<float, double, int32_t, int64_t>;
TYPED_TEST_SUITE(KernelsScatter, ScatterTypes);

void scatterAdd(ds_status *s, const float *u, const int64_t *i, float *o,
                int64_t outer, int64_t axis, int64_t inner, int64_t count) {
  ds_scatter_add_f32(s, 2, u, i, o, outer, axis, inner, count);
}
void scatterAdd(ds_status *s, const double *u, const int64_t *i, double *o,
                int64_t outer, int64_t axis, int64_t inner, int64_t count) {
  ds_scatter_add_f64(s, 2, u, i, o, outer, axis, inner, count);
}
void scatterAdd(ds_status *s, const int32_t *u, const int64_t *i, int32_t *o,
                int64_t outer, int64_t axis, int64_t inner, int64_t count) {
  ds_scatter_add_i32(s, 2, u, i, o, outer, axis, inner, count);
}
void scatterAdd(ds_status *s, const int64_t *u, const int64_t *i, int64_t *o,
                int64_t outer, int64_t axis, int64_t inner, int64_t count) {
  ds_scatter_add_i64(s, 2, u, i, o, outer, axis, inner, count);
}

TYPED_TEST(KernelsScatter, MatchesReference) {
  using T = TypeParam;
  struct Case {
    int64_t outer, axis, inner, count;
  };
  for (const Case &c : std::vector<Case>{{1, 1, 1, 3},
                                         {3, 5, 7, 12},
                                         {1, 300, 200, 2000},
                                         {40, 9, 130, 25}}) {
    SCOPED_TRACE(::testing::Message() << "outer " << c.outer << " axis "
                                      << c.axis << " inner " << c.inner);
    const auto indices = randomIndices(c.count, c.axis, uint64_t(c.count));
    const auto small = randomIndices(c.outer * c.count * c.inner, 19, 3);
    std::vector<T> updates(small.size());
    std::vector<double> updatesD(small.size());
    for (size_t i = 0; i < small.size(); ++i) {
      updates[i] = T(small[i] - 9);
      updatesD[i] = double(small[i] - 9);
    }
    std::vector<T> out(c.outer * c.axis * c.inner, T(77));
    std::vector<double> want(out.size());
    ds_status status{};
    scatterAdd(&status, updates.data(), indices.data(), out.data(), c.outer,
               c.axis, c.inner, c.count);
    ref::scatterAdd(nullptr, 2, updatesD.data(), indices.data(), want.data(),
                    c.outer, c.axis, c.inner, c.count);
    EXPECT_EQ(status.code, DS_STATUS_OK);
    for (size_t i = 0; i < out.size(); ++i)
      ASSERT_EQ(double(out[i]), want[i]) << "element " << i;
  }
}

TYPED_TEST(KernelsScatter, BadIndexIsRecordedAndSkipped) {
  using T = TypeParam;
  const std::vector<int64_t> indices = {1, 5, 1, -3};
  const std::vector<T> updates = {T(1),   T(2),   T(10),   T(20),
                                  T(100), T(200), T(1000), T(2000)};
  std::vector<T> out(3 * 2, T(-1));
  ds_status status{};
  scatterAdd(&status, updates.data(), indices.data(), out.data(), 1, 3, 2, 4);
  EXPECT_EQ(status.code, DS_STATUS_INDEX_OUT_OF_RANGE);
  EXPECT_EQ(status.site, 2);
  EXPECT_EQ(status.value, 5);
  EXPECT_EQ(status.bound, 3);
  EXPECT_EQ(out, (std::vector<T>{T(0), T(0), T(101), T(202), T(0), T(0)}));
}

//===----------------------------------------------------------------------===//
// Rotary embeddings
//===----------------------------------------------------------------------===//

template <typename T> class KernelsRope : public ::testing::Test {};
TYPED_TEST_SUITE(KernelsRope, ElementTypes);

struct RopeCase {
  int64_t leading, T, H, D, offset, dim;
  bool interleaved, shared, adjoint;
  double magnitude;
};

TYPED_TEST(KernelsRope, MatchesReference) {
  using T = TypeParam;
  const RopeCase cases[] = {
      {1, 1, 1, 2, 0, 2, true, true, false, 1.0},
      {2, 9, 3, 16, 0, 16, true, true, false, 1.0},
      {2, 9, 3, 16, 0, 16, false, false, false, 1.0},
      {3, 7, 2, 24, 8, 10, false, true, true, 1.3}, // partial, YaRN-like mag
      {2, 5, 4, 12, 3, 6, true, false, true, 0.9},
      {1, 33, 5, 20, 1, 15, false, true, false, 1.0}, // odd dim: last copied
  };
  uint64_t seed = 300;
  for (const RopeCase &c : cases) {
    SCOPED_TRACE(::testing::Message()
                 << "T " << c.T << " D " << c.D << " offset " << c.offset
                 << " dim " << c.dim << " interleaved " << c.interleaved
                 << " shared " << c.shared << " adjoint " << c.adjoint);
    const int64_t n = c.leading * c.T * c.H * c.D;
    const auto in = randomVector<T>(n, seed++);
    const auto positions =
        randomIndices(c.shared ? c.T : c.leading * c.T, 100000, seed++);
    std::vector<double> frequencies(c.dim / 2);
    for (int64_t i = 0; i < c.dim / 2; ++i)
      frequencies[i] = std::pow(10000.0, -2.0 * double(i) / double(c.dim));
    auto out = garbage<T>(n);
    std::vector<double> want(n);
    api::rope<T>(in.data(), positions.data(), out.data(), c.leading, c.T, c.H,
                 c.D, c.offset, c.dim, int32_t(c.interleaved),
                 int32_t(c.shared), frequencies.data(), c.magnitude,
                 int32_t(c.adjoint));
    ref::rope(toDouble(in).data(), positions.data(), want.data(), c.leading,
              c.T, c.H, c.D, c.offset, c.dim, c.interleaved, c.shared,
              frequencies.data(), c.magnitude, c.adjoint);
    EXPECT_LT(relativeError(out, want), tolerance<T>());

    // In place gives the same result.
    std::vector<T> inPlace = in;
    api::rope<T>(inPlace.data(), positions.data(), inPlace.data(), c.leading,
                 c.T, c.H, c.D, c.offset, c.dim, int32_t(c.interleaved),
                 int32_t(c.shared), frequencies.data(), c.magnitude,
                 int32_t(c.adjoint));
    EXPECT_EQ(inPlace, out);
  }
}

TYPED_TEST(KernelsRope, AdjointUndoesRotation) {
  using T = TypeParam;
  const int64_t L = 2, S = 6, H = 3, D = 8;
  const auto in = randomVector<T>(L * S * H * D, 7);
  const auto positions = randomIndices(S, 4096, 8);
  const std::vector<double> frequencies = {1.0, 0.1, 0.01, 0.001};
  std::vector<T> rotated(in.size()), back(in.size());
  api::rope<T>(in.data(), positions.data(), rotated.data(), L, S, H, D,
               int64_t(0), D, 0, 1, frequencies.data(), 1.0, 0);
  api::rope<T>(rotated.data(), positions.data(), back.data(), L, S, H, D,
               int64_t(0), D, 0, 1, frequencies.data(), 1.0, 1);
  EXPECT_LT(relativeError(back, toDouble(in)), tolerance<T>());
}

} // namespace
