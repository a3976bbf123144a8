//===- CheckMoe.cpp - the MoE kernels against their references ------------===//
//
// Routing (softmax and sigmoid scores, with and without the selection bias,
// group-limited with both group scores, normalized or not, scaled) and the
// expert FFNs forward and backward (odd sizes, an expert nobody chose,
// repeated experts, several row tiles per expert), in float and double,
// against kernels/cpu/reference. Bad expert indices must be recorded in the
// device status like the CPU kernels record them.
//
// Routing's indices must match exactly, so its random logits are redrawn
// until every selection key (and group score) is clear of its neighbours:
// the kernel computes them in double like the reference, but not bit for
// bit (the device's exp is not glibc's).
//
//===----------------------------------------------------------------------===//

#include "test/device/KernelCheck.h"

#include "kernels/cpu/reference/Reference.h"
#include "kernels/cuda/CudaKernels.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace ds::devicecheck {

namespace {

namespace ref = ds::kernels::reference;

constexpr int32_t kSite = 7;

template <typename T> std::string kernelName(const char *base) {
  return std::string("ds_cuda_") + base + (sizeof(T) == 4 ? "_f32" : "_f64");
}

template <typename T> double tolerance() {
  return sizeof(T) == 4 ? 1e-5 : 1e-12;
}

/// The values a T buffer holds, widened back: the reference's inputs.
template <typename T>
std::vector<double> asStored(const std::vector<double> &v) {
  return convert<double>(convert<T>(v));
}

template <typename T> bool allZero(const std::vector<T> &values) {
  return std::all_of(values.begin(), values.end(),
                     [](T v) { return v == T(0); });
}

//===-- Kernel overloads --------------------------------------------------===//

void route(const float *l, const float *b, float *w, int64_t *i, int64_t N,
           int64_t E, int64_t k, int64_t g, int64_t tg, int32_t s, int32_t gs,
           int32_t norm, double f) {
  ds_cuda_moe_route_f32(l, b, w, i, N, E, k, g, tg, s, gs, norm, f);
}
void route(const double *l, const double *b, double *w, int64_t *i, int64_t N,
           int64_t E, int64_t k, int64_t g, int64_t tg, int32_t s, int32_t gs,
           int32_t norm, double f) {
  ds_cuda_moe_route_f64(l, b, w, i, N, E, k, g, tg, s, gs, norm, f);
}
void routeGrad(ds_status *st, const float *l, const int64_t *i, const float *g,
               float *o, int64_t N, int64_t E, int64_t K, int32_t s,
               int32_t norm, double f) {
  ds_cuda_moe_route_grad_f32(st, kSite, l, i, g, o, N, E, K, s, norm, f);
}
void routeGrad(ds_status *st, const double *l, const int64_t *i,
               const double *g, double *o, int64_t N, int64_t E, int64_t K,
               int32_t s, int32_t norm, double f) {
  ds_cuda_moe_route_grad_f64(st, kSite, l, i, g, o, N, E, K, s, norm, f);
}
void ffn(ds_status *st, const float *x, const float *w, const int64_t *idx,
         const float *gate, const float *up, const float *down, float *out,
         int64_t N, int64_t D, int64_t K, int64_t E, int64_t I) {
  ds_cuda_moe_ffn_f32(st, kSite, x, w, idx, gate, up, down, out, N, D, K, E, I);
}
void ffn(ds_status *st, const double *x, const double *w, const int64_t *idx,
         const double *gate, const double *up, const double *down, double *out,
         int64_t N, int64_t D, int64_t K, int64_t E, int64_t I) {
  ds_cuda_moe_ffn_f64(st, kSite, x, w, idx, gate, up, down, out, N, D, K, E, I);
}
void ffnGrad(ds_status *st, const float *x, const float *w, const int64_t *idx,
             const float *gate, const float *up, const float *down,
             const float *dy, float *dx, float *dw, float *dgate, float *dup,
             float *ddown, int64_t N, int64_t D, int64_t K, int64_t E,
             int64_t I) {
  ds_cuda_moe_ffn_grad_f32(st, kSite, x, w, idx, gate, up, down, dy, dx, dw,
                           dgate, dup, ddown, N, D, K, E, I);
}
void ffnGrad(ds_status *st, const double *x, const double *w,
             const int64_t *idx, const double *gate, const double *up,
             const double *down, const double *dy, double *dx, double *dw,
             double *dgate, double *dup, double *ddown, int64_t N, int64_t D,
             int64_t K, int64_t E, int64_t I) {
  ds_cuda_moe_ffn_grad_f64(st, kSite, x, w, idx, gate, up, down, dy, dx, dw,
                           dgate, dup, ddown, N, D, K, E, I);
}

/// The device status must hold exactly this failure (or none: code 0).
void expectStatus(Report &report, const std::string &kernel,
                  const std::string &shape, const ds_status &got, int32_t code,
                  int64_t value, int64_t bound) {
  const bool ok =
      got.code == code &&
      (code == DS_STATUS_OK ||
       (got.site == kSite && got.value == value && got.bound == bound));
  // As {code, site, value, bound}, short enough for the table.
  auto text = [](int64_t c, int64_t s, int64_t v, int64_t b) {
    return "{" + std::to_string(c) + "," + std::to_string(s) + "," +
           std::to_string(v) + "," + std::to_string(b) + "}";
  };
  const std::string seen = text(got.code, got.site, got.value, got.bound);
  report.expect(
      kernel, shape + " status", ok,
      ok ? "status " + seen
         : seen + " != " + (code ? text(code, kSite, value, bound) : "{0}"));
}

//===-- Routing -----------------------------------------------------------===//

struct RouteCase {
  int64_t N, E, topK, nGroup, topkGroup;
  int32_t scoring, groupScore;
  bool bias, normalize;
  double factor;

  bool grouped() const {
    return nGroup > 1 && topkGroup >= 0 && topkGroup < nGroup &&
           E % nGroup == 0;
  }
  std::string shape() const {
    std::string groups;
    if (nGroup > 1)
      groups = " g=" + std::to_string(nGroup) + "/" +
               std::to_string(topkGroup) + (groupScore ? " top2" : " max");
    return "N=" + std::to_string(N) + " E=" + std::to_string(E) +
           " k=" + std::to_string(topK) + groups +
           (scoring ? " sigm" : " soft") + (bias ? " bias" : "") +
           (normalize ? " norm" : "") +
           (factor != 1.0 ? " x" + std::to_string(factor).substr(0, 3) : "");
  }
};

/// Whether each token's selection keys, and group scores, are all more
/// than 1e-9 apart (the reference's formulas, in double).
bool wellSeparated(const RouteCase &c, const std::vector<double> &logits,
                   const std::vector<double> &bias) {
  auto separated = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    for (size_t i = 1; i < v.size(); ++i)
      if (v[i] - v[i - 1] <= 1e-9)
        return false;
    return true;
  };
  for (int64_t n = 0; n < c.N; ++n) {
    const double *l = logits.data() + n * c.E;
    const double max = *std::max_element(l, l + c.E);
    double sum = 0;
    for (int64_t e = 0; e < c.E; ++e)
      sum += std::exp(l[e] - max);
    std::vector<double> keys(c.E);
    for (int64_t e = 0; e < c.E; ++e)
      keys[e] = (c.scoring == 1 ? 1.0 / (1.0 + std::exp(-l[e]))
                                : std::exp(l[e] - max) / sum) +
                (c.bias ? bias[e] : 0.0);
    if (!separated(keys))
      return false;
    if (!c.grouped())
      continue;
    const int64_t size = c.E / c.nGroup;
    std::vector<double> groups;
    for (int64_t g = 0; g < c.nGroup; ++g) {
      std::vector<double> members(keys.begin() + g * size,
                                  keys.begin() + (g + 1) * size);
      std::sort(members.begin(), members.end(), std::greater<>());
      groups.push_back(members[0] +
                       (c.groupScore == 1 && size > 1 ? members[1] : 0.0));
    }
    if (!separated(groups))
      return false;
  }
  return true;
}

template <typename T>
void checkRoute(Report &report, const RouteCase &c, uint64_t seed) {
  const std::string kernel = kernelName<T>("moe_route");
  const std::string gradKernel = kernelName<T>("moe_route_grad");
  const std::string shape = c.shape();
  std::vector<double> logits, bias;
  bool separated = false;
  for (int attempt = 0; attempt < 50 && !separated; ++attempt) {
    Random random(seed + 1000 * attempt);
    logits = asStored<T>(random.uniform(c.N * c.E, -3.0, 3.0));
    bias = asStored<T>(random.uniform(c.E, -0.05, 0.05));
    separated = wellSeparated(c, logits, bias);
  }
  if (!separated) {
    report.expect(kernel, shape, false, "no tie-free random logits");
    return;
  }

  const int64_t slots = c.N * c.topK;
  std::vector<double> weights(slots);
  std::vector<int64_t> indices(slots);
  ref::moeRoute(logits.data(), c.bias ? bias.data() : nullptr, weights.data(),
                indices.data(), c.N, c.E, c.topK, c.nGroup, c.topkGroup,
                c.scoring, c.groupScore, c.normalize, c.factor);

  DeviceBuffer<T> dLogits(convert<T>(logits));
  DeviceBuffer<T> dBias(convert<T>(bias));
  DeviceBuffer<T> dWeights(slots);
  DeviceBuffer<int64_t> dIndices(slots);
  dWeights.poison();
  dIndices.poison();
  route(dLogits.get(), c.bias ? dBias.get() : nullptr, dWeights.get(),
        dIndices.get(), c.N, c.E, c.topK, c.nGroup, c.topkGroup, c.scoring,
        c.groupScore, c.normalize ? 1 : 0, c.factor);
  if (report.launched(kernel, shape)) {
    report.compare(kernel, shape + " weights", weights, dWeights.download(),
                   tolerance<T>());
    report.compareExact(kernel, shape + " indices", indices,
                        dIndices.download());
  }

  // The gradient at the reference's choice (top_k <= E: no padding), then
  // with one index out of range: recorded and skipped.
  if (c.topK > c.E)
    return;
  Random random(seed + 7);
  const std::vector<double> grad = asStored<T>(random.uniform(slots));
  for (bool bad : {false, true}) {
    std::vector<int64_t> idx = indices;
    const int64_t badValue = c.E + 3;
    if (bad)
      idx[(c.N / 2) * c.topK + c.topK / 2] = badValue;
    const std::string gradShape = shape + (bad ? " bad idx" : "");
    ds_status hostStatus{};
    std::vector<double> expected(c.N * c.E);
    ref::moeRouteGrad(&hostStatus, kSite, logits.data(), idx.data(),
                      grad.data(), expected.data(), c.N, c.E, c.topK, c.scoring,
                      c.normalize, c.factor);
    DeviceStatus status;
    DeviceBuffer<int64_t> dIdx(idx);
    DeviceBuffer<T> dGrad(convert<T>(grad));
    DeviceBuffer<T> dOut(c.N * c.E);
    dOut.poison();
    routeGrad(status.get(), dLogits.get(), dIdx.get(), dGrad.get(), dOut.get(),
              c.N, c.E, c.topK, c.scoring, c.normalize ? 1 : 0, c.factor);
    if (!report.launched(gradKernel, gradShape))
      continue;
    report.compare(gradKernel, gradShape, expected, dOut.download(),
                   tolerance<T>());
    expectStatus(report, gradKernel, gradShape, status.download(),
                 bad ? DS_STATUS_INDEX_OUT_OF_RANGE : DS_STATUS_OK, badValue,
                 c.E);
  }
}

//===-- Expert FFNs -------------------------------------------------------===//

struct FfnCase {
  int64_t N, D, K, E, I;
  /// Experts are drawn from [0, E − 1): expert E − 1 is nobody's.
  bool distinct;    // a token's K experts differ (else repeats are allowed)
  int64_t badIndex; // 0: none; else put at one slot
  std::string shape() const {
    return "N=" + std::to_string(N) + " D=" + std::to_string(D) +
           " K=" + std::to_string(K) + " E=" + std::to_string(E) +
           " I=" + std::to_string(I) + (distinct ? "" : " repeats") +
           (badIndex ? " idx " + std::to_string(badIndex) : "");
  }
};

std::vector<int64_t> drawExperts(Random &random, const FfnCase &c) {
  const int64_t choices = c.E - 1;
  std::vector<int64_t> idx(c.N * c.K);
  for (int64_t n = 0; n < c.N; ++n) {
    if (!c.distinct) {
      const std::vector<int64_t> drawn = random.integers(c.K, 0, choices - 1);
      std::copy(drawn.begin(), drawn.end(), idx.begin() + n * c.K);
      continue;
    }
    std::vector<int64_t> experts(choices); // a partial Fisher-Yates
    for (int64_t e = 0; e < choices; ++e)
      experts[e] = e;
    for (int64_t k = 0; k < c.K; ++k) {
      const int64_t j = random.integers(1, k, choices - 1)[0];
      std::swap(experts[k], experts[j]);
      idx[n * c.K + k] = experts[k];
    }
  }
  if (c.badIndex)
    idx[(c.N / 3) * c.K + c.K - 1] = c.badIndex;
  return idx;
}

/// The status the kernels must leave: -1 marks an expert another rank
/// holds (expert parallelism; kernels/cpu/MoeFfn.cpp) and is skipped
/// without a failure, any other bad index is recorded.
void expectFfnStatus(Report &report, const std::string &kernel,
                     const FfnCase &c, const ds_status &got) {
  const bool recorded = c.badIndex != 0 && c.badIndex != -1;
  expectStatus(report, kernel, c.shape(), got,
               recorded ? DS_STATUS_INDEX_OUT_OF_RANGE : DS_STATUS_OK,
               c.badIndex, c.E);
}

template <typename T>
void checkFfn(Report &report, const FfnCase &c, uint64_t seed) {
  const std::string kernel = kernelName<T>("moe_ffn");
  const std::string gradKernel = kernelName<T>("moe_ffn_grad");
  const std::string shape = c.shape();
  Random random(seed);
  const std::vector<int64_t> idx = drawExperts(random, c);
  const auto x = asStored<T>(random.uniform(c.N * c.D));
  const auto w = asStored<T>(random.uniform(c.N * c.K, 0.1, 1.0));
  const auto gate = asStored<T>(random.uniform(c.E * c.I * c.D));
  const auto up = asStored<T>(random.uniform(c.E * c.I * c.D));
  const auto down = asStored<T>(random.uniform(c.E * c.D * c.I));
  const auto dy = asStored<T>(random.uniform(c.N * c.D));

  DeviceBuffer<int64_t> dIdx(idx);
  DeviceBuffer<T> dX(convert<T>(x)), dW(convert<T>(w));
  DeviceBuffer<T> dGate(convert<T>(gate)), dUp(convert<T>(up));
  DeviceBuffer<T> dDown(convert<T>(down)), dDy(convert<T>(dy));

  // Forward. The reference records -1 too; only its outputs are used.
  {
    ds_status ignored{};
    std::vector<double> expected(c.N * c.D);
    ref::moeFfn(&ignored, kSite, x.data(), w.data(), idx.data(), gate.data(),
                up.data(), down.data(), expected.data(), c.N, c.D, c.K, c.E,
                c.I);
    DeviceStatus status;
    DeviceBuffer<T> out(c.N * c.D);
    out.poison();
    ffn(status.get(), dX.get(), dW.get(), dIdx.get(), dGate.get(), dUp.get(),
        dDown.get(), out.get(), c.N, c.D, c.K, c.E, c.I);
    if (report.launched(kernel, shape)) {
      report.compare(kernel, shape, expected, out.download(), tolerance<T>());
      expectFfnStatus(report, kernel, c, status.download());
    }
  }

  // Backward.
  ds_status ignored{};
  std::vector<double> dx(c.N * c.D), dw(c.N * c.K), dgate(c.E * c.I * c.D),
      dup(c.E * c.I * c.D), ddown(c.E * c.D * c.I);
  ref::moeFfnGrad(&ignored, kSite, x.data(), w.data(), idx.data(), gate.data(),
                  up.data(), down.data(), dy.data(), dx.data(), dw.data(),
                  dgate.data(), dup.data(), ddown.data(), c.N, c.D, c.K, c.E,
                  c.I);
  DeviceStatus status;
  DeviceBuffer<T> gDx(c.N * c.D), gDw(c.N * c.K), gGate(c.E * c.I * c.D),
      gUp(c.E * c.I * c.D), gDown(c.E * c.D * c.I);
  for (DeviceBuffer<T> *b : {&gDx, &gDw, &gGate, &gUp, &gDown})
    b->poison();
  ffnGrad(status.get(), dX.get(), dW.get(), dIdx.get(), dGate.get(), dUp.get(),
          dDown.get(), dDy.get(), gDx.get(), gDw.get(), gGate.get(), gUp.get(),
          gDown.get(), c.N, c.D, c.K, c.E, c.I);
  if (!report.launched(gradKernel, shape))
    return;
  const double tol = tolerance<T>();
  report.compare(gradKernel, shape + " dx", dx, gDx.download(), tol);
  report.compare(gradKernel, shape + " dw", dw, gDw.download(), tol);
  const std::vector<T> gotGate = gGate.download();
  report.compare(gradKernel, shape + " dgate", dgate, gotGate, tol);
  report.compare(gradKernel, shape + " dup", dup, gUp.download(), tol);
  report.compare(gradKernel, shape + " ddown", ddown, gDown.download(), tol);
  // Nobody chose expert E − 1: its gradients are exact zeros.
  const bool zeros =
      allZero(std::vector<T>(gotGate.end() - c.I * c.D, gotGate.end()));
  report.expect(gradKernel, shape + " unused", zeros,
                "expert E-1's dgate zero");
  expectFfnStatus(report, gradKernel, c, status.download());
}

/// Sizes with nothing to compute: the calls must launch nothing that fails
/// and still overwrite what the contract says.
template <typename T> void checkFfnDegenerate(Report &report) {
  const std::string kernel = kernelName<T>("moe_ffn");
  const std::string gradKernel = kernelName<T>("moe_ffn_grad");
  ffn(nullptr, static_cast<const T *>(nullptr), nullptr, nullptr, nullptr,
      nullptr, nullptr, nullptr, 0, 8, 2, 4, 8);
  report.launched(kernel, "N=0");

  // K = 0: out is all zeros.
  DeviceBuffer<T> out(5 * 8);
  out.poison();
  ffn(nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, out.get(),
      5, 8, 0, 4, 8);
  if (report.launched(kernel, "N=5 D=8 K=0"))
    report.expect(kernel, "N=5 D=8 K=0", allZero(out.download()),
                  "out is all zeros");

  // I = 0: every gradient is zero, and a bad index is still recorded.
  const int64_t N = 5, D = 8, K = 2, E = 4;
  Random random(99);
  std::vector<int64_t> idx = random.integers(N * K, 0, E - 1);
  idx[3] = E;
  DeviceBuffer<int64_t> dIdx(idx);
  DeviceBuffer<T> x(convert<T>(random.uniform(N * D))),
      w(convert<T>(random.uniform(N * K))),
      dy(convert<T>(random.uniform(N * D)));
  DeviceBuffer<T> dx(N * D), dw(N * K);
  dx.poison();
  dw.poison();
  DeviceStatus status;
  ffnGrad(status.get(), x.get(), w.get(), dIdx.get(), nullptr, nullptr, nullptr,
          dy.get(), dx.get(), dw.get(), nullptr, nullptr, nullptr, N, D, K, E,
          0);
  const std::string shape = "N=5 D=8 K=2 E=4 I=0";
  if (!report.launched(gradKernel, shape))
    return;
  report.expect(gradKernel, shape,
                allZero(dx.download()) && allZero(dw.download()),
                "dx and dw are all zeros");
  expectStatus(report, gradKernel, shape, status.download(),
               DS_STATUS_INDEX_OUT_OF_RANGE, E, E);
}

template <typename T> void checkAll(Report &report) {
  const RouteCase routes[] = {
      // N,  E, top_k, n_group, topk_group, scoring, group_score, bias, norm,
      // factor
      {37, 8, 2, 1, 1, 0, 0, false, false, 1.0},
      {37, 8, 2, 1, 1, 1, 0, true, true, 2.5},
      {50, 64, 6, 4, 2, 0, 0, true, true, 2.5},   // groups by max
      {64, 256, 8, 8, 4, 1, 1, true, true, 2.5},  // DeepSeek-V3's router
      {40, 16, 6, 4, 1, 1, 1, false, false, 2.5}, // fills from excluded
      {33, 300, 3, 3, 2, 0, 1, true, false, 1.0}, // E > block, groups of 100
      {20, 4, 6, 1, 1, 0, 0, false, true, 1.0},   // top_k > E: padding
  };
  uint64_t seed = 1;
  for (const RouteCase &c : routes)
    checkRoute<T>(report, c, seed++);

  // Empty routing calls queue nothing.
  route(static_cast<const T *>(nullptr), nullptr, nullptr, nullptr, 0, 8, 2, 1,
        1, 0, 0, 1, 1.0);
  report.launched(kernelName<T>("moe_route"), "N=0");

  const FfnCase ffns[] = {
      {37, 24, 2, 4, 40, true, 0},
      {37, 24, 3, 8, 40, false, 0},
      {300, 64, 4, 16, 96, true, 0},
      {37, 24, 3, 8, 40, true, 11}, // recorded, skipped
      {37, 24, 2, 4, 40, true, -1}, // another rank's expert: skipped
  };
  for (const FfnCase &c : ffns)
    checkFfn<T>(report, c, seed++);
  checkFfnDegenerate<T>(report);
}

} // namespace

void checkMoe(Report &report) {
  checkAll<float>(report);
  checkAll<double>(report);
}

} // namespace ds::devicecheck
