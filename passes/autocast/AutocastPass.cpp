//===- AutocastPass.cpp - --ds-autocast -----------------------------------===//
//
// Mixed precision as PyTorch's autocast and Megatron define it: the
// products (GEMMs, attention, the experts) read bf16 copies of their f32
// operands and accumulate in f32; everything else (norms, softmax, the
// loss, residual adds) stays in f32, and so do the parameters (the master
// weights) and, downstream, the gradients that reach them and AdamW's
// moments. Runs before --ds-autodiff, whose VJPs of the casts carry the
// gradients back to f32.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "dialects/ds/DsDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"

namespace mlir::ds {
#define GEN_PASS_DEF_DSAUTOCASTPASS
#include "passes/Passes.h.inc"

namespace {

bool isF32Tensor(Value value) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  return type && type.getElementType().isF32();
}

Value castTo(OpBuilder &b, Location loc, Value value, Type element) {
  auto type = cast<RankedTensorType>(value.getType());
  return CastOp::create(b, loc, type.clone(element), value);
}

/// Casts the f32 operands of `op` at `operandIndices` to `compute`; with
/// `narrowResults`, its f32 results too (cast back to f32 after it for its
/// users). Returns whether anything changed.
bool autocast(Operation *op, ArrayRef<unsigned> operandIndices, Type compute,
              bool narrowResults) {
  for (unsigned i : operandIndices)
    if (!isF32Tensor(op->getOperand(i)))
      return false;
  OpBuilder b(op);
  for (unsigned i : operandIndices)
    op->setOperand(i, castTo(b, op->getLoc(), op->getOperand(i), compute));
  if (!narrowResults)
    return true;
  b.setInsertionPointAfter(op);
  for (OpResult result : op->getResults()) {
    if (!isF32Tensor(result))
      continue;
    auto type = cast<RankedTensorType>(result.getType());
    result.setType(type.clone(compute));
    Value wide = castTo(b, op->getLoc(), result, b.getF32Type());
    result.replaceAllUsesExcept(wide, wide.getDefiningOp());
  }
  return true;
}

struct AutocastPass : impl::DsAutocastPassBase<AutocastPass> {
  using DsAutocastPassBase::DsAutocastPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    Builder b(&getContext());
    Type type;
    if (compute == "bf16")
      type = b.getBF16Type();
    else if (compute == "f16")
      type = b.getF16Type();
    else {
      module.emitError("--ds-autocast: compute must be bf16 or f16, not '")
          << compute << "'";
      return signalPassFailure();
    }
    int64_t products = 0;
    module.walk([&](Operation *op) {
      bool changed = false;
      if (isa<MatmulOp>(op))
        // A product of low-precision operands may keep an f32 result.
        changed = autocast(op, {0, 1}, type, /*narrowResults=*/false);
      else if (isa<AttentionOp>(op))
        changed = autocast(op, {0, 1, 2}, type, /*narrowResults=*/true);
      else if (auto ffn = dyn_cast<MoeFfnOp>(op))
        changed = autocast(op, {0, 1, 3, 4, 5}, type, /*narrowResults=*/true);
      products += changed;
    });
    module->setAttr("ds.autocast",
                    b.getDictionaryAttr(
                        {b.getNamedAttr("compute", b.getStringAttr(compute)),
                         b.getNamedAttr("products",
                                        b.getI64IntegerAttr(products))}));
  }
};

} // namespace
} // namespace mlir::ds
