//===- CudaBackend.cpp - one GPU as artifacts run on it ------------------===//

#include "runtime/cuda/CudaBackend.h"

#include "kernels/cuda/Gemm.h"

namespace ds::rt::cuda {

std::unique_ptr<Backend> Backend::open(int deviceIndex, std::string &error) {
  std::unique_ptr<Backend> backend(new Backend());
  backend->driver_ = Driver::load(Driver::defaultLibrary(), error);
  if (!backend->driver_)
    return nullptr;
  backend->device_ = Device::open(*backend->driver_, deviceIndex, error);
  if (!backend->device_)
    return nullptr;
  if (!backend->driver_->describeDevice(deviceIndex, backend->info_, error))
    return nullptr;
  // The kernels queue their work on the device's one stream, after and
  // before compiled code's launches (the driver's CUstream is the runtime
  // API's cudaStream_t).
  backend->kernels_.stream =
      reinterpret_cast<cudaStream_t>(backend->device_->stream());
  return backend;
}

Backend::~Backend() {
  if (!device_)
    return;
  std::string ignored;
  device_->makeCurrent(ignored);
  device_->synchronize(ignored);
  gemm_.reset(); // frees its workspace in the device's context
}

Backend::Scope::Scope(Backend &backend)
    : device_(backend.device_.get()), kernels_(&backend.kernels_) {
  std::string ignored; // a failure shows at the first call on the device
  backend.device_->makeCurrent(ignored);
}

bool Backend::openGemm(std::string &error) {
  if (gemm_)
    return true;
  if (!gemmError_.empty()) { // tried before
    error = gemmError_;
    return false;
  }
  gemm_ = kernels::cuda::Gemm::open(kernels::cuda::Gemm::defaultLibrary(),
                                    gemmError_);
  kernels_.gemm = gemm_.get();
  if (!gemm_)
    error = gemmError_;
  return gemm_ != nullptr;
}

bool Backend::finish(const std::string &what, std::string &error) {
  // What the generated code's calls recorded while queueing, before the
  // wait (which would report it as its own failure).
  std::string pending = device_->takeError();
  std::string failure;
  bool synchronized = device_->synchronize(failure);
  std::string kernels = std::move(kernels_.error);
  kernels_.error.clear();
  // The first cause, not its consequences: a failed launch is reported
  // rather than the fault the stream met after it.
  if (!pending.empty())
    error = what + ": " + pending;
  else if (!kernels.empty())
    error = what + ": " + kernels;
  else if (!synchronized)
    error = what + ": " + failure;
  else
    return true;
  return false;
}

} // namespace ds::rt::cuda
