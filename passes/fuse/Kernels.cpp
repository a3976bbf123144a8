//===- Kernels.cpp - kernels of lowered code and the bytes they move ------===//

#include "passes/fuse/Kernels.h"

#include "dialects/ds/DsTypeRules.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Transforms/RegionUtils.h"

#include "llvm/ADT/SetVector.h"

namespace mlir::ds {

namespace {

/// The bytes a kernel reads from `value`, a tensor defined outside it.
int64_t readBytes(Value value) {
  if (value.getDefiningOp<tensor::EmptyOp>())
    return 0;
  return staticByteSize(value.getType());
}

/// The buffer a library call's pointer argument points into: the pointer is
/// `llvm.inttoptr` of the buffer's aligned pointer (plus an offset).
int64_t pointerBytes(Value pointer) {
  Value value = pointer;
  while (Operation *def = value.getDefiningOp()) {
    if (auto cast = dyn_cast<LLVM::IntToPtrOp>(def))
      value = cast.getArg();
    else if (auto cast = dyn_cast<arith::IndexCastOp>(def))
      value = cast.getIn();
    else if (auto add = dyn_cast<arith::AddIOp>(def))
      value = add.getLhs();
    else if (auto aligned =
                 dyn_cast<memref::ExtractAlignedPointerAsIndexOp>(def))
      value = aligned.getSource();
    else if (auto metadata = dyn_cast<memref::ExtractStridedMetadataOp>(def))
      // The base buffer of a view: the bytes the call sees are the view's.
      return staticByteSize(metadata.getSource().getType());
    else
      break;
  }
  return staticByteSize(value.getType());
}

/// Iterations of the loops around `op` (constant trip counts; others 1).
int64_t timesRun(Operation *op) {
  int64_t times = 1;
  for (auto loop = op->getParentOfType<scf::ForOp>(); loop;
       loop = loop->getParentOfType<scf::ForOp>()) {
    std::optional<int64_t> lower = getConstantIntValue(loop.getLowerBound());
    std::optional<int64_t> upper = getConstantIntValue(loop.getUpperBound());
    std::optional<int64_t> step = getConstantIntValue(loop.getStep());
    if (lower && upper && step && *step > 0 && *upper > *lower)
      times *= (*upper - *lower + *step - 1) / *step;
  }
  return times;
}

bool isLibraryCall(Operation *op) {
  auto call = dyn_cast<func::CallOp>(op);
  return call && call.getCallee().starts_with("ds_");
}

} // namespace

int64_t kernelBytes(Operation *op) {
  llvm::SetVector<Value> reads;
  if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op)) {
    for (OpOperand *input : linalgOp.getDpsInputOperands())
      reads.insert(input->get());
    for (OpOperand &init : linalgOp.getDpsInitsMutable())
      if (linalgOp.payloadUsesValueFromOperand(&init))
        reads.insert(init.get());
  } else {
    for (Value operand : op->getOperands())
      reads.insert(operand);
    if (auto forall = dyn_cast<scf::ForallOp>(op))
      for (Value init : forall.getOutputs())
        reads.remove(init); // written, not read: results count them
    llvm::SetVector<Value> captured;
    for (Region &region : op->getRegions())
      getUsedValuesDefinedAbove(region, captured);
    reads.insert_range(captured);
  }
  int64_t bytes = 0;
  for (Value value : reads)
    bytes += readBytes(value);
  for (Value result : op->getResults())
    bytes += staticByteSize(result.getType());
  return bytes;
}

KernelCounts countKernels(func::FuncOp function) {
  KernelCounts counts;
  function.walk<WalkOrder::PreOrder>([&](Operation *op) {
    if (isLibraryCall(op)) {
      int64_t bytes = 0;
      for (Value operand : op->getOperands())
        if (isa<LLVM::LLVMPointerType>(operand.getType()))
          bytes += pointerBytes(operand);
      // The status word (a function argument) counts nothing.
      counts.library += timesRun(op);
      counts.libraryBytes += timesRun(op) * bytes;
      return WalkResult::advance();
    }
    if (op->hasAttr(kKernelAttr) ||
        (isa<linalg::LinalgOp>(op) && !op->getParentOfType<scf::ForallOp>())) {
      counts.generated += timesRun(op);
      counts.generatedBytes += timesRun(op) * kernelBytes(op);
      return WalkResult::skip();
    }
    return WalkResult::advance();
  });
  return counts;
}

} // namespace mlir::ds
