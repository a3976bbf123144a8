//===- KernelAbiCheck.cpp - the CPU kernels match kernels/KernelAbi.h -----===//
//
// At compile time: each C prototype the compiled code calls has exactly the
// arguments kernels/KernelAbi.h declares for it. A kernel whose signature
// changes without the table (or the other way round) stops the build here,
// and the lowering's calls are checked against the same table.
//
//===----------------------------------------------------------------------===//

#include "kernels/KernelAbi.h"
#include "kernels/KernelAbiMatch.h"

#include "kernels/cpu/Collectives.h"
#include "kernels/cpu/ExpertExchange.h"
#include "kernels/cpu/Kernels.h"
#include "kernels/cpu/Status.h"

namespace ds::kernels {
namespace {
using abi_match::matches;

#define DS_CHECK_KERNEL(name)                                                  \
  static_assert(matches(&name, #name),                                         \
                #name " does not match its entry in kernels/KernelAbi.h")

DS_CHECK_KERNEL(ds_matmul_f32);
DS_CHECK_KERNEL(ds_matmul_f64);
DS_CHECK_KERNEL(ds_attention_f32);
DS_CHECK_KERNEL(ds_attention_f64);
DS_CHECK_KERNEL(ds_attention_grad_f32);
DS_CHECK_KERNEL(ds_attention_grad_f64);
DS_CHECK_KERNEL(ds_moe_route_f32);
DS_CHECK_KERNEL(ds_moe_route_f64);
DS_CHECK_KERNEL(ds_moe_route_grad_f32);
DS_CHECK_KERNEL(ds_moe_route_grad_f64);
DS_CHECK_KERNEL(ds_moe_ffn_f32);
DS_CHECK_KERNEL(ds_moe_ffn_f64);
DS_CHECK_KERNEL(ds_moe_ffn_grad_f32);
DS_CHECK_KERNEL(ds_moe_ffn_grad_f64);
DS_CHECK_KERNEL(ds_cross_entropy_f32);
DS_CHECK_KERNEL(ds_cross_entropy_f64);
DS_CHECK_KERNEL(ds_cross_entropy_grad_f32);
DS_CHECK_KERNEL(ds_cross_entropy_grad_f64);
DS_CHECK_KERNEL(ds_gather);
DS_CHECK_KERNEL(ds_scatter_add_f32);
DS_CHECK_KERNEL(ds_scatter_add_f64);
DS_CHECK_KERNEL(ds_scatter_add_i32);
DS_CHECK_KERNEL(ds_scatter_add_i64);
DS_CHECK_KERNEL(ds_rope_f32);
DS_CHECK_KERNEL(ds_rope_f64);
DS_CHECK_KERNEL(ds_collective_all_reduce);
DS_CHECK_KERNEL(ds_collective_all_gather);
DS_CHECK_KERNEL(ds_collective_reduce_scatter);
DS_CHECK_KERNEL(ds_collective_all_slice);
DS_CHECK_KERNEL(ds_expert_plan);
DS_CHECK_KERNEL(ds_expert_dispatch);
DS_CHECK_KERNEL(ds_expert_dispatch_indices);
DS_CHECK_KERNEL(ds_expert_combine);
DS_CHECK_KERNEL(ds_status_fail);

#undef DS_CHECK_KERNEL

/// Every kernel of the table is checked above.
static_assert(std::size(kKernels) == 34,
              "a kernel was added to kernels/KernelAbi.h: check its "
              "prototype here");

} // namespace
} // namespace ds::kernels
