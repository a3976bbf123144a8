//===- Gemm.h - GEMMs through cuBLASLt, opened at run time -------*- C++ -*-===//
//
// The CUDA kernels' matrix products go to cuBLASLt. Like the driver
// (runtime/cuda/CudaDriver.h), the library is opened with dlopen when a
// CUDA artifact first needs it, never linked: binaries that link the CUDA
// kernels start on machines without the library, and a missing or broken
// one is an error that says which library and why.
//
// A Gemm keeps, per problem shape, the descriptors and the algorithm
// cuBLASLt's heuristic chose (a training step asks for the same few dozen
// shapes every step), and one workspace for the algorithms that want one.
//
// Ownership: a Gemm owns its library handle, its cuBLASLt handle, its plans
// and its workspace; it must be destroyed while its device's context is
// current. Threading: one thread at a time (a Context's).
//
//===----------------------------------------------------------------------===//

#ifndef DS_KERNELS_CUDA_GEMM_H
#define DS_KERNELS_CUDA_GEMM_H

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <tuple>

typedef struct CUstream_st *cudaStream_t;

namespace ds::kernels::cuda {

enum class GemmType { F32, F64 };

/// A row-major batched product, as ds_matmul_* takes it
/// (kernels/cpu/Kernels.h): for b < batch,
///   C[b] = op(A + b·strideA) · op(B + b·strideB), C[b] at C + b·M·N.
struct GemmProblem {
  GemmType type = GemmType::F32;
  int64_t batch = 1, M = 0, N = 0, K = 0;
  bool transA = false, transB = false;
  int64_t strideA = 0, strideB = 0;
};

class Gemm {
public:
  /// The library tried: $DS_CUBLASLT if set, else libcublasLt.so.13.
  static std::string defaultLibrary();
  /// Opens `library` and creates a cuBLASLt handle (the device's context
  /// must be current). Null with `error` on failure.
  static std::unique_ptr<Gemm> open(const std::string &library,
                                    std::string &error);
  ~Gemm();
  Gemm(const Gemm &) = delete;
  Gemm &operator=(const Gemm &) = delete;

  /// Queues the product on `stream`; false with `error` when cuBLASLt
  /// refuses it (no algorithm for the shape, a failed call). Sizes must be
  /// positive (callers handle empty products), below 2^31.
  bool run(const GemmProblem &problem, const void *A, const void *B, void *C,
           cudaStream_t stream, std::string &error);

  struct Api;  // the cuBLASLt functions (Gemm.cpp)
  struct Plan; // descriptors + algorithm for one problem (Gemm.cpp)

private:
  Gemm() = default;
  const Plan *planFor(const GemmProblem &problem, unsigned alignment,
                      std::string &error);

  void *library_ = nullptr;
  std::unique_ptr<Api> api_;
  void *handle_ = nullptr; // cublasLtHandle_t
  void *workspace_ = nullptr;
  using Key = std::tuple<int, int64_t, int64_t, int64_t, int64_t, bool, bool,
                         int64_t, int64_t, unsigned>;
  std::map<Key, std::unique_ptr<Plan>> plans_;
};

} // namespace ds::kernels::cuda

#endif // DS_KERNELS_CUDA_GEMM_H
