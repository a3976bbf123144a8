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
template <typename T>
void gemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, T alpha,
          const T *A, int64_t lda, const T *B, int64_t ldb, T beta, T *C,
          int64_t ldc) {
  useSingleThreadedBlas();
  constexpr int64_t kMinParallelFlops = int64_t(1) << 21;
  const int64_t threads = omp_in_parallel() ? 1 : omp_get_max_threads();
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
