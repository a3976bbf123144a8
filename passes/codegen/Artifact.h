//===- Artifact.h - compiling a ds module into a CPU artifact ---*- C++ -*-===//
//
// The back half of ds-compile: runs the CPU pipeline (passes/lower) on a ds
// module, turns the LLVM dialect into optimised native code for the host,
// links it with the CPU kernels into model.so, and writes manifest.json
// (docs/artifact.md). The runtime loads the result without MLIR.
//
//===----------------------------------------------------------------------===//

#ifndef DS_PASSES_CODEGEN_ARTIFACT_H
#define DS_PASSES_CODEGEN_ARTIFACT_H

#include "passes/Registration.h"

#include "mlir/Support/LLVM.h"

#include <cstdint>
#include <string>
#include <vector>

namespace mlir {
class DialectRegistry;
class ModuleOp;
} // namespace mlir

namespace mlir::ds {

struct CompileOptions {
  /// Entry points to compile (empty: every function no function calls).
  std::vector<std::string> entries;
  /// Run the parallel loops of generated code on OpenMP threads (see
  /// CpuPipelineOptions::parallel).
  bool parallel = true;
  /// Group generated code into kernels with --ds-fuse (false: one loop
  /// nest per linalg op, to measure what fusion gains).
  bool fuse = true;
  /// "cpu" (native code for this machine) or "cuda" (kernels for
  /// `gpuChip` through NVVM and ptxas, host code calling the runtime's CUDA
  /// backend; docs/gpu.md).
  std::string target = "cpu";
  std::string gpuChip = "sm_90";
  /// The CUDA toolkit whose ptxas assembles the kernels.
  std::string cudaToolkit = "/usr/local/cuda";
  /// Let buffers with disjoint lifetimes share workspace bytes.
  bool shareMemory = true;
  /// LLVM's optimisation level (0-3).
  int optLevel = 3;
  /// Keep the intermediate files (model.ll, model.o) in the artifact.
  bool keepIntermediates = false;
  /// The C++ compiler driver that links model.so, and what it links in.
  std::string linker;
  std::string kernelsArchive;
  std::vector<std::string> linkFlags;
  /// Printed to the manifest; part of the cache key.
  std::string source;
  std::string cacheKey;
  /// What the training state means, whatever the grid: the model and the
  /// pipeline without --ds-shard. Checkpoints resume in any artifact of
  /// the same key (docs/artifact.md).
  std::string trainingKey;
};

/// What compiling measured, for ds-compile to print.
struct CompileReport {
  struct Entry {
    std::string name;
    int64_t workspaceBytes = 0, unplannedBytes = 0, buffers = 0;
    /// What --ds-fuse counted (its `ds.fusion` report): generated kernels
    /// per call and the bytes they move, before and after fusion, and the
    /// library calls and the bytes of their buffers.
    int64_t kernelsBefore = 0, kernelsAfter = 0, bytesBefore = 0,
            bytesAfter = 0, libraryCalls = 0, libraryBytes = 0;
  };
  std::vector<Entry> entries;
  double lowerSeconds = 0, codegenSeconds = 0, linkSeconds = 0;
};

/// The linker, kernel archive and flags of this build of DS (from CMake).
CompileOptions defaultCompileOptions();

/// Compiles `module` (ds dialect; consumed: it is lowered in place) into the
/// artifact directory `outputDir`. Diagnostics go to the module's context;
/// other failures (I/O, the linker) to `error`.
LogicalResult compileArtifact(ModuleOp module, const CompileOptions &options,
                              const std::string &outputDir,
                              CompileReport &report, std::string &error);

/// The cache key already recorded in `outputDir`'s manifest, or "".
std::string existingCacheKey(const std::string &outputDir);

} // namespace mlir::ds

#endif // DS_PASSES_CODEGEN_ARTIFACT_H
