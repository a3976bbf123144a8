//===- Matmul.cpp - ds_cuda_matmul_*: GEMMs through cuBLASLt -------------===//

#include "kernels/cuda/Context.h"
#include "kernels/cuda/CudaKernels.h"
#include "kernels/cuda/Gemm.h"

#include <cuda_runtime_api.h>

#include <limits>

namespace ds::kernels::cuda {
namespace {

void matmul(const char *name, GemmType type, size_t elementBytes,
            const void *A, const void *B, void *C, int64_t batch, int64_t M,
            int64_t N, int64_t K, int32_t transA, int32_t transB,
            int64_t strideA, int64_t strideB) {
  if (batch < 0 || M < 0 || N < 0 || K < 0) {
    recordError(name, "negative size");
    return;
  }
  if (batch == 0 || M == 0 || N == 0)
    return;
  cudaStream_t stream = currentStream();
  if (K == 0) { // an empty sum: zeros, as on the CPU
    if (cudaError_t e = cudaMemsetAsync(
            C, 0, size_t(batch) * size_t(M) * size_t(N) * elementBytes,
            stream);
        e != cudaSuccess)
      recordError(name, cudaGetErrorString(e));
    return;
  }
  constexpr int64_t limit = std::numeric_limits<int32_t>::max();
  if (M > limit || N > limit || K > limit || batch > limit) {
    recordError(name, "a size is 2^31 or more");
    return;
  }
  Context *context = currentContext();
  if (!context || !context->gemm) {
    recordError(name, "no GEMM library (cuBLASLt) in this context");
    return;
  }
  GemmProblem problem{type, batch, M, N, K, transA != 0, transB != 0,
                      strideA, strideB};
  std::string error;
  if (!context->gemm->run(problem, A, B, C, stream, error))
    recordError(name, error);
}

} // namespace
} // namespace ds::kernels::cuda

using ds::kernels::cuda::GemmType;

extern "C" void ds_cuda_matmul_f32(const float *A, const float *B, float *C,
                                   int64_t batch, int64_t M, int64_t N,
                                   int64_t K, int32_t transA, int32_t transB,
                                   int64_t strideA, int64_t strideB) {
  ds::kernels::cuda::matmul("ds_cuda_matmul_f32", GemmType::F32, sizeof(float),
                            A, B, C, batch, M, N, K, transA, transB, strideA,
                            strideB);
}

extern "C" void ds_cuda_matmul_f64(const double *A, const double *B, double *C,
                                   int64_t batch, int64_t M, int64_t N,
                                   int64_t K, int32_t transA, int32_t transB,
                                   int64_t strideA, int64_t strideB) {
  ds::kernels::cuda::matmul("ds_cuda_matmul_f64", GemmType::F64,
                            sizeof(double), A, B, C, batch, M, N, K, transA,
                            transB, strideA, strideB);
}
