//===- ReferenceMoe.cpp - plain MoE routing and expert FFNs ---------------===//
//
// Routing by full sorts (ties ordered by index) instead of
// the kernel's partial selections; gradients from explicit Jacobians; the
// FFN token by token and choice by choice, with no dispatch.
//
//===----------------------------------------------------------------------===//

#include "kernels/cpu/reference/Reference.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

namespace ds::kernels::reference {

namespace {

std::vector<double> scores(const double *logits, int64_t E, int32_t scoring) {
  std::vector<double> s(E);
  if (scoring == 1) {
    for (int64_t e = 0; e < E; ++e)
      s[e] = 1.0 / (1.0 + std::exp(-logits[e]));
    return s;
  }
  const double max = *std::max_element(logits, logits + E);
  double sum = 0;
  for (int64_t e = 0; e < E; ++e)
    sum += std::exp(logits[e] - max);
  for (int64_t e = 0; e < E; ++e)
    s[e] = std::exp(logits[e] - max) / sum;
  return s;
}

/// ds/dl as an E×E matrix: J[j][m] = ds_j / dl_m.
std::vector<double> scoreJacobian(const std::vector<double> &s,
                                  int32_t scoring) {
  const int64_t E = int64_t(s.size());
  std::vector<double> J(E * E, 0.0);
  for (int64_t j = 0; j < E; ++j)
    for (int64_t m = 0; m < E; ++m)
      J[j * E + m] = scoring == 1 ? (j == m ? s[j] * (1.0 - s[j]) : 0.0)
                                  : s[j] * ((j == m ? 1.0 : 0.0) - s[m]);
  return J;
}

double silu(double z) { return z / (1.0 + std::exp(-z)); }
double siluGrad(double z) {
  const double sig = 1.0 / (1.0 + std::exp(-z));
  return sig * (1.0 + z * (1.0 - sig));
}

/// One expert on one token: g = gate·x, u = up·x, h = silu(g)⊙u, y = down·h.
struct Expert {
  std::vector<double> g, u, h, y;
  Expert(const double *x, const double *gate, const double *up,
         const double *down, int64_t D, int64_t I)
      : g(I), u(I), h(I), y(D) {
    for (int64_t i = 0; i < I; ++i) {
      for (int64_t d = 0; d < D; ++d) {
        g[i] += gate[i * D + d] * x[d];
        u[i] += up[i * D + d] * x[d];
      }
      h[i] = silu(g[i]) * u[i];
    }
    for (int64_t d = 0; d < D; ++d)
      for (int64_t i = 0; i < I; ++i)
        y[d] += down[d * I + i] * h[i];
  }
};

bool validExpert(ds_status *status, int32_t site, int64_t e, int64_t E) {
  if (e >= 0 && e < E)
    return true;
  ds_status_fail(status, DS_STATUS_INDEX_OUT_OF_RANGE, site, e, E);
  return false;
}

} // namespace

void moeRoute(const double *logits, const double *bias, double *weights,
              int64_t *indices, int64_t N, int64_t E, int64_t topK,
              int64_t nGroup, int64_t topkGroup, int32_t scoring,
              int32_t groupScore, bool normalize, double factor) {
  for (int64_t n = 0; n < N; ++n) {
    const std::vector<double> s = scores(logits + n * E, E, scoring);
    std::vector<double> c(E);
    for (int64_t e = 0; e < E; ++e)
      c[e] = s[e] + (bias ? bias[e] : 0.0);

    std::vector<bool> allowed(E, true);
    if (nGroup > 1 && topkGroup >= 0 && topkGroup < nGroup && E % nGroup == 0) {
      const int64_t size = E / nGroup;
      std::vector<double> groupScores(nGroup);
      for (int64_t g = 0; g < nGroup; ++g) {
        std::vector<double> members(c.begin() + g * size,
                                    c.begin() + (g + 1) * size);
        std::sort(members.begin(), members.end(), std::greater<>());
        groupScores[g] = members[0];
        if (groupScore == 1 && size > 1)
          groupScores[g] += members[1];
      }
      std::vector<int64_t> groups(nGroup);
      std::iota(groups.begin(), groups.end(), int64_t(0));
      std::sort(groups.begin(), groups.end(), [&](int64_t a, int64_t b) {
        if (groupScores[a] != groupScores[b])
          return groupScores[a] > groupScores[b];
        return a < b;
      });
      allowed.assign(E, false);
      for (int64_t i = 0; i < topkGroup; ++i)
        for (int64_t e = groups[i] * size; e < (groups[i] + 1) * size; ++e)
          allowed[e] = true;
    }

    // Allowed experts by descending c, then the others by descending c;
    // ties by index.
    std::vector<int64_t> order(E);
    std::iota(order.begin(), order.end(), int64_t(0));
    std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
      if (allowed[a] != allowed[b])
        return bool(allowed[a]);
      if (c[a] != c[b])
        return c[a] > c[b];
      return a < b;
    });

    const int64_t chosen = std::min(topK, E);
    double sum = 0;
    for (int64_t k = 0; k < chosen; ++k)
      sum += s[order[k]];
    for (int64_t k = 0; k < topK; ++k) {
      indices[n * topK + k] = k < chosen ? order[k] : 0;
      double w = k < chosen ? s[order[k]] : 0.0;
      if (normalize)
        w /= sum + 1e-20;
      weights[n * topK + k] = w * factor;
    }
  }
}

void moeRouteGrad(ds_status *status, int32_t site, const double *logits,
                  const int64_t *indices, const double *grad, double *out,
                  int64_t N, int64_t E, int64_t K, int32_t scoring,
                  bool normalize, double factor) {
  for (int64_t n = 0; n < N; ++n) {
    const std::vector<double> s = scores(logits + n * E, E, scoring);
    const std::vector<double> J = scoreJacobian(s, scoring);
    const int64_t *idx = indices + n * K;
    std::vector<bool> valid(K);
    for (int64_t k = 0; k < K; ++k)
      valid[k] = validExpert(status, site, idx[k], E);
    double Z = 1.0;
    if (normalize) {
      Z = 1e-20;
      for (int64_t k = 0; k < K; ++k)
        if (valid[k])
          Z += s[idx[k]];
    }
    // d weights_k / d s_j, then through J.
    std::fill(out + n * E, out + (n + 1) * E, 0.0);
    for (int64_t k = 0; k < K; ++k) {
      if (!valid[k])
        continue;
      for (int64_t j = 0; j < E; ++j) {
        double dZ = 0; // d Z / d s_j
        if (normalize)
          for (int64_t m = 0; m < K; ++m)
            dZ += valid[m] && idx[m] == j ? 1.0 : 0.0;
        const double dw =
            factor * ((idx[k] == j ? 1.0 : 0.0) / Z - s[idx[k]] * dZ / (Z * Z));
        for (int64_t m = 0; m < E; ++m)
          out[n * E + m] += grad[n * K + k] * dw * J[j * E + m];
      }
    }
  }
}

void moeFfn(ds_status *status, int32_t site, const double *x, const double *w,
            const int64_t *idx, const double *gate, const double *up,
            const double *down, double *out, int64_t N, int64_t D, int64_t K,
            int64_t E, int64_t I) {
  std::fill(out, out + N * D, 0.0);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t k = 0; k < K; ++k) {
      const int64_t e = idx[n * K + k];
      if (!validExpert(status, site, e, E))
        continue;
      const Expert ex(x + n * D, gate + e * I * D, up + e * I * D,
                      down + e * D * I, D, I);
      for (int64_t d = 0; d < D; ++d)
        out[n * D + d] += w[n * K + k] * ex.y[d];
    }
}

void moeFfnGrad(ds_status *status, int32_t site, const double *x,
                const double *w, const int64_t *idx, const double *gate,
                const double *up, const double *down, const double *dy,
                double *dx, double *dw, double *dgate, double *dup,
                double *ddown, int64_t N, int64_t D, int64_t K, int64_t E,
                int64_t I) {
  std::fill(dx, dx + N * D, 0.0);
  std::fill(dw, dw + N * K, 0.0);
  std::fill(dgate, dgate + E * I * D, 0.0);
  std::fill(dup, dup + E * I * D, 0.0);
  std::fill(ddown, ddown + E * D * I, 0.0);
  std::vector<double> c(D), dh(I);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t k = 0; k < K; ++k) {
      const int64_t e = idx[n * K + k];
      if (!validExpert(status, site, e, E))
        continue;
      const double *xn = x + n * D, *dyn = dy + n * D;
      const double *ge = gate + e * I * D, *ue = up + e * I * D,
                   *de = down + e * D * I;
      const Expert ex(xn, ge, ue, de, D, I);
      for (int64_t d = 0; d < D; ++d) {
        dw[n * K + k] += dyn[d] * ex.y[d];
        c[d] = w[n * K + k] * dyn[d];
      }
      for (int64_t i = 0; i < I; ++i) {
        dh[i] = 0;
        for (int64_t d = 0; d < D; ++d) {
          ddown[e * D * I + d * I + i] += c[d] * ex.h[i];
          dh[i] += de[d * I + i] * c[d];
        }
        const double du = dh[i] * silu(ex.g[i]);
        const double dg = dh[i] * ex.u[i] * siluGrad(ex.g[i]);
        for (int64_t d = 0; d < D; ++d) {
          dgate[e * I * D + i * D + d] += dg * xn[d];
          dup[e * I * D + i * D + d] += du * xn[d];
          dx[n * D + d] += ge[i * D + d] * dg + ue[i * D + d] * du;
        }
      }
    }
}

} // namespace ds::kernels::reference
