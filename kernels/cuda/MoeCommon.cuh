//===- MoeCommon.cuh - expert dispatch and GEMM tiles ----------*- CUDA -*-===//
//
// Internal to MoeFfn.cu, split out to keep each file readable:
//  - the dispatch: the N·K (token, choice) pairs grouped by expert on the
//    device, by a stable counting sort (so every run orders an expert's
//    rows the same way: by token, then choice), and the schedule of the
//    grouped GEMMs' row tiles built from the per-expert counts;
//  - the pieces of the tiled shared-memory GEMMs: the loaders that move a
//    tile slab from global memory to registers (prefetching the next slab
//    while the current one is multiplied) and on to shared memory, and the
//    per-thread 4×4 products.
//
// How many rows each expert gets is known only on the device, so nothing
// here is sized from it on the host: buffers are sized for the worst case
// (every pair its own row) and the GEMM grids for the most row tiles any
// routing can need; blocks past the schedule's end return at once.
//
// The kernels here are static: the header belongs to one translation unit.
//
//===----------------------------------------------------------------------===//

#ifndef DS_KERNELS_CUDA_MOECOMMON_CUH
#define DS_KERNELS_CUDA_MOECOMMON_CUH

#include "kernels/cuda/DeviceStatus.cuh"

#include <cuda_runtime.h>

#include <cstdint>

namespace ds::kernels::cuda::moe {

/// Every GEMM block: 256 threads as 16×16, each owning a 4×4 micro-tile
/// (rows ty + 16i, columns tx + 16j) of a 64×64 output tile; the reduction
/// goes through shared memory in slabs of 16.
constexpr int kThreads = 256;
constexpr int kTile = 64;
constexpr int kSlab = 16;
/// Shared-memory row stride of a slab: 66 ≡ 2 (mod 32) makes the
/// transposing stores of KRowsLoader conflict-free (two rows per warp land
/// on the even and the odd banks).
constexpr int kLd = kTile + 2;
/// Pairs per block of the dispatch's ranking.
constexpr int kPairTile = 256;

/// A slot whose expert another rank holds (expert parallelism maps the
/// experts of other ranks to -1): skipped without a failure, as on the CPU.
constexpr int64_t kExpertElsewhere = -1;

//===-- Dispatch ----------------------------------------------------------===//

/// Pass 1, a block per 256 pairs: each valid pair's rank among the pairs of
/// its expert in the block (rank[p], -1 for a skipped pair), and the block's
/// count per expert (tileCounts[e * pairTiles + block], zeroed before).
/// The ranks are counted directly over the block's 256 experts in shared
/// memory (all threads read the same entry: a broadcast), which needs no
/// atomics and no E-sized shared arrays.
static __global__ void __launch_bounds__(kPairTile)
    rankPairs(ds_status *status, int32_t site, const int64_t *__restrict__ idx,
              int64_t P, int64_t E, int64_t pairTiles, int *__restrict__ rank,
              int *__restrict__ tileCounts) {
  __shared__ int experts[kPairTile];
  const int64_t p = int64_t(blockIdx.x) * kPairTile + threadIdx.x;
  int e = -1;
  if (p < P) {
    const int64_t v = idx[p];
    if (v >= 0 && v < E)
      e = int(v);
    else if (v != kExpertElsewhere)
      statusFail(status, DS_STATUS_INDEX_OUT_OF_RANGE, site, v, E);
  }
  experts[threadIdx.x] = e;
  __syncthreads();
  if (p >= P)
    return;
  if (e < 0) {
    rank[p] = -1;
    return;
  }
  int before = 0, total = 0;
  for (int j = 0; j < kPairTile; ++j) {
    const bool same = experts[j] == e;
    total += same;
    before += same && j < int(threadIdx.x);
  }
  rank[p] = before;
  if (before == 0) // the expert's first pair in the block writes its count
    tileCounts[int64_t(e) * pairTiles + blockIdx.x] = total;
}

/// Inclusive scan of `v` over the warp.
__device__ inline int warpScan(int v) {
  const int lane = threadIdx.x % 32;
  for (int offset = 1; offset < 32; offset *= 2) {
    const int other = __shfl_up_sync(0xffffffffu, v, offset);
    if (lane >= offset)
      v += other;
  }
  return v;
}

/// Pass 2, one block of 1024 threads:
///  - tileCounts becomes, per expert, the exclusive prefix over the pair
///    blocks (a warp per expert);
///  - offsets[e] (E + 1 of them) the first row of expert e;
///  - schedule[t] = {expert, first row, end of the expert's rows} for each
///    row tile of kTile rows, experts in order, and *scheduled their count.
static __global__ void __launch_bounds__(1024)
    scanCounts(int *__restrict__ tileCounts, int64_t pairTiles, int64_t E,
               int *__restrict__ offsets, int4 *__restrict__ schedule,
               int *__restrict__ scheduled) {
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  const int warps = blockDim.x / 32;
  for (int64_t e = warp; e < E; e += warps) {
    int *counts = tileCounts + e * pairTiles;
    int running = 0;
    for (int64_t t0 = 0; t0 < pairTiles; t0 += 32) {
      const int64_t t = t0 + lane;
      const int v = t < pairTiles ? counts[t] : 0;
      const int inclusive = warpScan(v);
      if (t < pairTiles)
        counts[t] = running + inclusive - v;
      running += __shfl_sync(0xffffffffu, inclusive, 31);
    }
    if (lane == 0)
      offsets[e + 1] = running; // the expert's count, for now
  }
  __syncthreads(); // makes the counts (global writes) visible to the block

  // Exclusive scans of the counts (rows) and of their row tiles over the
  // experts, blockDim experts at a time with a carry.
  __shared__ int warpRows[32], warpTiles[32];
  __shared__ int carryRows, carryTiles;
  if (threadIdx.x == 0)
    carryRows = carryTiles = 0;
  __syncthreads();
  for (int64_t base = 0; base < E; base += blockDim.x) {
    const int64_t e = base + threadIdx.x;
    const int count = e < E ? offsets[e + 1] : 0;
    const int tiles = (count + kTile - 1) / kTile;
    int rows = warpScan(count), tileSum = warpScan(tiles);
    if (lane == 31) {
      warpRows[warp] = rows;
      warpTiles[warp] = tileSum;
    }
    __syncthreads();
    for (int w = 0; w < warp; ++w) {
      rows += warpRows[w];
      tileSum += warpTiles[w];
    }
    if (e < E) {
      const int first = carryRows + rows - count;
      const int firstTile = carryTiles + tileSum - tiles;
      offsets[e + 1] = first + count;
      for (int j = 0; j < tiles; ++j)
        schedule[firstTile + j] =
            make_int4(int(e), first + j * kTile, first + count, 0);
    }
    __syncthreads(); // everyone has read the carries and the warp sums
    if (threadIdx.x == blockDim.x - 1) {
      carryRows += rows;
      carryTiles += tileSum;
    }
    __syncthreads();
  }
  if (threadIdx.x == 0) {
    offsets[0] = 0;
    *scheduled = carryTiles;
  }
}

/// Pass 3, a thread per pair: its row (slot) = the expert's first row +
/// the expert's rows in earlier pair blocks + its rank in its block; and
/// for each row its token and its pair.
static __global__ void __launch_bounds__(kPairTile)
    placePairs(const int64_t *__restrict__ idx, int64_t P, int64_t K,
               const int *__restrict__ tilePrefix, int64_t pairTiles,
               const int *__restrict__ offsets, int *__restrict__ slotOf,
               int *__restrict__ rowToken, int *__restrict__ rowPair) {
  const int64_t p = int64_t(blockIdx.x) * kPairTile + threadIdx.x;
  if (p >= P)
    return;
  const int rank = slotOf[p];
  if (rank < 0)
    return; // stays -1: the pair has no row
  const int64_t e = idx[p];
  const int slot = offsets[e] + tilePrefix[e * pairTiles + blockIdx.x] + rank;
  slotOf[p] = slot;
  rowToken[slot] = int(p / K);
  rowPair[slot] = int(p);
}

/// Records the bad indices only (for calls with nothing else to do).
static __global__ void checkIndices(ds_status *status, int32_t site,
                                    const int64_t *__restrict__ idx, int64_t P,
                                    int64_t E) {
  for (int64_t p = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; p < P;
       p += int64_t(gridDim.x) * blockDim.x) {
    const int64_t v = idx[p];
    if ((v < 0 || v >= E) && v != kExpertElsewhere)
      statusFail(status, DS_STATUS_INDEX_OUT_OF_RANGE, site, v, E);
  }
}

//===-- GEMM tiles --------------------------------------------------------===//

/// A 64×16 slab whose 64 rows are rows in memory with the reduction index
/// contiguous (an NT operand): thread t loads k = t % 16 of rows
/// t / 16 + 16q, and stores them transposed, s[k][row].
template <typename T> struct KRowsLoader {
  const T *row[4]; // null past the tile's valid rows
  T v[4];

  __device__ int k() const { return threadIdx.x % kSlab; }
  __device__ int firstRow() const { return threadIdx.x / kSlab; }
  /// Tile row `i` of this thread (i < 4).
  __device__ int rowOf(int i) const { return firstRow() + 16 * i; }

  __device__ void fetch(int64_t k0, int64_t K) {
    const int64_t kk = k0 + k();
#pragma unroll
    for (int i = 0; i < 4; ++i)
      v[i] = row[i] && kk < K ? row[i][kk] : T(0);
  }
  __device__ void stash(T *s) const {
#pragma unroll
    for (int i = 0; i < 4; ++i)
      s[k() * kLd + rowOf(i)] = v[i];
  }
};

/// A 16×64 slab whose 16 reduction rows are rows in memory with the tile's
/// 64 columns contiguous (an NN operand, or either operand of a weight
/// gradient): thread t loads column t % 64 of rows t / 64 + 4q. A row map
/// (null: identity) turns reduction indices into memory rows.
template <typename T> struct ColsLoader {
  const T *base; // column already applied
  int64_t ld;
  const int *map;
  bool columnOk;
  T v[4];

  __device__ int column() const { return threadIdx.x % kTile; }
  __device__ int firstRow() const { return threadIdx.x / kTile; }

  __device__ void init(const T *matrix, int64_t ldm, const int *rowMap,
                       int64_t columnBase, int64_t columns) {
    const int64_t c = columnBase + column();
    columnOk = c < columns;
    base = matrix + (columnOk ? c : 0);
    ld = ldm;
    map = rowMap;
  }
  /// Reduction rows [k0, k0 + 16), those at or past kEnd read as zeros.
  __device__ void fetch(int64_t k0, int64_t kEnd) {
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      const int64_t kk = k0 + firstRow() + 4 * i;
      T value = T(0);
      if (columnOk && kk < kEnd)
        value = base[(map ? int64_t(map[kk]) : kk) * ld];
      v[i] = value;
    }
  }
  __device__ void stash(T *s) const {
#pragma unroll
    for (int i = 0; i < 4; ++i)
      s[(firstRow() + 4 * i) * kLd + column()] = v[i];
  }
};

/// acc += As(slab)ᵀ·Bs(slab) for this thread's 4×4 micro-tile; with two B
/// slabs (acc1 += As·Bs1) the A values are read once for both.
template <typename T, bool kTwoB>
__device__ inline void multiplySlab(const T *As, const T *Bs0, const T *Bs1,
                                    T (&acc0)[4][4], T (&acc1)[4][4]) {
  const int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
#pragma unroll
  for (int kk = 0; kk < kSlab; ++kk) {
    T a[4], b[4];
#pragma unroll
    for (int i = 0; i < 4; ++i)
      a[i] = As[kk * kLd + ty + 16 * i];
#pragma unroll
    for (int j = 0; j < 4; ++j)
      b[j] = Bs0[kk * kLd + tx + 16 * j];
#pragma unroll
    for (int i = 0; i < 4; ++i)
#pragma unroll
      for (int j = 0; j < 4; ++j)
        acc0[i][j] += a[i] * b[j];
    if constexpr (kTwoB) {
#pragma unroll
      for (int j = 0; j < 4; ++j)
        b[j] = Bs1[kk * kLd + tx + 16 * j];
#pragma unroll
      for (int i = 0; i < 4; ++i)
#pragma unroll
        for (int j = 0; j < 4; ++j)
          acc1[i][j] += a[i] * b[j];
    }
  }
}

/// The same with two A slabs sharing one B slab (acc0 += As0·Bs, acc1 +=
/// As1·Bs).
template <typename T>
__device__ inline void multiplySlabTwoA(const T *As0, const T *As1, const T *Bs,
                                        T (&acc0)[4][4], T (&acc1)[4][4]) {
  const int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
#pragma unroll
  for (int kk = 0; kk < kSlab; ++kk) {
    T a0[4], a1[4], b[4];
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      a0[i] = As0[kk * kLd + ty + 16 * i];
      a1[i] = As1[kk * kLd + ty + 16 * i];
    }
#pragma unroll
    for (int j = 0; j < 4; ++j)
      b[j] = Bs[kk * kLd + tx + 16 * j];
#pragma unroll
    for (int i = 0; i < 4; ++i)
#pragma unroll
      for (int j = 0; j < 4; ++j) {
        acc0[i][j] += a0[i] * b[j];
        acc1[i][j] += a1[i] * b[j];
      }
  }
}

template <typename T> __device__ inline void zeroTile(T (&acc)[4][4]) {
#pragma unroll
  for (int i = 0; i < 4; ++i)
#pragma unroll
    for (int j = 0; j < 4; ++j)
      acc[i][j] = T(0);
}

__device__ inline float expOf(float x) { return expf(x); }
__device__ inline double expOf(double x) { return exp(x); }
template <typename T> __device__ inline T sigmoidOf(T z) {
  return T(1) / (T(1) + expOf(-z));
}

} // namespace ds::kernels::cuda::moe

#endif // DS_KERNELS_CUDA_MOECOMMON_CUH
