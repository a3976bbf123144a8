//===- CudaDriver.h - the CUDA driver API, loaded at run time ---*- C++ -*-===//
//
// DS never links libcuda: every binary must start, and the CPU backend run,
// on a machine without an NVIDIA driver. The driver is opened with dlopen
// when a CUDA artifact or `--devices` asks for it, and every call DS makes
// goes through the table below. cuda.h supplies only the types.
//
// Ownership: a Driver owns the library handle (closed when it is
// destroyed); a Device (CudaDevice.h) holds a reference to its Driver,
// which must outlive it.
//
//===----------------------------------------------------------------------===//

#ifndef DS_RUNTIME_CUDA_CUDADRIVER_H
#define DS_RUNTIME_CUDA_CUDADRIVER_H

#include <cuda.h>

#include <cstddef>
#include <memory>
#include <string>

namespace ds::rt::cuda {

/// The driver functions DS calls, under the names the driver exports for
/// the current ABI (cuMemAlloc is cuMemAlloc_v2, ...).
struct DriverApi {
  decltype(&cuInit) init = nullptr;
  decltype(&cuDriverGetVersion) driverGetVersion = nullptr;
  decltype(&cuGetErrorName) getErrorName = nullptr;
  decltype(&cuGetErrorString) getErrorString = nullptr;
  decltype(&cuDeviceGetCount) deviceGetCount = nullptr;
  decltype(&cuDeviceGet) deviceGet = nullptr;
  decltype(&cuDeviceGetName) deviceGetName = nullptr;
  decltype(&cuDeviceTotalMem) deviceTotalMem = nullptr;
  decltype(&cuDeviceGetAttribute) deviceGetAttribute = nullptr;
  decltype(&cuDevicePrimaryCtxRetain) primaryCtxRetain = nullptr;
  decltype(&cuDevicePrimaryCtxRelease) primaryCtxRelease = nullptr;
  decltype(&cuCtxSetCurrent) ctxSetCurrent = nullptr;
  decltype(&cuStreamCreate) streamCreate = nullptr;
  decltype(&cuStreamDestroy) streamDestroy = nullptr;
  decltype(&cuStreamSynchronize) streamSynchronize = nullptr;
  decltype(&cuMemAlloc) memAlloc = nullptr;
  decltype(&cuMemFree) memFree = nullptr;
  decltype(&cuMemcpyHtoDAsync) memcpyHtoDAsync = nullptr;
  decltype(&cuMemcpyDtoHAsync) memcpyDtoHAsync = nullptr;
  decltype(&cuMemcpyDtoDAsync) memcpyDtoDAsync = nullptr;
  decltype(&cuMemsetD32Async) memsetD32Async = nullptr;
  decltype(&cuModuleLoadData) moduleLoadData = nullptr;
  decltype(&cuModuleUnload) moduleUnload = nullptr;
  decltype(&cuModuleGetFunction) moduleGetFunction = nullptr;
  decltype(&cuLaunchKernel) launchKernel = nullptr;
};

/// What a GPU is, for `ds-run --devices` and for choosing one.
struct DeviceInfo {
  int index = 0;
  std::string name;
  size_t memoryBytes = 0;
  int major = 0, minor = 0; ///< compute capability (9.0: sm_90)
  int multiprocessors = 0;
};

class Driver {
public:
  /// The library DS opens: $DS_CUDA_DRIVER if set (to try another driver,
  /// or the toolkit's stub in tests), else libcuda.so.1.
  static std::string defaultLibrary();

  /// Opens `library`, resolves every DriverApi function and calls cuInit.
  /// On failure returns null and says why in `error`: no such library (no
  /// driver on this machine), a symbol the driver lacks (too old), the CUDA
  /// toolkit's stub library (a build machine), or cuInit's own error (no
  /// device, a driver older than the toolkit).
  static std::unique_ptr<Driver> load(const std::string &library,
                                      std::string &error);

  ~Driver();
  Driver(const Driver &) = delete;
  Driver &operator=(const Driver &) = delete;

  const DriverApi &api() const { return api_; }

  /// "`call`: <the driver's description> (<its error name>)".
  std::string describe(CUresult result, const char *call) const;

  /// The driver's version as CUDA writes it (13000 for 13.0).
  int version() const { return version_; }

  /// The number of devices, or -1 with `error`.
  int deviceCount(std::string &error) const;
  bool describeDevice(int index, DeviceInfo &info, std::string &error) const;

private:
  Driver() = default;
  void *library_ = nullptr;
  DriverApi api_;
  int version_ = 0;
};

} // namespace ds::rt::cuda

#endif // DS_RUNTIME_CUDA_CUDADRIVER_H
