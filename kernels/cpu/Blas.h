//===- Blas.h - typed CBLAS GEMM for the kernels ----------------*- C++ -*-===//
//
// Internal to kernels/cpu. One overloaded name for sgemm and dgemm so that
// the kernels are templates over the element type. Row-major throughout.
//
// Threads: the kernels' OpenMP threads are the only pool. OpenBLAS (the
// pthread build Debian ships) would otherwise run a second pool of its own,
// and on a small machine the two pools' idle spinning steals each other's
// cores (a third of a 10M-parameter train step went to spinning and
// sched_yield). So OpenBLAS runs single-threaded and `gemm` splits a large
// product into column (or row) panels, one OpenBLAS call per OpenMP thread.
// `serialGemm` is the one to call inside a parallel region.
//
//===----------------------------------------------------------------------===//

#ifndef DS_KERNELS_CPU_BLAS_H
#define DS_KERNELS_CPU_BLAS_H

#include "kernels/cpu/Tile.h"

#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <cstdint>

namespace ds::kernels {

/// C[M×N] = alpha·op(A)·op(B) + beta·C with leading dimensions lda, ldb, ldc,
/// on the calling thread.
inline void serialGemm(bool transA, bool transB, int64_t M, int64_t N,
                       int64_t K, float alpha, const float *A, int64_t lda,
                       const float *B, int64_t ldb, float beta, float *C,
                       int64_t ldc) {
  cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans,
              transB ? CblasTrans : CblasNoTrans, blasint(M), blasint(N),
              blasint(K), alpha, A, blasint(lda), B, blasint(ldb), beta, C,
              blasint(ldc));
}
inline void serialGemm(bool transA, bool transB, int64_t M, int64_t N,
                       int64_t K, double alpha, const double *A, int64_t lda,
                       const double *B, int64_t ldb, double beta, double *C,
                       int64_t ldc) {
  cblas_dgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans,
              transB ? CblasTrans : CblasNoTrans, blasint(M), blasint(N),
              blasint(K), alpha, A, blasint(lda), B, blasint(ldb), beta, C,
              blasint(ldc));
}

/// Makes OpenBLAS single-threaded, once per process (see the file comment).
void useSingleThreadedBlas();

/// The same product on all OpenMP threads: C is cut into panels of whole
/// columns (rows when C is tall and narrow), each an independent serial
/// product. Small products stay on the calling thread, where a fork/join
/// would cost more than it saves.
/// Products of at most this many rows (a decoding step: one row per
/// sequence) skip OpenBLAS: it would pack all of B, reading and writing it
/// once more, for a product that uses each element of B only M times. The
/// register tiles of Tile.h stream B once instead.
inline constexpr int64_t kSkinnyRows = 16;

/// C[M×N] += A[M×K]·B[K×N] for few rows: B's rows stream past once, in
/// chunks of columns whose C block (M × 256) stays in L1, four rows of B at
/// a time so that each load and store of C carries four FMAs.
template <typename T>
void skinnyAccumulate(int64_t M, int64_t N, int64_t K, const T *A, int64_t lda,
                      const T *B, int64_t ldb, T *C, int64_t ldc) {
  constexpr int64_t kChunk = 256;
  for (int64_t j0 = 0; j0 < N; j0 += kChunk) {
    const int64_t width = std::min(kChunk, N - j0);
    int64_t kk = 0;
    for (; kk + 4 <= K; kk += 4) {
      const T *b0 = B + kk * ldb + j0, *b1 = b0 + ldb, *b2 = b1 + ldb,
              *b3 = b2 + ldb;
      for (int64_t r = 0; r < M; ++r) {
        const T *a = A + r * lda + kk;
        const T a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3];
        T *c = C + r * ldc + j0;
#pragma omp simd
        for (int64_t j = 0; j < width; ++j)
          c[j] += a0 * b0[j] + a1 * b1[j] + a2 * b2[j] + a3 * b3[j];
      }
    }
    for (; kk < K; ++kk) {
      const T *b = B + kk * ldb + j0;
      for (int64_t r = 0; r < M; ++r) {
        const T a = A[r * lda + kk];
        T *c = C + r * ldc + j0;
#pragma omp simd
        for (int64_t j = 0; j < width; ++j)
          c[j] += a * b[j];
      }
    }
  }
}

/// C[M×N] = A·op(B) for M <= kSkinnyRows, columns [begin, begin + size).
template <typename T>
void skinnyGemmPanel(bool transB, int64_t M, int64_t begin, int64_t size,
                     int64_t K, const T *A, int64_t lda, const T *B,
                     int64_t ldb, T *C, int64_t ldc) {
  for (int64_t r = 0; r < M; ++r)
    std::fill(C + r * ldc + begin, C + r * ldc + begin + size, T(0));
  if (transB)
    gemmNTAccumulate(M, size, K, A, lda, B + begin * ldb, ldb, C + begin, ldc);
  else
    skinnyAccumulate(M, size, K, A, lda, B + begin, ldb, C + begin, ldc);
}

template <typename T>
void gemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, T alpha,
          const T *A, int64_t lda, const T *B, int64_t ldb, T beta, T *C,
          int64_t ldc) {
  useSingleThreadedBlas();
  constexpr int64_t kMinParallelFlops = int64_t(1) << 21;
  const int64_t threads = omp_in_parallel() ? 1 : omp_get_max_threads();
  if (!transA && M <= kSkinnyRows && alpha == T(1) && beta == T(0)) {
    if (threads <= 1 || M * N * K < kMinParallelFlops) {
      skinnyGemmPanel(transB, M, 0, N, K, A, lda, B, ldb, C, ldc);
      return;
    }
    const int64_t panel = (N / threads + 15) / 16 * 16;
#pragma omp parallel for schedule(static) num_threads(threads)
    for (int64_t begin = 0; begin < N; begin += panel)
      skinnyGemmPanel(transB, M, begin, std::min(panel, N - begin), K, A, lda,
                      B, ldb, C, ldc);
    return;
  }
  if (threads <= 1 || M * N * K < kMinParallelFlops) {
    serialGemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    return;
  }
  // Each thread packs the whole operand it does not split: cutting columns
  // repacks A (M×K) per thread, cutting rows repacks B (K×N), so cut the
  // dimension whose other operand is smaller. Panels are multiples of the
  // micro-kernel's width, so that no panel ends in a ragged edge the other
  // panels do not have.
  const bool byColumns = N >= M;
  const int64_t extent = byColumns ? N : M;
  const int64_t quantum = 16;
  const int64_t panel =
      (extent / threads + quantum - 1) / quantum * quantum;
#pragma omp parallel for schedule(static) num_threads(threads)
  for (int64_t begin = 0; begin < extent; begin += panel) {
    const int64_t size = std::min(panel, extent - begin);
    if (byColumns) {
      const T *Bp = transB ? B + begin * ldb : B + begin;
      serialGemm(transA, transB, M, size, K, alpha, A, lda, Bp, ldb, beta,
                 C + begin, ldc);
    } else {
      const T *Ap = transA ? A + begin : A + begin * lda;
      serialGemm(transA, transB, size, N, K, alpha, Ap, lda, B, ldb, beta,
                 C + begin * ldc, ldc);
    }
  }
}

} // namespace ds::kernels

#endif // DS_KERNELS_CPU_BLAS_H
