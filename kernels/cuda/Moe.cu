//===- Moe.cu - DeepSeekMoE routing and its gradient on the GPU -----------===//
//
// The CUDA twins of kernels/cpu/Moe.cpp, with the same contracts
// (kernels/cpu/Kernels.h). Routing is a per-token selection over at most a
// few hundred experts, so both kernels give each token one block: the
// token's selection scores sit in shared memory, and every reduction (the
// softmax's max and sum, each of the top_k argmax rounds) is a block
// reduction. As on the CPU, scores are computed in double for both element
// types, so that the f32 and f64 kernels pick the experts the reference
// picks (selection is discontinuous; float rounding could flip near-ties).
//
// The scores themselves are not stored: a score is recomputed from its
// logit (and the row's max and sum) where it is needed, which gives
// bit-identical values and leaves shared memory to the selection keys, so
// that E is limited only by the block's shared memory (thousands).
//
//===----------------------------------------------------------------------===//

#include "kernels/cuda/Context.h"
#include "kernels/cuda/CudaKernels.h"
#include "kernels/cuda/DeviceStatus.cuh"

#include <cuda_runtime.h>

#include <climits>
#include <cmath>
#include <string>

using namespace ds::kernels::cuda;

namespace {

constexpr int kMaxThreads = 256;
constexpr int kMaxWarps = kMaxThreads / 32;
/// Keeps the normalization finite when every chosen score underflows.
constexpr double kNormEpsilon = 1e-20;

/// Enough threads for one expert each, up to kMaxThreads (whole warps).
int routeThreads(int64_t E) {
  const int64_t warps = (E + 31) / 32;
  return int(warps < 1 ? 32 : warps > kMaxWarps ? kMaxThreads : warps * 32);
}

__device__ inline double negInf() { return -INFINITY; }

/// A selection key that orders NaN last, as on the CPU.
__device__ inline double rankKey(double value) {
  return isnan(value) ? negInf() : value;
}

/// max that skips NaN (a NaN candidate never replaces the running value),
/// like the CPU's std::max(max, x) loop.
__device__ inline double maxSkipNaN(double running, double candidate) {
  return candidate > running ? candidate : running;
}

/// Block-wide max or sum of one double per thread; every thread gets the
/// result. `scratch` holds kMaxWarps doubles; the call synchronizes.
template <bool kMax> __device__ double blockReduce(double v, double *scratch) {
  for (int offset = 16; offset > 0; offset /= 2) {
    const double other = __shfl_xor_sync(0xffffffffu, v, offset);
    v = kMax ? maxSkipNaN(v, other) : v + other;
  }
  const int warp = threadIdx.x / 32, warps = blockDim.x / 32;
  __syncthreads(); // scratch may still be read by the previous reduction
  if (threadIdx.x % 32 == 0)
    scratch[warp] = v;
  __syncthreads();
  double r = scratch[0];
  for (int w = 1; w < warps; ++w) // fixed order: deterministic sums
    r = kMax ? maxSkipNaN(r, scratch[w]) : r + scratch[w];
  return r;
}

/// The row's max (softmax) and sum of exp(logit − max); sigmoid needs none.
template <typename T> struct RowStats { double max = 0, sum = 1; };

template <typename T>
__device__ RowStats<T> rowStats(const T *logits, int64_t E, int32_t scoring,
                                double *scratch) {
  RowStats<T> stats;
  if (scoring == 1)
    return stats;
  double max = negInf();
  for (int64_t e = threadIdx.x; e < E; e += blockDim.x)
    max = maxSkipNaN(max, double(logits[e]));
  stats.max = blockReduce<true>(max, scratch);
  double sum = 0;
  for (int64_t e = threadIdx.x; e < E; e += blockDim.x)
    sum += exp(double(logits[e]) - stats.max);
  stats.sum = blockReduce<false>(sum, scratch);
  return stats;
}

/// The score of one expert: sigmoid(logit) or exp(logit − max) / sum, in
/// the CPU's order of operations.
template <typename T>
__device__ double score(T logit, int32_t scoring, const RowStats<T> &stats) {
  if (scoring == 1)
    return 1.0 / (1.0 + exp(-double(logit)));
  return exp(double(logit) - stats.max) / stats.sum;
}

/// A candidate of the top-k selection: kept experts first (state 1 before
/// 0; -1 means "none"), then the larger key, then the lower index.
struct Candidate {
  int state;
  int expert;
  double key;
};

__device__ inline bool better(const Candidate &a, const Candidate &b) {
  if (a.state != b.state)
    return a.state > b.state;
  if (a.key != b.key)
    return a.key > b.key;
  return a.expert < b.expert;
}

__device__ inline Candidate shuffleXor(const Candidate &c, int offset) {
  return {__shfl_xor_sync(0xffffffffu, c.state, offset),
          __shfl_xor_sync(0xffffffffu, c.expert, offset),
          __shfl_xor_sync(0xffffffffu, c.key, offset)};
}

/// The expert states of the selection: excluded by the group limit, kept,
/// or already chosen (never a candidate again).
enum : unsigned char { kExcluded = 0, kKept = 1, kChosen = 2 };

/// One block per token. Dynamic shared memory: the selection keys c[E]
/// (double), the group scores [nGroup] (double, when grouped), the chosen
/// experts [chosen] (int) and the states [E] (bytes).
template <typename T>
__global__ void __launch_bounds__(kMaxThreads)
    routeKernel(const T *__restrict__ logits, const T *__restrict__ bias,
                T *__restrict__ weights, int64_t *__restrict__ indices,
                int64_t E, int64_t topK, int64_t nGroup, int64_t topkGroup,
                int32_t scoring, int32_t groupScore, int32_t normalize,
                double factor, bool grouped, int64_t chosen) {
  extern __shared__ double shared[];
  double *keys = shared;
  double *groupScores = keys + E;
  int *order = reinterpret_cast<int *>(groupScores + (grouped ? nGroup : 0));
  unsigned char *state = reinterpret_cast<unsigned char *>(order + chosen);
  __shared__ double scratch[kMaxWarps];
  __shared__ Candidate winners[kMaxWarps];
  __shared__ double divisor;

  const int64_t n = blockIdx.x;
  const T *row = logits + n * E;
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  const int warps = blockDim.x / 32;
  const RowStats<T> stats = rowStats(row, E, scoring, scratch);

  for (int64_t e = threadIdx.x; e < E; e += blockDim.x) {
    const double s = score(row[e], scoring, stats);
    keys[e] = rankKey(s + (bias ? double(bias[e]) : 0.0));
    state[e] = kKept;
  }
  __syncthreads();

  // Group-limited routing: a warp per group computes its score (the top
  // two keys of the group as a multiset, like the CPU's running pair).
  if (grouped) {
    const int64_t size = E / nGroup;
    for (int64_t g = warp; g < nGroup; g += warps) {
      double best = negInf(), second = negInf();
      for (int64_t e = g * size + lane; e < (g + 1) * size; e += 32) {
        const double c = keys[e];
        if (c > best) {
          second = best;
          best = c;
        } else if (c > second) {
          second = c;
        }
      }
      for (int offset = 16; offset > 0; offset /= 2) {
        const double b = __shfl_xor_sync(0xffffffffu, best, offset);
        const double s = __shfl_xor_sync(0xffffffffu, second, offset);
        second = best >= b ? fmax(second, b) : fmax(best, s);
        best = fmax(best, b);
      }
      if (lane == 0)
        groupScores[g] =
            groupScore == 1 && size > 1 ? rankKey(best + second) : best;
    }
    __syncthreads();
    // An expert stays when its group ranks among the topk_group best
    // (ties: lower group index), counted directly: n_group is small.
    for (int64_t e = threadIdx.x; e < E; e += blockDim.x) {
      const int64_t g = e / size;
      const double mine = groupScores[g];
      int64_t rank = 0;
      for (int64_t h = 0; h < nGroup; ++h)
        rank += groupScores[h] > mine || (groupScores[h] == mine && h < g);
      state[e] = rank < topkGroup ? kKept : kExcluded;
    }
    __syncthreads();
  }

  // top_k rounds of block argmax: kept before excluded, then by key, then
  // by index; the winner leaves the candidates.
  for (int64_t k = 0; k < chosen; ++k) {
    Candidate best{-1, INT_MAX, negInf()};
    for (int64_t e = threadIdx.x; e < E; e += blockDim.x) {
      if (state[e] == kChosen)
        continue;
      const Candidate c{int(state[e]), int(e), keys[e]};
      if (better(c, best))
        best = c;
    }
    for (int offset = 16; offset > 0; offset /= 2) {
      const Candidate other = shuffleXor(best, offset);
      if (better(other, best))
        best = other;
    }
    if (lane == 0)
      winners[warp] = best;
    __syncthreads();
    if (threadIdx.x == 0) {
      Candidate w = winners[0];
      for (int i = 1; i < warps; ++i)
        if (better(winners[i], w))
          w = winners[i];
      order[k] = w.expert;
      state[w.expert] = kChosen;
    }
    __syncthreads();
  }

  // The sum of the chosen scores, in choice order as on the CPU.
  if (threadIdx.x == 0) {
    double sum = 0;
    for (int64_t k = 0; k < chosen; ++k)
      sum += score(row[order[k]], scoring, stats);
    divisor = normalize ? sum + kNormEpsilon : 1.0;
  }
  __syncthreads();
  for (int64_t k = threadIdx.x; k < topK; k += blockDim.x) {
    // top_k > E is a caller error; pad with weight-0 picks of expert 0.
    const bool real = k < chosen;
    const int64_t e = real ? order[k] : 0;
    indices[n * topK + k] = e;
    weights[n * topK + k] =
        real ? T(score(row[e], scoring, stats) / divisor * factor) : T(0);
  }
}

/// One block per token: out[n] = (d weights / d logits)ᵀ · grad[n]. The
/// weights' gradient with respect to the scores is nonzero only at the K
/// chosen experts; each thread sums the choices of its experts in k order.
template <typename T>
__global__ void __launch_bounds__(kMaxThreads)
    routeGradKernel(ds_status *status, int32_t site,
                    const T *__restrict__ logits,
                    const int64_t *__restrict__ indices,
                    const T *__restrict__ grad, T *__restrict__ out, int64_t E,
                    int64_t K, int32_t scoring, int32_t normalize,
                    double factor) {
  __shared__ double scratch[kMaxWarps];
  __shared__ double sharedZ, sharedA;
  const int64_t n = blockIdx.x;
  const T *row = logits + n * E;
  const int64_t *idx = indices + n * K;
  const T *g = grad + n * K;
  const RowStats<T> stats = rowStats(row, E, scoring, scratch);

  // Z and A = Σ_k g_k·s[idx_k] in k order; the token's first bad index is
  // recorded (tokens race: the first to record wins, as documented).
  if (threadIdx.x == 0) {
    double Z = normalize ? kNormEpsilon : 1.0, A = 0.0;
    bool reported = false;
    for (int64_t k = 0; k < K; ++k) {
      const int64_t e = idx[k];
      if (e < 0 || e >= E) {
        if (!reported)
          statusFail(status, DS_STATUS_INDEX_OUT_OF_RANGE, site, e, E);
        reported = true;
        continue;
      }
      const double s = score(row[e], scoring, stats);
      if (normalize)
        Z += s;
      A += double(g[k]) * s;
    }
    sharedZ = Z;
    sharedA = A;
  }
  __syncthreads();
  const double Z = sharedZ, A = sharedA;

  // d(Σ_k g_k·weights_k)/d s_e, accumulated like the CPU's ds[idx[k]].
  auto dScore = [&](int64_t e) {
    double d = 0;
    for (int64_t k = 0; k < K; ++k) {
      if (idx[k] != e)
        continue;
      d += factor * double(g[k]) / Z;
      if (normalize)
        d -= factor * A / (Z * Z);
    }
    return d;
  };

  // Through the scores: sigmoid is elementwise, softmax couples the row
  // through dot = Σ_e ds_e·s_e.
  double dot = 0;
  if (scoring != 1) {
    for (int64_t e = threadIdx.x; e < E; e += blockDim.x)
      dot += dScore(e) * score(row[e], scoring, stats);
    dot = blockReduce<false>(dot, scratch);
  }
  T *o = out + n * E;
  for (int64_t e = threadIdx.x; e < E; e += blockDim.x) {
    const double s = score(row[e], scoring, stats);
    const double d = dScore(e);
    o[e] = scoring == 1 ? T(d * s * (1.0 - s)) : T(s * (d - dot));
  }
}

/// Dynamic shared memory beyond 48 KiB needs the kernel's opt-in, up to
/// the device's limit; false (and an error recorded) when E is too large.
template <typename Kernel>
bool allowSharedMemory(const char *name, Kernel kernel, size_t bytes) {
  if (bytes <= 48 * 1024)
    return true;
  int device = 0, limit = 0;
  if (cudaGetDevice(&device) != cudaSuccess ||
      cudaDeviceGetAttribute(&limit, cudaDevAttrMaxSharedMemoryPerBlockOptin,
                             device) != cudaSuccess ||
      bytes > size_t(limit) ||
      cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                           int(bytes)) != cudaSuccess) {
    cudaGetLastError(); // the error is reported below, not by a later launch
    recordError(name, "too many experts for one block's shared memory (" +
                          std::to_string(bytes) + " bytes)");
    return false;
  }
  return true;
}

template <typename T>
void route(const char *name, const T *logits, const T *bias, T *weights,
           int64_t *indices, int64_t N, int64_t E, int64_t topK, int64_t nGroup,
           int64_t topkGroup, int32_t scoring, int32_t groupScore,
           int32_t normalize, double factor) {
  if (N <= 0 || topK <= 0)
    return;
  if (E < 0 || E > INT_MAX || N > INT_MAX) {
    recordError(name, "sizes out of range: N=" + std::to_string(N) +
                          " E=" + std::to_string(E));
    return;
  }
  const bool grouped =
      nGroup > 1 && topkGroup >= 0 && topkGroup < nGroup && E % nGroup == 0;
  const int64_t chosen = topK < E ? topK : E;
  const size_t bytes = sizeof(double) * size_t(E + (grouped ? nGroup : 0)) +
                       sizeof(int) * size_t(chosen) + size_t(E);
  if (!allowSharedMemory(name, routeKernel<T>, bytes))
    return;
  routeKernel<T><<<unsigned(N), routeThreads(E), bytes, currentStream()>>>(
      logits, bias, weights, indices, E, topK, nGroup, topkGroup, scoring,
      groupScore, normalize, factor, grouped, chosen);
  checkLaunch(name);
}

template <typename T>
void routeGrad(const char *name, ds_status *status, int32_t site,
               const T *logits, const int64_t *indices, const T *grad, T *out,
               int64_t N, int64_t E, int64_t K, int32_t scoring,
               int32_t normalize, double factor) {
  if (N <= 0)
    return;
  if (E < 0 || K < 0 || N > INT_MAX) {
    recordError(name, "sizes out of range: N=" + std::to_string(N) + " E=" +
                          std::to_string(E) + " K=" + std::to_string(K));
    return;
  }
  if (E == 0 && K == 0)
    return; // nothing to write and no index to check
  routeGradKernel<T><<<unsigned(N), routeThreads(E), 0, currentStream()>>>(
      status, site, logits, indices, grad, out, E, K, scoring, normalize,
      factor);
  checkLaunch(name);
}

} // namespace

extern "C" void ds_cuda_moe_route_f32(const float *logits, const float *bias,
                                      float *weights, int64_t *indices,
                                      int64_t N, int64_t E, int64_t top_k,
                                      int64_t n_group, int64_t topk_group,
                                      int32_t scoring, int32_t group_score,
                                      int32_t norm_topk_prob,
                                      double routed_scaling_factor) {
  route("ds_cuda_moe_route_f32", logits, bias, weights, indices, N, E, top_k,
        n_group, topk_group, scoring, group_score, norm_topk_prob,
        routed_scaling_factor);
}

extern "C" void ds_cuda_moe_route_f64(const double *logits, const double *bias,
                                      double *weights, int64_t *indices,
                                      int64_t N, int64_t E, int64_t top_k,
                                      int64_t n_group, int64_t topk_group,
                                      int32_t scoring, int32_t group_score,
                                      int32_t norm_topk_prob,
                                      double routed_scaling_factor) {
  route("ds_cuda_moe_route_f64", logits, bias, weights, indices, N, E, top_k,
        n_group, topk_group, scoring, group_score, norm_topk_prob,
        routed_scaling_factor);
}

extern "C" void
ds_cuda_moe_route_grad_f32(ds_status *status, int32_t site, const float *logits,
                           const int64_t *indices, const float *grad,
                           float *out, int64_t N, int64_t E, int64_t K,
                           int32_t scoring, int32_t norm_topk_prob,
                           double routed_scaling_factor) {
  routeGrad("ds_cuda_moe_route_grad_f32", status, site, logits, indices, grad,
            out, N, E, K, scoring, norm_topk_prob, routed_scaling_factor);
}

extern "C" void ds_cuda_moe_route_grad_f64(
    ds_status *status, int32_t site, const double *logits,
    const int64_t *indices, const double *grad, double *out, int64_t N,
    int64_t E, int64_t K, int32_t scoring, int32_t norm_topk_prob,
    double routed_scaling_factor) {
  routeGrad("ds_cuda_moe_route_grad_f64", status, site, logits, indices, grad,
            out, N, E, K, scoring, norm_topk_prob, routed_scaling_factor);
}
