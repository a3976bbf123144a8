//===- ExecutableCuda.cpp - running a CUDA artifact's entries ------------===//
//
// A CUDA artifact's entry takes device pointers: its workspace, every
// argument and result, and the run's status all live in device memory,
// allocated at the entry's first run and reused. A run copies the
// arguments to the device, runs the entry (which only queues launches and
// kernel calls on the device's stream), waits for the stream, and copies
// the status and the results back.
//
// Every argument crosses to the device on every run, parameters and
// optimizer state included; keeping those resident between steps is the
// next step of the CUDA backend (docs/gpu.md).
//
//===----------------------------------------------------------------------===//

#include "runtime/Executable.h"

#ifdef DS_HAVE_CUDA
#include "runtime/cuda/CudaBackend.h"
#endif

namespace ds::rt {
namespace {
std::string quoted(std::string_view name) {
  return "'" + std::string(name) + "'";
}
} // namespace

#ifdef DS_HAVE_CUDA

struct Executable::DeviceState {
  explicit DeviceState(cuda::Backend &backend, size_t entries)
      : backend(backend), entries(entries) {}
  ~DeviceState() {
    cuda::Backend::Scope scope(backend);
    std::string ignored;
    backend.device().synchronize(ignored);
    for (EntryBuffers &entry : entries) {
      backend.device().free(entry.workspace, ignored);
      for (CUdeviceptr buffer : entry.buffers)
        backend.device().free(buffer, ignored);
    }
    backend.device().free(status, ignored);
  }

  struct EntryBuffers {
    bool allocated = false;
    CUdeviceptr workspace = 0;
    /// One per argument, then one per result, in the entry's order.
    std::vector<CUdeviceptr> buffers;
  };

  /// Allocates `entry`'s device memory unless done already.
  bool prepare(const EntrySpec &spec, EntryBuffers &entry,
               std::string &error) {
    if (entry.allocated)
      return true;
    cuda::Device &device = backend.device();
    if (!status && !device.allocate(sizeof(ds_status), status, error))
      return false;
    if (!device.allocate(spec.workspaceBytes, entry.workspace, error))
      return false;
    for (const ArgumentSpec &argument : spec.arguments) {
      entry.buffers.push_back(0);
      if (!device.allocate(argument.byteSize, entry.buffers.back(), error))
        return false;
    }
    for (const ResultSpec &result : spec.results) {
      entry.buffers.push_back(0);
      if (!device.allocate(result.byteSize, entry.buffers.back(), error))
        return false;
    }
    entry.allocated = true;
    return true;
  }

  cuda::Backend &backend;
  std::vector<EntryBuffers> entries;
  CUdeviceptr status = 0;
};

void Executable::DeviceStateDeleter::operator()(DeviceState *state) const {
  delete state;
}

bool Executable::callOnDevice(const Artifact::Entry &entry,
                              std::vector<void *> &buffers,
                              std::string &error) {
  const EntrySpec &spec = *entry.spec;
  const std::string what = "entry " + quoted(spec.name);
  if (spec.ranks > 1) {
    error = what + " is compiled for " + std::to_string(spec.ranks) +
            " ranks: CUDA artifacts run on one GPU";
    return false;
  }
  cuda::Backend &backend = *artifact_->backend();
  cuda::Backend::Scope scope(backend);
  if (!device_)
    device_.reset(new DeviceState(backend, artifact_->entries().size()));
  DeviceState::EntryBuffers &memory = device_->entries[entry.index];
  if (!device_->prepare(spec, memory, error)) {
    error = what + ": " + error;
    return false;
  }
  // The GEMM kernels say themselves when cuBLASLt is missing; opening it
  // here only moves that to the first run.
  std::string gemmError;
  backend.openGemm(gemmError);

  cuda::Device &device = backend.device();
  const size_t numArguments = spec.arguments.size();
  // Queued: the host buffers stay put until the wait after the run, and
  // the stream runs the copies before the entry's kernels.
  for (size_t i = 0; i < numArguments; ++i)
    if (!device.toDeviceQueued(memory.buffers[i], buffers[i],
                               spec.arguments[i].byteSize, error)) {
      error = what + ": argument " + quoted(spec.arguments[i].name) + ": " +
              error;
      std::string ignored; // the copies queued before must finish first
      device.synchronize(ignored);
      return false;
    }
  static_assert(sizeof(ds_status) % 4 == 0);
  if (!device.fill32(device_->status, 0, sizeof(ds_status) / 4, error)) {
    error = what + ": " + error;
    return false;
  }
  std::vector<void *> pointers;
  for (CUdeviceptr buffer : memory.buffers)
    pointers.push_back(reinterpret_cast<void *>(buffer));
  entry.function(reinterpret_cast<ds_status *>(device_->status),
                 pointers.data(), reinterpret_cast<void *>(memory.workspace));
  if (!backend.finish(what, error)) {
    if (!gemmError.empty())
      error += " (" + gemmError + ")";
    return false;
  }
  status_ = ds_status{};
  if (!device.toHost(&status_, device_->status, sizeof(ds_status), error)) {
    error = what + ": " + error;
    return false;
  }
  status_.comm = nullptr; // a device-side value with no meaning here
  if (status_.code != DS_STATUS_OK) {
    error = describeStatus(status_, artifact_->manifest(), spec.name);
    return false;
  }
  for (size_t j = 0; j < spec.results.size(); ++j)
    if (!device.toHost(buffers[numArguments + j],
                       memory.buffers[numArguments + j],
                       spec.results[j].byteSize, error)) {
      error = what + ": result " + quoted(spec.results[j].name) + ": " + error;
      return false;
    }
  return true;
}

#else // !DS_HAVE_CUDA

struct Executable::DeviceState {};

void Executable::DeviceStateDeleter::operator()(DeviceState *state) const {
  delete state;
}

bool Executable::callOnDevice(const Artifact::Entry &entry,
                              std::vector<void *> &, std::string &error) {
  // Artifact::load never opens a CUDA artifact without the backend.
  error = "entry " + quoted(entry.spec->name) +
          ": this build of DS has no CUDA backend";
  return false;
}

#endif

} // namespace ds::rt
