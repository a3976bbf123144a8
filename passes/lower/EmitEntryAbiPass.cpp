//===- EmitEntryAbiPass.cpp - --ds-emit-entry-abi --------------------------===//
//
// The runtime calls every entry point the same way (docs/artifact.md):
//   void ds_entry_<name>(ds_status *status, void **buffers, void *workspace)
// so it needs neither libffi nor per-model glue. This pass writes those
// wrappers in the LLVM dialect around the bare-pointer functions that
// convert-func-to-llvm produced.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/BuiltinOps.h"

namespace mlir::ds {
#define GEN_PASS_DEF_DSEMITENTRYABIPASS
#include "passes/Passes.h.inc"

namespace {

constexpr llvm::StringLiteral kEntryPrefix = "ds_entry_";

struct EmitEntryAbiPass : impl::DsEmitEntryAbiPassBase<EmitEntryAbiPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    auto pointer = LLVM::LLVMPointerType::get(ctx);

    SmallVector<LLVM::LLVMFuncOp> entries;
    for (auto function : module.getOps<LLVM::LLVMFuncOp>())
      if (!function.isExternal() &&
          !function.getName().starts_with(kEntryPrefix) &&
          function.getLinkage() == LLVM::Linkage::External)
        entries.push_back(function);

    for (LLVM::LLVMFuncOp entry : entries) {
      auto type = entry.getFunctionType();
      // status, the argument and result buffers, the workspace.
      if (type.getNumParams() < 2 ||
          llvm::any_of(type.getParams(),
                       [&](Type t) { return t != pointer; }) ||
          !isa<LLVM::LLVMVoidType>(type.getReturnType())) {
        entry.emitError("entry point '")
            << entry.getName()
            << "' does not have the bare-pointer signature "
               "(status, buffers..., workspace) -> ()";
        return signalPassFailure();
      }
      OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
      Location loc = entry.getLoc();
      auto wrapperType = LLVM::LLVMFunctionType::get(
          LLVM::LLVMVoidType::get(ctx), {pointer, pointer, pointer});
      auto wrapper = LLVM::LLVMFuncOp::create(
          b, loc, (kEntryPrefix + entry.getName()).str(), wrapperType);
      Block *body = wrapper.addEntryBlock(b);
      b.setInsertionPointToStart(body);
      Value status = body->getArgument(0);
      Value buffers = body->getArgument(1);
      Value workspace = body->getArgument(2);
      SmallVector<Value> arguments{status};
      unsigned numBuffers = type.getNumParams() - 2;
      for (unsigned i = 0; i < numBuffers; ++i) {
        Value slot = LLVM::GEPOp::create(b, loc, pointer, pointer, buffers,
                                         ArrayRef<LLVM::GEPArg>{int32_t(i)});
        arguments.push_back(LLVM::LoadOp::create(b, loc, pointer, slot));
      }
      arguments.push_back(workspace);
      LLVM::CallOp::create(b, loc, entry, arguments);
      LLVM::ReturnOp::create(b, loc, ValueRange{});
      // Only the wrapper is the artifact's interface. The ds attributes
      // (names, memory plan) were read into the manifest before lowering;
      // LLVM has no use for them.
      entry.setLinkage(LLVM::Linkage::Internal);
      entry.removeArgAttrsAttr();
      entry.removeResAttrsAttr();
      for (NamedAttribute attr : llvm::to_vector(entry->getDiscardableAttrs()))
        if (attr.getName().strref().starts_with("ds."))
          entry->removeDiscardableAttr(attr.getName());
    }
  }
};

} // namespace
} // namespace mlir::ds
