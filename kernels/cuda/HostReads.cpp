//===- HostReads.cpp - host code's reads of scalars in device memory -----===//
//
// A synchronisation point by nature: the value is what the kernels before
// it computed. Decoding reads two per attention layer (the write position
// and the cache's filled length); a later step moves those uses onto the
// device (docs/gpu.md).
//
//===----------------------------------------------------------------------===//

#include "kernels/cuda/Context.h"
#include "kernels/cuda/CudaKernels.h"

#include <cuda_runtime_api.h>

namespace {

template <typename T> T readScalar(const char *name, const void *address) {
  T value{};
  cudaStream_t stream = ds::kernels::cuda::currentStream();
  cudaError_t result = cudaMemcpyAsync(&value, address, sizeof(T),
                                       cudaMemcpyDeviceToHost, stream);
  if (result == cudaSuccess)
    result = cudaStreamSynchronize(stream);
  if (result != cudaSuccess) {
    cudaGetLastError(); // not sticky: the context's error says it
    ds::kernels::cuda::recordError(name, cudaGetErrorString(result));
    return T{};
  }
  return value;
}

} // namespace

extern "C" int32_t ds_cuda_read_i32(const void *address) {
  return readScalar<int32_t>("ds_cuda_read_i32", address);
}
extern "C" int64_t ds_cuda_read_i64(const void *address) {
  return readScalar<int64_t>("ds_cuda_read_i64", address);
}
extern "C" float ds_cuda_read_f32(const void *address) {
  return readScalar<float>("ds_cuda_read_f32", address);
}
extern "C" double ds_cuda_read_f64(const void *address) {
  return readScalar<double>("ds_cuda_read_f64", address);
}
