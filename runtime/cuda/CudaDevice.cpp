//===- CudaDevice.cpp - one GPU: its context, stream and memory -----------===//

#include "runtime/cuda/CudaDevice.h"

#include <cstdlib>
#include <cstring>

namespace ds::rt::cuda {

std::unique_ptr<Device> Device::open(const Driver &driver, int index,
                                     std::string &error) {
  int count = driver.deviceCount(error);
  if (count < 0)
    return nullptr;
  if (index < 0 || index >= count) {
    error = "no CUDA device " + std::to_string(index) + " (this machine has " +
            std::to_string(count) + ")";
    return nullptr;
  }
  std::unique_ptr<Device> device(new Device(driver, index));
  const DriverApi &api = driver.api();
  CUresult result = api.deviceGet(&device->device_, index);
  if (result == CUDA_SUCCESS)
    result = api.primaryCtxRetain(&device->context_, device->device_);
  if (result != CUDA_SUCCESS) {
    error = driver.describe(result, "cuDevicePrimaryCtxRetain");
    return nullptr;
  }
  if (!device->makeCurrent(error))
    return nullptr;
  if ((result = api.streamCreate(&device->stream_, CU_STREAM_NON_BLOCKING)) !=
      CUDA_SUCCESS) {
    error = driver.describe(result, "cuStreamCreate");
    return nullptr;
  }
  const char *sync = std::getenv("DS_CUDA_SYNC");
  device->syncEachLaunch_ = sync && std::strcmp(sync, "0") != 0;
  return device;
}

Device::~Device() {
  const DriverApi &api = driver_.api();
  if (context_)
    api.ctxSetCurrent(context_);
  if (stream_)
    api.streamSynchronize(stream_);
  for (CUdeviceptr address : allocations_)
    api.memFree(address);
  if (stream_)
    api.streamDestroy(stream_);
  if (context_)
    api.primaryCtxRelease(device_);
}

bool Device::makeCurrent(std::string &error) {
  CUresult result = driver_.api().ctxSetCurrent(context_);
  if (result != CUDA_SUCCESS) {
    error = driver_.describe(result, "cuCtxSetCurrent");
    return false;
  }
  return true;
}

bool Device::allocate(size_t bytes, CUdeviceptr &address,
                      std::string &error) {
  address = 0;
  if (bytes == 0)
    return true;
  CUresult result = driver_.api().memAlloc(&address, bytes);
  if (result != CUDA_SUCCESS) {
    error = driver_.describe(result, "cuMemAlloc") + " allocating " +
            std::to_string(bytes) + " bytes on device " +
            std::to_string(index_);
    return false;
  }
  allocations_.insert(address);
  return true;
}

bool Device::free(CUdeviceptr address, std::string &error) {
  if (address == 0)
    return true;
  if (allocations_.erase(address) == 0) {
    error = "cuMemFree: not an allocation of this device";
    return false;
  }
  CUresult result = driver_.api().memFree(address);
  if (result != CUDA_SUCCESS) {
    error = driver_.describe(result, "cuMemFree");
    return false;
  }
  return true;
}

bool Device::toDeviceQueued(CUdeviceptr destination, const void *source,
                            size_t bytes, std::string &error) {
  if (bytes == 0)
    return true;
  CUresult result =
      driver_.api().memcpyHtoDAsync(destination, source, bytes, stream_);
  if (result != CUDA_SUCCESS) {
    error = driver_.describe(result, "cuMemcpyHtoDAsync");
    return false;
  }
  return true;
}

bool Device::toDevice(CUdeviceptr destination, const void *source,
                      size_t bytes, std::string &error) {
  // The host buffer may be reused as soon as this returns.
  return toDeviceQueued(destination, source, bytes, error) &&
         (bytes == 0 || synchronize(error));
}

bool Device::toHost(void *destination, CUdeviceptr source, size_t bytes,
                    std::string &error) {
  if (bytes == 0)
    return true;
  CUresult result =
      driver_.api().memcpyDtoHAsync(destination, source, bytes, stream_);
  if (result != CUDA_SUCCESS) {
    error = driver_.describe(result, "cuMemcpyDtoHAsync");
    return false;
  }
  return synchronize(error);
}

bool Device::fill32(CUdeviceptr destination, unsigned value, size_t count,
                    std::string &error) {
  if (count == 0)
    return true;
  CUresult result =
      driver_.api().memsetD32Async(destination, value, count, stream_);
  if (result != CUDA_SUCCESS) {
    error = driver_.describe(result, "cuMemsetD32Async");
    return false;
  }
  return true;
}

bool Device::synchronize(std::string &error) {
  CUresult result = driver_.api().streamSynchronize(stream_);
  if (result != CUDA_SUCCESS) {
    error = driver_.describe(result, "cuStreamSynchronize");
    return false;
  }
  std::string pending = takeError();
  if (!pending.empty()) {
    error = pending;
    return false;
  }
  return true;
}

void Device::recordError(const std::string &message) {
  if (pendingError_.empty())
    pendingError_ = message;
}

std::string Device::takeError() {
  std::string error;
  error.swap(pendingError_);
  return error;
}

void Device::nameKernel(CUfunction function, const std::string &name) {
  kernelNames_[function] = name;
}

std::string Device::describeKernel(CUfunction function) const {
  auto named = kernelNames_.find(function);
  if (named == kernelNames_.end())
    return "a kernel";
  std::string text = "kernel " + named->second;
  if (kernelSites_)
    if (auto site = kernelSites_->find(named->second);
        site != kernelSites_->end())
      text += " (" + site->second + ")";
  return text;
}

} // namespace ds::rt::cuda
