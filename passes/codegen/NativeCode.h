//===- NativeCode.h - LLVM dialect → object file → shared library -*- C++ -*-===//

#ifndef DS_PASSES_CODEGEN_NATIVECODE_H
#define DS_PASSES_CODEGEN_NATIVECODE_H

#include "mlir/Support/LLVM.h"

#include <string>

namespace mlir {
class ModuleOp;
} // namespace mlir

namespace mlir::ds {

struct CompileOptions;

/// The machine the code is generated for: this host, with all its features
/// (AVX-512 where present), as `-march=native` would.
struct NativeTarget {
  std::string triple, cpu, features;
};
NativeTarget hostTarget();

/// Translates `module` (LLVM dialect) to LLVM IR, optimises it (O`optLevel`, with
/// loop and SLP vectorisation for `target`, and writes an object file; with
/// a non-empty `irPath`, also the optimised IR.
LogicalResult emitObjectFile(ModuleOp module, const NativeTarget &target,
                             int optLevel, const std::string &objectPath,
                             const std::string &irPath, std::string &error);

/// Links `objectPath` into a shared library, running `options.linker`:
/// with the CPU kernels, BLAS and OpenMP for the CPU (`cpuKernels`); alone
/// for a GPU target, whose kernels and mgpu* functions the runtime provides
/// when it loads the library.
LogicalResult linkSharedLibrary(const CompileOptions &options,
                                const std::string &objectPath,
                                const std::string &libraryPath,
                                bool cpuKernels, std::string &error);

} // namespace mlir::ds

#endif // DS_PASSES_CODEGEN_NATIVECODE_H
