//===- Gemm.cpp - cuBLASLt through dlopen --------------------------------===//
//
// Row-major products become cuBLASLt's column-major ones by transposing the
// whole equation: a row-major X is the column-major Xᵀ, so
//   C = op(A)·op(B)  <=>  Cᵀ = op(B)ᵀ·op(A)ᵀ,
// which cuBLASLt computes with B's buffer as its first operand, A's as its
// second, and C's buffer as a column-major N×M matrix.
//
//===----------------------------------------------------------------------===//

#include "kernels/cuda/Gemm.h"

#include <cublasLt.h>
#include <cuda_runtime_api.h>
#include <dlfcn.h>

#include <cstdlib>

namespace ds::kernels::cuda {

struct Gemm::Api {
  decltype(&cublasLtCreate) create = nullptr;
  decltype(&cublasLtDestroy) destroy = nullptr;
  decltype(&cublasLtGetStatusString) statusString = nullptr;
  decltype(&cublasLtMatmulDescCreate) descCreate = nullptr;
  decltype(&cublasLtMatmulDescDestroy) descDestroy = nullptr;
  decltype(&cublasLtMatmulDescSetAttribute) descSet = nullptr;
  decltype(&cublasLtMatrixLayoutCreate) layoutCreate = nullptr;
  decltype(&cublasLtMatrixLayoutDestroy) layoutDestroy = nullptr;
  decltype(&cublasLtMatrixLayoutSetAttribute) layoutSet = nullptr;
  decltype(&cublasLtMatmulPreferenceCreate) preferenceCreate = nullptr;
  decltype(&cublasLtMatmulPreferenceDestroy) preferenceDestroy = nullptr;
  decltype(&cublasLtMatmulPreferenceSetAttribute) preferenceSet = nullptr;
  decltype(&cublasLtMatmulAlgoGetHeuristic) heuristic = nullptr;
  decltype(&cublasLtMatmul) matmul = nullptr;

  std::string describe(cublasStatus_t status, const char *call) const {
    return std::string(call) + " failed: " +
           (statusString ? statusString(status) : "") + " (" +
           std::to_string(int(status)) + ")";
  }
};

struct Gemm::Plan {
  const Api *api = nullptr;
  cublasLtMatmulDesc_t operation = nullptr;
  cublasLtMatrixLayout_t a = nullptr, b = nullptr, c = nullptr;
  cublasLtMatmulAlgo_t algorithm{};
  size_t workspaceBytes = 0;
  ~Plan() {
    if (c)
      api->layoutDestroy(c);
    if (b)
      api->layoutDestroy(b);
    if (a)
      api->layoutDestroy(a);
    if (operation)
      api->descDestroy(operation);
  }
};

namespace {
// Enough for cuBLASLt's split-K algorithms on Hopper (NVIDIA recommends
// 32 MiB there).
constexpr size_t kWorkspaceBytes = size_t(32) << 20;

template <typename F> bool resolve(void *library, const char *name, F &slot,
                                   std::string &error) {
  slot = reinterpret_cast<F>(dlsym(library, name));
  if (!slot)
    error = std::string("the cuBLASLt library has no ") + name +
            " (too old for CUDA 13?)";
  return slot != nullptr;
}

/// The largest power of two (up to 16) that divides every address.
unsigned commonAlignment(const void *A, const void *B, void *C) {
  uintptr_t bits = uintptr_t(A) | uintptr_t(B) | uintptr_t(C) | 16;
  return unsigned(bits & -bits);
}
} // namespace

std::string Gemm::defaultLibrary() {
  if (const char *library = std::getenv("DS_CUBLASLT"); library && *library)
    return library;
  return "libcublasLt.so.13";
}

std::unique_ptr<Gemm> Gemm::open(const std::string &library,
                                 std::string &error) {
  std::unique_ptr<Gemm> gemm(new Gemm());
  gemm->library_ = dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!gemm->library_) {
    const char *why = dlerror();
    error = "cannot open the cuBLASLt library " + library + ": " +
            (why ? why : "unknown error") +
            " (install the CUDA 13 toolkit's libcublas, or set DS_CUBLASLT)";
    return nullptr;
  }
  gemm->api_ = std::make_unique<Api>();
  Api &api = *gemm->api_;
  void *lib = gemm->library_;
  if (!resolve(lib, "cublasLtCreate", api.create, error) ||
      !resolve(lib, "cublasLtDestroy", api.destroy, error) ||
      !resolve(lib, "cublasLtGetStatusString", api.statusString, error) ||
      !resolve(lib, "cublasLtMatmulDescCreate", api.descCreate, error) ||
      !resolve(lib, "cublasLtMatmulDescDestroy", api.descDestroy, error) ||
      !resolve(lib, "cublasLtMatmulDescSetAttribute", api.descSet, error) ||
      !resolve(lib, "cublasLtMatrixLayoutCreate", api.layoutCreate, error) ||
      !resolve(lib, "cublasLtMatrixLayoutDestroy", api.layoutDestroy, error) ||
      !resolve(lib, "cublasLtMatrixLayoutSetAttribute", api.layoutSet,
               error) ||
      !resolve(lib, "cublasLtMatmulPreferenceCreate", api.preferenceCreate,
               error) ||
      !resolve(lib, "cublasLtMatmulPreferenceDestroy", api.preferenceDestroy,
               error) ||
      !resolve(lib, "cublasLtMatmulPreferenceSetAttribute", api.preferenceSet,
               error) ||
      !resolve(lib, "cublasLtMatmulAlgoGetHeuristic", api.heuristic, error) ||
      !resolve(lib, "cublasLtMatmul", api.matmul, error))
    return nullptr;
  cublasLtHandle_t handle = nullptr;
  if (cublasStatus_t s = api.create(&handle); s != CUBLAS_STATUS_SUCCESS) {
    error = api.describe(s, "cublasLtCreate");
    return nullptr;
  }
  gemm->handle_ = handle;
  return gemm;
}

Gemm::~Gemm() {
  plans_.clear();
  if (workspace_)
    cudaFree(workspace_);
  if (handle_)
    api_->destroy(static_cast<cublasLtHandle_t>(handle_));
  if (library_)
    dlclose(library_);
}

const Gemm::Plan *Gemm::planFor(const GemmProblem &p, unsigned alignment,
                                std::string &error) {
  Key key{int(p.type), p.batch, p.M,        p.N,        p.K,
          p.transA,    p.transB, p.strideA, p.strideB, alignment};
  if (auto found = plans_.find(key); found != plans_.end())
    return found->second.get();

  const Api &api = *api_;
  auto plan = std::make_unique<Plan>();
  plan->api = &api;
  const bool f64 = p.type == GemmType::F64;
  const cudaDataType_t data = f64 ? CUDA_R_64F : CUDA_R_32F;
  // Plain f32 accumulation, no TF32: results match the CPU's within float
  // rounding. (bf16 operands, which autocast produces, are a separate type.)
  const cublasComputeType_t compute =
      f64 ? CUBLAS_COMPUTE_64F : CUBLAS_COMPUTE_32F;
  auto check = [&](cublasStatus_t s, const char *call) {
    if (s != CUBLAS_STATUS_SUCCESS)
      error = api.describe(s, call);
    return s == CUBLAS_STATUS_SUCCESS;
  };
  if (!check(api.descCreate(&plan->operation, compute, data),
             "cublasLtMatmulDescCreate"))
    return nullptr;
  // cuBLASLt's first operand is B's buffer, its second A's (file comment).
  cublasOperation_t opFirst = p.transB ? CUBLAS_OP_T : CUBLAS_OP_N;
  cublasOperation_t opSecond = p.transA ? CUBLAS_OP_T : CUBLAS_OP_N;
  if (!check(api.descSet(plan->operation, CUBLASLT_MATMUL_DESC_TRANSA,
                         &opFirst, sizeof(opFirst)),
             "cublasLtMatmulDescSetAttribute(TRANSA)") ||
      !check(api.descSet(plan->operation, CUBLASLT_MATMUL_DESC_TRANSB,
                         &opSecond, sizeof(opSecond)),
             "cublasLtMatmulDescSetAttribute(TRANSB)"))
    return nullptr;
  // Stored (column-major) shapes: B's buffer is N×K (ld N), or K×N (ld K)
  // when transposed; A's is K×M (ld K), or M×K (ld M); C's is N×M (ld N).
  auto layout = [&](cublasLtMatrixLayout_t &out, int64_t rows, int64_t cols,
                    int64_t stride) {
    if (!check(api.layoutCreate(&out, data, uint64_t(rows), uint64_t(cols),
                                rows),
               "cublasLtMatrixLayoutCreate"))
      return false;
    int32_t count = int32_t(p.batch);
    return check(api.layoutSet(out, CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, &count,
                               sizeof(count)),
                 "cublasLtMatrixLayoutSetAttribute(BATCH_COUNT)") &&
           check(api.layoutSet(out, CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET,
                               &stride, sizeof(stride)),
                 "cublasLtMatrixLayoutSetAttribute(STRIDED_BATCH_OFFSET)");
  };
  if (!layout(plan->a, p.transB ? p.K : p.N, p.transB ? p.N : p.K,
              p.strideB) ||
      !layout(plan->b, p.transA ? p.M : p.K, p.transA ? p.K : p.M,
              p.strideA) ||
      !layout(plan->c, p.N, p.M, p.M * p.N))
    return nullptr;

  cublasLtMatmulPreference_t preference = nullptr;
  if (!check(api.preferenceCreate(&preference),
             "cublasLtMatmulPreferenceCreate"))
    return nullptr;
  uint64_t maxWorkspace = kWorkspaceBytes;
  uint32_t align = alignment;
  bool ok =
      check(api.preferenceSet(preference,
                              CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES,
                              &maxWorkspace, sizeof(maxWorkspace)),
            "cublasLtMatmulPreferenceSetAttribute(MAX_WORKSPACE_BYTES)");
  for (auto attribute : {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES,
                         CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES,
                         CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES,
                         CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES})
    ok = ok && check(api.preferenceSet(preference, attribute, &align,
                                       sizeof(align)),
                     "cublasLtMatmulPreferenceSetAttribute(MIN_ALIGNMENT)");
  cublasLtMatmulHeuristicResult_t result{};
  int found = 0;
  if (ok)
    ok = check(api.heuristic(static_cast<cublasLtHandle_t>(handle_),
                             plan->operation, plan->a, plan->b, plan->c,
                             plan->c, preference, 1, &result, &found),
               "cublasLtMatmulAlgoGetHeuristic");
  api.preferenceDestroy(preference);
  if (!ok)
    return nullptr;
  if (found == 0) {
    error = "cuBLASLt has no algorithm for a " +
            std::string(f64 ? "f64" : "f32") + " product of batch " +
            std::to_string(p.batch) + ", M=" + std::to_string(p.M) +
            ", N=" + std::to_string(p.N) + ", K=" + std::to_string(p.K);
    return nullptr;
  }
  plan->algorithm = result.algo;
  plan->workspaceBytes = result.workspaceSize;
  const Plan *chosen = plan.get();
  plans_.emplace(key, std::move(plan));
  return chosen;
}

bool Gemm::run(const GemmProblem &problem, const void *A, const void *B,
               void *C, cudaStream_t stream, std::string &error) {
  const Plan *plan = planFor(problem, commonAlignment(A, B, C), error);
  if (!plan)
    return false;
  if (plan->workspaceBytes > 0 && !workspace_) {
    // Allocated once, at the first product that wants one (the heuristic
    // never asks for more than kWorkspaceBytes); later products reuse it in
    // stream order.
    if (cudaError_t e = cudaMalloc(&workspace_, kWorkspaceBytes);
        e != cudaSuccess) {
      workspace_ = nullptr;
      error = std::string("cannot allocate cuBLASLt's workspace: ") +
              cudaGetErrorString(e);
      return false;
    }
  }
  const double oneD = 1.0, zeroD = 0.0;
  const float oneF = 1.0f, zeroF = 0.0f;
  const bool f64 = problem.type == GemmType::F64;
  const void *alpha = f64 ? static_cast<const void *>(&oneD) : &oneF;
  const void *beta = f64 ? static_cast<const void *>(&zeroD) : &zeroF;
  cublasStatus_t s = api_->matmul(
      static_cast<cublasLtHandle_t>(handle_), plan->operation, alpha, B,
      plan->a, A, plan->b, beta, C, plan->c, C, plan->c, &plan->algorithm,
      workspace_, plan->workspaceBytes, stream);
  if (s != CUBLAS_STATUS_SUCCESS) {
    error = api_->describe(s, "cublasLtMatmul");
    return false;
  }
  return true;
}

} // namespace ds::kernels::cuda
