//===- CudaPipeline.h - the CUDA code generation pipeline -------*- C++ -*-===//
//
// ds (tensors) → linalg → kernels (--ds-fuse) → bufferized memrefs with a
// static memory plan (as for the CPU) → one gpu.launch per kernel
// (--ds-gpu-kernels) → outlined gpu.func → NVVM → PTX / cubin through
// ptxas (gpu-module-to-binary). Registered as `--ds-cuda-pipeline`.
//
//===----------------------------------------------------------------------===//

#ifndef DS_PASSES_GPU_CUDAPIPELINE_H
#define DS_PASSES_GPU_CUDAPIPELINE_H

#include "mlir/Pass/PassOptions.h"

#include <optional>
#include <string>

namespace mlir {
class OpPassManager;
} // namespace mlir

namespace mlir::ds {

/// The GPUs and binary formats the CUDA target knows (options take only
/// these, so a typo is an error where the option is parsed).
enum class GpuChip { Sm80, Sm90, Sm90a };
enum class GpuFormat { Isa, Bin, Fatbin };

/// "sm_90", ...; "isa", "bin", "fatbin".
std::string gpuChipName(GpuChip chip);
std::string gpuFormatName(GpuFormat format);
/// The chip called `name`, if the CUDA target knows it.
std::optional<GpuChip> parseGpuChip(StringRef name);

struct CudaPipelineOptions : public PassPipelineOptions<CudaPipelineOptions> {
  ListOption<std::string> entries{
      *this, "entries",
      llvm::cl::desc("Functions to compile (default: those no function calls)")};
  Option<GpuChip> chip{
      *this, "chip",
      llvm::cl::desc("The GPU: sm_90 (H100, H200), sm_90a (with Hopper's "
                     "own instructions) or sm_80 (A100)"),
      llvm::cl::init(GpuChip::Sm90),
      llvm::cl::values(
          clEnumValN(GpuChip::Sm80, "sm_80", "A100"),
          clEnumValN(GpuChip::Sm90, "sm_90", "H100, H200"),
          clEnumValN(GpuChip::Sm90a, "sm_90a", "H100, H200 (wgmma)"))};
  Option<std::string> features{
      *this, "features",
      llvm::cl::desc("PTX features (the PTX ISA version)"),
      llvm::cl::init("+ptx80")};
  Option<int64_t> blockSize{*this, "block-size",
                            llvm::cl::desc("Threads per block"),
                            llvm::cl::init(256)};
  Option<GpuFormat> format{
      *this, "format",
      llvm::cl::desc("What the kernels become: isa (PTX text), bin (cubin, "
                     "assembled by ptxas) or fatbin"),
      llvm::cl::init(GpuFormat::Bin),
      llvm::cl::values(clEnumValN(GpuFormat::Isa, "isa", "PTX text"),
                       clEnumValN(GpuFormat::Bin, "bin", "cubin (ptxas)"),
                       clEnumValN(GpuFormat::Fatbin, "fatbin", "fat binary"))};
  Option<std::string> toolkit{
      *this, "toolkit",
      llvm::cl::desc("The CUDA toolkit whose ptxas assembles the kernels"),
      llvm::cl::init("/usr/local/cuda")};
  Option<std::string> stopAfter{
      *this, "stop-after",
      llvm::cl::desc("Stop after a stage: planned, kernels, outlined, nvvm "
                     "(default: the kernels' binaries)"),
      llvm::cl::init("")};
};

/// Appends the pipeline to `pm` (a pass manager on the module).
void buildCudaPipeline(OpPassManager &pm, const CudaPipelineOptions &options);

/// Its second half, after the memory plan: kernels → gpu.launch → outlined
/// kernels → NVVM → binaries (`stop-after` as above).
void buildCudaKernelPipeline(OpPassManager &pm,
                             const CudaPipelineOptions &options);

/// The host code of a module the kernel pipeline ran on, to the LLVM
/// dialect with the runtime's entry ABI: buffers as bare pointers,
/// gpu.launch_func as calls of the mgpu* functions the runtime provides
/// (runtime/cuda/MlirGpuRuntime.h), the kernels' binaries embedded and
/// loaded when the library is.
void buildCudaHostPipeline(OpPassManager &pm);

/// Registers `--ds-cuda-pipeline`.
void registerCudaPipeline();

} // namespace mlir::ds

#endif // DS_PASSES_GPU_CUDAPIPELINE_H
