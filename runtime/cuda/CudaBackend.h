//===- CudaBackend.h - one GPU as artifacts run on it ------------*- C++ -*-===//
//
// What running a CUDA artifact needs, in one object: the driver (opened
// with dlopen), the Device (primary context, one stream, allocations), and
// the CUDA kernels' Context on the same stream (kernels/cuda/Context.h),
// with cuBLASLt opened on first use. Artifact::load opens one per CUDA
// artifact; its Executables run on it.
//
// A Scope makes the device current for compiled code (the mgpu* functions,
// MlirGpuRuntime.h) and for the kernels, for the scope's lifetime: model.so
// loads its cubins in its constructors, so it is opened inside one, and
// every entry runs inside one.
//
// Ownership: a Backend owns its driver, device, kernel context and GEMM
// library; destroy it after every artifact library loaded on it (their
// destructors unload modules on it). Threading: one thread at a time.
//
//===----------------------------------------------------------------------===//

#ifndef DS_RUNTIME_CUDA_CUDABACKEND_H
#define DS_RUNTIME_CUDA_CUDABACKEND_H

#include "kernels/cuda/Context.h"
#include "runtime/cuda/CudaDevice.h"
#include "runtime/cuda/MlirGpuRuntime.h"

#include <memory>
#include <optional>
#include <string>

namespace ds::kernels::cuda {
class Gemm;
}

namespace ds::rt::cuda {

class Backend {
public:
  /// Opens GPU `deviceIndex`; null with `error` when there is no driver,
  /// no such device, or it cannot be set up.
  static std::unique_ptr<Backend> open(int deviceIndex, std::string &error);
  ~Backend();
  Backend(const Backend &) = delete;
  Backend &operator=(const Backend &) = delete;

  Device &device() { return *device_; }
  const DeviceInfo &info() const { return info_; }

  /// The device and the kernels' context current on this thread.
  class Scope {
  public:
    explicit Scope(Backend &backend);
    Scope(const Scope &) = delete;
    Scope &operator=(const Scope &) = delete;

  private:
    ScopedCurrentDevice device_;
    kernels::cuda::ScopedContext kernels_;
  };

  /// Opens cuBLASLt if it is not open yet (inside a Scope). The GEMM
  /// kernels report its absence themselves; this says why early.
  bool openGemm(std::string &error);

  /// Waits for the stream and returns the first error since the last
  /// call: a driver call of compiled code (mgpu*), a kernel's launch or
  /// arguments, or a fault while the stream ran. `what` names the work
  /// ("entry 'train_step'") in the message.
  bool finish(const std::string &what, std::string &error);

private:
  Backend() = default;

  std::unique_ptr<Driver> driver_;
  std::unique_ptr<Device> device_;
  DeviceInfo info_;
  kernels::cuda::Context kernels_;
  std::unique_ptr<kernels::cuda::Gemm> gemm_;
  std::string gemmError_;
};

} // namespace ds::rt::cuda

#endif // DS_RUNTIME_CUDA_CUDABACKEND_H
