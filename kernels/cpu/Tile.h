//===- Tile.h - small GEMMs on one thread's blocks --------------*- C++ -*-===//
//
// Internal to kernels/cpu. Attention works on blocks (a few dozen queries
// against their visible keys) and MoE on experts with a few dozen tokens,
// from inside OpenMP regions, where OpenBLAS may not be called (Blas.h), and
// at sizes where OpenBLAS's packing of its operands costs more than the
// product. These loops do those products instead. They are written so that
// clang keeps a small accumulator tile in registers: gemmTile streams B's
// rows with no horizontal sums (one broadcast and two vector loads per
// eight FMAs); dotTile reads both operands along K, for a B stored
// transposed.
//
//===----------------------------------------------------------------------===//

#ifndef DS_KERNELS_CPU_TILE_H
#define DS_KERNELS_CPU_TILE_H

#include <algorithm>
#include <cstdint>

namespace ds::kernels {

/// Columns of one register tile: two 256-bit vectors (16 floats, 8 doubles).
template <typename T> inline constexpr int kTileCols = 64 / sizeof(T);
/// Rows of one register tile: 6 rows × 2 vectors is 12 accumulators, plus
/// two vectors of B and a broadcast, which fills AVX2's 16 registers and
/// hides the FMA latency (4 rows left the FMA units idle a third of the
/// time).
inline constexpr int kTileRows = 6;

/// C[R×W] += A[R×K]·B[K×W], A(r, kk) at A[r*lda + kk], B's row kk at
/// B + kk*ldb (contiguous over the W columns), C's row r at C + r*ldc.
template <typename T, int R, int W>
inline void gemmTile(int64_t K, const T *A, int64_t lda, const T *B,
                     int64_t ldb, T *C, int64_t ldc) {
  T acc[R][W] = {};
  for (int64_t kk = 0; kk < K; ++kk) {
    const T *b = B + kk * ldb;
    for (int r = 0; r < R; ++r) {
      const T a = A[r * lda + kk];
      for (int c = 0; c < W; ++c)
        acc[r][c] += a * b[c];
    }
  }
  for (int r = 0; r < R; ++r)
    for (int c = 0; c < W; ++c)
      C[r * ldc + c] += acc[r][c];
}

/// One band of R rows: full tiles, then half-width tiles, then columns.
template <typename T, int R>
inline void gemmBand(int64_t N, int64_t K, const T *A, int64_t lda, const T *B,
                     int64_t ldb, T *C, int64_t ldc) {
  constexpr int W = kTileCols<T>, H = W / 2;
  int64_t j = 0;
  for (; j + W <= N; j += W)
    gemmTile<T, R, W>(K, A, lda, B + j, ldb, C + j, ldc);
  for (; j + H <= N; j += H)
    gemmTile<T, R, H>(K, A, lda, B + j, ldb, C + j, ldc);
  for (; j < N; ++j)
    gemmTile<T, R, 1>(K, A, lda, B + j, ldb, C + j, ldc);
}

/// C[M×N] += A[M×K]·B[K×N], all row-major with leading dimensions.
template <typename T>
void gemmAccumulate(int64_t M, int64_t N, int64_t K, const T *A, int64_t lda,
                    const T *B, int64_t ldb, T *C, int64_t ldc) {
  int64_t i = 0;
  for (; i + kTileRows <= M; i += kTileRows)
    gemmBand<T, kTileRows>(N, K, A + i * lda, lda, B, ldb, C + i * ldc, ldc);
  // The last few rows in bands as wide as they allow.
  if (i + 4 <= M) {
    gemmBand<T, 4>(N, K, A + i * lda, lda, B, ldb, C + i * ldc, ldc);
    i += 4;
  }
  if (i + 2 <= M) {
    gemmBand<T, 2>(N, K, A + i * lda, lda, B, ldb, C + i * ldc, ldc);
    i += 2;
  }
  if (i < M)
    gemmBand<T, 1>(N, K, A + i * lda, lda, B, ldb, C + i * ldc, ldc);
}

/// C[R×Cn] += A[R×K]·B[Cn×K]ᵀ, rows of A and B contiguous over K: R·Cn
/// dot products at once, each in a vector of partial sums that is reduced
/// once at the end. For products whose right-hand side is a weight matrix
/// stored [out, in] (an expert's gate, up and down), read in place.
template <typename T, int R, int Cn>
inline void dotTile(int64_t K, const T *A, int64_t lda, const T *B, int64_t ldb,
                    T *C, int64_t ldc) {
  constexpr int V = 32 / sizeof(T); // one 256-bit vector of partial sums
  T acc[R][Cn][V] = {};
  int64_t k = 0;
  for (; k + V <= K; k += V)
    for (int r = 0; r < R; ++r)
      for (int c = 0; c < Cn; ++c)
        for (int l = 0; l < V; ++l)
          acc[r][c][l] += A[r * lda + k + l] * B[c * ldb + k + l];
  for (int r = 0; r < R; ++r)
    for (int c = 0; c < Cn; ++c) {
      T sum = 0;
      for (int l = 0; l < V; ++l)
        sum += acc[r][c][l];
      for (int64_t kk = k; kk < K; ++kk)
        sum += A[r * lda + kk] * B[c * ldb + kk];
      C[r * ldc + c] += sum;
    }
}

/// C[M×N] += A[M×K]·B[N×K]ᵀ. K is cut into chunks so that A's chunk stays
/// in L2 while every pair of B's rows streams past it once.
template <typename T>
void gemmNTAccumulate(int64_t M, int64_t N, int64_t K, const T *A, int64_t lda,
                      const T *B, int64_t ldb, T *C, int64_t ldc) {
  constexpr int64_t kChunk = 512;
  for (int64_t k0 = 0; k0 < K; k0 += kChunk) {
    const int64_t kc = std::min(kChunk, K - k0);
    const T *a = A + k0, *b = B + k0;
    int64_t c = 0;
    for (; c + 2 <= N; c += 2) {
      int64_t r = 0;
      for (; r + 4 <= M; r += 4) // 8 accumulators: the sums need the rest
        dotTile<T, 4, 2>(kc, a + r * lda, lda, b + c * ldb, ldb,
                         C + r * ldc + c, ldc);
      for (; r < M; ++r)
        dotTile<T, 1, 2>(kc, a + r * lda, lda, b + c * ldb, ldb,
                         C + r * ldc + c, ldc);
    }
    for (; c < N; ++c)
      for (int64_t r = 0; r < M; ++r)
        dotTile<T, 1, 1>(kc, a + r * lda, lda, b + c * ldb, ldb,
                         C + r * ldc + c, ldc);
  }
}

/// dst[c*ldd + r] = src[r*lds + c] for an R×C block: the transposes that
/// turn Aᵀ·B products into the A·B form gemmAccumulate streams.
template <typename T>
void transposeBlock(int64_t rows, int64_t cols, const T *src, int64_t lds,
                    T *dst, int64_t ldd) {
  constexpr int64_t kBlock = 16; // stay within a few cache lines each way
  for (int64_t r0 = 0; r0 < rows; r0 += kBlock)
    for (int64_t c0 = 0; c0 < cols; c0 += kBlock) {
      const int64_t r1 = std::min(rows, r0 + kBlock);
      const int64_t c1 = std::min(cols, c0 + kBlock);
      for (int64_t r = r0; r < r1; ++r)
        for (int64_t c = c0; c < c1; ++c)
          dst[c * ldd + r] = src[r * lds + c];
    }
}

} // namespace ds::kernels

#endif // DS_KERNELS_CPU_TILE_H
