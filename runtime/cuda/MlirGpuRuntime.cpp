//===- MlirGpuRuntime.cpp - what MLIR's generated host code calls ---------===//
//
// The signatures are those of MLIR 22's CudaRuntimeWrappers.cpp, which the
// generated code is compiled against.
//
//===----------------------------------------------------------------------===//

#include "runtime/cuda/MlirGpuRuntime.h"

#include "runtime/cuda/CudaDevice.h"

#include <cstdint>
#include <string>

namespace ds::rt::cuda {

namespace {

thread_local Device *current = nullptr;

/// Kernel names by function handle, for messages. Handles are unique per
/// process, so one map serves every device and thread.
/// The current device, or null after recording nothing: without a device,
/// no compiled CUDA code is run (the runtime checks before calling it).
Device *device() { return current; }

bool check(CUresult result, const char *call, const std::string &what = "") {
  if (result == CUDA_SUCCESS)
    return true;
  if (Device *d = device())
    d->recordError(d->driver().describe(result, call) +
                   (what.empty() ? "" : " (" + what + ")"));
  return false;
}

CUmodule loadModule(const void *image) {
  Device *d = device();
  if (!d)
    return nullptr;
  CUmodule module = nullptr;
  check(d->driver().api().moduleLoadData(&module, image), "cuModuleLoadData",
        "loading the artifact's kernels");
  return module;
}

} // namespace

ScopedCurrentDevice::ScopedCurrentDevice(Device *device)
    : previous_(current) {
  current = device;
}

ScopedCurrentDevice::~ScopedCurrentDevice() { current = previous_; }

Device *currentDevice() { return current; }

} // namespace ds::rt::cuda

using ds::rt::cuda::Device;

extern "C" {

CUmodule mgpuModuleLoad(void *data, size_t /*size*/) {
  return ds::rt::cuda::loadModule(data);
}

/// PTX: the driver compiles it for the device when it loads it.
CUmodule mgpuModuleLoadJIT(void *data, int /*optLevel*/) {
  return ds::rt::cuda::loadModule(data);
}

void mgpuModuleUnload(CUmodule module) {
  if (Device *d = ds::rt::cuda::currentDevice(); d && module)
    d->driver().api().moduleUnload(module);
}

CUfunction mgpuModuleGetFunction(CUmodule module, const char *name) {
  Device *d = ds::rt::cuda::currentDevice();
  if (!d || !module)
    return nullptr;
  CUfunction function = nullptr;
  if (!ds::rt::cuda::check(
          d->driver().api().moduleGetFunction(&function, module, name),
          "cuModuleGetFunction", name))
    return nullptr;
  d->nameKernel(function, name);
  return function;
}

void mgpuLaunchKernel(CUfunction function, intptr_t gridX, intptr_t gridY,
                      intptr_t gridZ, intptr_t blockX, intptr_t blockY,
                      intptr_t blockZ, int32_t sharedBytes, CUstream stream,
                      void **params, void **extra, size_t /*paramsCount*/) {
  Device *d = ds::rt::cuda::currentDevice();
  if (!d || !function)
    return; // the load that failed has recorded why
  if (!ds::rt::cuda::check(
          d->driver().api().launchKernel(function, gridX, gridY, gridZ,
                                         blockX, blockY, blockZ, sharedBytes,
                                         stream, params, extra),
          "cuLaunchKernel", d->describeKernel(function)))
    return;
  if (d->syncEachLaunch())
    ds::rt::cuda::check(d->driver().api().streamSynchronize(stream),
                        "cuStreamSynchronize",
                        "running " + d->describeKernel(function));
}

CUstream mgpuStreamCreate() {
  Device *d = ds::rt::cuda::currentDevice();
  return d ? d->stream() : nullptr;
}

void mgpuStreamDestroy(CUstream) {}

/// The generated code waits after every launch; kernels on one stream run
/// in order and host code reads no device memory, so DS waits once per
/// call of an entry point instead (Device::synchronize).
void mgpuStreamSynchronize(CUstream) {}

void *mgpuMemAlloc(uint64_t bytes, CUstream, bool) {
  Device *d = ds::rt::cuda::currentDevice();
  if (!d)
    return nullptr;
  CUdeviceptr address = 0;
  std::string error;
  if (!d->allocate(bytes, address, error))
    d->recordError(error);
  return reinterpret_cast<void *>(address);
}

void mgpuMemFree(void *pointer, CUstream) {
  Device *d = ds::rt::cuda::currentDevice();
  std::string error;
  if (d && !d->free(reinterpret_cast<CUdeviceptr>(pointer), error))
    d->recordError(error);
}

void mgpuMemcpy(void *destination, void *source, size_t bytes,
                CUstream stream) {
  Device *d = ds::rt::cuda::currentDevice();
  if (d && bytes)
    ds::rt::cuda::check(
        d->driver().api().memcpyDtoDAsync(
            reinterpret_cast<CUdeviceptr>(destination),
            reinterpret_cast<CUdeviceptr>(source), bytes, stream),
        "cuMemcpyDtoDAsync");
}

void mgpuMemset32(void *destination, unsigned int value, size_t count,
                  CUstream stream) {
  Device *d = ds::rt::cuda::currentDevice();
  if (d && count)
    ds::rt::cuda::check(
        d->driver().api().memsetD32Async(
            reinterpret_cast<CUdeviceptr>(destination), value, count, stream),
        "cuMemsetD32Async");
}

void mgpuSetDefaultDevice(int32_t) {}

} // extern "C"
