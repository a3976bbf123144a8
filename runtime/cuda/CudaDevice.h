//===- CudaDevice.h - one GPU: its context, stream and memory ---*- C++ -*-===//
//
// A Device is what an executable runs on: the device's primary context, one
// stream every kernel and copy of the executable goes to (in order, so no
// synchronisation is needed between them), and the device memory it
// allocated. Errors are returned as strings naming the driver call; errors
// raised inside compiled code's calls (the `mgpu*` functions,
// MlirGpuRuntime.h), which cannot return one, are kept as the device's
// pending error, the first one winning, for the executable to report.
//
// Ownership: a Device borrows its Driver (which must outlive it) and owns
// its stream, its context reference and every allocation made through it
// that has not been freed. Threading: one thread at a time.
//
//===----------------------------------------------------------------------===//

#ifndef DS_RUNTIME_CUDA_CUDADEVICE_H
#define DS_RUNTIME_CUDA_CUDADEVICE_H

#include "runtime/cuda/CudaDriver.h"

#include <cstddef>
#include <map>
#include <memory>
#include <set>
#include <string>

namespace ds::rt::cuda {

class Device {
public:
  /// Opens device `index` of `driver`: retains its primary context, makes
  /// it current on this thread and creates the stream.
  static std::unique_ptr<Device> open(const Driver &driver, int index,
                                      std::string &error);
  ~Device();
  Device(const Device &) = delete;
  Device &operator=(const Device &) = delete;

  const Driver &driver() const { return driver_; }
  int index() const { return index_; }
  CUstream stream() const { return stream_; }

  /// Makes this device's context current on the calling thread.
  bool makeCurrent(std::string &error);

  /// Device memory; `bytes` may be 0 (then `address` is 0).
  bool allocate(size_t bytes, CUdeviceptr &address, std::string &error);
  /// Frees what allocate() returned (0 is ignored).
  bool free(CUdeviceptr address, std::string &error);

  /// Copies on the stream; each waits for the copy (and everything queued
  /// before it) to finish.
  bool toDevice(CUdeviceptr destination, const void *source, size_t bytes,
                std::string &error);
  bool toHost(void *destination, CUdeviceptr source, size_t bytes,
              std::string &error);
  /// toDevice() without the wait: `source` must stay valid and unchanged
  /// until the next synchronize() (or toHost()).
  bool toDeviceQueued(CUdeviceptr destination, const void *source,
                      size_t bytes, std::string &error);
  bool fill32(CUdeviceptr destination, unsigned value, size_t count,
              std::string &error);

  /// Waits for everything queued on the stream; reports the first error a
  /// kernel raised while running.
  bool synchronize(std::string &error);

  /// Whether kernels are waited for one by one (DS_CUDA_SYNC=1), so that a
  /// kernel's failure is reported as that kernel's rather than at the next
  /// synchronisation.
  bool syncEachLaunch() const { return syncEachLaunch_; }

  /// An error raised where it cannot be returned (compiled code's calls).
  void recordError(const std::string &message);
  /// The recorded error, cleared; empty when there was none.
  std::string takeError();

  /// Compiled code's kernels, named when their modules load, for messages:
  /// "kernel train_step_kernel_3 (model.mlir:12:5: ds.rms_norm)" with the
  /// artifact's table of where each kernel came from (the manifest's
  /// gpu.kernels; not owned, and it must outlive the Device's use).
  void nameKernel(CUfunction function, const std::string &name);
  void setKernelSites(const std::map<std::string, std::string> *sites) {
    kernelSites_ = sites;
  }
  std::string describeKernel(CUfunction function) const;

private:
  Device(const Driver &driver, int index) : driver_(driver), index_(index) {}

  const Driver &driver_;
  int index_;
  CUdevice device_ = 0;
  CUcontext context_ = nullptr;
  CUstream stream_ = nullptr;
  std::set<CUdeviceptr> allocations_;
  std::map<CUfunction, std::string> kernelNames_;
  const std::map<std::string, std::string> *kernelSites_ = nullptr;
  bool syncEachLaunch_ = false;
  std::string pendingError_;
};

} // namespace ds::rt::cuda

#endif // DS_RUNTIME_CUDA_CUDADEVICE_H
