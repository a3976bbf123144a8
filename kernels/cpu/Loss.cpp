//===- Loss.cpp - token cross-entropy and its gradient --------------------===//
//
// One position per task: a row of V logits (up to ~130k for DeepSeek's
// vocabulary) is read twice, once for its maximum and once for the sum of
// exponentials. The sum is accumulated in double, the exponentials are the
// vectorized float ones (their 1e-7 relative error is far below what a
// float loss can show). Per-position losses are summed in position order
// afterwards so that the result does not depend on the thread count.
//
//===----------------------------------------------------------------------===//

#include "kernels/cpu/Kernels.h"

#include "kernels/cpu/Math.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

using namespace ds::kernels;

namespace {

/// Whether position p counts; reports a target outside [0, V) other than
/// ignore_index (the first, in position order).
struct Targets {
  std::vector<char> counted;
  int64_t count = 0;
};

Targets checkTargets(ds_status *status, int32_t site, const int64_t *targets,
                     int64_t P, int64_t V, int64_t ignoreIndex) {
  Targets t;
  t.counted.assign(P, 0);
  for (int64_t p = 0; p < P; ++p) {
    const int64_t target = targets[p];
    if (target == ignoreIndex)
      continue;
    if (target < 0 || target >= V) {
      ds_status_fail(status, DS_STATUS_INDEX_OUT_OF_RANGE, site, target, V);
      continue;
    }
    t.counted[p] = 1;
    ++t.count;
  }
  return t;
}

template <typename T> T rowMax(const T *row, int64_t V) {
  // fmax, not a comparison: clang vectorizes only the former's reduction.
  T max = -std::numeric_limits<T>::infinity();
  for (int64_t v = 0; v < V; ++v)
    max = std::fmax(max, row[v]);
  return max;
}

/// Σ_v exp(row[v] − max), accumulated in double: partial sums of chunks of
/// 256 terms (each at most 1) in T, at full vector width, then the chunks'
/// sums in double. Converting every term to double would halve the vector
/// width of the exponentials, which are most of the work. With `out`, the
/// terms are also stored there.
template <typename T>
double sumExp(const T *row, int64_t V, T max, T *out = nullptr) {
  constexpr int64_t kChunk = 256;
  double sum = 0;
  for (int64_t v0 = 0; v0 < V; v0 += kChunk) {
    const int64_t v1 = std::min(V, v0 + kChunk);
    T partial = 0;
    if (out) {
#pragma omp simd reduction(+ : partial)
      for (int64_t v = v0; v < v1; ++v) {
        out[v] = expOf(row[v] - max);
        partial += out[v];
      }
    } else {
#pragma omp simd reduction(+ : partial)
      for (int64_t v = v0; v < v1; ++v)
        partial += expOf(row[v] - max);
    }
    sum += double(partial);
  }
  return sum;
}

template <typename T>
void crossEntropy(ds_status *status, int32_t site, const T *logits,
                  const int64_t *targets, T *loss, int64_t P, int64_t V,
                  int64_t ignoreIndex) {
  const Targets t = checkTargets(status, site, targets, P, V, ignoreIndex);
  std::vector<double> losses(P, 0.0);
#pragma omp parallel for schedule(static)
  for (int64_t p = 0; p < P; ++p) {
    if (!t.counted[p])
      continue;
    const T *row = logits + p * V;
    const T max = rowMax(row, V);
    losses[p] =
        double(max) + std::log(sumExp(row, V, max)) - double(row[targets[p]]);
  }
  double total = 0;
  for (int64_t p = 0; p < P; ++p)
    total += losses[p];
  loss[0] = t.count ? T(total / double(t.count)) : T(0);
}

template <typename T>
void crossEntropyGrad(ds_status *status, int32_t site, const T *logits,
                      const int64_t *targets, const T *dloss, T *dlogits,
                      int64_t P, int64_t V, int64_t ignoreIndex) {
  const Targets t = checkTargets(status, site, targets, P, V, ignoreIndex);
  const double g = t.count ? double(dloss[0]) / double(t.count) : 0.0;
#pragma omp parallel for schedule(static)
  for (int64_t p = 0; p < P; ++p) {
    T *out = dlogits + p * V;
    if (!t.counted[p]) {
      std::fill(out, out + V, T(0));
      continue;
    }
    const T *row = logits + p * V;
    const T max = rowMax(row, V);
    // g·softmax = exp(x − max)·(g / Σ): the exponentials are stored while
    // summing, then scaled in place (the row is still in L2).
    const T factor = T(g / sumExp(row, V, max, out));
#pragma omp simd
    for (int64_t v = 0; v < V; ++v)
      out[v] *= factor;
    out[targets[p]] -= T(g);
  }
}

} // namespace

extern "C" void ds_cross_entropy_f32(ds_status *status, int32_t site,
                                     const float *logits,
                                     const int64_t *targets, float *loss,
                                     int64_t P, int64_t V,
                                     int64_t ignore_index) {
  crossEntropy(status, site, logits, targets, loss, P, V, ignore_index);
}

extern "C" void ds_cross_entropy_f64(ds_status *status, int32_t site,
                                     const double *logits,
                                     const int64_t *targets, double *loss,
                                     int64_t P, int64_t V,
                                     int64_t ignore_index) {
  crossEntropy(status, site, logits, targets, loss, P, V, ignore_index);
}

extern "C" void ds_cross_entropy_grad_f32(ds_status *status, int32_t site,
                                          const float *logits,
                                          const int64_t *targets,
                                          const float *dloss, float *dlogits,
                                          int64_t P, int64_t V,
                                          int64_t ignore_index) {
  crossEntropyGrad(status, site, logits, targets, dloss, dlogits, P, V,
                   ignore_index);
}

extern "C" void ds_cross_entropy_grad_f64(ds_status *status, int32_t site,
                                          const double *logits,
                                          const int64_t *targets,
                                          const double *dloss, double *dlogits,
                                          int64_t P, int64_t V,
                                          int64_t ignore_index) {
  crossEntropyGrad(status, site, logits, targets, dloss, dlogits, P, V,
                   ignore_index);
}
