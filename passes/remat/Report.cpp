//===- Report.cpp - what activation checkpointing costs a step ------------===//

#include "passes/remat/Report.h"
#include "passes/autodiff/Autodiff.h"
#include "passes/autodiff/Remat.h"

#include "dialects/ds/DsDialect.h"

#include "llvm/ADT/DenseMap.h"

namespace mlir::ds {
namespace {

class CostWalker {
public:
  explicit CostWalker(ModuleOp module) : module(module) {}

  RematCost of(func::FuncOp function) {
    if (auto known = memo.find(function); known != memo.end())
      return known->second;
    RematCost cost;
    if (!function.isExternal())
      for (Operation &op : function.getBody().front())
        add(cost, op);
    return memo[function] = cost;
  }

private:
  void add(RematCost &cost, Operation &op) {
    // Counted on the IR as it is now (after --ds-shard, one rank's
    // shapes), not taken from the attribute, which --ds-remat wrote.
    if (op.hasAttr(kRematAttrName)) {
      const int64_t flops = flopsOf(&op);
      cost.flops += flops;
      cost.totalFlops += flops;
      cost.ops += 1;
      return;
    }
    FlatSymbolRefAttr callee;
    int64_t times = 1;
    if (auto call = dyn_cast<func::CallOp>(op)) {
      callee = call.getCalleeAttr();
    } else if (auto scan = dyn_cast<ScanOp>(op)) {
      callee = scan.getCalleeAttr();
      times = std::max<int64_t>(scan.getNumLayers(), 0);
    }
    if (!callee) {
      cost.totalFlops += flopsOf(&op);
      return;
    }
    auto function = module.lookupSymbol<func::FuncOp>(callee);
    if (!function)
      return;
    RematCost inner = of(function);
    cost.flops += times * inner.flops;
    cost.ops += times * inner.ops;
    cost.totalFlops += times * inner.totalFlops;
  }

  ModuleOp module;
  llvm::DenseMap<Operation *, RematCost> memo;
};

} // namespace

RematCost rematCostOf(ModuleOp module, func::FuncOp entry) {
  return CostWalker(module).of(entry);
}

std::string rematPolicyOf(ModuleOp module, func::FuncOp entry) {
  std::string policy = "none";
  entry.walk([&](func::CallOp call) {
    auto callee = module.lookupSymbol<func::FuncOp>(call.getCalleeAttr());
    if (!callee)
      return;
    if (auto how = callee->getAttrOfType<DictionaryAttr>(kGradientAttrName))
      if (auto name = how.getAs<StringAttr>("remat"))
        policy = name.getValue().str();
  });
  if (auto how = entry->getAttrOfType<DictionaryAttr>(kGradientAttrName))
    if (auto name = how.getAs<StringAttr>("remat"))
      policy = name.getValue().str();
  return policy;
}

} // namespace mlir::ds
