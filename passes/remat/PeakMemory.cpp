//===- PeakMemory.cpp - a training step's peak memory from its ds IR ------===//

#include "passes/remat/PeakMemory.h"
#include "passes/autodiff/Remat.h"

#include "dialects/ds/DsDialect.h"

#include "llvm/ADT/DenseMap.h"

namespace mlir::ds {
namespace {

class PeakSimulator {
public:
  explicit PeakSimulator(ModuleOp module) : module(module) {}

  /// The peak of `function`'s intermediates over one call, with its results
  /// counted (they live on in the caller) unless `countResults` is false.
  int64_t peakOf(func::FuncOp function, bool countResults) {
    auto key = std::make_pair(function.getOperation(), countResults);
    if (auto known = memo.find(key); known != memo.end())
      return known->second;
    memo[key] = 0; // a recursive call (not valid ds) costs nothing more
    int64_t peak = simulate(function.getBody().front(), countResults);
    return memo[key] = peak;
  }

private:
  /// The value whose buffer `value` uses: reshapes are views.
  Value storageOf(Value value) {
    while (auto reshape = value.getDefiningOp<ReshapeOp>())
      value = reshape.getInput();
    return value;
  }

  static bool isElementwise(Operation &op) {
    return isa<AddOp, SubOp, MulOp, DivOp, MaxOp, MinOp, PowOp, SelectOp,
               NegOp, AbsOp, SquareOp, ReluOp, ExpOp, LogOp, SqrtOp, RsqrtOp,
               TanhOp, SigmoidOp, SiluOp, SinOp, CosOp, GeluOp, GeluGradOp>(op);
  }

  static int64_t ownBytes(Value value) {
    Operation *definer = value.getDefiningOp();
    if (!definer || isa<ReshapeOp, ConstantOp>(definer))
      return 0;
    return tensorBytes(value.getType());
  }

  int64_t simulate(Block &block, bool countResults) {
    // The last op of the block that reads each buffer (through views).
    llvm::DenseMap<Operation *, int64_t> position;
    int64_t index = 0;
    for (Operation &op : block)
      position[&op] = index++;
    llvm::DenseMap<Value, int64_t> lastUse;
    for (Operation &op : block)
      for (Value operand : op.getOperands()) {
        Value storage = storageOf(operand);
        if (isa<func::ReturnOp>(op) && !countResults)
          continue;
        int64_t &last = lastUse[storage];
        last = std::max(last, position[&op]);
      }

    auto diesHere = [&](Value storage, Operation &op) {
      return lastUse.lookup(storage) == position[&op] &&
             storage.getDefiningOp() &&
             storage.getDefiningOp()->getBlock() == &block;
    };
    int64_t live = 0, peak = 0;
    llvm::DenseMap<Value, int64_t> bytes;
    for (Operation &op : block) {
      if (isa<func::ReturnOp>(op))
        break;
      int64_t results = 0;
      for (Value result : op.getResults())
        results += bytes[result] = ownBytes(result);
      // An elementwise op whose operand of the same size dies here writes
      // into it (fusion or in-place bufferization): no new buffer.
      if (op.getNumResults() == 1 && isElementwise(op))
        for (Value operand : op.getOperands()) {
          Value storage = storageOf(operand);
          if (diesHere(storage, op) && bytes.lookup(storage) == results &&
              results > 0) {
            bytes[storage] = 0;
            live -= results;
            break;
          }
        }
      peak = std::max(peak, live + inner(op, results));
      live += results;
      // Buffers read for the last time here, and results nobody reads.
      for (Value result : op.getResults())
        if (!lastUse.count(result))
          live -= bytes.lookup(result);
      llvm::SmallPtrSet<Value, 8> freed;
      for (Value operand : op.getOperands()) {
        Value storage = storageOf(operand);
        if (diesHere(storage, op) && freed.insert(storage).second)
          live -= bytes.lookup(storage);
      }
    }
    return std::max(peak, live);
  }

  /// What `op` needs while it runs, its results included.
  int64_t inner(Operation &op, int64_t results) {
    if (auto call = dyn_cast<func::CallOp>(op)) {
      auto callee = module.lookupSymbol<func::FuncOp>(call.getCalleeAttr());
      return callee && !callee.isExternal() ? peakOf(callee, true) : results;
    }
    if (auto scan = dyn_cast<ScanOp>(op)) {
      auto callee = module.lookupSymbol<func::FuncOp>(scan.getCalleeAttr());
      if (!callee || callee.isExternal())
        return results;
      // Stacked results whole, carries in two slots, one layer's body.
      int64_t carries = 0;
      for (Value carry : scan.getCarries())
        carries += tensorBytes(carry.getType());
      return results + carries + peakOf(callee, true);
    }
    return results;
  }

  ModuleOp module;
  std::map<std::pair<Operation *, bool>, int64_t> memo;
};

} // namespace

int64_t estimatePeakMemory(ModuleOp module, func::FuncOp entry) {
  if (entry.isExternal())
    return 0;
  return PeakSimulator(module).peakOf(entry, /*countResults=*/false);
}

} // namespace mlir::ds
