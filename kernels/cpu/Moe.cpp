//===- Moe.cpp - DeepSeekMoE routing and its gradient ---------------------===//
//
// Routing is a per-token selection over a few hundred experts at most:
// threads take tokens, and each token's scores are computed in double so
// that the f32 and f64 kernels pick the same experts as the reference
// (selection is discontinuous; float rounding could flip near-ties).
//
//===----------------------------------------------------------------------===//

#include "kernels/cpu/Kernels.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();
/// Keeps the normalization finite when every chosen score underflows.
constexpr double kNormEpsilon = 1e-20;

/// One token's scores: softmax (scoring 0) or sigmoid (1) of its logits.
template <typename T>
void routerScores(const T *logits, int64_t E, int32_t scoring, double *s) {
  if (scoring == 1) {
    for (int64_t e = 0; e < E; ++e)
      s[e] = 1.0 / (1.0 + std::exp(-double(logits[e])));
    return;
  }
  double max = kNegInf;
  for (int64_t e = 0; e < E; ++e)
    max = std::max(max, double(logits[e]));
  double sum = 0;
  for (int64_t e = 0; e < E; ++e) {
    s[e] = std::exp(double(logits[e]) - max);
    sum += s[e];
  }
  for (int64_t e = 0; e < E; ++e)
    s[e] /= sum;
}

/// A selection key that orders NaN last instead of breaking the sort.
double rankKey(double value) { return std::isnan(value) ? kNegInf : value; }

template <typename T>
void route(const T *logits, const T *bias, T *weights, int64_t *indices,
           int64_t N, int64_t E, int64_t topK, int64_t nGroup,
           int64_t topkGroup, int32_t scoring, int32_t groupScore,
           bool normalize, double factor) {
  if (N <= 0 || topK <= 0)
    return;
  const bool grouped =
      nGroup > 1 && topkGroup >= 0 && topkGroup < nGroup && E % nGroup == 0;
  const int64_t chosen = std::min(topK, E);
#pragma omp parallel
  {
    std::vector<double> s(E), c(E), groupScores(grouped ? nGroup : 0);
    std::vector<int64_t> order(E), groups(grouped ? nGroup : 0);
    std::vector<char> kept(E);
#pragma omp for schedule(static)
    for (int64_t n = 0; n < N; ++n) {
      routerScores(logits + n * E, E, scoring, s.data());
      for (int64_t e = 0; e < E; ++e)
        c[e] = rankKey(s[e] + (bias ? double(bias[e]) : 0.0));

      // Group-limited routing: only the experts of the best groups stay.
      std::fill(kept.begin(), kept.end(), char(1));
      if (grouped) {
        const int64_t size = E / nGroup;
        for (int64_t g = 0; g < nGroup; ++g) {
          double best = kNegInf, second = kNegInf;
          for (int64_t e = g * size; e < (g + 1) * size; ++e) {
            if (c[e] > best) {
              second = best;
              best = c[e];
            } else if (c[e] > second) {
              second = c[e];
            }
          }
          groupScores[g] =
              groupScore == 1 && size > 1 ? rankKey(best + second) : best;
        }
        std::iota(groups.begin(), groups.end(), int64_t(0));
        std::partial_sort(groups.begin(), groups.begin() + topkGroup,
                          groups.end(), [&](int64_t a, int64_t b) {
                            if (groupScores[a] != groupScores[b])
                              return groupScores[a] > groupScores[b];
                            return a < b;
                          });
        std::fill(kept.begin(), kept.end(), char(0));
        for (int64_t i = 0; i < topkGroup; ++i)
          std::fill(kept.begin() + groups[i] * size,
                    kept.begin() + (groups[i] + 1) * size, char(1));
      }

      // Kept experts first, then by c descending, then by index.
      std::iota(order.begin(), order.end(), int64_t(0));
      std::partial_sort(order.begin(), order.begin() + chosen, order.end(),
                        [&](int64_t a, int64_t b) {
                          if (kept[a] != kept[b])
                            return kept[a] > kept[b];
                          if (c[a] != c[b])
                            return c[a] > c[b];
                          return a < b;
                        });
      double sum = 0;
      for (int64_t k = 0; k < chosen; ++k)
        sum += s[order[k]];
      const double divisor = normalize ? sum + kNormEpsilon : 1.0;
      for (int64_t k = 0; k < topK; ++k) {
        // top_k > E is a caller error; pad with weight-0 picks of expert 0.
        const bool real = k < chosen;
        indices[n * topK + k] = real ? order[k] : 0;
        weights[n * topK + k] = real ? T(s[order[k]] / divisor * factor) : T(0);
      }
    }
  }
}

template <typename T>
void routeGrad(ds_status *status, int32_t site, const T *logits,
               const int64_t *indices, const T *grad, T *out, int64_t N,
               int64_t E, int64_t K, int32_t scoring, bool normalize,
               double factor) {
  // Report the first bad index once, in order, before the parallel part.
  for (int64_t i = 0; i < N * K; ++i)
    if (indices[i] < 0 || indices[i] >= E) {
      ds_status_fail(status, DS_STATUS_INDEX_OUT_OF_RANGE, site, indices[i], E);
      break;
    }
#pragma omp parallel
  {
    std::vector<double> s(E), ds(E);
#pragma omp for schedule(static)
    for (int64_t n = 0; n < N; ++n) {
      routerScores(logits + n * E, E, scoring, s.data());
      const int64_t *idx = indices + n * K;
      const T *g = grad + n * K;
      // weights_k = factor·s[idx_k]/Z: d/ds_j of Σ_k g_k·weights_k is
      // factor·(Σ_{k: idx_k = j} g_k)/Z − factor·A/Z²·(times j is chosen),
      // with A = Σ_k g_k·s[idx_k] (the second term only when normalizing).
      double Z = 1.0, A = 0.0;
      if (normalize) {
        Z = kNormEpsilon;
        for (int64_t k = 0; k < K; ++k)
          if (idx[k] >= 0 && idx[k] < E)
            Z += s[idx[k]];
      }
      for (int64_t k = 0; k < K; ++k)
        if (idx[k] >= 0 && idx[k] < E)
          A += double(g[k]) * s[idx[k]];
      std::fill(ds.begin(), ds.end(), 0.0);
      for (int64_t k = 0; k < K; ++k) {
        if (idx[k] < 0 || idx[k] >= E)
          continue;
        ds[idx[k]] += factor * double(g[k]) / Z;
        if (normalize)
          ds[idx[k]] -= factor * A / (Z * Z);
      }
      // Through the scores: softmax couples the row, sigmoid does not.
      T *o = out + n * E;
      if (scoring == 1) {
        for (int64_t e = 0; e < E; ++e)
          o[e] = T(ds[e] * s[e] * (1.0 - s[e]));
      } else {
        double dot = 0;
        for (int64_t e = 0; e < E; ++e)
          dot += ds[e] * s[e];
        for (int64_t e = 0; e < E; ++e)
          o[e] = T(s[e] * (ds[e] - dot));
      }
    }
  }
}

} // namespace

extern "C" void ds_moe_route_f32(const float *logits, const float *bias,
                                 float *weights, int64_t *indices, int64_t N,
                                 int64_t E, int64_t top_k, int64_t n_group,
                                 int64_t topk_group, int32_t scoring,
                                 int32_t group_score, int32_t norm_topk_prob,
                                 double routed_scaling_factor) {
  route(logits, bias, weights, indices, N, E, top_k, n_group, topk_group,
        scoring, group_score, norm_topk_prob != 0, routed_scaling_factor);
}

extern "C" void ds_moe_route_f64(const double *logits, const double *bias,
                                 double *weights, int64_t *indices, int64_t N,
                                 int64_t E, int64_t top_k, int64_t n_group,
                                 int64_t topk_group, int32_t scoring,
                                 int32_t group_score, int32_t norm_topk_prob,
                                 double routed_scaling_factor) {
  route(logits, bias, weights, indices, N, E, top_k, n_group, topk_group,
        scoring, group_score, norm_topk_prob != 0, routed_scaling_factor);
}

extern "C" void
ds_moe_route_grad_f32(ds_status *status, int32_t site, const float *logits,
                      const int64_t *indices, const float *grad, float *out,
                      int64_t N, int64_t E, int64_t K, int32_t scoring,
                      int32_t norm_topk_prob, double routed_scaling_factor) {
  routeGrad(status, site, logits, indices, grad, out, N, E, K, scoring,
            norm_topk_prob != 0, routed_scaling_factor);
}

extern "C" void
ds_moe_route_grad_f64(ds_status *status, int32_t site, const double *logits,
                      const int64_t *indices, const double *grad, double *out,
                      int64_t N, int64_t E, int64_t K, int32_t scoring,
                      int32_t norm_topk_prob, double routed_scaling_factor) {
  routeGrad(status, site, logits, indices, grad, out, N, E, K, scoring,
            norm_topk_prob != 0, routed_scaling_factor);
}
