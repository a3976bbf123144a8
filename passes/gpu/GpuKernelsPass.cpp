//===- GpuKernelsPass.cpp - --ds-gpu-kernels ------------------------------===//
//
// Turns each kernel of planned (bufferized) code into a `gpu.launch`: a row
// group (`scf.forall` from --ds-fuse) into one block per row, whose threads
// share each of the group's ops in turn, with a barrier between ops; any
// other linalg op into a grid of blocks over its iterations. Reductions are
// split among a block's threads and combined with `gpu.all_reduce` where
// their payload allows it.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "kernels/KernelAbi.h"
#include "passes/fuse/Kernels.h"
#include "passes/lower/LoweringUtils.h"
#include "passes/gpu/ThreadLoops.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace mlir::ds {
#define GEN_PASS_DEF_DSGPUKERNELSPASS
#include "passes/Passes.h.inc"

namespace {

using gpu_codegen::delinearize;

/// A reduction whose outputs are few and each long is better reduced by a
/// whole block per output than by one thread per output: one thread per
/// output would leave most of the GPU idle. With many outputs, one thread
/// each fills the GPU and reads memory in order.
constexpr int64_t kBlockReductionLength = 512;
constexpr int64_t kThreadPerOutputOutputs = 2048;

Value indexConstant(OpBuilder &b, Location loc, int64_t value) {
  return arith::ConstantIndexOp::create(b, loc, value);
}

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

/// A one-dimensional launch of `blocks` blocks of `blockSize` threads; the
/// builder is left at the start of its body.
gpu::LaunchOp createLaunch(OpBuilder &b, Location loc, int64_t blocks,
                           int64_t blockSize) {
  Value one = indexConstant(b, loc, 1);
  auto launch = gpu::LaunchOp::create(b, loc, indexConstant(b, loc, blocks),
                                      one, one,
                                      indexConstant(b, loc, blockSize), one,
                                      one);
  b.setInsertionPointToStart(&launch.getBody().front());
  return launch;
}

/// Whether `op` may run inside a kernel as it is: it computes an address or
/// a value, and touches no memory.
bool isKernelSafe(Operation *op) {
  if (isa<ViewLikeOpInterface, memref::ExtractStridedMetadataOp>(op))
    return true;
  return isPure(op) && op->getNumRegions() == 0;
}

class KernelBuilder {
public:
  KernelBuilder(int64_t blockSize) : blockSize(blockSize) {}

  /// A row group: one block per iteration of the loop.
  LogicalResult convertGroup(scf::ForallOp loop) {
    std::optional<SmallVector<int64_t>> trips =
        getConstantIntValues(loop.getMixedUpperBound());
    if (!loop.isNormalized() || !trips)
      return loop.emitError("cannot run a parallel loop of non-constant or "
                            "non-normalized bounds as a GPU kernel");
    int64_t rows = 1;
    for (int64_t trip : *trips)
      rows *= trip;
    OpBuilder b(loop);
    Location loc = loop.getLoc();
    gpu::LaunchOp launch = createLaunch(b, loc, rows, blockSize);
    copyKernelAttr(loop, launch);
    Value threadId = launch.getThreadIds().x;
    Value threads = launch.getBlockSize().x;
    IRMapping mapping;
    for (auto [iv, index] : llvm::zip(
             loop.getInductionVars(),
             delinearize(b, loc, launch.getBlockIds().x, *trips)))
      mapping.map(iv, index);

    SmallVector<Operation *> body;
    for (Operation &op : loop.getBody()->without_terminator())
      body.push_back(&op);
    for (auto [i, op] : llvm::enumerate(body)) {
      if (auto generic = dyn_cast<linalg::GenericOp>(op)) {
        auto copy = cast<linalg::GenericOp>(b.clone(*generic, mapping));
        emitShared(b, loc, copy, threadId, threads);
        copy->erase();
        // The next op of the group reads what this one wrote.
        if (i + 1 != body.size())
          gpu::BarrierOp::create(b, loc);
        continue;
      }
      if (!isKernelSafe(op))
        return op->emitError("cannot run in a GPU kernel: ") << op->getName();
      b.clone(*op, mapping);
    }
    gpu::TerminatorOp::create(b, loc);
    loop->erase();
    return success();
  }

  /// A kernel of one op: a grid over its iterations (elementwise), over its
  /// outputs (reductions of few iterations each), or one block per output
  /// (reductions of many). `initialValues`: the values a folded fill would
  /// have written into a reduction's outputs.
  LogicalResult convertSingle(linalg::GenericOp op,
                              ValueRange initialValues = {}) {
    OpBuilder b(op);
    Location loc = op.getLoc();
    int64_t outputs = gpu_codegen::parallelIterations(op);
    int64_t length = gpu_codegen::reductionIterations(op);
    bool elementwise = op.getNumReductionLoops() == 0;
    if (!elementwise && gpu_codegen::hasSplittableReduction(op) &&
        (outputs == 1 || (length >= kBlockReductionLength &&
                          outputs < kThreadPerOutputOutputs))) {
      gpu::LaunchOp launch = createLaunch(b, loc, outputs, blockSize);
      copyKernelAttr(op, launch);
      SmallVector<int64_t> parallelSizes;
      for (auto [size, type] : llvm::zip(op.getStaticLoopRanges(),
                                         op.getIteratorTypesArray()))
        if (type == utils::IteratorType::parallel)
          parallelSizes.push_back(size);
      SmallVector<Value> parallelIvs =
          delinearize(b, loc, launch.getBlockIds().x, parallelSizes);
      gpu_codegen::emitBlockReduction(b, loc, op, parallelIvs,
                                      launch.getThreadIds().x,
                                      launch.getBlockSize().x, initialValues);
    } else {
      // One thread per iteration (four, with 16-byte accesses) or per
      // output.
      int64_t perThread = elementwise ? gpu_codegen::laneWidth(op) : 1;
      gpu::LaunchOp launch = createLaunch(
          b, loc,
          std::max<int64_t>(ceilDiv(outputs, blockSize * perThread), 1),
          blockSize);
      copyKernelAttr(op, launch);
      Value threads = launch.getBlockSize().x;
      Value first = arith::AddIOp::create(
          b, loc,
          arith::MulIOp::create(b, loc, launch.getBlockIds().x, threads),
          launch.getThreadIds().x);
      Value stride =
          arith::MulIOp::create(b, loc, launch.getGridSize().x, threads);
      if (elementwise)
        gpu_codegen::emitStridedIterations(b, loc, op, first, stride);
      else
        gpu_codegen::emitSerialReductions(b, loc, op, first, stride,
                                          initialValues);
    }
    gpu::TerminatorOp::create(b, loc);
    op->erase();
    return success();
  }

private:
  /// One op of a row group, shared by the block's threads.
  void emitShared(OpBuilder &b, Location loc, linalg::GenericOp op,
                  Value threadId, Value threads) {
    if (op.getNumReductionLoops() == 0)
      return gpu_codegen::emitStridedIterations(b, loc, op, threadId,
                                                threads);
    if (gpu_codegen::parallelIterations(op) == 1 &&
        gpu_codegen::hasSplittableReduction(op)) {
      Value zero = indexConstant(b, loc, 0);
      SmallVector<Value> zeros(op.getNumParallelLoops(), zero);
      return gpu_codegen::emitBlockReduction(b, loc, op, zeros, threadId,
                                             threads);
    }
    gpu_codegen::emitSerialReductions(b, loc, op, threadId, threads);
  }

  static void copyKernelAttr(Operation *from, gpu::LaunchOp launch) {
    if (Attribute kernel = from->getAttr(kKernelAttr))
      launch->setAttr(kKernelAttr, kernel);
  }

  int64_t blockSize;
};

/// The scalar `op` fills its one output with, if it is a (generalized)
/// fill: one scalar input yielded as it is.
Value filledValue(linalg::GenericOp op) {
  if (op.getNumDpsInputs() != 1 || op.getNumDpsInits() != 1 ||
      op.getNumReductionLoops() != 0)
    return nullptr;
  Value input = op.getDpsInputOperand(0)->get();
  if (isa<ShapedType>(input.getType()))
    return nullptr;
  Operation *yield = op.getRegion().front().getTerminator();
  if (yield->getOperand(0) != op.getRegion().front().getArgument(0))
    return nullptr;
  return input;
}

/// Reductions whose outputs a fill sets up just before them (the same
/// buffer, nothing that touches memory between): the fill is folded into
/// the reduction's kernel, which starts from the filled value, and needs
/// no launch of its own. Maps each such reduction to its fill.
llvm::DenseMap<Operation *, linalg::GenericOp>
foldableFills(ArrayRef<Operation *> kernels) {
  llvm::DenseMap<Operation *, linalg::GenericOp> folds;
  for (Operation *kernel : kernels) {
    auto reduction = dyn_cast<linalg::GenericOp>(kernel);
    if (!reduction || reduction.getNumReductionLoops() == 0 ||
        reduction.getNumDpsInits() != 1)
      continue;
    Value output = reduction.getDpsInitOperand(0)->get();
    for (Operation *before = reduction->getPrevNode(); before;
         before = before->getPrevNode()) {
      auto fill = dyn_cast<linalg::GenericOp>(before);
      if (fill && filledValue(fill) &&
          fill.getDpsInitOperand(0)->get() == output) {
        folds[reduction] = fill;
        break;
      }
      if (!isKernelSafe(before))
        break;
    }
  }
  return folds;
}

/// Square roots in kernels as IEEE square roots (`sqrt.rn.f32`), as on the
/// CPU: through libdevice, `math.sqrt` and `math.rsqrt` become
/// `sqrt.approx` and `rsqrt.approx` unless the compiler's precision flags
/// are set, which MLIR's NVVM path does not do (and the NVVM lowering sends
/// LLVM's own sqrt to libdevice too), so kernels call the NVPTX intrinsic
/// for the round-to-nearest square root directly.
void preciseSquareRoots(gpu::LaunchOp launch) {
  SmallVector<Operation *> roots;
  launch.walk([&](Operation *op) {
    if (isa<math::SqrtOp, math::RsqrtOp>(op) &&
        op->getResult(0).getType().isF32())
      roots.push_back(op);
  });
  for (Operation *op : roots) {
    OpBuilder b(op);
    Value x = op->getOperand(0);
    Value root = LLVM::CallIntrinsicOp::create(
                     b, op->getLoc(), x.getType(),
                     b.getStringAttr("llvm.nvvm.sqrt.rn.f"), ValueRange{x})
                     .getResult(0);
    if (isa<math::RsqrtOp>(op)) {
      Value one = arith::ConstantOp::create(
          b, op->getLoc(), b.getFloatAttr(x.getType(), 1.0));
      root = arith::DivFOp::create(b, op->getLoc(), one, root);
    }
    op->getResult(0).replaceAllUsesWith(root);
    op->erase();
  }
}

/// Named linalg ops (fill, copy, transpose, ...) as linalg.generic, the
/// one form the kernel builder reads.
LogicalResult generalizeNamedOps(func::FuncOp function) {
  SmallVector<linalg::LinalgOp> named;
  function.walk([&](linalg::LinalgOp op) {
    if (!isa<linalg::GenericOp>(op))
      named.push_back(op);
  });
  IRRewriter rewriter(function.getContext());
  for (linalg::LinalgOp op : named) {
    rewriter.setInsertionPoint(op);
    Attribute kernel = op->getAttr(kKernelAttr);
    FailureOr<linalg::GenericOp> generic =
        linalg::generalizeNamedOp(rewriter, op);
    if (failed(generic))
      return op->emitError("cannot run as a GPU kernel: ") << op->getName();
    if (kernel)
      (*generic)->setAttr(kKernelAttr, kernel);
  }
  return success();
}

/// A scalar the host code needs from device memory (decoding's position,
/// the length of the filled cache) is read through the runtime, which
/// waits for the kernels before it (kernels/cuda/CudaKernels.h,
/// ds_cuda_read_*): `memref.load %m[]` of a 0-d buffer becomes a call.
/// Loads of other buffers stay, and checkHostCode reports them.
LogicalResult readScalarsThroughRuntime(func::FuncOp function) {
  SmallVector<memref::LoadOp> loads;
  function.walk<WalkOrder::PreOrder>([&](Operation *op) {
    if (isa<gpu::LaunchOp>(op))
      return WalkResult::skip();
    if (auto load = dyn_cast<memref::LoadOp>(op))
      if (load.getMemRefType().getRank() == 0)
        loads.push_back(load);
    return WalkResult::advance();
  });
  auto module = function->getParentOfType<ModuleOp>();
  for (memref::LoadOp load : loads) {
    Type type = load.getType();
    StringRef suffix = type.isInteger(32)   ? "i32"
                       : type.isInteger(64) ? "i64"
                       : type.isF32()       ? "f32"
                       : type.isF64()       ? "f64"
                                            : "";
    if (suffix.empty())
      continue; // checkHostCode reports it
    std::string name = ("ds_cuda_read_" + suffix).str();
    OpBuilder b(load);
    Location loc = load.getLoc();
    auto pointer = LLVM::LLVMPointerType::get(b.getContext());
    auto calleeType = b.getFunctionType({pointer}, {type});
    if (!module.lookupSymbol<func::FuncOp>(name)) {
      OpBuilder top = OpBuilder::atBlockBegin(module.getBody());
      func::FuncOp::create(top, loc, name, calleeType).setPrivate();
    }
    Value address = lowering::pointerToBuffer(b, loc, load.getMemRef());
    auto call = func::CallOp::create(b, loc, name, TypeRange{type},
                                     ValueRange{address});
    load.replaceAllUsesWith(call.getResult(0));
    load.erase();
  }
  return success();
}

/// After the conversion, the host part of a function only computes
/// addresses and calls library kernels: anything else that touches memory
/// would read device memory on the host.
LogicalResult checkHostCode(func::FuncOp function) {
  WalkResult result = function.walk<WalkOrder::PreOrder>([&](Operation *op) {
    if (op == function.getOperation())
      return WalkResult::advance();
    if (isa<gpu::LaunchOp>(op))
      return WalkResult::skip();
    if (isa<func::CallOp, func::ReturnOp, scf::ForOp, scf::YieldOp>(op) ||
        isKernelSafe(op))
      return WalkResult::advance();
    if (isa<memref::AllocOp, memref::AllocaOp>(op) ||
        !isMemoryEffectFree(op)) {
      op->emitError("runs on the host of a GPU target and touches device "
                    "memory: ")
          << op->getName() << " (the cuda target cannot compile it yet)";
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return failure(result.wasInterrupted());
}

/// Names each launch's kernel after its function, in order
/// (train_step_kernel_0, ...), in a module of the same name: outlining would
/// otherwise call every kernel of a function `<function>_kernel` in modules
/// of different names, and the runtime, which sees only the kernel's name
/// when it loads or launches one, could not tell them apart in messages.
void nameKernels(func::FuncOp function) {
  int64_t index = 0;
  function.walk([&](gpu::LaunchOp launch) {
    auto name = FlatSymbolRefAttr::get(
        function.getContext(),
        (function.getSymName() + "_kernel_" + Twine(index++)).str());
    launch.setModuleAttr(name);
    launch.setFunctionAttr(name);
  });
}

/// Points the library calls at the CUDA kernels: `ds_matmul_f32` becomes
/// `ds_cuda_matmul_f32` (kernels/cuda/CudaKernels.h), which takes the same
/// arguments in device memory. A kernel without a CUDA twin (the
/// collectives and the expert exchange) is an error at the call.
LogicalResult bindCudaKernels(ModuleOp module) {
  SymbolTable symbols(module);
  llvm::StringMap<std::string> renamed;
  WalkResult result = module.walk([&](func::CallOp call) {
    StringRef callee = call.getCallee();
    const ::ds::kernels::KernelSpec *kernel =
        ::ds::kernels::findKernel(std::string_view(callee.data(), callee.size()));
    if (!kernel)
      return WalkResult::advance();
    if (!kernel->onCuda()) {
      call.emitError("calls ")
          << callee << ", which has no CUDA kernel (sharded and "
                       "expert-parallel code cannot target CUDA yet)";
      return WalkResult::interrupt();
    }
    renamed.try_emplace(callee, ::ds::kernels::cudaName(*kernel));
    return WalkResult::advance();
  });
  if (result.wasInterrupted())
    return failure();
  for (auto &[from, to] : renamed) {
    Operation *declaration = symbols.lookup(from);
    StringAttr newName = StringAttr::get(module.getContext(), to);
    if (failed(SymbolTable::replaceAllSymbolUses(
            StringAttr::get(module.getContext(), from), newName, module)))
      return module.emitError("cannot rename the calls to ") << from;
    if (declaration)
      SymbolTable::setSymbolName(declaration, newName);
  }
  return success();
}

struct GpuKernelsPass : impl::DsGpuKernelsPassBase<GpuKernelsPass> {
  using DsGpuKernelsPassBase::DsGpuKernelsPassBase;

  void runOnOperation() override {
    if (blockSize < 32 || blockSize > 1024 || blockSize % 32 != 0) {
      getOperation().emitError("--ds-gpu-kernels: block-size must be a "
                               "multiple of 32 in [32, 1024], not ")
          << blockSize;
      return signalPassFailure();
    }
    KernelBuilder builder(blockSize);
    for (auto function : getOperation().getOps<func::FuncOp>()) {
      if (function.isExternal())
        continue;
      if (failed(generalizeNamedOps(function)))
        return signalPassFailure();
      SmallVector<Operation *> kernels;
      function.walk<WalkOrder::PreOrder>([&](Operation *op) {
        if (isa<scf::ForallOp, linalg::GenericOp>(op)) {
          kernels.push_back(op);
          return WalkResult::skip();
        }
        return WalkResult::advance();
      });
      llvm::DenseMap<Operation *, linalg::GenericOp> folds =
          foldableFills(kernels);
      llvm::DenseSet<Operation *> folded;
      for (auto &[reduction, fill] : folds)
        folded.insert(fill);
      for (Operation *kernel : kernels) {
        if (folded.contains(kernel))
          continue;
        LogicalResult converted = success();
        if (auto loop = dyn_cast<scf::ForallOp>(kernel)) {
          converted = builder.convertGroup(loop);
        } else if (auto fill = folds.lookup(kernel)) {
          converted = builder.convertSingle(cast<linalg::GenericOp>(kernel),
                                            filledValue(fill));
          fill->erase();
        } else {
          converted = builder.convertSingle(cast<linalg::GenericOp>(kernel));
        }
        if (failed(converted))
          return signalPassFailure();
      }
      if (failed(readScalarsThroughRuntime(function)) ||
          failed(checkHostCode(function)))
        return signalPassFailure();
      function.walk(preciseSquareRoots);
      nameKernels(function);
    }
    if (failed(bindCudaKernels(getOperation())))
      return signalPassFailure();
  }
};

} // namespace
} // namespace mlir::ds
