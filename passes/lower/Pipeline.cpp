//===- Pipeline.cpp - the CPU code generation pipeline --------------------===//

#include "passes/lower/Pipeline.h"

#include "passes/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"

#include "llvm/ADT/StringExtras.h"

namespace mlir::ds {

void addPipelineText(OpPassManager &pm, StringRef pipeline) {
  if (failed(parsePassPipeline(pipeline, pm, llvm::errs())))
    llvm::report_fatal_error("ds: a built-in pass pipeline does not parse");
}

void buildCpuLoweringPipeline(OpPassManager &pm,
                              const CpuPipelineOptions &options) {
  auto add = [&](StringRef pipeline) { addPipelineText(pm, pipeline); };
  DsLowerToLinalgPassOptions lowerOptions;
  lowerOptions.entries = llvm::to_vector(options.entries);
  pm.addPass(createDsLowerToLinalgPass(lowerOptions));
  // Layer functions are inlined into the loops that call them; only the
  // entry points remain.
  add("inline,symbol-dce,canonicalize,cse");
  if (options.fuse)
    add("ds-fuse");
  if (options.stopAfter == "linalg")
    return;
  add("one-shot-bufferize{bufferize-function-boundaries=1 allow-return-allocs-from-loops=1 "
      "function-boundary-type-conversion=identity-layout-map},"
      "canonicalize,cse,ds-distinct-results,"
      "buffer-results-to-out-params{hoist-static-allocs=1 modify-public-functions=1},canonicalize,cse");
  if (options.stopAfter == "bufferized")
    return;
  DsPlanMemoryPassOptions planOptions;
  planOptions.share = options.shareMemory;
  pm.addPass(createDsPlanMemoryPass(planOptions));
}

void buildCpuLlvmPipeline(OpPassManager &pm, const CpuPipelineOptions &options) {
  auto add = [&](StringRef pipeline) { addPipelineText(pm, pipeline); };
  // Fused groups (scf.forall over rows) are loops like the others.
  if (options.parallel) {
    add("func.func(scf-forall-to-parallel,convert-linalg-to-parallel-loops)");
    DsParallelizeLoopsPassOptions parallelOptions;
    parallelOptions.minWork = options.minParallelWork;
    pm.addPass(createDsParallelizeLoopsPass(parallelOptions));
    add("convert-scf-to-openmp");
  }
  else
    add("func.func(scf-forall-to-for,convert-linalg-to-loops)");
  add("lower-affine,canonicalize,cse");
  if (options.approximateMath)
    add("ds-approximate-math{functions=tanh,exp,expm1,log,log1p,erf}");
  if (options.stopAfter == "loops")
    return;
  // Functions first, with bare pointers for memrefs (the entry ABI):
  // convert-openmp-to-llvm would otherwise convert them with descriptors.
  // Math to LLVM intrinsics first (fma, the polynomials' workhorse, must be
  // an instruction, not a call to libm's fmaf); libm for what has none.
  add("expand-strided-metadata,lower-affine,convert-math-to-llvm,"
      "convert-math-to-libm,arith-expand{include-bf16=1},convert-scf-to-cf,"
      "finalize-memref-to-llvm,convert-arith-to-llvm,"
      "convert-index-to-llvm,"
      "convert-func-to-llvm{use-bare-ptr-memref-call-conv=1},"
      "convert-openmp-to-llvm,convert-cf-to-llvm,reconcile-unrealized-casts,"
      "canonicalize");
  pm.addPass(createDsEmitEntryAbiPass());
}

void buildCpuPipeline(OpPassManager &pm, const CpuPipelineOptions &options) {
  buildCpuLoweringPipeline(pm, options);
  if (options.stopAfter == "linalg" || options.stopAfter == "bufferized" ||
      options.stopAfter == "planned")
    return;
  buildCpuLlvmPipeline(pm, options);
}

void registerCpuPipeline() {
  PassPipelineRegistration<CpuPipelineOptions>(
      "ds-cpu-pipeline",
      "Lowers ds to the LLVM dialect for the CPU: linalg, bufferization, the "
      "static memory plan, loops (OpenMP), LLVM, the entry ABI",
      buildCpuPipeline);
}

} // namespace mlir::ds
