//===- DistinctResultsPass.cpp - --ds-distinct-results ---------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinOps.h"

#include "llvm/ADT/SmallPtrSet.h"

namespace mlir::ds {
#define GEN_PASS_DEF_DSDISTINCTRESULTSPASS
#include "passes/Passes.h.inc"

namespace {

struct DistinctResultsPass
    : impl::DsDistinctResultsPassBase<DistinctResultsPass> {
  void runOnOperation() override {
    for (auto function : getOperation().getOps<func::FuncOp>()) {
      if (function.isExternal() || !function.isPublic())
        continue;
      function.walk([&](func::ReturnOp ret) {
        llvm::SmallPtrSet<Value, 8> seen;
        OpBuilder b(ret);
        for (OpOperand &operand : ret->getOpOperands()) {
          Value value = operand.get();
          auto type = dyn_cast<MemRefType>(value.getType());
          if (!type)
            continue;
          bool ownAlloc = value.getDefiningOp<memref::AllocOp>() != nullptr;
          if (ownAlloc && seen.insert(value).second)
            continue;
          // An identity-layout copy of the value in a fresh buffer.
          auto copyType = MemRefType::get(type.getShape(),
                                          type.getElementType());
          Value copy = memref::AllocOp::create(b, ret.getLoc(), copyType);
          memref::CopyOp::create(b, ret.getLoc(), value, copy);
          operand.set(copy);
          seen.insert(copy);
        }
      });
    }
  }
};

} // namespace
} // namespace mlir::ds
