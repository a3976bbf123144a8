//===- KernelAbi.h - the kernels compiled code calls, declared once -*- C++ -*-===//
//
// Every kernel the compiler's lowering calls, with the kind of each of its
// arguments. It is the one declaration both sides are checked against:
//
//  - the kernels: kernels/cpu/KernelAbiCheck.cpp static_asserts that each C
//    prototype (kernels/cpu/Kernels.h, Collectives.h, ExpertExchange.h,
//    Status.h) has exactly these arguments; a CUDA implementation of the
//    same kernels is checked the same way;
//  - the lowering: passes/lower's KernelCall checks each call it builds
//    against its entry here (an error at the op's location otherwise), and
//    declares the kernel from it.
//
// So a kernel and the calls to it cannot drift apart without the build or
// the compiler saying so. Plain C++17, no dependencies (the compiler and
// the kernels both include it).
//
//===----------------------------------------------------------------------===//

#ifndef DS_KERNELS_KERNELABI_H
#define DS_KERNELS_KERNELABI_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ds::kernels {

/// What an argument is: the run's status (ds_status *), a scalar, or a
/// buffer the kernel reads (const T *) or writes (T *).
enum class ArgKind : uint8_t { Status, I32, I64, F64, In, Out };

/// A buffer's element type; Any for untyped buffers (void *), whose
/// element size or dtype another argument gives.
enum class Element : uint8_t { Any, F32, F64, I32, I64 };

struct Arg {
  ArgKind kind;
  Element element = Element::Any;
};

constexpr bool operator==(Arg a, Arg b) {
  return a.kind == b.kind && a.element == b.element;
}

/// Where a kernel is implemented. Every kernel runs on the CPU
/// (kernels/cpu); those marked Cuda also have a CUDA twin
/// (kernels/cuda/CudaKernels.h) under kCudaPrefix + the name without
/// "ds_", which a CUDA artifact's host code calls instead.
enum class Backends : uint8_t { Cpu, CpuAndCuda };

inline constexpr std::string_view kCudaPrefix = "ds_cuda_";

struct KernelSpec {
  std::string_view name;
  const Arg *args;
  size_t count;
  Backends backends;
  constexpr bool onCuda() const { return backends == Backends::CpuAndCuda; }
};

namespace abi {
inline constexpr Arg status{ArgKind::Status};
inline constexpr Arg i32{ArgKind::I32};
inline constexpr Arg i64{ArgKind::I64};
inline constexpr Arg f64{ArgKind::F64};
inline constexpr Arg inF32{ArgKind::In, Element::F32};
inline constexpr Arg inF64{ArgKind::In, Element::F64};
inline constexpr Arg inI32{ArgKind::In, Element::I32};
inline constexpr Arg inI64{ArgKind::In, Element::I64};
inline constexpr Arg inAny{ArgKind::In, Element::Any};
inline constexpr Arg outF32{ArgKind::Out, Element::F32};
inline constexpr Arg outF64{ArgKind::Out, Element::F64};
inline constexpr Arg outI32{ArgKind::Out, Element::I32};
inline constexpr Arg outI64{ArgKind::Out, Element::I64};
inline constexpr Arg outAny{ArgKind::Out, Element::Any};

// GEMM: A, B, C, batch, M, N, K, transA, transB, strideA, strideB.
inline constexpr Arg matmulF32[] = {inF32, inF32, outF32, i64, i64, i64,
                                    i64,   i32,   i32,    i64, i64};
inline constexpr Arg matmulF64[] = {inF64, inF64, outF64, i64, i64, i64,
                                    i64,   i32,   i32,    i64, i64};
// Attention: q, k, v, out, B, Tq, Tk, Hq, Hkv, Dqk, Dv, scale, causal,
// window, keyLength.
inline constexpr Arg attentionF32[] = {inF32, inF32, inF32, outF32, i64,
                                       i64,   i64,   i64,   i64,    i64,
                                       i64,   f64,   i32,   i64,    i64};
inline constexpr Arg attentionF64[] = {inF64, inF64, inF64, outF64, i64,
                                       i64,   i64,   i64,   i64,    i64,
                                       i64,   f64,   i32,   i64,    i64};
// q, k, v, dout, dq, dk, dv, then attention's sizes and options.
inline constexpr Arg attentionGradF32[] = {
    inF32, inF32, inF32, inF32, outF32, outF32, outF32, i64, i64,
    i64,   i64,   i64,   i64,   i64,    f64,    i32,    i64, i64};
inline constexpr Arg attentionGradF64[] = {
    inF64, inF64, inF64, inF64, outF64, outF64, outF64, i64, i64,
    i64,   i64,   i64,   i64,   i64,    f64,    i32,    i64, i64};
// logits, bias, weights, indices, N, E, top_k, n_group, topk_group,
// scoring, group_score, norm_topk_prob, routed_scaling_factor.
inline constexpr Arg moeRouteF32[] = {inF32, inF32, outF32, outI64, i64,
                                      i64,   i64,   i64,    i64,    i32,
                                      i32,   i32,   f64};
inline constexpr Arg moeRouteF64[] = {inF64, inF64, outF64, outI64, i64,
                                      i64,   i64,   i64,    i64,    i32,
                                      i32,   i32,   f64};
inline constexpr Arg moeRouteGradF32[] = {status, i32, inF32, inI64,
                                          inF32,  outF32, i64, i64,
                                          i64,    i32,    i32, f64};
inline constexpr Arg moeRouteGradF64[] = {status, i32, inF64, inI64,
                                          inF64,  outF64, i64, i64,
                                          i64,    i32,    i32, f64};
// x, w, idx, gate, up, down, out, N, D, K, E, I.
inline constexpr Arg moeFfnF32[] = {status, i32,   inF32, inF32, inI64,
                                    inF32,  inF32, inF32, outF32, i64,
                                    i64,    i64,   i64,   i64};
inline constexpr Arg moeFfnF64[] = {status, i32,   inF64, inF64, inI64,
                                    inF64,  inF64, inF64, outF64, i64,
                                    i64,    i64,   i64,   i64};
inline constexpr Arg moeFfnGradF32[] = {
    status, i32,    inF32,  inF32,  inI64,  inF32, inF32,
    inF32,  inF32,  outF32, outF32, outF32, outF32, outF32,
    i64,    i64,    i64,    i64,    i64};
inline constexpr Arg moeFfnGradF64[] = {
    status, i32,    inF64,  inF64,  inI64,  inF64, inF64,
    inF64,  inF64,  outF64, outF64, outF64, outF64, outF64,
    i64,    i64,    i64,    i64,    i64};
// logits, targets, loss, P, V, ignore_index.
inline constexpr Arg crossEntropyF32[] = {status, i32, inF32, inI64,
                                          outF32, i64, i64,   i64};
inline constexpr Arg crossEntropyF64[] = {status, i32, inF64, inI64,
                                          outF64, i64, i64,   i64};
inline constexpr Arg crossEntropyGradF32[] = {status, i32, inF32, inI64, inF32,
                                              outF32, i64, i64,   i64};
inline constexpr Arg crossEntropyGradF64[] = {status, i32, inF64, inI64, inF64,
                                              outF64, i64, i64,   i64};
// src, indices, out, outer, axis_size, inner_bytes, num_indices.
inline constexpr Arg gather[] = {status, i32, inAny, inI64, outAny,
                                 i64,    i64, i64,   i64};
// updates, indices, out, outer, axis_size, inner, num_indices.
inline constexpr Arg scatterAddF32[] = {status, i32, inF32, inI64, outF32,
                                        i64,    i64, i64,   i64};
inline constexpr Arg scatterAddF64[] = {status, i32, inF64, inI64, outF64,
                                        i64,    i64, i64,   i64};
inline constexpr Arg scatterAddI32[] = {status, i32, inI32, inI64, outI32,
                                        i64,    i64, i64,   i64};
inline constexpr Arg scatterAddI64[] = {status, i32, inI64, inI64, outI64,
                                        i64,    i64, i64,   i64};
// in, positions, out, leading, T, H, D, offset, dim, interleaved,
// positions_shared, frequencies, magnitude, adjoint.
inline constexpr Arg ropeF32[] = {inF32, inI64, outF32, i64, i64,
                                  i64,   i64,   i64,    i64, i32,
                                  i32,   inF64, f64,    i32};
inline constexpr Arg ropeF64[] = {inF64, inI64, outF64, i64, i64,
                                  i64,   i64,   i64,    i64, i32,
                                  i32,   inF64, f64,    i32};
// Collectives: input, output, then sizes, dtype / element bytes, the
// reduction, group_size and axes (kernels/cpu/Collectives.h).
inline constexpr Arg allReduce[] = {status, i32, inAny, outAny, i64,
                                    i32,    i32, i64,   i64};
inline constexpr Arg allGather[] = {status, i32, inAny, outAny, i64,
                                    i64,    i64, i64,   i64,    i64};
inline constexpr Arg reduceScatter[] = {status, i32, inAny, outAny,
                                        i64,    i64, i64,   i32,
                                        i32,    i64, i64};
inline constexpr Arg allSlice[] = {status, i32, inAny, outAny, i64,
                                   i64,    i64, i64,   i64,    i64};
// Expert parallelism (kernels/cpu/ExpertExchange.h).
inline constexpr Arg expertPlan[] = {status, i32, inI64, outI64, i64,
                                     i64,    i64, i64,   i64};
inline constexpr Arg expertDispatch[] = {status, i32, inI64, inI64,
                                         inAny,  outAny, i64, i64,
                                         i64,    i64,    i64, i64};
inline constexpr Arg expertDispatchIndices[] = {
    status, i32, inI64, inI64, outI64, i64, i64, i64, i64, i64};
inline constexpr Arg expertCombine[] = {status, i32, inI64, inI64, inAny,
                                        outAny, i64, i64,   i64,   i64,
                                        i32,    i64, i64};
// A run-time error (kernels/cpu/Status.h): code, site, value, bound.
inline constexpr Arg statusFail[] = {status, i32, i32, i64, i64};
} // namespace abi

template <size_t N>
constexpr KernelSpec spec(std::string_view name, const Arg (&args)[N],
                          Backends backends = Backends::CpuAndCuda) {
  return {name, args, N, backends};
}

/// Every kernel, by the C name the CPU kernels export. The collectives and
/// the expert exchange run between processes over MPI and have no CUDA
/// twin yet (NCCL comes with multi-GPU training).
inline constexpr KernelSpec kKernels[] = {
    spec("ds_matmul_f32", abi::matmulF32),
    spec("ds_matmul_f64", abi::matmulF64),
    spec("ds_attention_f32", abi::attentionF32),
    spec("ds_attention_f64", abi::attentionF64),
    spec("ds_attention_grad_f32", abi::attentionGradF32),
    spec("ds_attention_grad_f64", abi::attentionGradF64),
    spec("ds_moe_route_f32", abi::moeRouteF32),
    spec("ds_moe_route_f64", abi::moeRouteF64),
    spec("ds_moe_route_grad_f32", abi::moeRouteGradF32),
    spec("ds_moe_route_grad_f64", abi::moeRouteGradF64),
    spec("ds_moe_ffn_f32", abi::moeFfnF32),
    spec("ds_moe_ffn_f64", abi::moeFfnF64),
    spec("ds_moe_ffn_grad_f32", abi::moeFfnGradF32),
    spec("ds_moe_ffn_grad_f64", abi::moeFfnGradF64),
    spec("ds_cross_entropy_f32", abi::crossEntropyF32),
    spec("ds_cross_entropy_f64", abi::crossEntropyF64),
    spec("ds_cross_entropy_grad_f32", abi::crossEntropyGradF32),
    spec("ds_cross_entropy_grad_f64", abi::crossEntropyGradF64),
    spec("ds_gather", abi::gather),
    spec("ds_scatter_add_f32", abi::scatterAddF32),
    spec("ds_scatter_add_f64", abi::scatterAddF64),
    spec("ds_scatter_add_i32", abi::scatterAddI32),
    spec("ds_scatter_add_i64", abi::scatterAddI64),
    spec("ds_rope_f32", abi::ropeF32),
    spec("ds_rope_f64", abi::ropeF64),
    spec("ds_collective_all_reduce", abi::allReduce, Backends::Cpu),
    spec("ds_collective_all_gather", abi::allGather, Backends::Cpu),
    spec("ds_collective_reduce_scatter", abi::reduceScatter, Backends::Cpu),
    spec("ds_collective_all_slice", abi::allSlice, Backends::Cpu),
    spec("ds_expert_plan", abi::expertPlan, Backends::Cpu),
    spec("ds_expert_dispatch", abi::expertDispatch, Backends::Cpu),
    spec("ds_expert_dispatch_indices", abi::expertDispatchIndices, Backends::Cpu),
    spec("ds_expert_combine", abi::expertCombine, Backends::Cpu),
    spec("ds_status_fail", abi::statusFail),
};

/// The kernel called `name`, or null.
constexpr const KernelSpec *findKernel(std::string_view name) {
  for (const KernelSpec &kernel : kKernels)
    if (kernel.name == name)
      return &kernel;
  return nullptr;
}

/// The name of `kernel`'s CUDA twin ("ds_matmul_f32" -> "ds_cuda_matmul_f32").
/// Only meaningful for kernels onCuda().
inline std::string cudaName(const KernelSpec &kernel) {
  return std::string(kCudaPrefix) +
         std::string(kernel.name.substr(std::string_view("ds_").size()));
}

} // namespace ds::kernels

#endif // DS_KERNELS_KERNELABI_H
