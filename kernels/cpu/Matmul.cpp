//===- Matmul.cpp - batched GEMM through OpenBLAS -------------------------===//
//
// ds_matmul is the compiler's general matrix product: one BLAS call per
// batch, except that a shared right-hand side lets the batches fold into one
// taller product (one call amortizes OpenBLAS's packing of B and its thread
// start-up over every batch).
//
//===----------------------------------------------------------------------===//

#include "kernels/cpu/Kernels.h"

#include "kernels/cpu/Blas.h"

#include <algorithm>

using namespace ds::kernels;

void ds::kernels::useSingleThreadedBlas() {
  // Every time, not once: a program that also calls OpenBLAS itself (the
  // kernel benchmark's baseline) may have raised the count since. Lowering
  // it only stores a number.
  openblas_set_num_threads(1);
}

namespace {

template <typename T>
void matmul(const T *A, const T *B, T *C, int64_t batch, int64_t M, int64_t N,
            int64_t K, bool transA, bool transB, int64_t strideA,
            int64_t strideB) {
  if (batch <= 0 || M <= 0 || N <= 0)
    return;
  if (K <= 0) { // an empty sum; BLAS would also reject the leading dimensions
    std::fill(C, C + batch * M * N, T(0));
    return;
  }
  const int64_t lda = transA ? M : K;
  const int64_t ldb = transB ? K : N;
  // Batches stacked row after row in A, times one B: a single
  // (batch·M)×K by K×N product writes exactly C's layout.
  if (batch > 1 && strideB == 0 && !transA && strideA == M * K) {
    gemm(false, transB, batch * M, N, K, T(1), A, lda, B, ldb, T(0), C, N);
    return;
  }
  for (int64_t b = 0; b < batch; ++b)
    gemm(transA, transB, M, N, K, T(1), A + b * strideA, lda, B + b * strideB,
         ldb, T(0), C + b * M * N, N);
}

} // namespace

extern "C" void ds_matmul_f32(const float *A, const float *B, float *C,
                              int64_t batch, int64_t M, int64_t N, int64_t K,
                              int32_t transA, int32_t transB, int64_t strideA,
                              int64_t strideB) {
  matmul(A, B, C, batch, M, N, K, transA != 0, transB != 0, strideA, strideB);
}

extern "C" void ds_matmul_f64(const double *A, const double *B, double *C,
                              int64_t batch, int64_t M, int64_t N, int64_t K,
                              int32_t transA, int32_t transB, int64_t strideA,
                              int64_t strideB) {
  matmul(A, B, C, batch, M, N, K, transA != 0, transB != 0, strideA, strideB);
}
