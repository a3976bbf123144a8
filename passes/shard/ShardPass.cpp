//===- ShardPass.cpp - --ds-shard: @train_step per rank --------------------===//
//
// Chooses the shardings of @train_step's arguments from the strategy and
// hands the rest to the Partitioner (see the pass description in
// Passes.td).
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/shard/GradientBuckets.h"
#include "passes/shard/Partitioner.h"

#include "dialects/ds/DsDialect.h"
#include "dialects/ds/DsSharding.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Shard/IR/ShardDialect.h"
#include "mlir/Dialect/Shard/IR/ShardOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"

namespace mlir::ds {
#define GEN_PASS_DEF_DSSHARDPASS
#include "passes/Passes.h.inc"

namespace {

constexpr llvm::StringLiteral kGridName = "ds_grid";
constexpr llvm::StringLiteral kEntry = "train_step";

/// The `ds.name` of argument `index` ("" when it has none).
StringRef argumentName(func::FuncOp function, unsigned index) {
  if (auto name = function.getArgAttrOfType<StringAttr>(index, "ds.name"))
    return name.getValue();
  return "";
}

/// The `ds.name` of result `index` ("" when it has none).
StringRef resultName(func::FuncOp function, unsigned index) {
  if (auto name = function.getResultAttrOfType<StringAttr>(index, "ds.name"))
    return name.getValue();
  return "";
}

/// The parameter whose AdamW moment `name` is ("" when it is none).
StringRef momentOf(StringRef name) {
  for (StringRef prefix : {"exp_avg.", "exp_avg_sq."})
    if (name.starts_with(prefix))
      return name.drop_front(prefix.size());
  return "";
}

/// The parameter name of argument `index` ("" when it is not one).
StringRef parameterName(func::FuncOp function, unsigned index) {
  if (auto param = function.getArgAttrOfType<ParamAttr>(index, kParamAttrName))
    return param.getName();
  return "";
}

/// ZeRO's choice: the dimension of each trained parameter's moments (and
/// gradient) that is split over the ranks, by parameter: the first the
/// ranks divide, but not the layer dimension of a stacked parameter
/// (`model.layers.[1:4]....`), so that a split that ZeRO-3 would extend to
/// the parameters leaves each layer's slice to its layer.
llvm::StringMap<int64_t> zeroSplitDims(func::FuncOp entry, int64_t ranks) {
  llvm::StringMap<int64_t> dims;
  for (auto [index, arg] : llvm::enumerate(entry.getArguments())) {
    StringRef parameter = momentOf(argumentName(entry, unsigned(index)));
    auto type = dyn_cast<RankedTensorType>(arg.getType());
    if (parameter.empty() || !type || !type.hasStaticShape())
      continue;
    const bool stacked = parameter.contains(".[");
    for (int64_t d = stacked ? 1 : 0; d < type.getRank(); ++d)
      if (type.getDimSize(d) % ranks == 0) {
        dims[parameter] = d;
        break;
      }
  }
  return dims;
}


/// all_slice(x ⊙ s) → all_slice(x) ⊙ s for a scalar s: each rank computes
/// only its piece (ZeRO-1's weight decay of a whole weight, of which the
/// rank updates a shard).
void sliceBeforeScalarArithmetic(func::FuncOp step) {
  bool changed = true;
  while (changed) {
    changed = false;
    SmallVector<shard::AllSliceOp> slices;
    step.walk([&](shard::AllSliceOp slice) { slices.push_back(slice); });
    for (shard::AllSliceOp slice : slices) {
      Operation *arithmetic = slice.getInput().getDefiningOp();
      if (!arithmetic || !isa<AddOp, SubOp, MulOp, DivOp>(arithmetic) ||
          !arithmetic->hasOneUse())
        continue;
      std::optional<unsigned> whole;
      bool scalarOther = true;
      for (OpOperand &operand : arithmetic->getOpOperands()) {
        auto type = cast<RankedTensorType>(operand.get().getType());
        if (type == slice.getInput().getType() && !whole)
          whole = operand.getOperandNumber();
        else
          scalarOther &= type.getRank() == 0;
      }
      if (!whole || !scalarOther)
        continue;
      OpBuilder b(slice);
      auto early = shard::AllSliceOp::create(
          b, slice.getLoc(), slice.getType(),
          arithmetic->getOperand(*whole), slice.getGrid(),
          slice.getGridAxes(), slice.getSliceAxis().getSExtValue());
      if (Attribute reason = slice->getAttr(kReasonAttrName))
        early->setAttr(kReasonAttrName, reason);
      Operation *local = b.clone(*arithmetic);
      local->setOperand(*whole, early.getResult());
      local->getResult(0).setType(slice.getType());
      slice.replaceAllUsesWith(local->getResult(0));
      slice.erase();
      arithmetic->erase();
      changed = true;
    }
  }
}

/// Megatron's split of the weights of `entry` over `ranks` (by parameter):
/// the projections into heads or hidden units (q/k/v, MLA's q_b and kv_b,
/// gate and up, the LM head) split their outputs, the projections back
/// (o, down) their inputs, so each pair needs one sum of its output
/// (Shoeybi et al. 2019). Weights are [out, in] after any stacked
/// dimensions (Hugging Face's layout); a weight no rule names, or whose
/// dimension the ranks do not divide, stays whole.
llvm::StringMap<int64_t> tensorParallelDims(func::FuncOp entry,
                                            int64_t ranks) {
  static constexpr llvm::StringLiteral columns[] = {
      ".q_proj.weight",    ".k_proj.weight",  ".v_proj.weight",
      ".q_b_proj.weight",  ".kv_b_proj.weight", ".gate_proj.weight",
      ".up_proj.weight",   "lm_head.weight"};
  static constexpr llvm::StringLiteral rows[] = {".o_proj.weight",
                                                 ".down_proj.weight"};
  llvm::StringMap<int64_t> dims;
  for (auto [index, arg] : llvm::enumerate(entry.getArguments())) {
    StringRef name = parameterName(entry, unsigned(index));
    auto type = dyn_cast<RankedTensorType>(arg.getType());
    if (name.empty() || !type || type.getRank() < 2 || !type.hasStaticShape())
      continue;
    auto endsWithAny = [&](ArrayRef<llvm::StringLiteral> suffixes) {
      return llvm::any_of(suffixes, [&](StringRef s) { return name.ends_with(s); });
    };
    int64_t dim = -1;
    if (endsWithAny(columns))
      dim = type.getRank() - 2;
    else if (endsWithAny(rows))
      dim = type.getRank() - 1;
    if (dim >= 0 && type.getDimSize(dim) % ranks == 0)
      dims[name] = dim;
  }
  return dims;
}

/// How the strategy splits the weights and their AdamW moments over the
/// grid's one axis: by parameter, the split dimension.
struct WeightPlan {
  llvm::StringMap<int64_t> dims;
  /// The weights themselves are split at rest (ZeRO-3, tensor parallel),
  /// not only their moments (ZeRO-1).
  bool weights = false;
  /// ZeRO-3: the split is storage only, gathered before use; tensor
  /// parallelism computes on the blocks.
  bool storage = false;
  /// What the plan is called in reasons: "ZeRO-1", "ZeRO-3", "TP".
  std::string name;
};

struct ShardPass : impl::DsShardPassBase<ShardPass> {
  using DsShardPassBase::DsShardPassBase;

  void getDependentDialects(DialectRegistry &registry) const override {
    DsShardPassBase::getDependentDialects(registry);
    registerShardingInterfaceModels(registry);
  }

  LogicalResult checkOptions(ModuleOp module) {
    if (dp < 1)
      return module.emitError("--ds-shard: dp must be at least 1, got ")
             << int64_t(dp);
    if (bucketBytes < 0)
      return module.emitError(
                 "--ds-shard: bucket-bytes must be at least 0, got ")
             << int64_t(bucketBytes);
    if (tp < 1)
      return module.emitError("--ds-shard: tp must be at least 1, got ")
             << int64_t(tp);
    if (tp > 1 && (dp > 1 || zero != 0))
      return module.emitError(
          "--ds-shard: tp=")
             << int64_t(tp)
             << " with dp or zero needs a 2-D grid, whose collectives over "
                "one axis the runtime does not run yet: use tp alone";
    if (zero != 0 && zero != 1 && zero != 3)
      return module.emitError("--ds-shard: zero must be 0, 1 (ZeRO stage 1 "
                              "splits the optimizer state) or 3 (and the "
                              "parameters), got ")
             << int64_t(zero);
    return success();
  }

  /// The argument shardings of the data-parallel step: the batch split,
  /// with ZeRO-1 the moments too; everything else whole.
  FailureOr<std::vector<shard::Sharding>>
  argumentShardings(func::FuncOp entry, Partitioner &partitioner,
                    const WeightPlan &plan) {
    std::vector<shard::Sharding> argShardings;
    for (auto [index, arg] : llvm::enumerate(entry.getArguments())) {
      auto type = dyn_cast<RankedTensorType>(arg.getType());
      StringRef name = argumentName(entry, unsigned(index));
      auto dim = plan.dims.find(momentOf(name));
      if (plan.weights && dim == plan.dims.end())
        dim = plan.dims.find(parameterName(entry, unsigned(index)));
      if (type && dim != plan.dims.end()) {
        argShardings.push_back(
            partitioner.split(type.getRank(), dim->second, {shard::GridAxis(0)}));
        continue;
      }
      if (!type || dp == 1 || (name != "tokens" && name != "targets")) {
        argShardings.push_back(partitioner.replicated());
        continue;
      }
      // [B, T], or [A, B, T] with micro-batches: the batch is second last.
      const int64_t batchDim = type.getRank() - 2;
      const int64_t batch = batchDim >= 0 ? type.getDimSize(batchDim) : -1;
      if (batchDim < 0 || ShapedType::isDynamic(batch) || batch % dp != 0) {
        entry.emitError("--ds-shard: dp=")
            << int64_t(dp) << " does not divide the batch: argument '" << name
            << "' has type " << type << ", whose batch dimension "
            << batchDim << " has size " << batch;
        return failure();
      }
      argShardings.push_back(
          partitioner.split(type.getRank(), batchDim, {shard::GridAxis(0)}));
    }
    return argShardings;
  }

  /// ZeRO-1's entry: moments returned as the rank's shards, updated weights
  /// gathered, and each gradient split like its moments as soon as the
  /// backward pass returns it.
  EntryShardings planEntry(func::FuncOp entry, Partitioner &partitioner,
                           const WeightPlan &plan) {
    const llvm::StringMap<int64_t> &dims = plan.dims;
    EntryShardings shardings;
    auto splitLike = [&](Value value, int64_t dim) {
      return partitioner.split(cast<RankedTensorType>(value.getType()).getRank(),
                               dim, {shard::GridAxis(0)});
    };
    auto ret = cast<func::ReturnOp>(entry.front().getTerminator());
    for (auto [index, value] : llvm::enumerate(ret.getOperands())) {
      StringRef name = resultName(entry, unsigned(index));
      EntryShardings::Wanted wanted{partitioner.replicated(),
                                    "reshard: the entry point returns whole "
                                    "tensors"};
      if (auto dim = dims.find(momentOf(name)); dim != dims.end())
        wanted = {splitLike(value, dim->second),
                  plan.name + ": " + name.str() + " stays split"};
      else if (auto dim = dims.find(name); dim != dims.end() && plan.weights)
        wanted = {splitLike(value, dim->second),
                  plan.name + ": " + name.str() + " stays split"};
      else if (auto dim = dims.find(name); dim != dims.end())
        wanted = {partitioner.replicated(),
                  "ZeRO-1 weights: the updated shards of " + name.str() +
                      ", gathered over dp"};
      shardings.results.push_back(wanted);
    }
    entry.walk([&](func::CallOp call) {
      auto callee =
          SymbolTable::lookupNearestSymbolFrom<func::FuncOp>(call,
                                                             call.getCalleeAttr());
      if (!callee)
        return;
      for (auto [index, result] : llvm::enumerate(call.getResults())) {
        StringRef name = resultName(callee, unsigned(index));
        if (!name.consume_front("grad."))
          continue;
        if (auto dim = dims.find(name); dim != dims.end())
          shardings.values[result] = {
              splitLike(result, dim->second),
              "reshard: " + plan.name +
                  ": this rank's shard of the gradient of " + name.str()};
      }
    });
    // ZeRO-3: the functions the step calls hold the parameters split and
    // gather each just before use.
    if (plan.storage)
      for (unsigned index = 0; index < entry.getNumArguments(); ++index)
        if (StringRef name = parameterName(entry, index);
            !name.empty() && dims.count(name))
          shardings.storage[entry.getArgument(index)] = name.str();
    return shardings;
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (failed(checkOptions(module)))
      return signalPassFailure();
    const int64_t ranks = dp * tp;
    if (ranks == 1)
      return;
    auto entry = module.lookupSymbol<func::FuncOp>(kEntry);
    if (!entry || entry.isExternal()) {
      module.emitError("--ds-shard: no @train_step to partition (run "
                       "--ds-autodiff and --ds-optimizer first)");
      return signalPassFailure();
    }
    if (module.lookupSymbol(kGridName)) {
      module.emitError("--ds-shard: the module already has a symbol @")
          << kGridName << " (was it sharded already?)";
      return signalPassFailure();
    }
    OpBuilder b(module.getBodyRegion());
    auto grid = shard::GridOp::create(b, module.getLoc(),
                                      b.getStringAttr(kGridName),
                                      b.getDenseI64ArrayAttr({ranks}));
    grid->setAttr(kAxisNamesAttrName,
                  b.getStrArrayAttr({tp > 1 ? "tp" : "dp"}));
    Partitioner partitioner(module, grid);

    WeightPlan plan;
    if (tp > 1) {
      plan = {tensorParallelDims(entry, tp), true, false, "TP"};
    } else if (zero != 0) {
      plan = {zeroSplitDims(entry, dp), zero == 3, zero == 3,
              zero == 3 ? "ZeRO-3" : "ZeRO-1"};
    }
    FailureOr<std::vector<shard::Sharding>> argShardings =
        argumentShardings(entry, partitioner, plan);
    if (failed(argShardings))
      return signalPassFailure();
    EntryShardings entryShardings = planEntry(entry, partitioner, plan);

    std::string partitionedName = (kEntry + ".partitioned").str();
    FailureOr<PartitionedFunction> partitioned = partitioner.partition(
        entry, *argShardings, partitionedName, &entryShardings);
    if (failed(partitioned))
      return signalPassFailure();
    // The per-rank step takes the entry's place and name; the tensors each
    // rank holds a slice of say along which dimension.
    func::FuncOp step = partitioned->function;
    step.setVisibility(entry.getVisibility());
    step->setAttr(kRanksAttrName, b.getI64IntegerAttr(ranks));
    auto markSplit = [&](const shard::Sharding &sharding, auto setAttr) {
      for (auto [d, axes] : llvm::enumerate(sharding.getSplitAxes()))
        if (!axes.empty())
          setAttr(b.getI64IntegerAttr(int64_t(d)));
    };
    // Every split argument is marked: the batch (each rank reads its own
    // stripe), moments and weights (checkpoints hold them whole).
    for (auto [index, sharding] : llvm::enumerate(*argShardings))
      if (sharding)
        markSplit(sharding, [&](Attribute dim) {
          step.setArgAttr(unsigned(index), kSplitDimAttrName, dim);
        });
    for (auto [index, sharding] :
         llvm::enumerate(partitioned->resultShardings))
      if (sharding)
        markSplit(sharding, [&](Attribute dim) {
          step.setResultAttr(unsigned(index), kSplitDimAttrName, dim);
        });
    entry.erase();
    step.setSymName(kEntry);
    bucketGradientSums(module, step, bucketBytes);
    sliceBeforeScalarArithmetic(step);
  }
};

} // namespace
} // namespace mlir::ds
