//===- KernelAbiCheck.cpp - the CUDA kernels match kernels/KernelAbi.h ----===//
//
// Each CUDA twin takes exactly the arguments kernels/KernelAbi.h declares
// for its CPU kernel (the lowering's calls are checked against the same
// table), and every kernel the table marks CpuAndCuda has one.
//
//===----------------------------------------------------------------------===//

#include "kernels/KernelAbi.h"
#include "kernels/KernelAbiMatch.h"
#include "kernels/cuda/CudaKernels.h"

namespace ds::kernels {
namespace {
using abi_match::matches;

#define DS_CHECK_CUDA_KERNEL(name)                                             \
  static_assert(matches(&ds_cuda_##name, "ds_" #name),                         \
                "ds_cuda_" #name " does not match ds_" #name                   \
                " in kernels/KernelAbi.h")

DS_CHECK_CUDA_KERNEL(matmul_f32);
DS_CHECK_CUDA_KERNEL(matmul_f64);
DS_CHECK_CUDA_KERNEL(attention_f32);
DS_CHECK_CUDA_KERNEL(attention_f64);
DS_CHECK_CUDA_KERNEL(attention_grad_f32);
DS_CHECK_CUDA_KERNEL(attention_grad_f64);
DS_CHECK_CUDA_KERNEL(moe_route_f32);
DS_CHECK_CUDA_KERNEL(moe_route_f64);
DS_CHECK_CUDA_KERNEL(moe_route_grad_f32);
DS_CHECK_CUDA_KERNEL(moe_route_grad_f64);
DS_CHECK_CUDA_KERNEL(moe_ffn_f32);
DS_CHECK_CUDA_KERNEL(moe_ffn_f64);
DS_CHECK_CUDA_KERNEL(moe_ffn_grad_f32);
DS_CHECK_CUDA_KERNEL(moe_ffn_grad_f64);
DS_CHECK_CUDA_KERNEL(cross_entropy_f32);
DS_CHECK_CUDA_KERNEL(cross_entropy_f64);
DS_CHECK_CUDA_KERNEL(cross_entropy_grad_f32);
DS_CHECK_CUDA_KERNEL(cross_entropy_grad_f64);
DS_CHECK_CUDA_KERNEL(gather);
DS_CHECK_CUDA_KERNEL(scatter_add_f32);
DS_CHECK_CUDA_KERNEL(scatter_add_f64);
DS_CHECK_CUDA_KERNEL(scatter_add_i32);
DS_CHECK_CUDA_KERNEL(scatter_add_i64);
DS_CHECK_CUDA_KERNEL(rope_f32);
DS_CHECK_CUDA_KERNEL(rope_f64);
DS_CHECK_CUDA_KERNEL(status_fail);

#undef DS_CHECK_CUDA_KERNEL

constexpr size_t cudaKernelCount() {
  size_t count = 0;
  for (const KernelSpec &kernel : kKernels)
    count += kernel.onCuda();
  return count;
}

/// Every kernel the table says has a CUDA twin is checked above.
static_assert(cudaKernelCount() == 26,
              "kernels/KernelAbi.h marks a different set of kernels as "
              "having a CUDA twin: check its prototype here");

} // namespace
} // namespace ds::kernels
