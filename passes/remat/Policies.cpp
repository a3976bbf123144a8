//===- Policies.cpp - --ds-remat's policies -------------------------------===//

#include "passes/remat/Policies.h"

#include "dialects/ds/DsDialect.h"

#include "llvm/ADT/DenseSet.h"

#include <functional>

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
    // Core attention counts as cheap here (as in Megatron's selective
    // recomputation): its output is rebuilt from the kept queries, keys and
    // values at a cost small beside the layer's GEMMs, and it stores no
    // T x T matrix.
    auto cheap = [](Operation *op) {
      return isCheapToRecompute(op) || isa<AttentionOp>(op);
    };
    // The cheap ops that rebuild `value` from available values, operands
    // first, or failure.
    std::function<bool(Value, SmallVectorImpl<Operation *> &,
                       llvm::DenseSet<Operation *> &)>
        chain = [&](Value value, SmallVectorImpl<Operation *> &ops,
                    llvm::DenseSet<Operation *> &seen) {
          if (available(value))
            return true;
          Operation *definer = value.getDefiningOp();
          if (!definer || !cheap(definer))
            return false;
          if (!seen.insert(definer).second)
            return true;
          for (Value operand : definer->getOperands())
            if (!chain(operand, ops, seen))
              return false;
          ops.push_back(definer);
          return true;
        };
    // Latest first: a value recomputed from kept operands leaves them kept,
    // and an operand recomputed later is rebuilt before it.
    for (Value value : llvm::reverse(needed)) {
      Operation *definer = value.getDefiningOp();
      if (!saved.contains(value) || !cheap(definer))
        continue;
      SmallVector<Operation *> ops;
      llvm::DenseSet<Operation *> seen;
      bool rebuilt = true;
      for (Value operand : definer->getOperands())
        rebuilt = rebuilt && chain(operand, ops, seen);
      if (!rebuilt)
        continue;
      ops.push_back(definer);
      for (Operation *op : ops)
        for (Value result : op->getResults()) {
          saved.erase(result);
          plan.insert({result, isa<AttentionOp>(op)
                                   ? "selective: core attention, rebuilt "
                                     "from the kept queries, keys and values"
                                   : "selective: cheap, rebuilt from kept "
                                     "values"});
        }
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
