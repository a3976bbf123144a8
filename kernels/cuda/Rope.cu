//===- Rope.cu - rotary position embeddings on the GPU --------------------===//
//
// One thread per (row, work item), grid-strided, where a row is one of the
// leading · T positions and its work items are the dim/2 rotated pairs and,
// when out != in, the D − 2·(dim/2) channels that are copied. A pair's
// angle is the same for all H heads of a row, so its thread computes the
// cosine and sine once (in double) and rotates the pair in every head:
// consecutive threads handle consecutive pairs (or copied channels) of a
// head, so each head's accesses are coalesced. A thread reads both values
// of its pair before writing either, so out may equal in.
//
//===----------------------------------------------------------------------===//

#include "kernels/cuda/Context.h"
#include "kernels/cuda/CudaKernels.h"

#include <cuda_runtime.h>

#include <cstdint>

namespace ds::kernels::cuda {
namespace {

constexpr int kThreads = 256;
constexpr int64_t kMaxBlocks = int64_t(1) << 20;

/// Two adjacent elements: float2 or double2.
template <typename T> struct Pair;
template <> struct Pair<float> { using Type = float2; };
template <> struct Pair<double> { using Type = double2; };

struct RopeShape {
  int64_t rows;  // leading · T
  int64_t steps; // T
  int64_t H, D;
  int64_t offset;
  int64_t half;  // dim / 2
  int64_t items; // work items per row: half, plus the copied channels
  bool interleaved;
  bool shared; // positions [T] rather than [leading, T]
  double magnitude;
  bool adjoint;
};

/// `kPairLoads`: interleaved pairs start at even, 2·sizeof(T)-aligned
/// addresses in every head, and are moved as one vector.
template <typename T, bool kPairLoads>
__global__ void ropeKernel(const T *in, const int64_t *__restrict__ positions,
                           T *out, const double *__restrict__ frequencies,
                           RopeShape s) {
  const int64_t total = s.rows * s.items;
  for (int64_t id = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; id < total;
       id += int64_t(gridDim.x) * blockDim.x) {
    const int64_t row = id / s.items;
    const int64_t item = id - row * s.items;
    const int64_t base = row * s.H * s.D;
    if (item >= s.half) { // a channel outside the rotated pairs: copied
      int64_t channel = item - s.half;
      if (channel >= s.offset)
        channel += 2 * s.half;
      for (int64_t h = 0; h < s.H; ++h)
        out[base + h * s.D + channel] = in[base + h * s.D + channel];
      continue;
    }
    const int64_t position =
        s.shared ? positions[row % s.steps] : positions[row];
    const double angle = double(position) * frequencies[item];
    double sine, cosine;
    sincos(angle, &sine, &cosine);
    const double c = cosine * s.magnitude;
    const double sn = (s.adjoint ? -1.0 : 1.0) * sine * s.magnitude;
    const int64_t first = s.interleaved ? s.offset + 2 * item : s.offset + item;
    const int64_t second = s.interleaved ? first + 1 : first + s.half;
    for (int64_t h = 0; h < s.H; ++h) {
      const int64_t at = base + h * s.D;
      if constexpr (kPairLoads) {
        using P = typename Pair<T>::Type;
        const P x = *reinterpret_cast<const P *>(in + at + first);
        const double x1 = double(x.x), x2 = double(x.y);
        P y;
        y.x = T(x1 * c - x2 * sn);
        y.y = T(x2 * c + x1 * sn);
        *reinterpret_cast<P *>(out + at + first) = y;
      } else {
        const double x1 = double(in[at + first]);
        const double x2 = double(in[at + second]);
        out[at + first] = T(x1 * c - x2 * sn);
        out[at + second] = T(x2 * c + x1 * sn);
      }
    }
  }
}

template <typename T>
void rope(const char *name, const T *in, const int64_t *positions, T *out,
          int64_t leading, int64_t steps, int64_t H, int64_t D, int64_t offset,
          int64_t dim, int32_t interleaved, int32_t positionsShared,
          const double *frequencies, double magnitude, int32_t adjoint) {
  if (leading < 0 || steps < 0 || H < 0 || D < 0 || offset < 0 || dim < 0) {
    recordError(name, "negative size");
    return;
  }
  if (offset > D || dim > D - offset) {
    recordError(name, "rotated channels [offset, offset + dim) outside D");
    return;
  }
  RopeShape s;
  s.rows = leading * steps;
  s.steps = steps;
  s.H = H;
  s.D = D;
  s.offset = offset;
  s.half = dim / 2;
  s.items = s.half + (in == out ? 0 : D - 2 * s.half);
  s.interleaved = interleaved != 0;
  s.shared = positionsShared != 0;
  s.magnitude = magnitude;
  s.adjoint = adjoint != 0;
  const int64_t total = s.rows * s.items;
  if (total == 0 || H == 0)
    return;
  const int64_t blocks = (total + kThreads - 1) / kThreads;
  const unsigned grid = unsigned(blocks < kMaxBlocks ? blocks : kMaxBlocks);
  const auto aligned = [](const void *p) {
    return reinterpret_cast<uintptr_t>(p) % (2 * sizeof(T)) == 0;
  };
  const bool pairLoads = s.interleaved && offset % 2 == 0 && D % 2 == 0 &&
                         aligned(in) && aligned(out);
  cudaStream_t stream = currentStream();
  if (pairLoads)
    ropeKernel<T, true>
        <<<grid, kThreads, 0, stream>>>(in, positions, out, frequencies, s);
  else
    ropeKernel<T, false>
        <<<grid, kThreads, 0, stream>>>(in, positions, out, frequencies, s);
  checkLaunch(name);
}

} // namespace
} // namespace ds::kernels::cuda

extern "C" void ds_cuda_rope_f32(const float *in, const int64_t *positions,
                                 float *out, int64_t leading, int64_t T,
                                 int64_t H, int64_t D, int64_t offset,
                                 int64_t dim, int32_t interleaved,
                                 int32_t positions_shared,
                                 const double *frequencies, double magnitude,
                                 int32_t adjoint) {
  ds::kernels::cuda::rope("ds_cuda_rope_f32", in, positions, out, leading, T, H,
                          D, offset, dim, interleaved, positions_shared,
                          frequencies, magnitude, adjoint);
}

extern "C" void ds_cuda_rope_f64(const double *in, const int64_t *positions,
                                 double *out, int64_t leading, int64_t T,
                                 int64_t H, int64_t D, int64_t offset,
                                 int64_t dim, int32_t interleaved,
                                 int32_t positions_shared,
                                 const double *frequencies, double magnitude,
                                 int32_t adjoint) {
  ds::kernels::cuda::rope("ds_cuda_rope_f64", in, positions, out, leading, T, H,
                          D, offset, dim, interleaved, positions_shared,
                          frequencies, magnitude, adjoint);
}
