//===- DeviceStatus.cuh - ds_status_fail on the device -----------*- CUDA -*-===//
//
// The run's status (kernels/cpu/Status.h) lives in device memory while a
// CUDA artifact runs. Kernels record a bad index the way the CPU kernels
// do: the first failure wins (the thread that moves `code` from 0 writes
// the rest), and the kernel carries on with the documented safe choice.
//
//===----------------------------------------------------------------------===//

#ifndef DS_KERNELS_CUDA_DEVICESTATUS_CUH
#define DS_KERNELS_CUDA_DEVICESTATUS_CUH

#include "kernels/cpu/Status.h"

namespace ds::kernels::cuda {

__device__ inline void statusFail(ds_status *status, int32_t code,
                                  int32_t site, int64_t value, int64_t bound) {
  if (!status || code == DS_STATUS_OK)
    return;
  if (atomicCAS(reinterpret_cast<int *>(&status->code), DS_STATUS_OK, code) !=
      DS_STATUS_OK)
    return;
  status->site = site;
  status->value = value;
  status->bound = bound;
}

} // namespace ds::kernels::cuda

#endif // DS_KERNELS_CUDA_DEVICESTATUS_CUH
