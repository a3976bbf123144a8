//===- RankMemory.cpp - What one rank holds for a training step -----------===//

#include "passes/shard/RankMemory.h"
#include "passes/autodiff/Remat.h"
#include "passes/shard/Communication.h"

#include "dialects/ds/DsDialect.h"
#include "dialects/ds/DsTypeRules.h"

#include "llvm/ADT/SetVector.h"

namespace mlir::ds {
namespace {


/// The functions `entry` runs: itself and what it calls or scans.
SmallVector<func::FuncOp> reachable(ModuleOp module, func::FuncOp entry) {
  llvm::SetVector<Operation *> found;
  found.insert(entry);
  for (size_t i = 0; i < found.size(); ++i)
    found[i]->walk([&](Operation *op) {
      FlatSymbolRefAttr callee;
      if (auto call = dyn_cast<func::CallOp>(op))
        callee = call.getCalleeAttr();
      else if (auto scan = dyn_cast<ScanOp>(op))
        callee = scan.getCalleeAttr();
      if (callee)
        if (auto function = module.lookupSymbol<func::FuncOp>(callee))
          found.insert(function);
    });
  SmallVector<func::FuncOp> functions;
  for (Operation *op : found)
    functions.push_back(cast<func::FuncOp>(op));
  return functions;
}

/// The autodiff's names: `<f>_fwd` computes and returns the residuals that
/// `<f>_bwd` reads (specializations add `.partN`).
bool isForward(StringRef callee) { return callee.contains("_fwd"); }
bool isBackward(StringRef callee) { return callee.contains("_bwd"); }

} // namespace

RankMemory rankMemoryOf(ModuleOp module, func::FuncOp entry) {
  RankMemory memory;
  StateBytes state = stateBytesPerRank(entry);
  memory.parameters = state.parameters;
  memory.optimizerState = state.optimizerState;
  // Gradients: the results the step's calls name `grad.<parameter>`.
  entry.walk([&](func::CallOp call) {
    auto callee = module.lookupSymbol<func::FuncOp>(call.getCalleeAttr());
    if (!callee)
      return;
    for (unsigned i = 0; i < call.getNumResults(); ++i)
      if (auto name = callee.getResultAttrOfType<StringAttr>(i, kNameAttrName);
          name && name.getValue().starts_with("grad."))
        memory.gradients += staticByteSize(call.getResult(i).getType());
  });
  for (func::FuncOp function : reachable(module, entry)) {
    // Residuals: results of a forward call that a backward call reads.
    function.walk([&](func::CallOp call) {
      if (!isForward(call.getCallee()) || call->hasAttr(kRematAttrName))
        return;
      for (Value result : call.getResults())
        if (llvm::any_of(result.getUsers(), [](Operation *user) {
              auto use = dyn_cast<func::CallOp>(user);
              return use && isBackward(use.getCallee());
            }))
          memory.activations += staticByteSize(result.getType());
    });
  }
  return memory;
}

} // namespace mlir::ds
