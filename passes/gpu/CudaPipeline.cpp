//===- CudaPipeline.cpp - the CUDA code generation pipeline ---------------===//

#include "passes/gpu/CudaPipeline.h"

#include "passes/Passes.h"
#include "passes/lower/Pipeline.h"

#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"


namespace mlir::ds {

namespace {
void addText(OpPassManager &pm, StringRef pipeline) {
  addPipelineText(pm, pipeline);
}
} // namespace

std::string gpuChipName(GpuChip chip) {
  switch (chip) {
  case GpuChip::Sm80:
    return "sm_80";
  case GpuChip::Sm90:
    return "sm_90";
  case GpuChip::Sm90a:
    return "sm_90a";
  }
  llvm_unreachable("a GpuChip without a name");
}

std::string gpuFormatName(GpuFormat format) {
  switch (format) {
  case GpuFormat::Isa:
    return "isa";
  case GpuFormat::Bin:
    return "bin";
  case GpuFormat::Fatbin:
    return "fatbin";
  }
  llvm_unreachable("a GpuFormat without a name");
}

std::optional<GpuChip> parseGpuChip(StringRef name) {
  for (GpuChip chip : {GpuChip::Sm80, GpuChip::Sm90, GpuChip::Sm90a})
    if (gpuChipName(chip) == name)
      return chip;
  return std::nullopt;
}

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
  // The target's names are the user's: passed as options, never spliced
  // into pipeline text.
  GpuNVVMAttachTargetOptions target;
  target.chip = gpuChipName(options.chip);
  target.features = options.features;
  target.optLevel = 3;
  pm.addPass(createGpuNVVMAttachTarget(target));
  if (options.stopAfter == "outlined")
    return;
  addText(pm, "gpu.module(expand-strided-metadata,lower-affine,"
              "convert-scf-to-cf,convert-gpu-to-nvvm{index-bitwidth=64},"
              "canonicalize,cse,reconcile-unrealized-casts)");
  if (options.stopAfter == "nvvm")
    return;
  GpuModuleToBinaryPassOptions binary;
  binary.compilationTarget = gpuFormatName(options.format);
  binary.toolkitPath = options.toolkit;
  pm.addPass(createGpuModuleToBinaryPass(binary));
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
