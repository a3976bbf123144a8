//===- Pipeline.h - the CPU code generation pipeline ------------*- C++ -*-===//
//
// ds (tensors) → linalg → kernels (--ds-fuse) → bufferized memrefs with a
// static memory plan → loops → the LLVM dialect with the runtime's entry ABI. Registered as
// `--ds-cpu-pipeline` for ds-opt; ds-compile runs the same pipeline and then
// emits native code.
//
//===----------------------------------------------------------------------===//

#ifndef DS_PASSES_LOWER_PIPELINE_H
#define DS_PASSES_LOWER_PIPELINE_H

#include "mlir/Pass/PassOptions.h"

#include <string>
#include <vector>

namespace mlir {
class ModuleOp;
class OpPassManager;
} // namespace mlir

namespace mlir::ds {

struct CpuPipelineOptions : public PassPipelineOptions<CpuPipelineOptions> {
  ListOption<std::string> entries{
      *this, "entries",
      llvm::cl::desc("Functions to compile (default: those no function calls)")};
  Option<bool> parallel{
      *this, "parallel",
      llvm::cl::desc("Run the parallel loops of generated code that have "
                     "enough work (min-parallel-work) on OpenMP threads"),
      llvm::cl::init(true)};
  Option<int64_t> minParallelWork{
      *this, "min-parallel-work",
      llvm::cl::desc("Least estimated work (operations) of a loop that runs "
                     "on threads; smaller loops cost more to fork than they "
                     "save"),
      llvm::cl::init(1 << 16)};
  Option<bool> fuse{*this, "fuse",
                    llvm::cl::desc("Group generated code into kernels "
                                   "(--ds-fuse; false: one loop nest per "
                                   "linalg op)"),
                    llvm::cl::init(true)};
  Option<bool> approximateMath{
      *this, "approximate-math",
      llvm::cl::desc("Compute f32 tanh, exp, expm1, log, log1p and erf "
                     "with vectorizable polynomials instead of libm calls"),
      llvm::cl::init(true)};
  Option<bool> shareMemory{
      *this, "share-memory",
      llvm::cl::desc("Let buffers with disjoint lifetimes share bytes"),
      llvm::cl::init(true)};
  Option<std::string> stopAfter{
      *this, "stop-after",
      llvm::cl::desc("Stop after a stage: linalg, bufferized, planned, loops "
                     "(default: run to the LLVM dialect)"),
      llvm::cl::init("")};
};

/// Appends the pipeline to `pm` (a pass manager on the module).
void buildCpuPipeline(OpPassManager &pm, const CpuPipelineOptions &options);

/// Its two halves: ds → planned memrefs (where each entry's memory plan and
/// the module's run-time error sites can be read), then loops → the LLVM
/// dialect with the entry ABI.
void buildCpuLoweringPipeline(OpPassManager &pm,
                              const CpuPipelineOptions &options);
void buildCpuLlvmPipeline(OpPassManager &pm, const CpuPipelineOptions &options);

/// Appends a fixed pipeline text to `pm`. The texts are the compiler's own
/// (covered by every compile test): a bad one is a bug, reported as such.
void addPipelineText(OpPassManager &pm, StringRef pipeline);

/// The default entry points of `module`: every function with a body that no
/// function calls or scans over, in module order.
std::vector<std::string> defaultEntries(ModuleOp module);

/// Registers `--ds-cpu-pipeline`.
void registerCpuPipeline();

} // namespace mlir::ds

#endif // DS_PASSES_LOWER_PIPELINE_H
