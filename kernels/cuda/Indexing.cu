//===- Indexing.cu - gather and scatter-add along one axis on the GPU -----===//
//
// Gather copies in the widest unit (16, 8, 4, 2 or 1 bytes) that divides
// the slice and both buffers' alignment, one thread per unit, grid-strided
// over (outer, index, unit): consecutive threads copy consecutive units of
// a slice, and write the output contiguously.
//
// Scatter-add is deterministic: no atomics on the data. The indices are
// sorted by destination row on the device with a stable radix sort (CUB)
// of (destination, i), so each row's sources come in increasing i; then one
// thread per output element (outer, row, column) adds its sources in that
// order, starting from 0, exactly as the CPU kernel does (float results
// are bitwise the CPU's). Rows no index hits get 0. The work is linear in
// the indices and the output (plus the sort); a row many indices hit is
// summed sequentially by its threads, which is what the order demands.
//
// Bad indices are recorded where a thread first meets them (the first
// recorded wins, as DeviceStatus.cuh says): gather zero-fills their slices,
// scatter-add sorts them past every row and so skips them.
//
//===----------------------------------------------------------------------===//

#include "kernels/cuda/Context.h"
#include "kernels/cuda/CudaKernels.h"
#include "kernels/cuda/DeviceStatus.cuh"

#include <cub/device/device_radix_sort.cuh>
#include <cuda_runtime.h>

#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>

namespace ds::kernels::cuda {
namespace {

constexpr int kThreads = 256;
/// Work beyond this many blocks is grid-strided.
constexpr int64_t kMaxBlocks = int64_t(1) << 20;
constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();

unsigned blocksFor(int64_t work) {
  const int64_t blocks = (work + kThreads - 1) / kThreads;
  return unsigned(blocks < kMaxBlocks ? blocks : kMaxBlocks);
}

__device__ inline bool inRange(int64_t index, int64_t bound) {
  return index >= 0 && index < bound;
}

/// Records the bad indices of a call that moves no data (the CPU kernels
/// check the indices even then).
__global__ void checkIndicesKernel(ds_status *status, int32_t site,
                                   const int64_t *__restrict__ indices,
                                   int64_t count, int64_t bound) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < count;
       i += int64_t(gridDim.x) * blockDim.x)
    if (!inRange(indices[i], bound))
      statusFail(status, DS_STATUS_INDEX_OUT_OF_RANGE, site, indices[i], bound);
}

void checkIndices(const char *name, ds_status *status, int32_t site,
                  const int64_t *indices, int64_t count, int64_t bound,
                  cudaStream_t stream) {
  if (count == 0)
    return;
  checkIndicesKernel<<<blocksFor(count), kThreads, 0, stream>>>(
      status, site, indices, count, bound);
  checkLaunch(name);
}

bool checkSizes(const char *name, int64_t outer, int64_t axisSize,
                int64_t inner, int64_t numIndices) {
  if (outer < 0 || axisSize < 0 || inner < 0 || numIndices < 0) {
    recordError(name, "negative size");
    return false;
  }
  return true;
}

//===-- gather ------------------------------------------------------------===//

/// out[o, i, u] = src[o, indices[i], u] in units of Unit; `Index` is
/// uint32_t when the whole range and its stride fit (cheaper divisions).
template <typename Unit, typename Index>
__global__ void
gatherKernel(ds_status *status, int32_t site, const Unit *__restrict__ src,
             const int64_t *__restrict__ indices, Unit *__restrict__ out,
             int64_t axisSize, Index units, Index numIndices, Index total) {
  const Index stride = Index(gridDim.x) * Index(blockDim.x);
  for (Index id = Index(blockIdx.x) * Index(blockDim.x) + Index(threadIdx.x);
       id < total; id += stride) {
    const Index slice = id / units;
    const Index unit = id - slice * units;
    const Index o = slice / numIndices;
    const Index i = slice - o * numIndices;
    const int64_t index = indices[i];
    Unit value{};
    if (inRange(index, axisSize))
      value =
          src[(int64_t(o) * axisSize + index) * int64_t(units) + int64_t(unit)];
    else if (o == 0 && unit == 0)
      statusFail(status, DS_STATUS_INDEX_OUT_OF_RANGE, site, index, axisSize);
    out[id] = value;
  }
}

template <typename Unit>
void launchGather(ds_status *status, int32_t site, const void *src,
                  const int64_t *indices, void *out, int64_t outer,
                  int64_t axisSize, int64_t innerBytes, int64_t numIndices,
                  cudaStream_t stream) {
  const int64_t units = innerBytes / int64_t(sizeof(Unit));
  const int64_t total = outer * numIndices * units;
  const auto *from = static_cast<const Unit *>(src);
  auto *to = static_cast<Unit *>(out);
  if (total <= kInt32Max)
    gatherKernel<Unit, uint32_t><<<blocksFor(total), kThreads, 0, stream>>>(
        status, site, from, indices, to, axisSize, uint32_t(units),
        uint32_t(numIndices), uint32_t(total));
  else
    gatherKernel<Unit, uint64_t><<<blocksFor(total), kThreads, 0, stream>>>(
        status, site, from, indices, to, axisSize, uint64_t(units),
        uint64_t(numIndices), uint64_t(total));
}

void gather(ds_status *status, int32_t site, const void *src,
            const int64_t *indices, void *out, int64_t outer, int64_t axisSize,
            int64_t innerBytes, int64_t numIndices) {
  const char *name = "ds_cuda_gather";
  if (!checkSizes(name, outer, axisSize, innerBytes, numIndices))
    return;
  cudaStream_t stream = currentStream();
  if (outer == 0 || innerBytes == 0) { // no data, but the indices are checked
    checkIndices(name, status, site, indices, numIndices, axisSize, stream);
    return;
  }
  if (numIndices == 0)
    return;
  // The widest unit that divides the slice size and both addresses.
  const uintptr_t alignment = reinterpret_cast<uintptr_t>(src) |
                              reinterpret_cast<uintptr_t>(out) |
                              uintptr_t(innerBytes);
  if (alignment % 16 == 0)
    launchGather<uint4>(status, site, src, indices, out, outer, axisSize,
                        innerBytes, numIndices, stream);
  else if (alignment % 8 == 0)
    launchGather<uint2>(status, site, src, indices, out, outer, axisSize,
                        innerBytes, numIndices, stream);
  else if (alignment % 4 == 0)
    launchGather<uint32_t>(status, site, src, indices, out, outer, axisSize,
                           innerBytes, numIndices, stream);
  else if (alignment % 2 == 0)
    launchGather<uint16_t>(status, site, src, indices, out, outer, axisSize,
                           innerBytes, numIndices, stream);
  else
    launchGather<uint8_t>(status, site, src, indices, out, outer, axisSize,
                          innerBytes, numIndices, stream);
  checkLaunch(name);
}

//===-- scatter-add -------------------------------------------------------===//

/// a + b, wrapping around for integers (signed overflow would be undefined).
template <typename T> __device__ inline T addWrapping(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    using U = std::make_unsigned_t<T>;
    return T(U(a) + U(b));
  } else {
    return a + b;
  }
}

/// keys[i] = the destination row of index i (axisSize, past every row, for
/// a bad index, which is recorded); values[i] = i.
template <typename Key, typename Value>
__global__ void keysKernel(ds_status *status, int32_t site,
                           const int64_t *__restrict__ indices,
                           Key *__restrict__ keys, Value *__restrict__ values,
                           int64_t count, int64_t axisSize) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < count;
       i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t index = indices[i];
    Key key = Key(index);
    if (!inRange(index, axisSize)) {
      statusFail(status, DS_STATUS_INDEX_OUT_OF_RANGE, site, index, axisSize);
      key = Key(axisSize);
    }
    keys[i] = key;
    values[i] = Value(i);
  }
}

/// starts[r] = the first sorted position whose row is r or more, for r in
/// [0, axisSize]: row r's sources are sources[starts[r], starts[r + 1]).
template <typename Key, typename Value>
__global__ void startsKernel(const Key *__restrict__ sortedKeys, int64_t count,
                             Value *__restrict__ starts, int64_t axisSize) {
  for (int64_t r = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
       r <= axisSize; r += int64_t(gridDim.x) * blockDim.x) {
    int64_t lo = 0, hi = count;
    while (lo < hi) {
      const int64_t mid = lo + (hi - lo) / 2;
      if (sortedKeys[mid] < Key(r))
        lo = mid + 1;
      else
        hi = mid;
    }
    starts[r] = Value(lo);
  }
}

/// out[o, r, c] = Σ updates[o, i, c] over row r's sources i, in increasing
/// i, from 0.
template <typename T, typename Value, typename Index>
__global__ void
sumKernel(const T *__restrict__ updates, const Value *__restrict__ sources,
          const Value *__restrict__ starts, T *__restrict__ out, Index axisSize,
          Index inner, int64_t numIndices, Index total) {
  const Index stride = Index(gridDim.x) * Index(blockDim.x);
  for (Index id = Index(blockIdx.x) * Index(blockDim.x) + Index(threadIdx.x);
       id < total; id += stride) {
    const Index line = id / inner; // o · axisSize + r
    const Index c = id - line * inner;
    const Index o = line / axisSize;
    const Index r = line - o * axisSize;
    const int64_t begin = int64_t(starts[r]), end = int64_t(starts[r + 1]);
    const T *column =
        updates + int64_t(o) * numIndices * int64_t(inner) + int64_t(c);
    T sum = T(0);
    for (int64_t j = begin; j < end; ++j)
      sum = addWrapping(sum, column[int64_t(sources[j]) * int64_t(inner)]);
    out[id] = sum;
  }
}

size_t roundUp(size_t bytes) { return (bytes + 255) / 256 * 256; }

template <typename T, typename Value>
void launchSum(const T *updates, const Value *sources, const Value *starts,
               T *out, int64_t outer, int64_t axisSize, int64_t inner,
               int64_t numIndices, cudaStream_t stream) {
  const int64_t total = outer * axisSize * inner;
  if (total <= kInt32Max)
    sumKernel<T, Value, uint32_t><<<blocksFor(total), kThreads, 0, stream>>>(
        updates, sources, starts, out, uint32_t(axisSize), uint32_t(inner),
        numIndices, uint32_t(total));
  else
    sumKernel<T, Value, uint64_t><<<blocksFor(total), kThreads, 0, stream>>>(
        updates, sources, starts, out, uint64_t(axisSize), uint64_t(inner),
        numIndices, uint64_t(total));
}

/// The sorted scatter-add with Key-wide rows and Value-wide positions
/// (NumItems: CUB's count type, of Value's width). numIndices > 0,
/// axisSize > 0 and the output is not empty.
template <typename T, typename Key, typename Value, typename NumItems>
void sortedScatterAdd(const char *name, ds_status *status, int32_t site,
                      const T *updates, const int64_t *indices, T *out,
                      int64_t outer, int64_t axisSize, int64_t inner,
                      int64_t numIndices, cudaStream_t stream) {
  // Keys hold rows and the sentinel axisSize: sort only their low bits.
  int endBit = 0;
  while (endBit < 64 && (uint64_t(axisSize) >> endBit) != 0)
    ++endBit;
  size_t sortBytes = 0;
  if (cudaError_t e = cub::DeviceRadixSort::SortPairs(
          nullptr, sortBytes, static_cast<const Key *>(nullptr),
          static_cast<Key *>(nullptr), static_cast<const Value *>(nullptr),
          static_cast<Value *>(nullptr), NumItems(numIndices), 0, endBit,
          stream);
      e != cudaSuccess) {
    cudaGetLastError();
    recordError(name, std::string("sort: ") + cudaGetErrorString(e));
    return;
  }
  const size_t keyBytes = roundUp(size_t(numIndices) * sizeof(Key));
  const size_t valueBytes = roundUp(size_t(numIndices) * sizeof(Value));
  const size_t startBytes = roundUp(size_t(axisSize + 1) * sizeof(Value));
  const size_t bytes = 2 * keyBytes + 2 * valueBytes + startBytes + sortBytes;
  char *scratch = nullptr;
  if (cudaError_t e =
          cudaMallocAsync(reinterpret_cast<void **>(&scratch), bytes, stream);
      e != cudaSuccess) {
    cudaGetLastError();
    recordError(name, std::string("scratch allocation failed: ") +
                          cudaGetErrorString(e));
    return;
  }
  auto *keys = reinterpret_cast<Key *>(scratch);
  auto *sortedKeys = reinterpret_cast<Key *>(scratch + keyBytes);
  auto *positions = reinterpret_cast<Value *>(scratch + 2 * keyBytes);
  auto *sources =
      reinterpret_cast<Value *>(scratch + 2 * keyBytes + valueBytes);
  auto *starts =
      reinterpret_cast<Value *>(scratch + 2 * keyBytes + 2 * valueBytes);
  void *sortScratch = scratch + 2 * keyBytes + 2 * valueBytes + startBytes;

  bool ok = true;
  keysKernel<Key, Value><<<blocksFor(numIndices), kThreads, 0, stream>>>(
      status, site, indices, keys, positions, numIndices, axisSize);
  ok = checkLaunch(name);
  if (ok) {
    // Stable: equal rows keep their sources in increasing i.
    if (cudaError_t e = cub::DeviceRadixSort::SortPairs(
            sortScratch, sortBytes, static_cast<const Key *>(keys), sortedKeys,
            static_cast<const Value *>(positions), sources,
            NumItems(numIndices), 0, endBit, stream);
        e != cudaSuccess) {
      cudaGetLastError();
      recordError(name, std::string("sort: ") + cudaGetErrorString(e));
      ok = false;
    }
  }
  if (ok) {
    startsKernel<Key, Value><<<blocksFor(axisSize + 1), kThreads, 0, stream>>>(
        sortedKeys, numIndices, starts, axisSize);
    ok = checkLaunch(name);
  }
  if (ok) {
    launchSum(updates, sources, starts, out, outer, axisSize, inner, numIndices,
              stream);
    checkLaunch(name);
  }
  if (cudaError_t e = cudaFreeAsync(scratch, stream); e != cudaSuccess) {
    cudaGetLastError();
    recordError(name,
                std::string("scratch free failed: ") + cudaGetErrorString(e));
  }
}

template <typename T>
void scatterAdd(const char *name, ds_status *status, int32_t site,
                const T *updates, const int64_t *indices, T *out, int64_t outer,
                int64_t axisSize, int64_t inner, int64_t numIndices) {
  if (!checkSizes(name, outer, axisSize, inner, numIndices))
    return;
  cudaStream_t stream = currentStream();
  const int64_t outCount = outer * axisSize * inner;
  if (outCount == 0) { // no data, but the indices are checked
    checkIndices(name, status, site, indices, numIndices, axisSize, stream);
    return;
  }
  if (numIndices == 0) { // nothing to add: zeros
    if (cudaError_t e =
            cudaMemsetAsync(out, 0, size_t(outCount) * sizeof(T), stream);
        e != cudaSuccess)
      recordError(name, cudaGetErrorString(e));
    return;
  }
  if (numIndices <= kInt32Max && axisSize < kInt32Max)
    sortedScatterAdd<T, uint32_t, int32_t, int32_t>(
        name, status, site, updates, indices, out, outer, axisSize, inner,
        numIndices, stream);
  else
    sortedScatterAdd<T, uint64_t, int64_t, int64_t>(
        name, status, site, updates, indices, out, outer, axisSize, inner,
        numIndices, stream);
}

} // namespace
} // namespace ds::kernels::cuda

extern "C" void ds_cuda_gather(ds_status *status, int32_t site, const void *src,
                               const int64_t *indices, void *out, int64_t outer,
                               int64_t axis_size, int64_t inner_bytes,
                               int64_t num_indices) {
  ds::kernels::cuda::gather(status, site, src, indices, out, outer, axis_size,
                            inner_bytes, num_indices);
}

extern "C" void ds_cuda_scatter_add_f32(ds_status *status, int32_t site,
                                        const float *updates,
                                        const int64_t *indices, float *out,
                                        int64_t outer, int64_t axis_size,
                                        int64_t inner, int64_t num_indices) {
  ds::kernels::cuda::scatterAdd("ds_cuda_scatter_add_f32", status, site,
                                updates, indices, out, outer, axis_size, inner,
                                num_indices);
}

extern "C" void ds_cuda_scatter_add_f64(ds_status *status, int32_t site,
                                        const double *updates,
                                        const int64_t *indices, double *out,
                                        int64_t outer, int64_t axis_size,
                                        int64_t inner, int64_t num_indices) {
  ds::kernels::cuda::scatterAdd("ds_cuda_scatter_add_f64", status, site,
                                updates, indices, out, outer, axis_size, inner,
                                num_indices);
}

extern "C" void ds_cuda_scatter_add_i32(ds_status *status, int32_t site,
                                        const int32_t *updates,
                                        const int64_t *indices, int32_t *out,
                                        int64_t outer, int64_t axis_size,
                                        int64_t inner, int64_t num_indices) {
  ds::kernels::cuda::scatterAdd("ds_cuda_scatter_add_i32", status, site,
                                updates, indices, out, outer, axis_size, inner,
                                num_indices);
}

extern "C" void ds_cuda_scatter_add_i64(ds_status *status, int32_t site,
                                        const int64_t *updates,
                                        const int64_t *indices, int64_t *out,
                                        int64_t outer, int64_t axis_size,
                                        int64_t inner, int64_t num_indices) {
  ds::kernels::cuda::scatterAdd("ds_cuda_scatter_add_i64", status, site,
                                updates, indices, out, outer, axis_size, inner,
                                num_indices);
}
