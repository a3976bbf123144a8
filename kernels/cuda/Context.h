//===- Context.h - what the CUDA kernels run in ------------------*- C++ -*-===//
//
// The CUDA kernels (CudaKernels.h) are called by compiled code through a C
// ABI that has no room for a stream or an error: the same arguments as the
// CPU kernels. What they need besides their arguments comes from the
// calling thread's Context, which the runtime makes current around a call
// of compiled code (ScopedContext):
//
//  - the stream every kernel, copy and scratch allocation goes to, in
//    order (scratch is stream-ordered: cudaMallocAsync / cudaFreeAsync);
//  - the GEMM library (cuBLASLt, opened at run time by the runtime and
//    handed over as a table; null until a GEMM needs it);
//  - the first error a kernel met (a launch that failed, arguments the
//    kernel cannot take), which the runtime reports after the call with
//    the kernel's name.
//
// Ownership: the runtime owns the Context (one per device and executable
// thread); kernels never keep pointers into it across calls.
// Threading: a Context is used by one thread at a time.
//
//===----------------------------------------------------------------------===//

#ifndef DS_KERNELS_CUDA_CONTEXT_H
#define DS_KERNELS_CUDA_CONTEXT_H

#include <cstddef>
#include <cstdint>
#include <string>

typedef struct CUstream_st *cudaStream_t;

namespace ds::kernels::cuda {

class Gemm; // Gemm.h: cuBLASLt behind a small interface

struct Context {
  cudaStream_t stream = nullptr;
  /// Not owned; null when no GEMM library could be opened (the GEMM
  /// kernels then record that as their error).
  Gemm *gemm = nullptr;
  /// The first error of the current call; empty when none.
  std::string error;
};

/// The calling thread's context, or null outside a ScopedContext.
Context *currentContext();

/// Makes `context` current on the calling thread for the scope's lifetime.
class ScopedContext {
public:
  explicit ScopedContext(Context *context);
  ~ScopedContext();
  ScopedContext(const ScopedContext &) = delete;
  ScopedContext &operator=(const ScopedContext &) = delete;

private:
  Context *previous_;
};

/// The current context's stream (the legacy default stream without one).
cudaStream_t currentStream();

/// Records "`kernel`: `message`" as the current context's error unless one
/// is recorded already (the first one wins). Without a context the error
/// is lost: kernels are only called through one.
void recordError(const char *kernel, const std::string &message);

/// Records the CUDA runtime's last error (a failed launch: bad
/// configuration, too much shared memory) for `kernel`; true when there
/// was none.
bool checkLaunch(const char *kernel);

} // namespace ds::kernels::cuda

#endif // DS_KERNELS_CUDA_CONTEXT_H
