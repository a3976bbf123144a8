//===- CudaPipeline.cpp - the CUDA code generation pipeline ---------------===//

#include "passes/gpu/CudaPipeline.h"

#include "passes/Passes.h"
#include "passes/lower/Pipeline.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"

#include "llvm/Support/FormatVariadic.h"

namespace mlir::ds {

namespace {
void addText(OpPassManager &pm, StringRef pipeline) {
  // The texts below are fixed but for the target's names, which the
  // options' parser has checked to be words.
  if (failed(parsePassPipeline(pipeline, pm, llvm::errs())))
    llvm::report_fatal_error("ds-cuda-pipeline: bad pipeline text");
}
} // namespace

void buildCudaPipeline(OpPassManager &pm, const CudaPipelineOptions &options) {
  // The same kernels and memory plan as for the CPU.
  CpuPipelineOptions lowering;
  lowering.entries = llvm::to_vector(options.entries);
  buildCpuLoweringPipeline(pm, lowering);
  if (options.stopAfter == "planned")
    return;
  buildCudaKernelPipeline(pm, options);
}

void buildCudaKernelPipeline(OpPassManager &pm,
                             const CudaPipelineOptions &options) {
  DsGpuKernelsPassOptions kernels;
  kernels.blockSize = options.blockSize;
  pm.addPass(createDsGpuKernelsPass(kernels));
  addText(pm, "canonicalize,cse");
  if (options.stopAfter == "kernels")
    return;
  addText(pm, "gpu-kernel-outlining");
  addText(pm, llvm::formatv("nvvm-attach-target{{chip={0} features={1} O=3}",
                            options.chip.getValue(),
                            options.features.getValue())
                  .str());
  if (options.stopAfter == "outlined")
    return;
  addText(pm, "gpu.module(expand-strided-metadata,lower-affine,"
              "convert-scf-to-cf,convert-gpu-to-nvvm{index-bitwidth=64},"
              "canonicalize,cse,reconcile-unrealized-casts)");
  if (options.stopAfter == "nvvm")
    return;
  addText(pm, llvm::formatv("gpu-module-to-binary{{format={0} toolkit={1}}",
                            options.format.getValue(),
                            options.toolkit.getValue())
                  .str());
}

void buildCudaHostPipeline(OpPassManager &pm) {
  addText(pm, "expand-strided-metadata,lower-affine,convert-math-to-llvm,"
              "convert-math-to-libm,arith-expand{include-bf16=1},"
              "convert-scf-to-cf,finalize-memref-to-llvm,"
              "convert-arith-to-llvm,convert-index-to-llvm,"
              "gpu-to-llvm{use-bare-pointers-for-host=1},"
              "convert-func-to-llvm{use-bare-ptr-memref-call-conv=1},"
              "convert-cf-to-llvm,reconcile-unrealized-casts,canonicalize");
  pm.addPass(createDsEmitEntryAbiPass());
}

void registerCudaPipeline() {
  PassPipelineRegistration<CudaPipelineOptions>(
      "ds-cuda-pipeline",
      "Lowers ds to GPU kernels for CUDA: linalg, kernels, the static memory "
      "plan, gpu.launch per kernel, NVVM, PTX or cubin",
      buildCudaPipeline);
}

} // namespace mlir::ds
