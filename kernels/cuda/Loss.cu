//===- Loss.cu - token cross-entropy and its gradient on the GPU ----------===//
//
// One block per position (grid-strided over rows). A row of V logits is
// read once for its logsumexp: every thread keeps an online pair (maximum,
// Σ exp(x − maximum)) over its elements, with the sum in double, and the
// block combines the pairs with warp shuffles. The exponentials are in the
// element type, as on the CPU.
//
// Which positions count is decided on the device by one block that walks
// the targets in position order: it counts them, reports the first bad
// target (the one a sequential loop would report), and
//  - for the loss, sums the per-position losses (scratch written by the row
//    kernel) in a fixed tree order: the mean does not depend on timing;
//  - for the gradient, writes dloss / count to scratch, which the row
//    kernel then reads (stream order), and which every counted row scales by.
// No atomics anywhere, so both results are deterministic.
//
//===----------------------------------------------------------------------===//

#include "kernels/cuda/Context.h"
#include "kernels/cuda/CudaKernels.h"
#include "kernels/cuda/DeviceStatus.cuh"

#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>
#include <string>

namespace ds::kernels::cuda {
namespace {

/// Rows beyond this many blocks are grid-strided.
constexpr int64_t kMaxBlocks = int64_t(1) << 20;
/// The block that counts targets (and sums the per-row losses).
constexpr int kCountThreads = 1024;
/// The most threads of a row block (rowThreads).
constexpr int kMaxRowThreads = 512;

//===-- element helpers ---------------------------------------------------===//

__device__ inline float expOf(float x) { return expf(x); }
__device__ inline double expOf(double x) { return exp(x); }

template <typename T> __device__ inline T negativeInfinity() {
  return T(-INFINITY);
}

/// 16 bytes of T: float4 or double2.
template <typename T> struct Vec16;
template <> struct Vec16<float> {
  using Type = float4;
  static constexpr int kCount = 4;
  __device__ static float get(const float4 &v, int k) {
    return k == 0 ? v.x : k == 1 ? v.y : k == 2 ? v.z : v.w;
  }
  __device__ static void set(float4 &v, int k, float x) {
    if (k == 0)
      v.x = x;
    else if (k == 1)
      v.y = x;
    else if (k == 2)
      v.z = x;
    else
      v.w = x;
  }
};
template <> struct Vec16<double> {
  using Type = double2;
  static constexpr int kCount = 2;
  __device__ static double get(const double2 &v, int k) {
    return k == 0 ? v.x : v.y;
  }
  __device__ static void set(double2 &v, int k, double x) {
    if (k == 0)
      v.x = x;
    else
      v.y = x;
  }
};

/// Elements before the first 16-byte boundary at `p` (at most V).
template <typename T> __device__ inline int64_t headOf(const T *p, int64_t V) {
  const auto misalignment = int64_t(reinterpret_cast<uintptr_t>(p) & 15);
  const int64_t head = ((16 - misalignment) & 15) / int64_t(sizeof(T));
  return head < V ? head : V;
}

/// Calls f(v, row[v]) for every v the calling thread owns: the elements are
/// strided over the block, the aligned middle read 16 bytes at a time.
template <typename T, typename F>
__device__ inline void forEachOfRow(const T *__restrict__ row, int64_t V,
                                    F &&f) {
  using VT = Vec16<T>;
  const int64_t head = headOf(row, V);
  const int64_t vectors = (V - head) / VT::kCount;
  const int64_t tail = head + vectors * VT::kCount;
  for (int64_t v = threadIdx.x; v < head; v += blockDim.x)
    f(v, row[v]);
  const auto *body = reinterpret_cast<const typename VT::Type *>(row + head);
  for (int64_t j = threadIdx.x; j < vectors; j += blockDim.x) {
    const typename VT::Type x = body[j];
#pragma unroll
    for (int k = 0; k < VT::kCount; ++k)
      f(head + j * VT::kCount + k, VT::get(x, k));
  }
  for (int64_t v = tail + threadIdx.x; v < V; v += blockDim.x)
    f(v, row[v]);
}

/// out[v] = f(v, in[v]) over a row, 16 bytes at a time where in and out are
/// equally aligned (elementwise otherwise).
template <typename T, typename F>
__device__ inline void mapRow(const T *__restrict__ in, T *__restrict__ out,
                              int64_t V, F &&f) {
  using VT = Vec16<T>;
  const bool sameAlignment =
      ((reinterpret_cast<uintptr_t>(in) ^ reinterpret_cast<uintptr_t>(out)) &
       15) == 0;
  if (!sameAlignment) {
    for (int64_t v = threadIdx.x; v < V; v += blockDim.x)
      out[v] = f(v, in[v]);
    return;
  }
  const int64_t head = headOf(out, V);
  const int64_t vectors = (V - head) / VT::kCount;
  const int64_t tail = head + vectors * VT::kCount;
  for (int64_t v = threadIdx.x; v < head; v += blockDim.x)
    out[v] = f(v, in[v]);
  const auto *src = reinterpret_cast<const typename VT::Type *>(in + head);
  auto *dst = reinterpret_cast<typename VT::Type *>(out + head);
  for (int64_t j = threadIdx.x; j < vectors; j += blockDim.x) {
    const typename VT::Type x = src[j];
    typename VT::Type y;
#pragma unroll
    for (int k = 0; k < VT::kCount; ++k)
      VT::set(y, k, f(head + j * VT::kCount + k, VT::get(x, k)));
    dst[j] = y;
  }
  for (int64_t v = tail + threadIdx.x; v < V; v += blockDim.x)
    out[v] = f(v, in[v]);
}

/// out[0, V) = 0, 16 bytes at a time.
template <typename T> __device__ inline void zeroRow(T *out, int64_t V) {
  using VT = Vec16<T>;
  const int64_t head = headOf(out, V);
  const int64_t vectors = (V - head) / VT::kCount;
  const int64_t tail = head + vectors * VT::kCount;
  for (int64_t v = threadIdx.x; v < head; v += blockDim.x)
    out[v] = T(0);
  auto *dst = reinterpret_cast<typename VT::Type *>(out + head);
  for (int64_t j = threadIdx.x; j < vectors; j += blockDim.x)
    dst[j] = typename VT::Type{};
  for (int64_t v = tail + threadIdx.x; v < V; v += blockDim.x)
    out[v] = T(0);
}

//===-- logsumexp ---------------------------------------------------------===//

/// Σ exp(x − max) over the elements seen so far, with their maximum.
template <typename T> struct LogSumExp {
  T max;
  double sum;
};

/// Adds one element. An element of −∞ adds nothing (even while max is −∞,
/// where x − max would be NaN); a NaN element makes the sum NaN.
template <typename T> __device__ inline void addElement(LogSumExp<T> &a, T x) {
  if (x > a.max) {
    a.sum = a.sum * exp(double(a.max) - double(x)) + 1.0;
    a.max = x;
  } else if (x != negativeInfinity<T>()) {
    a.sum += double(expOf(x - a.max));
  }
}

template <typename T>
__device__ inline void combine(LogSumExp<T> &a, const LogSumExp<T> &b) {
  if (b.max > a.max) {
    a.sum = a.sum * exp(double(a.max) - double(b.max)) + b.sum;
    a.max = b.max;
  } else if (b.max != negativeInfinity<T>()) {
    a.sum += b.sum * exp(double(b.max) - double(a.max));
  } else {
    a.sum += b.sum; // 0, or NaN to pass on
  }
}

/// The block's logsumexp pair, returned to every thread. blockDim.x is a
/// multiple of 32 (at most 1024).
template <typename T> __device__ LogSumExp<T> blockLogSumExp(LogSumExp<T> a) {
  __shared__ T maxes[32];
  __shared__ double sums[32];
  for (int delta = 16; delta > 0; delta >>= 1) {
    LogSumExp<T> b;
    b.max = __shfl_down_sync(0xffffffffu, a.max, delta);
    b.sum = __shfl_down_sync(0xffffffffu, a.sum, delta);
    combine(a, b);
  }
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int warps = blockDim.x >> 5;
  __syncthreads(); // the previous row's readers are done with the arrays
  if (lane == 0) {
    maxes[warp] = a.max;
    sums[warp] = a.sum;
  }
  __syncthreads();
  if (threadIdx.x == 0) {
    LogSumExp<T> total{maxes[0], sums[0]};
    for (int w = 1; w < warps; ++w)
      combine(total, LogSumExp<T>{maxes[w], sums[w]});
    maxes[0] = total.max;
    sums[0] = total.sum;
  }
  __syncthreads();
  return LogSumExp<T>{maxes[0], sums[0]};
}

template <typename T>
__device__ inline LogSumExp<T> rowLogSumExp(const T *__restrict__ row,
                                            int64_t V) {
  LogSumExp<T> a{negativeInfinity<T>(), 0.0};
  forEachOfRow(row, V, [&](int64_t, T x) { addElement(a, x); });
  return blockLogSumExp(a);
}

__device__ inline bool isCounted(int64_t target, int64_t V,
                                 int64_t ignoreIndex) {
  return target != ignoreIndex && target >= 0 && target < V;
}

//===-- counting the positions --------------------------------------------===//

struct Count {
  double sum;         // of rowLoss over counted positions (when given)
  long long count;    // counted positions
  long long firstBad; // the first position with a bad target, or P
};

/// One block (kCountThreads threads): counts the positions in position
/// order, sums rowLoss over them when given, and reports the first bad
/// target. Thread 0 gets the totals.
__device__ Count countTargets(ds_status *status, int32_t site,
                              const int64_t *__restrict__ targets,
                              const double *__restrict__ rowLoss, int64_t P,
                              int64_t V, int64_t ignoreIndex) {
  __shared__ double sums[kCountThreads / 32];
  __shared__ long long counts[kCountThreads / 32];
  __shared__ long long bads[kCountThreads / 32];
  double sum = 0;
  long long count = 0, firstBad = P;
  for (int64_t p = threadIdx.x; p < P; p += blockDim.x) {
    const int64_t target = targets[p];
    if (target == ignoreIndex)
      continue;
    if (target < 0 || target >= V) {
      firstBad = p < firstBad ? p : firstBad;
      continue;
    }
    ++count;
    if (rowLoss)
      sum += rowLoss[p];
  }
  for (int delta = 16; delta > 0; delta >>= 1) {
    sum += __shfl_down_sync(0xffffffffu, sum, delta);
    count += __shfl_down_sync(0xffffffffu, count, delta);
    const long long other = __shfl_down_sync(0xffffffffu, firstBad, delta);
    firstBad = other < firstBad ? other : firstBad;
  }
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  if (lane == 0) {
    sums[warp] = sum;
    counts[warp] = count;
    bads[warp] = firstBad;
  }
  __syncthreads();
  Count total{0.0, 0, P};
  if (threadIdx.x == 0) {
    for (int w = 0; w < int(blockDim.x >> 5); ++w) {
      total.sum += sums[w];
      total.count += counts[w];
      total.firstBad = bads[w] < total.firstBad ? bads[w] : total.firstBad;
    }
    if (total.firstBad < P)
      statusFail(status, DS_STATUS_INDEX_OUT_OF_RANGE, site,
                 targets[total.firstBad], V);
  }
  return total;
}

//===-- kernels -----------------------------------------------------------===//

/// rowLoss[p] = logsumexp(logits[p]) − logits[p, targets[p]] for counted
/// positions (others are not written: nothing reads them).
template <typename T>
__global__ void __launch_bounds__(kMaxRowThreads)
    rowLossKernel(const T *__restrict__ logits,
                  const int64_t *__restrict__ targets,
                  double *__restrict__ rowLoss, int64_t P, int64_t V,
                  int64_t ignoreIndex) {
  for (int64_t p = blockIdx.x; p < P; p += gridDim.x) {
    const int64_t target = targets[p];
    if (!isCounted(target, V, ignoreIndex))
      continue; // uniform over the block
    const T *row = logits + p * V;
    const LogSumExp<T> lse = rowLogSumExp(row, V);
    if (threadIdx.x == 0)
      rowLoss[p] = double(lse.max) + log(lse.sum) - double(row[target]);
  }
}

template <typename T>
__global__ void __launch_bounds__(kCountThreads)
    meanKernel(ds_status *status, int32_t site,
               const int64_t *__restrict__ targets,
               const double *__restrict__ rowLoss, T *__restrict__ loss,
               int64_t P, int64_t V, int64_t ignoreIndex) {
  const Count total =
      countTargets(status, site, targets, rowLoss, P, V, ignoreIndex);
  if (threadIdx.x == 0)
    loss[0] = total.count ? T(total.sum / double(total.count)) : T(0);
}

/// scale[0] = dloss / count (0 when nothing counts).
template <typename T>
__global__ void __launch_bounds__(kCountThreads)
    scaleKernel(ds_status *status, int32_t site,
                const int64_t *__restrict__ targets,
                const T *__restrict__ dloss, double *__restrict__ scale,
                int64_t P, int64_t V, int64_t ignoreIndex) {
  const Count total =
      countTargets(status, site, targets, nullptr, P, V, ignoreIndex);
  if (threadIdx.x == 0)
    scale[0] = total.count ? double(dloss[0]) / double(total.count) : 0.0;
}

/// dlogits[p] = g · (softmax(logits[p]) − onehot(targets[p])) for counted
/// positions, 0 for the others; g = scale[0].
template <typename T>
__global__ void __launch_bounds__(kMaxRowThreads)
    gradKernel(const T *__restrict__ logits,
               const int64_t *__restrict__ targets,
               const double *__restrict__ scale, T *__restrict__ dlogits,
               int64_t P, int64_t V, int64_t ignoreIndex) {
  const double g = scale[0];
  for (int64_t p = blockIdx.x; p < P; p += gridDim.x) {
    const int64_t target = targets[p];
    T *out = dlogits + p * V;
    if (!isCounted(target, V, ignoreIndex)) {
      zeroRow(out, V);
      continue;
    }
    const T *row = logits + p * V;
    const LogSumExp<T> lse = rowLogSumExp(row, V);
    const T max = lse.max;
    const double factor = g / lse.sum;
    mapRow(row, out, V, [&](int64_t v, T x) {
      const double value = double(expOf(x - max)) * factor;
      return T(v == target ? value - g : value);
    });
  }
}

//===-- host side ---------------------------------------------------------===//

/// Threads per row block: enough for a few 16-byte loads each.
int rowThreads(int64_t V) {
  if (V >= 16384)
    return kMaxRowThreads;
  if (V >= 4096)
    return 256;
  if (V >= 1024)
    return 128;
  return 64;
}

unsigned rowBlocks(int64_t P) {
  return unsigned(P < kMaxBlocks ? P : kMaxBlocks);
}

bool checkSizes(const char *name, int64_t P, int64_t V) {
  if (P < 0 || V < 0) {
    recordError(name, "negative size");
    return false;
  }
  return true;
}

bool allocate(const char *name, double **scratch, size_t count,
              cudaStream_t stream) {
  if (cudaError_t e = cudaMallocAsync(reinterpret_cast<void **>(scratch),
                                      count * sizeof(double), stream);
      e != cudaSuccess) {
    cudaGetLastError(); // clear it: it is reported here, not by a launch
    recordError(name, std::string("scratch allocation failed: ") +
                          cudaGetErrorString(e));
    return false;
  }
  return true;
}

void release(const char *name, double *scratch, cudaStream_t stream) {
  if (cudaError_t e = cudaFreeAsync(scratch, stream); e != cudaSuccess) {
    cudaGetLastError();
    recordError(name,
                std::string("scratch free failed: ") + cudaGetErrorString(e));
  }
}

template <typename T>
void crossEntropy(const char *name, ds_status *status, int32_t site,
                  const T *logits, const int64_t *targets, T *loss, int64_t P,
                  int64_t V, int64_t ignoreIndex) {
  if (!checkSizes(name, P, V))
    return;
  cudaStream_t stream = currentStream();
  if (P == 0) { // nothing counts: the mean is 0
    if (cudaError_t e = cudaMemsetAsync(loss, 0, sizeof(T), stream);
        e != cudaSuccess)
      recordError(name, cudaGetErrorString(e));
    return;
  }
  // With V == 0 no position can count (every target is ignored or bad):
  // no row losses, only the count.
  double *rowLoss = nullptr;
  if (V > 0) {
    if (!allocate(name, &rowLoss, size_t(P), stream))
      return;
    rowLossKernel<T><<<rowBlocks(P), rowThreads(V), 0, stream>>>(
        logits, targets, rowLoss, P, V, ignoreIndex);
    if (!checkLaunch(name)) {
      release(name, rowLoss, stream);
      return;
    }
  }
  meanKernel<T><<<1, kCountThreads, 0, stream>>>(status, site, targets, rowLoss,
                                                 loss, P, V, ignoreIndex);
  checkLaunch(name);
  if (rowLoss)
    release(name, rowLoss, stream);
}

template <typename T>
void crossEntropyGrad(const char *name, ds_status *status, int32_t site,
                      const T *logits, const int64_t *targets, const T *dloss,
                      T *dlogits, int64_t P, int64_t V, int64_t ignoreIndex) {
  if (!checkSizes(name, P, V) || P == 0)
    return; // P == 0: no targets to check, nothing to write
  cudaStream_t stream = currentStream();
  double *scale = nullptr;
  if (!allocate(name, &scale, 1, stream))
    return;
  scaleKernel<T><<<1, kCountThreads, 0, stream>>>(status, site, targets, dloss,
                                                  scale, P, V, ignoreIndex);
  if (checkLaunch(name) && V > 0) {
    gradKernel<T><<<rowBlocks(P), rowThreads(V), 0, stream>>>(
        logits, targets, scale, dlogits, P, V, ignoreIndex);
    checkLaunch(name);
  }
  release(name, scale, stream);
}

} // namespace
} // namespace ds::kernels::cuda

extern "C" void ds_cuda_cross_entropy_f32(ds_status *status, int32_t site,
                                          const float *logits,
                                          const int64_t *targets, float *loss,
                                          int64_t P, int64_t V,
                                          int64_t ignore_index) {
  ds::kernels::cuda::crossEntropy("ds_cuda_cross_entropy_f32", status, site,
                                  logits, targets, loss, P, V, ignore_index);
}

extern "C" void ds_cuda_cross_entropy_f64(ds_status *status, int32_t site,
                                          const double *logits,
                                          const int64_t *targets, double *loss,
                                          int64_t P, int64_t V,
                                          int64_t ignore_index) {
  ds::kernels::cuda::crossEntropy("ds_cuda_cross_entropy_f64", status, site,
                                  logits, targets, loss, P, V, ignore_index);
}

extern "C" void
ds_cuda_cross_entropy_grad_f32(ds_status *status, int32_t site,
                               const float *logits, const int64_t *targets,
                               const float *dloss, float *dlogits, int64_t P,
                               int64_t V, int64_t ignore_index) {
  ds::kernels::cuda::crossEntropyGrad("ds_cuda_cross_entropy_grad_f32", status,
                                      site, logits, targets, dloss, dlogits, P,
                                      V, ignore_index);
}

extern "C" void
ds_cuda_cross_entropy_grad_f64(ds_status *status, int32_t site,
                               const double *logits, const int64_t *targets,
                               const double *dloss, double *dlogits, int64_t P,
                               int64_t V, int64_t ignore_index) {
  ds::kernels::cuda::crossEntropyGrad("ds_cuda_cross_entropy_grad_f64", status,
                                      site, logits, targets, dloss, dlogits, P,
                                      V, ignore_index);
}
