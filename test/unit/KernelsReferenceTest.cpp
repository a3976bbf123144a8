//===- KernelsReferenceTest.cpp - the references' gradients by differences ===//
//
// The kernel tests trust the references; these check the references'
// gradients against central finite differences of the references' own
// forward functions (in double, step 1e-6, so the differences are accurate
// to about 1e-9 relative), and RoPE's adjoint against the dot-product
// identity <rope(x), y> = <x, ropeᵀ(y)>. A gradient written wrongly in both
// a kernel and its reference fails here.
//
//===----------------------------------------------------------------------===//

#include "kernels/cpu/reference/Reference.h"
#include "test/unit/KernelsTestUtil.h"

#include <gtest/gtest.h>

#include <functional>
#include <vector>

using namespace ds::kernels::test;
namespace ref = ds::kernels::reference;

namespace {

constexpr double kStep = 1e-6;
constexpr double kDifferenceTolerance = 1e-6;

double dot(const std::vector<double> &a, const std::vector<double> &b) {
  double sum = 0;
  for (size_t i = 0; i < a.size(); ++i)
    sum += a[i] * b[i];
  return sum;
}

/// d loss / d x by central differences, x perturbed in place and restored.
std::vector<double> differences(std::vector<double> &x,
                                const std::function<double()> &loss) {
  std::vector<double> g(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    const double saved = x[i];
    x[i] = saved + kStep;
    const double plus = loss();
    x[i] = saved - kStep;
    const double minus = loss();
    x[i] = saved;
    g[i] = (plus - minus) / (2 * kStep);
  }
  return g;
}

TEST(KernelsReference, AttentionGradientByDifferences) {
  const int64_t B = 2, Tq = 5, Tk = 7, Hq = 4, Hkv = 2, Dqk = 3, Dv = 2;
  struct Mask {
    bool causal;
    int64_t window, keyLength;
  };
  for (auto [causal, window, keyLength] :
       {Mask{false, 0, Tk}, {true, 0, Tk}, {true, 3, Tk}, {true, 0, 6},
        {false, 0, 4}}) {
    SCOPED_TRACE(::testing::Message() << "causal " << causal << " window "
                                      << window << " key length " << keyLength);
    const double scale = 0.8;
    auto q = randomVector<double>(B * Tq * Hq * Dqk, 1);
    auto k = randomVector<double>(B * Tk * Hkv * Dqk, 2);
    auto v = randomVector<double>(B * Tk * Hkv * Dv, 3);
    const auto dout = randomVector<double>(B * Tq * Hq * Dv, 4);
    std::vector<double> out(dout.size());
    auto loss = [&] {
      ref::attention(q.data(), k.data(), v.data(), out.data(), B, Tq, Tk, Hq,
                     Hkv, Dqk, Dv, scale, causal, window, keyLength);
      return dot(out, dout);
    };
    std::vector<double> dq(q.size()), dk(k.size()), dv(v.size());
    ref::attentionGrad(q.data(), k.data(), v.data(), dout.data(), dq.data(),
                       dk.data(), dv.data(), B, Tq, Tk, Hq, Hkv, Dqk, Dv, scale,
                       causal, window, keyLength);
    EXPECT_LT(relativeError(dq, differences(q, loss)), kDifferenceTolerance);
    EXPECT_LT(relativeError(dk, differences(k, loss)), kDifferenceTolerance);
    EXPECT_LT(relativeError(dv, differences(v, loss)), kDifferenceTolerance);
  }
}

TEST(KernelsReference, MoeFfnGradientByDifferences) {
  const int64_t N = 4, D = 3, K = 2, E = 3, I = 4;
  auto x = randomVector<double>(N * D, 1);
  auto w = randomVector<double>(N * K, 2, 0.1, 1.0);
  auto gate = randomVector<double>(E * I * D, 3);
  auto up = randomVector<double>(E * I * D, 4);
  auto down = randomVector<double>(E * D * I, 5);
  const auto dy = randomVector<double>(N * D, 6);
  const std::vector<int64_t> idx = {0, 2, 1, 1, 2, 0, 1, 2};
  std::vector<double> out(N * D);
  auto loss = [&] {
    ref::moeFfn(nullptr, 0, x.data(), w.data(), idx.data(), gate.data(),
                up.data(), down.data(), out.data(), N, D, K, E, I);
    return dot(out, dy);
  };
  std::vector<double> dx(x.size()), dw(w.size()), dgate(gate.size()),
      dup(up.size()), ddown(down.size());
  ref::moeFfnGrad(nullptr, 0, x.data(), w.data(), idx.data(), gate.data(),
                  up.data(), down.data(), dy.data(), dx.data(), dw.data(),
                  dgate.data(), dup.data(), ddown.data(), N, D, K, E, I);
  EXPECT_LT(relativeError(dx, differences(x, loss)), kDifferenceTolerance);
  EXPECT_LT(relativeError(dw, differences(w, loss)), kDifferenceTolerance);
  EXPECT_LT(relativeError(dgate, differences(gate, loss)),
            kDifferenceTolerance);
  EXPECT_LT(relativeError(dup, differences(up, loss)), kDifferenceTolerance);
  EXPECT_LT(relativeError(ddown, differences(down, loss)),
            kDifferenceTolerance);
}

TEST(KernelsReference, MoeRouteGradientByDifferences) {
  const int64_t N = 5, E = 8, K = 3;
  for (int32_t scoring : {0, 1})
    for (bool norm : {false, true}) {
      SCOPED_TRACE(::testing::Message()
                   << "scoring " << scoring << " norm " << norm);
      auto logits = randomVector<double>(N * E, 10 + scoring, -2.0, 2.0);
      const auto grad = randomVector<double>(N * K, 20);
      std::vector<double> weights(N * K);
      std::vector<int64_t> indices(N * K), chosen(N * K);
      ref::moeRoute(logits.data(), nullptr, weights.data(), chosen.data(), N, E,
                    K, 1, 1, scoring, 0, norm, 1.7);
      // A step of 1e-6 never changes which experts random logits choose.
      auto loss = [&] {
        ref::moeRoute(logits.data(), nullptr, weights.data(), indices.data(), N,
                      E, K, 1, 1, scoring, 0, norm, 1.7);
        EXPECT_EQ(indices, chosen);
        return dot(weights, grad);
      };
      std::vector<double> out(N * E);
      ref::moeRouteGrad(nullptr, 0, logits.data(), chosen.data(), grad.data(),
                        out.data(), N, E, K, scoring, norm, 1.7);
      EXPECT_LT(relativeError(out, differences(logits, loss)),
                kDifferenceTolerance);
    }
}

TEST(KernelsReference, CrossEntropyGradientByDifferences) {
  const int64_t P = 6, V = 5;
  auto logits = randomVector<double>(P * V, 30, -3.0, 3.0);
  const std::vector<int64_t> targets = {0, 4, -100, 2, 2, 1};
  const double dloss = 1.3;
  auto loss = [&] {
    double l = 0;
    ref::crossEntropy(nullptr, 0, logits.data(), targets.data(), &l, P, V,
                      -100);
    return dloss * l;
  };
  std::vector<double> dlogits(P * V);
  ref::crossEntropyGrad(nullptr, 0, logits.data(), targets.data(), &dloss,
                        dlogits.data(), P, V, -100);
  EXPECT_LT(relativeError(dlogits, differences(logits, loss)),
            kDifferenceTolerance);
}

TEST(KernelsReference, RopeAdjointIsTranspose) {
  const int64_t L = 2, T = 3, H = 2, D = 10, offset = 2, dim = 6;
  const std::vector<double> frequencies = {1.0, 0.3, 0.05};
  for (bool interleaved : {false, true}) {
    const auto x = randomVector<double>(L * T * H * D, 40);
    const auto y = randomVector<double>(L * T * H * D, 41);
    const auto positions = randomIndices(L * T, 1000, 42);
    std::vector<double> rx(x.size()), ry(y.size());
    ref::rope(x.data(), positions.data(), rx.data(), L, T, H, D, offset, dim,
              interleaved, false, frequencies.data(), 1.2, false);
    ref::rope(y.data(), positions.data(), ry.data(), L, T, H, D, offset, dim,
              interleaved, false, frequencies.data(), 1.2, true);
    EXPECT_NEAR(dot(rx, y), dot(x, ry), 1e-12 * std::abs(dot(rx, y)));
  }
}

} // namespace
