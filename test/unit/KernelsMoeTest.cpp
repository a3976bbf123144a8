//===- KernelsMoeTest.cpp - MoE kernels against their references ----------===//
//
// Routing (softmax and sigmoid scores, selection bias, group-limited top-k,
// ties), its gradient, and the expert FFN with its gradient, in f32 and f64
// against the double references (relative L2 error below 1e-6 for f32
// routing weights, 1e-5 for the rest of f32, 1e-12 for f64). Bad expert
// indices are recorded and their terms skipped.
//
//===----------------------------------------------------------------------===//

#include "kernels/cpu/Kernels.h"
#include "kernels/cpu/reference/Reference.h"
#include "test/unit/KernelsTestUtil.h"

#include <gtest/gtest.h>

#include <vector>

using namespace ds::kernels;
using namespace ds::kernels::test;
namespace ref = ds::kernels::reference;

namespace {

//===----------------------------------------------------------------------===//
// Routing
//===----------------------------------------------------------------------===//

template <typename T> class KernelsMoeRoute : public ::testing::Test {};
TYPED_TEST_SUITE(KernelsMoeRoute, ElementTypes);

/// Routing weights are computed in double for both types, so f32 is held
/// to 1e-6 (the rounding of the stored weights).
template <typename T> constexpr double routeTolerance() {
  return std::is_same_v<T, float> ? 1e-6 : 1e-12;
}

struct RouteCase {
  int64_t N, E, topK, nGroup, topkGroup;
  int32_t scoring, groupScore;
  bool norm, bias;
  double factor;
};

const RouteCase kRouteCases[] = {
    {1, 1, 1, 1, 1, 0, 0, false, false, 1.0},
    {37, 8, 2, 1, 1, 0, 0, false, false, 1.0},   // Mixtral/V2-style softmax
    {37, 8, 2, 1, 1, 0, 0, true, false, 1.0},    // with normalization
    {29, 16, 4, 4, 2, 0, 0, false, false, 16.0}, // V2: group max, softmax
    {41, 64, 6, 8, 3, 1, 1, true, true, 2.5},    // V3: sigmoid, bias, top2
    {23, 12, 3, 3, 1, 1, 0, true, true, 1.0},    // one group kept
    {19, 10, 10, 1, 1, 1, 0, false, true, 1.0},  // every expert
    {17, 12, 5, 4, 1, 0, 1, true, false, 1.0},   // fewer kept than top_k
};

TYPED_TEST(KernelsMoeRoute, MatchesReference) {
  using T = TypeParam;
  uint64_t seed = 500;
  for (const RouteCase &c : kRouteCases) {
    SCOPED_TRACE(::testing::Message()
                 << "N " << c.N << " E " << c.E << " top_k " << c.topK
                 << " groups " << c.nGroup << "/" << c.topkGroup << " scoring "
                 << c.scoring << " group_score " << c.groupScore << " norm "
                 << c.norm << " bias " << c.bias);
    const auto logits = randomVector<T>(c.N * c.E, seed++, -3.0, 3.0);
    const auto bias = randomVector<T>(c.E, seed++, -0.2, 0.2);
    auto weights = garbage<T>(c.N * c.topK);
    std::vector<int64_t> indices(c.N * c.topK, -7);
    std::vector<double> wantWeights(weights.size());
    std::vector<int64_t> wantIndices(indices.size());
    api::moeRoute<T>(logits.data(), c.bias ? bias.data() : nullptr,
                     weights.data(), indices.data(), c.N, c.E, c.topK, c.nGroup,
                     c.topkGroup, c.scoring, c.groupScore, int32_t(c.norm),
                     c.factor);
    const auto biasD = toDouble(bias);
    ref::moeRoute(toDouble(logits).data(), c.bias ? biasD.data() : nullptr,
                  wantWeights.data(), wantIndices.data(), c.N, c.E, c.topK,
                  c.nGroup, c.topkGroup, c.scoring, c.groupScore, c.norm,
                  c.factor);
    EXPECT_EQ(indices, wantIndices);
    EXPECT_LT(relativeError(weights, wantWeights), routeTolerance<T>());
  }
}

TYPED_TEST(KernelsMoeRoute, TiesPreferLowerIndices) {
  using T = TypeParam;
  // Equal logits: every expert and every group ties.
  const int64_t E = 8, topK = 3;
  const std::vector<T> logits(E, T(0.5));
  std::vector<T> weights(topK);
  std::vector<int64_t> indices(topK);
  api::moeRoute<T>(logits.data(), nullptr, weights.data(), indices.data(),
                   int64_t(1), E, topK, int64_t(1), int64_t(1), 1, 0, 0, 1.0);
  EXPECT_EQ(indices, (std::vector<int64_t>{0, 1, 2}));
  // Groups of 2, keep 2 groups: groups 0 and 1 win the tie.
  api::moeRoute<T>(logits.data(), nullptr, weights.data(), indices.data(),
                   int64_t(1), E, topK, int64_t(4), int64_t(2), 1, 1, 0, 1.0);
  EXPECT_EQ(indices, (std::vector<int64_t>{0, 1, 2}));
  // A bias lifts expert 6's group and expert 6 above the rest.
  std::vector<T> bias(E, T(0));
  bias[6] = T(0.1);
  api::moeRoute<T>(logits.data(), bias.data(), weights.data(), indices.data(),
                   int64_t(1), E, topK, int64_t(4), int64_t(1), 1, 0, 0, 1.0);
  EXPECT_EQ(indices, (std::vector<int64_t>{6, 7, 0}));
  // The bias only selects: the weights are the unbiased scores.
  const T sigmoid = T(1.0 / (1.0 + std::exp(-0.5)));
  EXPECT_NEAR(double(weights[0]), double(sigmoid), 1e-6);
}

template <typename T> class KernelsMoeRouteGrad : public ::testing::Test {};
TYPED_TEST_SUITE(KernelsMoeRouteGrad, ElementTypes);

TYPED_TEST(KernelsMoeRouteGrad, MatchesReference) {
  using T = TypeParam;
  const int64_t N = 23, E = 12, K = 4;
  uint64_t seed = 600;
  for (int32_t scoring : {0, 1})
    for (bool norm : {false, true}) {
      SCOPED_TRACE(::testing::Message()
                   << "scoring " << scoring << " norm " << norm);
      const auto logits = randomVector<T>(N * E, seed++, -3.0, 3.0);
      const auto grad = randomVector<T>(N * K, seed++);
      auto indices = randomIndices(N * K, E, seed++); // repeats allowed
      indices[5] = indices[4];
      auto out = garbage<T>(N * E);
      std::vector<double> want(N * E);
      ds_status status{};
      api::moeRouteGrad<T>(&status, 3, logits.data(), indices.data(),
                           grad.data(), out.data(), N, E, K, scoring,
                           int32_t(norm), 2.5);
      ref::moeRouteGrad(nullptr, 3, toDouble(logits).data(), indices.data(),
                        toDouble(grad).data(), want.data(), N, E, K, scoring,
                        norm, 2.5);
      EXPECT_EQ(status.code, DS_STATUS_OK);
      EXPECT_LT(relativeError(out, want), tolerance<T>());
    }
}

TYPED_TEST(KernelsMoeRouteGrad, BadIndexIsRecordedAndSkipped) {
  using T = TypeParam;
  const int64_t N = 3, E = 5, K = 2;
  const auto logits = randomVector<T>(N * E, 1);
  const auto grad = randomVector<T>(N * K, 2);
  const std::vector<int64_t> indices = {0, 1, 2, 7, 3, 4};
  auto out = garbage<T>(N * E);
  std::vector<double> want(N * E);
  ds_status status{};
  api::moeRouteGrad<T>(&status, 12, logits.data(), indices.data(), grad.data(),
                       out.data(), N, E, K, 1, 1, 1.0);
  EXPECT_EQ(status.code, DS_STATUS_INDEX_OUT_OF_RANGE);
  EXPECT_EQ(status.site, 12);
  EXPECT_EQ(status.value, 7);
  EXPECT_EQ(status.bound, E);
  ref::moeRouteGrad(nullptr, 12, toDouble(logits).data(), indices.data(),
                    toDouble(grad).data(), want.data(), N, E, K, 1, true, 1.0);
  EXPECT_LT(relativeError(out, want), tolerance<T>());
}

//===----------------------------------------------------------------------===//
// Expert FFN
//===----------------------------------------------------------------------===//

template <typename T> class KernelsMoeFfn : public ::testing::Test {};
TYPED_TEST_SUITE(KernelsMoeFfn, ElementTypes);

struct FfnCase {
  int64_t N, D, K, E, I;
};

/// Experts with few rows run on the tile loops, experts with 64 or more on
/// OpenBLAS; the first half of the tokens all pick expert 0 last, so large
/// cases mix both engines in one call.
const FfnCase kFfnCases[] = {
    {1, 1, 1, 1, 1},
    {29, 24, 3, 7, 20}, // some experts unused (indices drawn below E − 1)
    {64, 32, 6, 16, 48},
    {5, 17, 2, 3, 9},
    {200, 20, 3, 30, 12}, // expert 0 on OpenBLAS, the others on tiles
    {300, 16, 2, 3, 24},  // every expert on OpenBLAS
};

/// Inputs of one FFN case; token 0 picks its first expert twice.
template <typename T> struct FfnInputs {
  std::vector<T> x, w, gate, up, down, dy;
  std::vector<int64_t> idx;
  FfnInputs(const FfnCase &c, uint64_t seed)
      : x(randomVector<T>(c.N * c.D, seed)),
        w(randomVector<T>(c.N * c.K, seed + 1, 0.1, 1.0)),
        gate(randomVector<T>(c.E * c.I * c.D, seed + 2, -0.5, 0.5)),
        up(randomVector<T>(c.E * c.I * c.D, seed + 3, -0.5, 0.5)),
        down(randomVector<T>(c.E * c.D * c.I, seed + 4, -0.5, 0.5)),
        dy(randomVector<T>(c.N * c.D, seed + 5)),
        idx(randomIndices(c.N * c.K, std::max<int64_t>(1, c.E - 1), seed + 6)) {
    for (int64_t n = 0; n < c.N / 2; ++n)
      idx[n * c.K + c.K - 1] = 0;
    if (c.K > 1)
      idx[1] = idx[0];
  }
};

TYPED_TEST(KernelsMoeFfn, ForwardMatchesReference) {
  using T = TypeParam;
  uint64_t seed = 700;
  for (const FfnCase &c : kFfnCases) {
    SCOPED_TRACE(::testing::Message() << "N " << c.N << " D " << c.D << " K "
                                      << c.K << " E " << c.E << " I " << c.I);
    const FfnInputs<T> in(c, seed += 10);
    auto out = garbage<T>(c.N * c.D);
    std::vector<double> want(out.size());
    ds_status status{};
    api::moeFfn<T>(&status, 1, in.x.data(), in.w.data(), in.idx.data(),
                   in.gate.data(), in.up.data(), in.down.data(), out.data(),
                   c.N, c.D, c.K, c.E, c.I);
    ref::moeFfn(nullptr, 1, toDouble(in.x).data(), toDouble(in.w).data(),
                in.idx.data(), toDouble(in.gate).data(), toDouble(in.up).data(),
                toDouble(in.down).data(), want.data(), c.N, c.D, c.K, c.E, c.I);
    EXPECT_EQ(status.code, DS_STATUS_OK);
    EXPECT_LT(relativeError(out, want), tolerance<T>());
  }
}

TYPED_TEST(KernelsMoeFfn, GradientMatchesReference) {
  using T = TypeParam;
  uint64_t seed = 800;
  for (const FfnCase &c : kFfnCases) {
    SCOPED_TRACE(::testing::Message() << "N " << c.N << " D " << c.D << " K "
                                      << c.K << " E " << c.E << " I " << c.I);
    const FfnInputs<T> in(c, seed += 10);
    auto dx = garbage<T>(c.N * c.D), dw = garbage<T>(c.N * c.K),
         dgate = garbage<T>(c.E * c.I * c.D), dup = garbage<T>(dgate.size()),
         ddown = garbage<T>(c.E * c.D * c.I);
    std::vector<double> wx(dx.size()), ww(dw.size()), wgate(dgate.size()),
        wup(dup.size()), wdown(ddown.size());
    ds_status status{};
    api::moeFfnGrad<T>(&status, 1, in.x.data(), in.w.data(), in.idx.data(),
                       in.gate.data(), in.up.data(), in.down.data(),
                       in.dy.data(), dx.data(), dw.data(), dgate.data(),
                       dup.data(), ddown.data(), c.N, c.D, c.K, c.E, c.I);
    ref::moeFfnGrad(nullptr, 1, toDouble(in.x).data(), toDouble(in.w).data(),
                    in.idx.data(), toDouble(in.gate).data(),
                    toDouble(in.up).data(), toDouble(in.down).data(),
                    toDouble(in.dy).data(), wx.data(), ww.data(), wgate.data(),
                    wup.data(), wdown.data(), c.N, c.D, c.K, c.E, c.I);
    EXPECT_EQ(status.code, DS_STATUS_OK);
    EXPECT_LT(relativeError(dx, wx), tolerance<T>());
    EXPECT_LT(relativeError(dw, ww), tolerance<T>());
    EXPECT_LT(relativeError(dgate, wgate), tolerance<T>());
    EXPECT_LT(relativeError(dup, wup), tolerance<T>());
    EXPECT_LT(relativeError(ddown, wdown), tolerance<T>());
  }
}

TYPED_TEST(KernelsMoeFfn, BadIndexIsRecordedAndSkipped) {
  using T = TypeParam;
  const FfnCase c{6, 8, 2, 3, 5};
  FfnInputs<T> in(c, 900);
  in.idx[3] = 3; // token 1's second choice: one past the last expert
  in.idx[8] = -1;
  auto out = garbage<T>(c.N * c.D);
  std::vector<double> want(out.size());
  ds_status status{};
  api::moeFfn<T>(&status, 21, in.x.data(), in.w.data(), in.idx.data(),
                 in.gate.data(), in.up.data(), in.down.data(), out.data(), c.N,
                 c.D, c.K, c.E, c.I);
  EXPECT_EQ(status.code, DS_STATUS_INDEX_OUT_OF_RANGE);
  EXPECT_EQ(status.site, 21);
  EXPECT_EQ(status.value, 3);
  EXPECT_EQ(status.bound, c.E);
  ref::moeFfn(nullptr, 0, toDouble(in.x).data(), toDouble(in.w).data(),
              in.idx.data(), toDouble(in.gate).data(), toDouble(in.up).data(),
              toDouble(in.down).data(), want.data(), c.N, c.D, c.K, c.E, c.I);
  EXPECT_LT(relativeError(out, want), tolerance<T>());

  auto dx = garbage<T>(c.N * c.D), dw = garbage<T>(c.N * c.K),
       dgate = garbage<T>(c.E * c.I * c.D), dup = garbage<T>(dgate.size()),
       ddown = garbage<T>(c.E * c.D * c.I);
  std::vector<double> wx(dx.size()), ww(dw.size()), wgate(dgate.size()),
      wup(dup.size()), wdown(ddown.size());
  ds_status gradStatus{};
  api::moeFfnGrad<T>(&gradStatus, 22, in.x.data(), in.w.data(), in.idx.data(),
                     in.gate.data(), in.up.data(), in.down.data(), in.dy.data(),
                     dx.data(), dw.data(), dgate.data(), dup.data(),
                     ddown.data(), c.N, c.D, c.K, c.E, c.I);
  EXPECT_EQ(gradStatus.code, DS_STATUS_INDEX_OUT_OF_RANGE);
  EXPECT_EQ(gradStatus.site, 22);
  EXPECT_EQ(gradStatus.value, 3);
  ref::moeFfnGrad(nullptr, 0, toDouble(in.x).data(), toDouble(in.w).data(),
                  in.idx.data(), toDouble(in.gate).data(),
                  toDouble(in.up).data(), toDouble(in.down).data(),
                  toDouble(in.dy).data(), wx.data(), ww.data(), wgate.data(),
                  wup.data(), wdown.data(), c.N, c.D, c.K, c.E, c.I);
  EXPECT_EQ(dw[3], T(0));
  EXPECT_EQ(dw[8], T(0));
  EXPECT_LT(relativeError(dx, wx), tolerance<T>());
  EXPECT_LT(relativeError(dw, ww), tolerance<T>());
  EXPECT_LT(relativeError(dgate, wgate), tolerance<T>());
  EXPECT_LT(relativeError(dup, wup), tolerance<T>());
  EXPECT_LT(relativeError(ddown, wdown), tolerance<T>());
}

} // namespace
