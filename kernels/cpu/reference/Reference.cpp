//===- Reference.cpp - plain GEMM, attention, loss, indexing, RoPE --------===//
//
// Loops over output elements, straight from the definitions in Kernels.h.
// MoE routing and FFNs are in ReferenceMoe.cpp.
//
//===----------------------------------------------------------------------===//

#include "kernels/cpu/reference/Reference.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

namespace ds::kernels::reference {

void matmul(const double *A, const double *B, double *C, int64_t batch,
            int64_t M, int64_t N, int64_t K, bool transA, bool transB,
            int64_t strideA, int64_t strideB) {
  for (int64_t b = 0; b < batch; ++b) {
    const double *a = A + b * strideA, *bb = B + b * strideB;
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j) {
        double sum = 0;
        for (int64_t kk = 0; kk < K; ++kk) {
          const double x = transA ? a[kk * M + i] : a[i * K + kk];
          const double y = transB ? bb[j * K + kk] : bb[kk * N + j];
          sum += x * y;
        }
        C[(b * M + i) * N + j] = sum;
      }
  }
}

namespace {

/// Whether query i (of Tq, the last of the L = min(keyLength, Tk) filled
/// positions) sees key j.
bool visible(int64_t i, int64_t j, int64_t Tq, int64_t Tk, bool causal,
             int64_t window, int64_t keyLength) {
  const int64_t length = std::clamp<int64_t>(keyLength, 0, Tk);
  const int64_t position = i + length - Tq;
  if (j >= length)
    return false;
  if (causal && j > position)
    return false;
  if (window > 0 && position - j >= window)
    return false;
  return true;
}

/// Softmax probabilities of query (b, i, h) over all Tk keys, 0 for keys it
/// does not see; false (all zeros) when it sees none.
bool probabilities(const double *q, const double *k, int64_t b, int64_t i,
                   int64_t h, int64_t Tq, int64_t Tk, int64_t Hq, int64_t Hkv,
                   int64_t Dqk, double scale, bool causal, int64_t window,
                   int64_t keyLength,
                   std::vector<double> &p) {
  const int64_t kvh = h / (Hq / Hkv);
  p.assign(Tk, 0.0);
  double max = -INFINITY;
  bool any = false;
  for (int64_t j = 0; j < Tk; ++j) {
    if (!visible(i, j, Tq, Tk, causal, window, keyLength))
      continue;
    double dot = 0;
    for (int64_t d = 0; d < Dqk; ++d)
      dot += q[((b * Tq + i) * Hq + h) * Dqk + d] *
             k[((b * Tk + j) * Hkv + kvh) * Dqk + d];
    p[j] = scale * dot;
    max = any ? std::max(max, p[j]) : p[j];
    any = true;
  }
  if (!any)
    return false;
  double sum = 0;
  for (int64_t j = 0; j < Tk; ++j)
    if (visible(i, j, Tq, Tk, causal, window, keyLength)) {
      p[j] = std::exp(p[j] - max);
      sum += p[j];
    }
  for (int64_t j = 0; j < Tk; ++j)
    p[j] /= sum;
  return true;
}

} // namespace

void attention(const double *q, const double *k, const double *v, double *out,
               int64_t B, int64_t Tq, int64_t Tk, int64_t Hq, int64_t Hkv,
               int64_t Dqk, int64_t Dv, double scale, bool causal,
               int64_t window, int64_t keyLength) {
  std::vector<double> p;
  for (int64_t b = 0; b < B; ++b)
    for (int64_t i = 0; i < Tq; ++i)
      for (int64_t h = 0; h < Hq; ++h) {
        const int64_t kvh = h / (Hq / Hkv);
        probabilities(q, k, b, i, h, Tq, Tk, Hq, Hkv, Dqk, scale, causal,
                      window, keyLength, p);
        for (int64_t d = 0; d < Dv; ++d) {
          double sum = 0;
          for (int64_t j = 0; j < Tk; ++j)
            sum += p[j] * v[((b * Tk + j) * Hkv + kvh) * Dv + d];
          out[((b * Tq + i) * Hq + h) * Dv + d] = sum;
        }
      }
}

void attentionGrad(const double *q, const double *k, const double *v,
                   const double *dout, double *dq, double *dk, double *dv,
                   int64_t B, int64_t Tq, int64_t Tk, int64_t Hq, int64_t Hkv,
                   int64_t Dqk, int64_t Dv, double scale, bool causal,
                   int64_t window, int64_t keyLength) {
  std::fill(dq, dq + B * Tq * Hq * Dqk, 0.0);
  std::fill(dk, dk + B * Tk * Hkv * Dqk, 0.0);
  std::fill(dv, dv + B * Tk * Hkv * Dv, 0.0);
  std::vector<double> p, o(Dv), dp(Tk);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t i = 0; i < Tq; ++i)
      for (int64_t h = 0; h < Hq; ++h) {
        const int64_t kvh = h / (Hq / Hkv);
        if (!probabilities(q, k, b, i, h, Tq, Tk, Hq, Hkv, Dqk, scale, causal,
                           window, keyLength, p))
          continue;
        const double *qi = q + ((b * Tq + i) * Hq + h) * Dqk;
        const double *doi = dout + ((b * Tq + i) * Hq + h) * Dv;
        // O = Σ_j P_j v_j and Δ = dO·O.
        double delta = 0;
        for (int64_t d = 0; d < Dv; ++d) {
          o[d] = 0;
          for (int64_t j = 0; j < Tk; ++j)
            o[d] += p[j] * v[((b * Tk + j) * Hkv + kvh) * Dv + d];
          delta += doi[d] * o[d];
        }
        for (int64_t j = 0; j < Tk; ++j) {
          const double *vj = v + ((b * Tk + j) * Hkv + kvh) * Dv;
          const double *kj = k + ((b * Tk + j) * Hkv + kvh) * Dqk;
          double dpj = 0;
          for (int64_t d = 0; d < Dv; ++d)
            dpj += doi[d] * vj[d];
          const double ds = p[j] * (dpj - delta);
          for (int64_t d = 0; d < Dv; ++d)
            dv[((b * Tk + j) * Hkv + kvh) * Dv + d] += p[j] * doi[d];
          for (int64_t d = 0; d < Dqk; ++d) {
            dq[((b * Tq + i) * Hq + h) * Dqk + d] += scale * ds * kj[d];
            dk[((b * Tk + j) * Hkv + kvh) * Dqk + d] += scale * ds * qi[d];
          }
        }
      }
}

namespace {

/// Whether position p's target counts (reports a bad one).
bool counted(ds_status *status, int32_t site, int64_t target, int64_t V,
             int64_t ignoreIndex) {
  if (target == ignoreIndex)
    return false;
  if (target < 0 || target >= V) {
    ds_status_fail(status, DS_STATUS_INDEX_OUT_OF_RANGE, site, target, V);
    return false;
  }
  return true;
}

double logSumExp(const double *row, int64_t V) {
  double max = row[0];
  for (int64_t v = 1; v < V; ++v)
    max = std::max(max, row[v]);
  double sum = 0;
  for (int64_t v = 0; v < V; ++v)
    sum += std::exp(row[v] - max);
  return max + std::log(sum);
}

} // namespace

void crossEntropy(ds_status *status, int32_t site, const double *logits,
                  const int64_t *targets, double *loss, int64_t P, int64_t V,
                  int64_t ignoreIndex) {
  double total = 0;
  int64_t count = 0;
  for (int64_t p = 0; p < P; ++p) {
    if (!counted(status, site, targets[p], V, ignoreIndex))
      continue;
    total += logSumExp(logits + p * V, V) - logits[p * V + targets[p]];
    ++count;
  }
  loss[0] = count ? total / double(count) : 0.0;
}

void crossEntropyGrad(ds_status *status, int32_t site, const double *logits,
                      const int64_t *targets, const double *dloss,
                      double *dlogits, int64_t P, int64_t V,
                      int64_t ignoreIndex) {
  int64_t count = 0;
  std::vector<bool> use(P);
  for (int64_t p = 0; p < P; ++p) {
    use[p] = counted(status, site, targets[p], V, ignoreIndex);
    count += use[p];
  }
  for (int64_t p = 0; p < P; ++p) {
    const double lse = use[p] ? logSumExp(logits + p * V, V) : 0.0;
    for (int64_t v = 0; v < V; ++v) {
      double g = 0;
      if (use[p]) {
        const double softmax = std::exp(logits[p * V + v] - lse);
        g = dloss[0] / double(count) *
            (softmax - (v == targets[p] ? 1.0 : 0.0));
      }
      dlogits[p * V + v] = g;
    }
  }
}

void gather(ds_status *status, int32_t site, const void *src,
            const int64_t *indices, void *out, int64_t outer, int64_t axisSize,
            int64_t innerBytes, int64_t numIndices) {
  const auto *from = static_cast<const unsigned char *>(src);
  auto *to = static_cast<unsigned char *>(out);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < numIndices; ++i) {
      const int64_t index = indices[i];
      const bool bad = index < 0 || index >= axisSize;
      if (bad)
        ds_status_fail(status, DS_STATUS_INDEX_OUT_OF_RANGE, site, index,
                       axisSize);
      for (int64_t byte = 0; byte < innerBytes; ++byte)
        to[(o * numIndices + i) * innerBytes + byte] =
            bad ? 0 : from[(o * axisSize + index) * innerBytes + byte];
    }
}

void scatterAdd(ds_status *status, int32_t site, const double *updates,
                const int64_t *indices, double *out, int64_t outer,
                int64_t axisSize, int64_t inner, int64_t numIndices) {
  std::fill(out, out + outer * axisSize * inner, 0.0);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < numIndices; ++i) {
      const int64_t index = indices[i];
      if (index < 0 || index >= axisSize) {
        ds_status_fail(status, DS_STATUS_INDEX_OUT_OF_RANGE, site, index,
                       axisSize);
        continue;
      }
      for (int64_t c = 0; c < inner; ++c)
        out[(o * axisSize + index) * inner + c] +=
            updates[(o * numIndices + i) * inner + c];
    }
}

void rope(const double *in, const int64_t *positions, double *out,
          int64_t leading, int64_t T, int64_t H, int64_t D, int64_t offset,
          int64_t dim, bool interleaved, bool positionsShared,
          const double *frequencies, double magnitude, bool adjoint) {
  const int64_t half = dim / 2;
  for (int64_t l = 0; l < leading; ++l)
    for (int64_t t = 0; t < T; ++t) {
      const int64_t position =
          positionsShared ? positions[t] : positions[l * T + t];
      for (int64_t h = 0; h < H; ++h) {
        const double *x = in + ((l * T + t) * H + h) * D;
        double *y = out + ((l * T + t) * H + h) * D;
        for (int64_t d = 0; d < D; ++d)
          if (d < offset || d >= offset + 2 * half)
            y[d] = x[d];
        for (int64_t i = 0; i < half; ++i) {
          const int64_t a = interleaved ? offset + 2 * i : offset + i;
          const int64_t b =
              interleaved ? offset + 2 * i + 1 : offset + i + half;
          const double angle = double(position) * frequencies[i];
          const double c = std::cos(angle) * magnitude;
          const double s = (adjoint ? -1.0 : 1.0) * std::sin(angle) * magnitude;
          const double x1 = x[a], x2 = x[b];
          y[a] = x1 * c - x2 * s;
          y[b] = x2 * c + x1 * s;
        }
      }
    }
}

} // namespace ds::kernels::reference
