//===- MlirGpuRuntime.h - what MLIR's generated host code calls -*- C++ -*-===//
//
// Host code that MLIR's `gpu-to-llvm` and the gpu.binary translation
// generate calls a small C ABI (`mgpuModuleLoad`, `mgpuLaunchKernel`,
// `mgpuStreamCreate`, ...) that upstream implements in
// libmlir_cuda_runtime, which Debian does not ship. DS implements it here,
// over the Device of the thread that runs compiled code:
//
//  - modules load into the current device's context (a model library's
//    constructors load its kernels when it is opened, so a Device must be
//    current then);
//  - "creating a stream" returns the device's one stream and "destroying"
//    it does nothing, so that every kernel of an executable runs in order
//    on one stream, without the synchronisation the generated code asks
//    for after each launch (which waits only with DS_CUDA_SYNC=1, to name
//    the kernel that failed);
//  - a failed call records its error, with the kernel's name, as the
//    device's pending error (Device::takeError); the caller of compiled
//    code reports it.
//
// The functions are exported with C linkage from any binary that links
// DSRuntimeCuda (see runtime/cuda/CMakeLists.txt).
//
//===----------------------------------------------------------------------===//

#ifndef DS_RUNTIME_CUDA_MLIRGPURUNTIME_H
#define DS_RUNTIME_CUDA_MLIRGPURUNTIME_H

namespace ds::rt::cuda {

class Device;

/// Makes `device` the one the calling thread's compiled code uses, for the
/// scope's lifetime (the previous one after it).
class ScopedCurrentDevice {
public:
  explicit ScopedCurrentDevice(Device *device);
  ~ScopedCurrentDevice();
  ScopedCurrentDevice(const ScopedCurrentDevice &) = delete;
  ScopedCurrentDevice &operator=(const ScopedCurrentDevice &) = delete;

private:
  Device *previous_;
};

/// The calling thread's device, or null.
Device *currentDevice();

} // namespace ds::rt::cuda

#endif // DS_RUNTIME_CUDA_MLIRGPURUNTIME_H
