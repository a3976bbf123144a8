//===- Context.cpp - the calling thread's kernel context -----------------===//

#include "kernels/cuda/Context.h"

#include <cuda_runtime_api.h>

namespace ds::kernels::cuda {
namespace {
// Per thread, not per process: two executables on two threads each make
// their own context current.
thread_local Context *current = nullptr;
} // namespace

Context *currentContext() { return current; }

ScopedContext::ScopedContext(Context *context) : previous_(current) {
  current = context;
}

ScopedContext::~ScopedContext() { current = previous_; }

cudaStream_t currentStream() { return current ? current->stream : nullptr; }

void recordError(const char *kernel, const std::string &message) {
  if (!current || !current->error.empty())
    return;
  current->error = std::string(kernel) + ": " + message;
}

bool checkLaunch(const char *kernel) {
  cudaError_t result = cudaGetLastError();
  if (result == cudaSuccess)
    return true;
  recordError(kernel, std::string("launch failed: ") +
                          cudaGetErrorString(result) + " (" +
                          cudaGetErrorName(result) + ")");
  return false;
}

} // namespace ds::kernels::cuda
