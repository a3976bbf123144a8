//===- Policies.cpp - --ds-remat's policies -------------------------------===//

#include "passes/remat/Policies.h"

#include "dialects/ds/DsDialect.h"

#include "llvm/ADT/DenseSet.h"

using namespace mlir;
using namespace mlir::ds;

namespace {

class NonePolicy final : public RematPolicy {
public:
  StringRef name() const override { return "none"; }
  void choose(Block &forward, ArrayRef<Value> needed, RematRole,
              RematPlan &plan) const override {
    addFreeValues(forward, needed, plan);
  }
};

class FullPolicy final : public RematPolicy {
public:
  StringRef name() const override { return "full"; }
  void choose(Block &forward, ArrayRef<Value> needed, RematRole role,
              RematPlan &plan) const override {
    addFreeValues(forward, needed, plan);
    if (role != RematRole::Layer)
      return;
    // Every value of the layer; the sweep clones only those the backward
    // pass reaches, which is the layer's forward pass.
    for (Operation &op : forward.without_terminator())
      for (Value result : op.getResults())
        plan.insert({result, "full: the layer runs again from its input"});
  }
};

class SelectivePolicy final : public RematPolicy {
public:
  StringRef name() const override { return "selective"; }
  void choose(Block &forward, ArrayRef<Value> needed, RematRole,
              RematPlan &plan) const override {
    addFreeValues(forward, needed, plan);
    llvm::DenseSet<Value> saved;
    for (Value value : needed)
      if (!plan.contains(value))
        saved.insert(value);
    auto available = [&](Value value) {
      if (auto argument = dyn_cast<BlockArgument>(value))
        return argument.getOwner() == &forward;
      Operation *definer = value.getDefiningOp();
      return saved.contains(value) || plan.contains(value) ||
             isa<ConstantOp, IotaOp>(definer);
    };
    // Latest first: a value recomputed from saved operands leaves them
    // saved, and an operand recomputed later is rebuilt before it.
    for (Value value : llvm::reverse(needed)) {
      Operation *definer = value.getDefiningOp();
      if (!saved.contains(value) || !isCheapToRecompute(definer) ||
          !llvm::all_of(definer->getOperands(), available))
        continue;
      saved.erase(value);
      for (Value result : definer->getResults())
        plan.insert({result, "selective: cheap, rebuilt from kept values"});
    }
  }
};

} // namespace

std::unique_ptr<RematPolicy> ds::makeRematPolicy(StringRef name) {
  if (name == "none")
    return std::make_unique<NonePolicy>();
  if (name == "full")
    return std::make_unique<FullPolicy>();
  if (name == "selective")
    return std::make_unique<SelectivePolicy>();
  return nullptr;
}
