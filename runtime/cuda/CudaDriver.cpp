//===- CudaDriver.cpp - the CUDA driver API, loaded at run time -----------===//

#include "runtime/cuda/CudaDriver.h"

#include <dlfcn.h>

#include <cstdlib>

namespace ds::rt::cuda {

namespace {

/// Resolves `symbol` into `slot`; false (and `error`) when the library does
/// not export it.
template <typename Function>
bool resolve(void *library, const char *symbol, Function &slot,
             std::string &error) {
  void *address = dlsym(library, symbol);
  if (!address) {
    error = std::string("the CUDA driver lacks ") + symbol +
            " (a driver older than CUDA 12?)";
    return false;
  }
  slot = reinterpret_cast<Function>(address);
  return true;
}

bool resolveAll(void *library, DriverApi &api, std::string &error) {
  return resolve(library, "cuInit", api.init, error) &&
         resolve(library, "cuDriverGetVersion", api.driverGetVersion,
                 error) &&
         resolve(library, "cuGetErrorName", api.getErrorName, error) &&
         resolve(library, "cuGetErrorString", api.getErrorString, error) &&
         resolve(library, "cuDeviceGetCount", api.deviceGetCount, error) &&
         resolve(library, "cuDeviceGet", api.deviceGet, error) &&
         resolve(library, "cuDeviceGetName", api.deviceGetName, error) &&
         resolve(library, "cuDeviceTotalMem_v2", api.deviceTotalMem, error) &&
         resolve(library, "cuDeviceGetAttribute", api.deviceGetAttribute,
                 error) &&
         resolve(library, "cuDevicePrimaryCtxRetain", api.primaryCtxRetain,
                 error) &&
         resolve(library, "cuDevicePrimaryCtxRelease_v2",
                 api.primaryCtxRelease, error) &&
         resolve(library, "cuCtxSetCurrent", api.ctxSetCurrent, error) &&
         resolve(library, "cuStreamCreate", api.streamCreate, error) &&
         resolve(library, "cuStreamDestroy_v2", api.streamDestroy, error) &&
         resolve(library, "cuStreamSynchronize", api.streamSynchronize,
                 error) &&
         resolve(library, "cuMemAlloc_v2", api.memAlloc, error) &&
         resolve(library, "cuMemFree_v2", api.memFree, error) &&
         resolve(library, "cuMemcpyHtoDAsync_v2", api.memcpyHtoDAsync,
                 error) &&
         resolve(library, "cuMemcpyDtoHAsync_v2", api.memcpyDtoHAsync,
                 error) &&
         resolve(library, "cuMemcpyDtoDAsync_v2", api.memcpyDtoDAsync,
                 error) &&
         resolve(library, "cuMemsetD32Async", api.memsetD32Async, error) &&
         resolve(library, "cuModuleLoadData", api.moduleLoadData, error) &&
         resolve(library, "cuModuleUnload", api.moduleUnload, error) &&
         resolve(library, "cuModuleGetFunction", api.moduleGetFunction,
                 error) &&
         resolve(library, "cuLaunchKernel", api.launchKernel, error);
}

} // namespace

std::string Driver::defaultLibrary() {
  const char *chosen = std::getenv("DS_CUDA_DRIVER");
  return chosen && *chosen ? chosen : "libcuda.so.1";
}

std::unique_ptr<Driver> Driver::load(const std::string &library,
                                     std::string &error) {
  // RTLD_LOCAL: the driver's symbols stay out of the global namespace,
  // where the compiled model's own symbols are resolved.
  void *handle = dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char *why = dlerror();
    error = "no CUDA driver on this machine (" +
            std::string(why ? why : library) + ")";
    return nullptr;
  }
  std::unique_ptr<Driver> driver(new Driver());
  driver->library_ = handle;
  if (!resolveAll(handle, driver->api_, error))
    return nullptr;
  CUresult result = driver->api_.init(0);
  if (result == CUDA_ERROR_STUB_LIBRARY) {
    error = library + " is the CUDA toolkit's stub, not a driver: this "
                      "machine has no NVIDIA driver";
    return nullptr;
  }
  if (result != CUDA_SUCCESS) {
    error = driver->describe(result, "cuInit");
    return nullptr;
  }
  if ((result = driver->api_.driverGetVersion(&driver->version_)) !=
      CUDA_SUCCESS) {
    error = driver->describe(result, "cuDriverGetVersion");
    return nullptr;
  }
  return driver;
}

Driver::~Driver() {
  if (library_)
    dlclose(library_);
}

std::string Driver::describe(CUresult result, const char *call) const {
  const char *name = nullptr, *text = nullptr;
  if (api_.getErrorName)
    api_.getErrorName(result, &name);
  if (api_.getErrorString)
    api_.getErrorString(result, &text);
  std::string message = std::string(call) + ": ";
  message += text ? text : "unknown error";
  message += " (";
  message += name ? name : "CUresult " + std::to_string(result);
  return message + ")";
}

int Driver::deviceCount(std::string &error) const {
  int count = 0;
  CUresult result = api_.deviceGetCount(&count);
  if (result != CUDA_SUCCESS) {
    error = describe(result, "cuDeviceGetCount");
    return -1;
  }
  return count;
}

bool Driver::describeDevice(int index, DeviceInfo &info,
                            std::string &error) const {
  CUdevice device;
  CUresult result = api_.deviceGet(&device, index);
  if (result != CUDA_SUCCESS) {
    error = describe(result, "cuDeviceGet");
    return false;
  }
  char name[256] = {};
  info.index = index;
  if ((result = api_.deviceGetName(name, sizeof name - 1, device)) !=
          CUDA_SUCCESS ||
      (result = api_.deviceTotalMem(&info.memoryBytes, device)) !=
          CUDA_SUCCESS ||
      (result = api_.deviceGetAttribute(
           &info.major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR,
           device)) != CUDA_SUCCESS ||
      (result = api_.deviceGetAttribute(
           &info.minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR,
           device)) != CUDA_SUCCESS ||
      (result = api_.deviceGetAttribute(
           &info.multiprocessors, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT,
           device)) != CUDA_SUCCESS) {
    error = describe(result, "cuDeviceGet*");
    return false;
  }
  info.name = name;
  return true;
}

} // namespace ds::rt::cuda
