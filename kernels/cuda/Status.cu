//===- Status.cu - ds_status_fail for a CUDA artifact's host code --------===//
//
// Host code records a failure it detects (there are few: most checks run
// inside kernels) in the status the kernels share, which is in device
// memory: one thread of a one-thread kernel does what a kernel would, in
// stream order with the kernels before and after it.
//
//===----------------------------------------------------------------------===//

#include "kernels/cuda/Context.h"
#include "kernels/cuda/CudaKernels.h"
#include "kernels/cuda/DeviceStatus.cuh"

namespace {
__global__ void statusFailKernel(ds_status *status, int32_t code, int32_t site,
                                 int64_t value, int64_t bound) {
  ds::kernels::cuda::statusFail(status, code, site, value, bound);
}
} // namespace

extern "C" void ds_cuda_status_fail(ds_status *status, int32_t code,
                                    int32_t site, int64_t value,
                                    int64_t bound) {
  if (!status || code == DS_STATUS_OK)
    return;
  statusFailKernel<<<1, 1, 0, ds::kernels::cuda::currentStream()>>>(
      status, code, site, value, bound);
  ds::kernels::cuda::checkLaunch("ds_cuda_status_fail");
}
