//===- Blas.h - typed CBLAS GEMM for the kernels ----------------*- C++ -*-===//
//
// Internal to kernels/cpu. One overloaded name for sgemm and dgemm so that
// the kernels are templates over the element type. Row-major throughout.
// Never call it inside an OpenMP parallel region: OpenBLAS (the pthread
// build Debian ships) runs its own thread pool, and two pools stepping on
// each other's cores is far slower than either alone.
//
//===----------------------------------------------------------------------===//

#ifndef DS_KERNELS_CPU_BLAS_H
#define DS_KERNELS_CPU_BLAS_H

#include <cblas.h>

#include <cstdint>

namespace ds::kernels {

/// C[M×N] = alpha·op(A)·op(B) + beta·C with leading dimensions lda, ldb, ldc.
inline void gemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K,
                 float alpha, const float *A, int64_t lda, const float *B,
                 int64_t ldb, float beta, float *C, int64_t ldc) {
  cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans,
              transB ? CblasTrans : CblasNoTrans, blasint(M), blasint(N),
              blasint(K), alpha, A, blasint(lda), B, blasint(ldb), beta, C,
              blasint(ldc));
}
inline void gemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K,
                 double alpha, const double *A, int64_t lda, const double *B,
                 int64_t ldb, double beta, double *C, int64_t ldc) {
  cblas_dgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans,
              transB ? CblasTrans : CblasNoTrans, blasint(M), blasint(N),
              blasint(K), alpha, A, blasint(lda), B, blasint(ldb), beta, C,
              blasint(ldc));
}

} // namespace ds::kernels

#endif // DS_KERNELS_CPU_BLAS_H
