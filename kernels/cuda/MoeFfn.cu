//===- MoeFfn.cu - routed expert SwiGLU FFNs as grouped GEMMs -------------===//
//
// The CUDA twins of kernels/cpu/MoeFfn.cpp, with the same contracts
// (kernels/cpu/Kernels.h). As on the CPU, per-token work would read every
// chosen expert's weights once per token; instead the (token, choice) pairs
// are grouped by expert on the device (MoeCommon.cuh: a stable counting
// sort, so the result does not depend on timing) and each expert's products
// run as GEMMs over its rows. All experts' GEMMs of one step are one launch
// (a grouped GEMM): block x of the grid takes row tile x of the device-side
// schedule, which names the expert and its rows.
//
// Forward, R ≤ N·K rows (a row per valid pair, the pair's token's x):
//   H = silu(X·gate_eᵀ) ⊙ (X·up_eᵀ)   one dual GEMM, X gathered on load
//   Y = H·down_eᵀ
//   out[n] = Σ_k w[n,k]·Y[row(n,k)]    in k order, no atomics
// Backward, with T = dY·down_e (dY the rows' dy, gathered on load):
//   G, U = X·gate_eᵀ, X·up_eᵀ           recomputed
//   dh = w·T, dU = dh⊙silu(G), dG = dh⊙U⊙silu'(G), Hw = w·silu(G)⊙U, and
//   dw = <dy, down_e·h> = <T, h>        fused into the T GEMM's epilogue
//   ddown_e = dYᵀ·Hw, dgate_e = dGᵀ·X, dup_e = dUᵀ·X
//                                       a block per output tile of an
//                                       expert loops over its rows
//   dX = dG·gate_e + dU·up_e; dx[n] = Σ_k dX[row(n,k)] in k order.
// Every result is written once by one thread: runs are deterministic.
// Float kernels accumulate in float, double ones in double.
//
//===----------------------------------------------------------------------===//

#include "kernels/cuda/Context.h"
#include "kernels/cuda/CudaKernels.h"
#include "kernels/cuda/MoeCommon.cuh"

#include <cuda_runtime.h>

#include <climits>
#include <string>

using namespace ds::kernels::cuda;
using namespace ds::kernels::cuda::moe;

namespace {

//===-- Grouped row GEMMs -------------------------------------------------===//

/// What a row GEMM computes, per row r of its expert e, column c:
enum class Rows {
  SwiGlu,    // H[r,c] = silu(x_r·gate_e[c]) · (x_r·up_e[c])
  GateUp,    // G[r,c] = x_r·gate_e[c], U[r,c] = x_r·up_e[c]
  Down,      // Y[r,c] = H_r·down_e[c]
  BackDown,  // T[r,c] = dy_r·down_e[:,c], then the SwiGLU backward
  BackInput, // dX[r,c] = dG_r·gate_e[:,c] + dU_r·up_e[:,c]
};

template <typename T> struct RowGemm {
  const int4 *schedule;
  const int *scheduled;
  const T *a[2]; // [rows, K] (BackInput: a second A for b[1])
  int64_t lda;
  const int *aRows; // the memory row (token) of each row, null: the row
  const T *b[2];    // expert 0's matrix; expert e's at b + e·bStride
  int64_t ldb, bStride;
  int64_t K, columns;
  T *out[3];
  int64_t ldo;
  // BackDown's epilogue: the rows' routing weights and dw partials.
  const T *w;
  const int *rowPair;
  T *partial; // [rows, gridDim.y]
};

template <Rows kMode>
constexpr bool kTwoB = kMode == Rows::SwiGlu || kMode == Rows::GateUp;
/// B stored [K, columns] (NN) rather than [columns, K] (NT).
template <Rows kMode>
constexpr bool kBColumns = kMode == Rows::BackDown || kMode == Rows::BackInput;

template <typename T, Rows kMode>
__global__ void __launch_bounds__(kThreads) rowGemmKernel(RowGemm<T> g) {
  if (int(blockIdx.x) >= *g.scheduled)
    return; // past the routing's row tiles (the grid is sized for any)
  const int4 tile = g.schedule[blockIdx.x];
  const int64_t expert = tile.x, rowBegin = tile.y;
  const int64_t rowEnd = min(tile.y + kTile, tile.z);
  const int64_t columnBase = int64_t(blockIdx.y) * kTile;

  __shared__ T As[kSlab * kLd];
  __shared__ T Bs[kTwoB<kMode> ? 2 : 1][kSlab * kLd];
  T acc0[4][4], acc1[4][4];
  zeroTile(acc0);
  zeroTile(acc1);

  // BackInput sums two products (dG·gate + dU·up): two passes over K.
  constexpr int passes = kMode == Rows::BackInput ? 2 : 1;
  for (int pass = 0; pass < passes; ++pass) {
    KRowsLoader<T> a;
    for (int i = 0; i < 4; ++i) {
      const int64_t r = rowBegin + a.rowOf(i);
      a.row[i] = nullptr;
      if (r < rowEnd)
        a.row[i] = g.a[pass] + (g.aRows ? int64_t(g.aRows[r]) : r) * g.lda;
    }
    // B is the expert's [columns, K] matrix (one or two: gate and up) or
    // its [K, columns] one.
    constexpr int bCount = kTwoB<kMode> ? 2 : 1;
    KRowsLoader<T> bRows[bCount];
    ColsLoader<T> bColumns[1];
    if constexpr (kBColumns<kMode>) {
      bColumns[0].init(g.b[pass] + expert * g.bStride, g.ldb, nullptr,
                       columnBase, g.columns);
    } else {
      for (int q = 0; q < bCount; ++q)
        for (int i = 0; i < 4; ++i) {
          const int64_t c = columnBase + bRows[q].rowOf(i);
          bRows[q].row[i] =
              c < g.columns ? g.b[q] + expert * g.bStride + c * g.ldb : nullptr;
        }
    }
    auto fetch = [&](int64_t k0) {
      a.fetch(k0, g.K);
      if constexpr (kBColumns<kMode>)
        bColumns[0].fetch(k0, g.K);
      else
        for (int q = 0; q < bCount; ++q)
          bRows[q].fetch(k0, g.K);
    };

    const int64_t slabs = (g.K + kSlab - 1) / kSlab;
    fetch(0);
    for (int64_t s = 0; s < slabs; ++s) {
      a.stash(As);
      if constexpr (kBColumns<kMode>)
        bColumns[0].stash(Bs[0]);
      else
        for (int q = 0; q < bCount; ++q)
          bRows[q].stash(Bs[q]);
      __syncthreads();
      if (s + 1 < slabs) // the next slab's loads overlap the products
        fetch((s + 1) * kSlab);
      multiplySlab<T, kTwoB<kMode>>(As, Bs[0], Bs[kTwoB<kMode> ? 1 : 0], acc0,
                                    acc1);
      __syncthreads();
    }
  }

  const int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const int64_t r = rowBegin + ty + 16 * i;
    const bool rowOk = r < rowEnd;
    T weight = T(0), dot = T(0);
    if constexpr (kMode == Rows::BackDown)
      weight = rowOk ? g.w[g.rowPair[r]] : T(0);
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      const int64_t c = columnBase + tx + 16 * j;
      if (!rowOk || c >= g.columns)
        continue;
      const int64_t o = r * g.ldo + c;
      if constexpr (kMode == Rows::SwiGlu) {
        const T z = acc0[i][j];
        g.out[0][o] = z * sigmoidOf(z) * acc1[i][j];
      } else if constexpr (kMode == Rows::GateUp) {
        g.out[0][o] = acc0[i][j];
        g.out[1][o] = acc1[i][j];
      } else if constexpr (kMode == Rows::BackDown) {
        // out = {G → dG, U → dU, Hw}, in place: each element is this
        // thread's alone.
        const T z = g.out[0][o], u = g.out[1][o], t = acc0[i][j];
        const T sig = sigmoidOf(z), silu = z * sig;
        const T h = silu * u, dh = weight * t;
        g.out[0][o] = dh * u * (sig * (T(1) + z * (T(1) - sig)));
        g.out[1][o] = dh * silu;
        g.out[2][o] = weight * h;
        dot += t * h;
      } else { // Down, BackInput
        g.out[0][o] = acc0[i][j];
      }
    }
    if constexpr (kMode == Rows::BackDown) {
      // The row's share of <T, h> over this tile's columns: the 16 lanes
      // with this ty hold it (a half warp); fixed-order shuffles.
      for (int offset = 8; offset > 0; offset /= 2)
        dot += __shfl_xor_sync(0xffffffffu, dot, offset);
      if (tx == 0 && rowOk)
        g.partial[r * gridDim.y + blockIdx.y] = dot;
    }
  }
}

//===-- Grouped weight-gradient GEMMs -------------------------------------===//

/// C_e[m, n] = Σ over expert e's rows r of A[r, m]·B[r, n] (and, with two
/// A, C1_e from A1 with the same B). One block per 64×64 tile of one
/// expert's C loops over all the expert's rows: no atomics, and experts
/// without rows get their zeros.
template <typename T> struct WeightGrad {
  const int *offsets;
  const T *a[2];
  int64_t lda;
  const int *aRows; // memory row of each row, null: the row itself
  const T *b;
  int64_t ldb;
  const int *bRows;
  int64_t M, N;
  T *out[2]; // expert e's C at out + e·M·N, [M, N]
};

template <typename T, bool kTwoA>
__global__ void __launch_bounds__(kThreads) weightGradKernel(WeightGrad<T> g) {
  const int64_t expert = blockIdx.z;
  const int64_t rowBegin = g.offsets[expert], rowEnd = g.offsets[expert + 1];
  const int64_t mBase = int64_t(blockIdx.y) * kTile;
  const int64_t nBase = int64_t(blockIdx.x) * kTile;

  __shared__ T As[kTwoA ? 2 : 1][kSlab * kLd];
  __shared__ T Bs[kSlab * kLd];
  T acc0[4][4], acc1[4][4];
  zeroTile(acc0);
  zeroTile(acc1);

  ColsLoader<T> a[kTwoA ? 2 : 1], b;
  for (int q = 0; q < (kTwoA ? 2 : 1); ++q)
    a[q].init(g.a[q], g.lda, g.aRows, mBase, g.M);
  b.init(g.b, g.ldb, g.bRows, nBase, g.N);
  auto fetch = [&](int64_t r0) {
    for (int q = 0; q < (kTwoA ? 2 : 1); ++q)
      a[q].fetch(r0, rowEnd);
    b.fetch(r0, rowEnd);
  };

  fetch(rowBegin);
  for (int64_t r0 = rowBegin; r0 < rowEnd; r0 += kSlab) {
    for (int q = 0; q < (kTwoA ? 2 : 1); ++q)
      a[q].stash(As[q]);
    b.stash(Bs);
    __syncthreads();
    if (r0 + kSlab < rowEnd)
      fetch(r0 + kSlab);
    if constexpr (kTwoA)
      multiplySlabTwoA(As[0], As[1], Bs, acc0, acc1);
    else
      multiplySlab<T, false>(As[0], Bs, Bs, acc0, acc1);
    __syncthreads();
  }

  const int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
  const int64_t base = expert * g.M * g.N;
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const int64_t m = mBase + ty + 16 * i;
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      const int64_t n = nBase + tx + 16 * j;
      if (m >= g.M || n >= g.N)
        continue;
      g.out[0][base + m * g.N + n] = acc0[i][j];
      if constexpr (kTwoA)
        g.out[1][base + m * g.N + n] = acc1[i][j];
    }
  }
}

//===-- Combines ----------------------------------------------------------===//

/// out[n] = Σ_k (w[n,k] ·) rows[row(n,k)] in k order (w null: unweighted);
/// zeros for a token without rows.
template <typename T>
__global__ void combineKernel(const T *__restrict__ rows,
                              const int *__restrict__ slotOf,
                              const T *__restrict__ w, T *__restrict__ out,
                              int64_t N, int64_t K, int64_t D) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < N * D;
       i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t n = i / D, d = i % D;
    T sum = T(0);
    for (int64_t k = 0; k < K; ++k) {
      const int slot = slotOf[n * K + k];
      if (slot < 0)
        continue;
      const T y = rows[int64_t(slot) * D + d];
      sum += w ? w[n * K + k] * y : y;
    }
    out[i] = sum;
  }
}

/// dw[p] = the sum of its row's partials in column-tile order; 0 without
/// a row.
template <typename T>
__global__ void dwKernel(const T *__restrict__ partial, int64_t tiles,
                         const int *__restrict__ slotOf, T *__restrict__ dw,
                         int64_t P) {
  for (int64_t p = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; p < P;
       p += int64_t(gridDim.x) * blockDim.x) {
    const int slot = slotOf[p];
    T sum = T(0);
    if (slot >= 0)
      for (int64_t t = 0; t < tiles; ++t)
        sum += partial[int64_t(slot) * tiles + t];
    dw[p] = sum;
  }
}

//===-- Host side ---------------------------------------------------------===//

/// Blocks of 256 for a grid-stride loop over `count` elements.
unsigned elementBlocks(int64_t count) {
  const int64_t blocks = (count + 255) / 256;
  return unsigned(blocks < 1 ? 1 : blocks > (1 << 20) ? (1 << 20) : blocks);
}

int64_t tilesOf(int64_t n) { return (n + kTile - 1) / kTile; }

/// One stream-ordered allocation carved into 256-byte aligned pieces,
/// freed (stream-ordered) when the call has queued its work.
class Scratch {
public:
  template <typename T> size_t reserve(int64_t count) {
    const size_t offset = bytes_;
    bytes_ += (sizeof(T) * size_t(count) + 255) / 256 * 256;
    return offset;
  }
  bool allocate(const char *name, cudaStream_t stream) {
    stream_ = stream;
    const cudaError_t error =
        cudaMallocAsync(reinterpret_cast<void **>(&base_), bytes_, stream);
    if (error == cudaSuccess)
      return true;
    cudaGetLastError(); // reported here, not by the next launch check
    base_ = nullptr;
    recordError(name, "cannot allocate " + std::to_string(bytes_) +
                          " bytes of scratch: " + cudaGetErrorString(error));
    return false;
  }
  template <typename T> T *at(size_t offset) const {
    return reinterpret_cast<T *>(base_ + offset);
  }
  ~Scratch() {
    if (base_)
      cudaFreeAsync(base_, stream_);
  }

private:
  size_t bytes_ = 0;
  char *base_ = nullptr;
  cudaStream_t stream_ = nullptr;
};

bool zero(const char *name, void *data, int64_t bytes, cudaStream_t stream) {
  if (bytes <= 0)
    return true;
  const cudaError_t error = cudaMemsetAsync(data, 0, size_t(bytes), stream);
  if (error == cudaSuccess)
    return true;
  cudaGetLastError();
  recordError(name,
              std::string("cudaMemsetAsync: ") + cudaGetErrorString(error));
  return false;
}

/// The dispatch's buffers (MoeCommon.cuh) and its launches.
struct Dispatch {
  int64_t P, pairTiles, rowTiles; // rowTiles: the most any routing needs
  size_t slotOf, rowToken, rowPair, tileCounts, offsets, schedule, scheduled;
  int *slotOfPtr, *rowTokenPtr, *rowPairPtr, *offsetsPtr, *scheduledPtr;
  int4 *schedulePtr;

  Dispatch(Scratch &scratch, int64_t N, int64_t K, int64_t E) {
    P = N * K;
    pairTiles = (P + kPairTile - 1) / kPairTile;
    // Σ_e ceil(rows_e / 64) ≤ P / 64 + (experts with rows).
    rowTiles = P / kTile + (E < P ? E : P);
    slotOf = scratch.reserve<int>(P);
    rowToken = scratch.reserve<int>(P);
    rowPair = scratch.reserve<int>(P);
    tileCounts = scratch.reserve<int>(E * pairTiles);
    offsets = scratch.reserve<int>(E + 1);
    schedule = scratch.reserve<int4>(rowTiles);
    scheduled = scratch.reserve<int>(1);
  }

  bool run(const char *name, Scratch &scratch, cudaStream_t stream,
           ds_status *status, int32_t site, const int64_t *idx, int64_t K,
           int64_t E) {
    slotOfPtr = scratch.at<int>(slotOf);
    rowTokenPtr = scratch.at<int>(rowToken);
    rowPairPtr = scratch.at<int>(rowPair);
    offsetsPtr = scratch.at<int>(offsets);
    schedulePtr = scratch.at<int4>(schedule);
    scheduledPtr = scratch.at<int>(scheduled);
    int *counts = scratch.at<int>(tileCounts);
    if (!zero(name, counts, int64_t(sizeof(int)) * E * pairTiles, stream))
      return false;
    rankPairs<<<unsigned(pairTiles), kPairTile, 0, stream>>>(
        status, site, idx, P, E, pairTiles, slotOfPtr, counts);
    if (!checkLaunch(name))
      return false;
    scanCounts<<<1, 1024, 0, stream>>>(counts, pairTiles, E, offsetsPtr,
                                       schedulePtr, scheduledPtr);
    if (!checkLaunch(name))
      return false;
    placePairs<<<unsigned(pairTiles), kPairTile, 0, stream>>>(
        idx, P, K, counts, pairTiles, offsetsPtr, slotOfPtr, rowTokenPtr,
        rowPairPtr);
    return checkLaunch(name);
  }
};

/// The sizes a launch can take: rows and row tiles in int, column tiles in
/// grid.y, experts in grid.z.
bool sizesFit(const char *name, int64_t N, int64_t D, int64_t K, int64_t E,
              int64_t I) {
  const bool fit = N <= INT_MAX && K <= INT_MAX && N * K <= INT_MAX / 2 &&
                   E <= 65535 && tilesOf(D) <= 65535 && tilesOf(I) <= 65535;
  if (!fit)
    recordError(name,
                "sizes out of range: N=" + std::to_string(N) +
                    " D=" + std::to_string(D) + " K=" + std::to_string(K) +
                    " E=" + std::to_string(E) + " I=" + std::to_string(I));
  return fit;
}

bool negative(const char *name, int64_t N, int64_t D, int64_t K, int64_t E,
              int64_t I) {
  if (N >= 0 && D >= 0 && K >= 0 && E >= 0 && I >= 0)
    return false;
  recordError(name, "negative size");
  return true;
}

template <typename T, Rows kMode>
bool launchRows(const char *name, cudaStream_t stream, const Dispatch &d,
                RowGemm<T> g) {
  g.schedule = d.schedulePtr;
  g.scheduled = d.scheduledPtr;
  const dim3 grid(unsigned(d.rowTiles), unsigned(tilesOf(g.columns)));
  rowGemmKernel<T, kMode><<<grid, kThreads, 0, stream>>>(g);
  return checkLaunch(name);
}

template <typename T>
void moeFfn(const char *name, ds_status *status, int32_t site, const T *x,
            const T *w, const int64_t *idx, const T *gate, const T *up,
            const T *down, T *out, int64_t N, int64_t D, int64_t K, int64_t E,
            int64_t I) {
  if (negative(name, N, D, K, E, I) || N == 0 || D == 0)
    return;
  cudaStream_t stream = currentStream();
  if (K == 0 || E == 0) {
    zero(name, out, int64_t(sizeof(T)) * N * D, stream);
    return;
  }
  if (!sizesFit(name, N, D, K, E, I))
    return;
  Scratch scratch;
  Dispatch d(scratch, N, K, E);
  const size_t H = scratch.reserve<T>(d.P * I), Y = scratch.reserve<T>(d.P * D);
  if (!scratch.allocate(name, stream) ||
      !d.run(name, scratch, stream, status, site, idx, K, E))
    return;
  if (I == 0) { // every expert outputs zeros
    zero(name, out, int64_t(sizeof(T)) * N * D, stream);
    return;
  }
  RowGemm<T> g{};
  g.a[0] = x, g.lda = D, g.aRows = d.rowTokenPtr;
  g.b[0] = gate, g.b[1] = up, g.ldb = D, g.bStride = I * D;
  g.K = D, g.columns = I, g.out[0] = scratch.at<T>(H), g.ldo = I;
  if (!launchRows<T, Rows::SwiGlu>(name, stream, d, g))
    return;
  g = RowGemm<T>{};
  g.a[0] = scratch.at<T>(H), g.lda = I;
  g.b[0] = down, g.ldb = I, g.bStride = D * I;
  g.K = I, g.columns = D, g.out[0] = scratch.at<T>(Y), g.ldo = D;
  if (!launchRows<T, Rows::Down>(name, stream, d, g))
    return;
  combineKernel<T><<<elementBlocks(N * D), 256, 0, stream>>>(
      scratch.at<T>(Y), d.slotOfPtr, w, out, N, K, D);
  checkLaunch(name);
}

template <typename T>
void moeFfnGrad(const char *name, ds_status *status, int32_t site, const T *x,
                const T *w, const int64_t *idx, const T *gate, const T *up,
                const T *down, const T *dy, T *dx, T *dw, T *dgate, T *dup,
                T *ddown, int64_t N, int64_t D, int64_t K, int64_t E,
                int64_t I) {
  if (negative(name, N, D, K, E, I))
    return;
  cudaStream_t stream = currentStream();
  if (N == 0 || D == 0 || K == 0 || E == 0 || I == 0) {
    // Outputs start from zero; bad indices are still reported.
    const int64_t s = sizeof(T);
    if (!zero(name, dx, s * N * D, stream) ||
        !zero(name, dw, s * N * K, stream) ||
        !zero(name, dgate, s * E * I * D, stream) ||
        !zero(name, dup, s * E * I * D, stream) ||
        !zero(name, ddown, s * E * D * I, stream))
      return;
    if (N > 0 && K > 0 && E > 0) {
      checkIndices<<<elementBlocks(N * K), 256, 0, stream>>>(status, site, idx,
                                                             N * K, E);
      checkLaunch(name);
    }
    return;
  }
  if (!sizesFit(name, N, D, K, E, I))
    return;
  Scratch scratch;
  Dispatch d(scratch, N, K, E);
  const int64_t P = d.P, columnTiles = tilesOf(I);
  const size_t G = scratch.reserve<T>(P * I), U = scratch.reserve<T>(P * I),
               Hw = scratch.reserve<T>(P * I),
               partial = scratch.reserve<T>(P * columnTiles),
               dX = scratch.reserve<T>(P * D);
  if (!scratch.allocate(name, stream) ||
      !d.run(name, scratch, stream, status, site, idx, K, E))
    return;

  // G, U = X·gate_eᵀ, X·up_eᵀ.
  RowGemm<T> g{};
  g.a[0] = x, g.lda = D, g.aRows = d.rowTokenPtr;
  g.b[0] = gate, g.b[1] = up, g.ldb = D, g.bStride = I * D;
  g.K = D, g.columns = I, g.ldo = I;
  g.out[0] = scratch.at<T>(G), g.out[1] = scratch.at<T>(U);
  if (!launchRows<T, Rows::GateUp>(name, stream, d, g))
    return;
  // T = dY·down_e; G, U become dG, dU; Hw; dw partials.
  g = RowGemm<T>{};
  g.a[0] = dy, g.lda = D, g.aRows = d.rowTokenPtr;
  g.b[0] = down, g.ldb = I, g.bStride = D * I;
  g.K = D, g.columns = I, g.ldo = I;
  g.out[0] = scratch.at<T>(G), g.out[1] = scratch.at<T>(U);
  g.out[2] = scratch.at<T>(Hw);
  g.w = w, g.rowPair = d.rowPairPtr, g.partial = scratch.at<T>(partial);
  if (!launchRows<T, Rows::BackDown>(name, stream, d, g))
    return;
  // ddown_e = dYᵀ·Hw: [D, I] per expert.
  WeightGrad<T> wg{};
  wg.offsets = d.offsetsPtr;
  wg.a[0] = dy, wg.lda = D, wg.aRows = d.rowTokenPtr;
  wg.b = scratch.at<T>(Hw), wg.ldb = I;
  wg.M = D, wg.N = I, wg.out[0] = ddown;
  weightGradKernel<T, false>
      <<<dim3(unsigned(tilesOf(I)), unsigned(tilesOf(D)), unsigned(E)),
         kThreads, 0, stream>>>(wg);
  if (!checkLaunch(name))
    return;
  // dgate_e, dup_e = dGᵀ·X, dUᵀ·X: [I, D] per expert.
  wg = WeightGrad<T>{};
  wg.offsets = d.offsetsPtr;
  wg.a[0] = scratch.at<T>(G), wg.a[1] = scratch.at<T>(U), wg.lda = I;
  wg.b = x, wg.ldb = D, wg.bRows = d.rowTokenPtr;
  wg.M = I, wg.N = D, wg.out[0] = dgate, wg.out[1] = dup;
  weightGradKernel<T, true>
      <<<dim3(unsigned(tilesOf(D)), unsigned(tilesOf(I)), unsigned(E)),
         kThreads, 0, stream>>>(wg);
  if (!checkLaunch(name))
    return;
  // dX = dG·gate_e + dU·up_e.
  g = RowGemm<T>{};
  g.a[0] = scratch.at<T>(G), g.a[1] = scratch.at<T>(U), g.lda = I;
  g.b[0] = gate, g.b[1] = up, g.ldb = D, g.bStride = I * D;
  g.K = I, g.columns = D, g.out[0] = scratch.at<T>(dX), g.ldo = D;
  if (!launchRows<T, Rows::BackInput>(name, stream, d, g))
    return;
  combineKernel<T><<<elementBlocks(N * D), 256, 0, stream>>>(
      scratch.at<T>(dX), d.slotOfPtr, nullptr, dx, N, K, D);
  if (!checkLaunch(name))
    return;
  dwKernel<T><<<elementBlocks(P), 256, 0, stream>>>(
      scratch.at<T>(partial), columnTiles, d.slotOfPtr, dw, P);
  checkLaunch(name);
}

} // namespace

extern "C" void ds_cuda_moe_ffn_f32(ds_status *status, int32_t site,
                                    const float *x, const float *w,
                                    const int64_t *idx, const float *gate,
                                    const float *up, const float *down,
                                    float *out, int64_t N, int64_t D, int64_t K,
                                    int64_t E, int64_t I) {
  moeFfn("ds_cuda_moe_ffn_f32", status, site, x, w, idx, gate, up, down, out, N,
         D, K, E, I);
}

extern "C" void ds_cuda_moe_ffn_f64(ds_status *status, int32_t site,
                                    const double *x, const double *w,
                                    const int64_t *idx, const double *gate,
                                    const double *up, const double *down,
                                    double *out, int64_t N, int64_t D,
                                    int64_t K, int64_t E, int64_t I) {
  moeFfn("ds_cuda_moe_ffn_f64", status, site, x, w, idx, gate, up, down, out, N,
         D, K, E, I);
}

extern "C" void ds_cuda_moe_ffn_grad_f32(
    ds_status *status, int32_t site, const float *x, const float *w,
    const int64_t *idx, const float *gate, const float *up, const float *down,
    const float *dy, float *dx, float *dw, float *dgate, float *dup,
    float *ddown, int64_t N, int64_t D, int64_t K, int64_t E, int64_t I) {
  moeFfnGrad("ds_cuda_moe_ffn_grad_f32", status, site, x, w, idx, gate, up,
             down, dy, dx, dw, dgate, dup, ddown, N, D, K, E, I);
}

extern "C" void ds_cuda_moe_ffn_grad_f64(ds_status *status, int32_t site,
                                         const double *x, const double *w,
                                         const int64_t *idx, const double *gate,
                                         const double *up, const double *down,
                                         const double *dy, double *dx,
                                         double *dw, double *dgate, double *dup,
                                         double *ddown, int64_t N, int64_t D,
                                         int64_t K, int64_t E, int64_t I) {
  moeFfnGrad("ds_cuda_moe_ffn_grad_f64", status, site, x, w, idx, gate, up,
             down, dy, dx, dw, dgate, dup, ddown, N, D, K, E, I);
}
