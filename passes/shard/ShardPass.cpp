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
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/StringSwitch.h"

#include <optional>

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


/// The static shape of every parameter, by name.
llvm::StringMap<SmallVector<int64_t>> parameterShapes(func::FuncOp entry) {
  llvm::StringMap<SmallVector<int64_t>> shapes;
  for (auto [index, arg] : llvm::enumerate(entry.getArguments()))
    if (auto type = dyn_cast<RankedTensorType>(arg.getType());
        type && type.hasStaticShape())
      if (StringRef name = parameterName(entry, unsigned(index)); !name.empty())
        shapes[name] = SmallVector<int64_t>(type.getShape());
  return shapes;
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
/// dimensions (Hugging Face's layout); a weight no rule names stays whole.
/// A dimension the ranks do not divide is an error naming it.
FailureOr<llvm::StringMap<int64_t>> tensorParallelDims(func::FuncOp entry,
                                                       int64_t ranks,
                                                       bool skipExperts) {
  struct Rule {
    llvm::StringLiteral suffix;
    bool output;
    const char *what;
  };
  static constexpr Rule rules[] = {
      {".q_proj.weight", true, "the attention heads' query channels"},
      {".k_proj.weight", true, "the key heads' channels"},
      {".v_proj.weight", true, "the value heads' channels"},
      {".q_b_proj.weight", true, "the attention heads' query channels"},
      {".kv_b_proj.weight", true, "the heads' key and value channels"},
      {".gate_proj.weight", true, "the hidden units"},
      {".up_proj.weight", true, "the hidden units"},
      {"lm_head.weight", true, "the vocabulary"},
      {"embed_tokens.weight", true, "the vocabulary"},
      {".o_proj.weight", false, "the attention heads' value channels"},
      {".down_proj.weight", false, "the hidden units"}};
  llvm::StringMap<int64_t> dims;
  for (auto [index, arg] : llvm::enumerate(entry.getArguments())) {
    StringRef name = parameterName(entry, unsigned(index));
    auto type = dyn_cast<RankedTensorType>(arg.getType());
    if (name.empty() || !type || type.getRank() < 2 || !type.hasStaticShape())
      continue;
    // Under expert parallelism the routed experts are split by expert
    // (over ep and tp together), not by hidden unit.
    if (skipExperts && name.contains(".experts."))
      continue;
    for (const Rule &rule : rules) {
      if (!name.ends_with(rule.suffix))
        continue;
      const int64_t dim = type.getRank() - (rule.output ? 2 : 1);
      if (type.getDimSize(dim) % ranks != 0) {
        entry.emitError("--ds-shard: tp=")
            << ranks << " does not divide " << rule.what << " of '" << name
            << "': dimension " << dim << " of " << type << " has size "
            << type.getDimSize(dim);
        return failure();
      }
      dims[name] = dim;
      break;
    }
  }
  if (dims.empty()) {
    entry.emitError("--ds-shard: tp=")
        << ranks
        << " finds no weight to split: tensor parallelism knows the "
           "projections of Llama and DeepSeek models (q/k/v/o_proj, "
           "q_b_proj, kv_b_proj, gate/up/down_proj, lm_head), not this "
           "model's";
    return failure();
  }
  return dims;
}

/// Expert parallelism's split: every routed expert's gate, up and down
/// weights ([..., E, out, in], named `...mlp.experts...`) along the experts.
/// A number of experts the ranks do not divide is an error naming it.
FailureOr<llvm::StringMap<int64_t>>
expertParallelDims(func::FuncOp entry, int64_t ranks, StringRef label) {
  llvm::StringMap<int64_t> dims;
  for (auto [index, arg] : llvm::enumerate(entry.getArguments())) {
    StringRef name = parameterName(entry, unsigned(index));
    auto type = dyn_cast<RankedTensorType>(arg.getType());
    if (name.empty() || !type || type.getRank() < 3 ||
        !type.hasStaticShape() || !name.contains(".experts."))
      continue;
    const int64_t dim = type.getRank() - 3;
    if (type.getDimSize(dim) % ranks != 0) {
      entry.emitError("--ds-shard: ")
          << label << "=" << ranks << " does not divide the experts of '"
          << name
          << "': dimension " << dim << " of " << type << " has size "
          << type.getDimSize(dim);
      return failure();
    }
    dims[name] = dim;
  }
  if (dims.empty()) {
    entry.emitError("--ds-shard: ep=")
        << ranks << " needs routed experts (parameters named "
                    "'...experts...'), and the step has none";
    return failure();
  }
  return dims;
}

/// Where the strategy splits a weight and its AdamW moments: one dimension,
/// over grid axes listed major to minor (a model-parallel axis, then
/// ZeRO's: the experts' blocks of `ep`, each split further over `dp`).
struct WeightSplit {
  int64_t dim;
  SmallVector<shard::GridAxis> axes;
  /// The leading `atRest` of `axes` split the weight itself between steps
  /// (the rest split its moments only: ZeRO-1); the leading `inUse` split
  /// it where the model computes (tensor and expert parallelism; ZeRO-3's
  /// further split is storage, gathered before use).
  size_t atRest = 0, inUse = 0;
  /// What the split is called in reasons: "TP", "EP", "ZeRO-1",
  /// "EP+ZeRO-3", ...
  std::string name;
};

/// How the strategy splits the weights and their AdamW moments.
struct WeightPlan {
  llvm::StringMap<WeightSplit> splits;

  /// Tensor or expert parallelism: the weights of `dims` computed on in
  /// blocks over `axes` (major to minor).
  void addModelParallel(const llvm::StringMap<int64_t> &dims,
                        ArrayRef<shard::GridAxis> axes, StringRef name) {
    for (const auto &entry : dims)
      if (!splits.count(entry.getKey()))
        splits[entry.getKey()] = {entry.getValue(),
                                  SmallVector<shard::GridAxis>(axes),
                                  axes.size(), axes.size(), name.str()};
  }

  /// ZeRO stage `stage` over `axis` (`ranks` ranks): the weights no other
  /// strategy splits along `dims`; a model-parallel block further along its
  /// own dimension when that divides by every rank of both (`sizes`: the
  /// weights' shapes; `axisSizes`: the grid's).
  void addZero(const llvm::StringMap<int64_t> &dims,
               const llvm::StringMap<SmallVector<int64_t>> &sizes,
               ArrayRef<int64_t> axisSizes, shard::GridAxis axis,
               int64_t ranks, int64_t stage) {
    const std::string zero = "ZeRO-" + std::to_string(stage);
    const size_t atRest = stage == 3 ? 1 : 0;
    for (auto &[name, split] : splits) {
      auto shape = sizes.find(name);
      int64_t parts = ranks;
      for (shard::GridAxis a : split.axes)
        parts *= axisSizes[size_t(a)];
      if (shape == sizes.end() || shape->second[size_t(split.dim)] % parts)
        continue;
      split.axes.push_back(axis);
      split.atRest += atRest;
      split.name += "+" + zero;
    }
    for (const auto &entry : dims)
      if (!splits.count(entry.getKey()))
        splits[entry.getKey()] = {entry.getValue(), {axis}, atRest, 0, zero};
  }

  const WeightSplit *find(StringRef name) const {
    auto it = splits.find(name);
    return it == splits.end() ? nullptr : &it->second;
  }
};

/// The grid's axes, by strategy: dp, then tp or ep, those of more than one
/// rank (a grid of one axis when one strategy is used alone).
struct GridAxes {
  SmallVector<int64_t> shape;
  SmallVector<StringRef> names;
  std::optional<shard::GridAxis> dp, tp, ep;

  GridAxes(int64_t dpRanks, int64_t tpRanks, int64_t epRanks) {
    auto add = [&](int64_t ranks, StringRef name,
                   std::optional<shard::GridAxis> &axis) {
      if (ranks <= 1)
        return;
      axis = shard::GridAxis(shape.size());
      shape.push_back(ranks);
      names.push_back(name);
    };
    add(dpRanks, "dp", dp);
    add(tpRanks, "tp", tp);
    add(epRanks, "ep", ep);
  }
  /// The axes the batch is split over: every rank that is not a tensor-
  /// parallel peer reads its own part (expert-parallel ranks too, as in
  /// DeepSeek's training).
  SmallVector<shard::GridAxis> batch() const {
    SmallVector<shard::GridAxis> axes;
    if (dp)
      axes.push_back(*dp);
    if (ep)
      axes.push_back(*ep);
    return axes;
  }
  int64_t sizeOf(ArrayRef<shard::GridAxis> axes) const {
    int64_t size = 1;
    for (shard::GridAxis axis : axes)
      size *= shape[size_t(axis)];
    return size;
  }
};

struct ShardPass : impl::DsShardPassBase<ShardPass> {
  using DsShardPassBase::DsShardPassBase;

  void getDependentDialects(DialectRegistry &registry) const override {
    DsShardPassBase::getDependentDialects(registry);
    registerShardingInterfaceModels(registry);
  }

  LogicalResult checkOptions(ModuleOp module) {
    for (auto [name, value] : {std::pair<StringRef, int64_t>{"dp", dp},
                               {"tp", tp},
                               {"ep", ep}})
      if (value < 1)
        return module.emitError("--ds-shard: ")
               << name << " must be at least 1, got " << value;
    if (bucketBytes < 0)
      return module.emitError(
                 "--ds-shard: bucket-bytes must be at least 0, got ")
             << int64_t(bucketBytes);
    if (zero != 0 && dp <= 1)
      return module.emitError("--ds-shard: zero=")
             << int64_t(zero)
             << " needs dp > 1: ZeRO splits over the data-parallel ranks";
    if (zero != 0 && zero != 1 && zero != 3)
      return module.emitError("--ds-shard: zero must be 0, 1 (ZeRO stage 1 "
                              "splits the optimizer state) or 3 (and the "
                              "parameters), got ")
             << int64_t(zero);
    return success();
  }

  /// The argument shardings of the step: the batch split over the batch
  /// axes, weights and moments as the plan says; everything else whole.
  FailureOr<std::vector<shard::Sharding>>
  argumentShardings(func::FuncOp entry, Partitioner &partitioner,
                    const GridAxes &grid, const WeightPlan &plan) {
    std::vector<shard::Sharding> argShardings;
    const SmallVector<shard::GridAxis> batchAxes = grid.batch();
    for (auto [index, arg] : llvm::enumerate(entry.getArguments())) {
      auto type = dyn_cast<RankedTensorType>(arg.getType());
      StringRef name = argumentName(entry, unsigned(index));
      // A moment split over all its axes, a weight over those at rest.
      const WeightSplit *split = plan.find(momentOf(name));
      size_t axes = split ? split->axes.size() : 0;
      StringRef parameter = parameterName(entry, unsigned(index));
      if (!split && (split = plan.find(parameter)))
        axes = split->atRest;
      if (type && split) {
        argShardings.push_back(
            axes == 0 ? partitioner.replicated()
                      : partitioner.split(type.getRank(), split->dim,
                                          ArrayRef(split->axes).take_front(axes)));
        continue;
      }
      if (!type || batchAxes.empty() ||
          (name != "tokens" && name != "targets")) {
        argShardings.push_back(partitioner.replicated());
        continue;
      }
      // [B, T], or [A, B, T] with micro-batches: the batch is second last.
      const int64_t batchDim = type.getRank() - 2;
      const int64_t batch = batchDim >= 0 ? type.getDimSize(batchDim) : -1;
      const int64_t parts = grid.sizeOf(batchAxes);
      if (batchDim < 0 || ShapedType::isDynamic(batch) || batch % parts != 0) {
        InFlightDiagnostic error = entry.emitError("--ds-shard: ");
        if (ep > 1 && dp > 1)
          error << "dp×ep = " << parts
                << " ranks, each reading its own data, do not";
        else
          error << (ep > 1 ? "ep=" : "dp=") << parts << " does not";
        error << " divide the batch: argument '" << name << "' has type "
              << type << ", whose batch dimension " << batchDim
              << " has size " << batch;
        return failure();
      }
      argShardings.push_back(
          partitioner.split(type.getRank(), batchDim, batchAxes));
    }
    return argShardings;
  }

  /// The entry's results and values: moments (and weights split at rest)
  /// returned as the rank's blocks, weights updated in blocks gathered
  /// (ZeRO-1), and each gradient split like its moments as soon as the
  /// backward pass returns it.
  EntryShardings planEntry(func::FuncOp entry, Partitioner &partitioner,
                           const GridAxes &grid, const WeightPlan &plan) {
    EntryShardings shardings;
    auto splitLike = [&](Value value, const WeightSplit &split, size_t axes) {
      if (axes == 0)
        return partitioner.replicated();
      return partitioner.split(cast<RankedTensorType>(value.getType()).getRank(),
                               split.dim, ArrayRef(split.axes).take_front(axes));
    };
    auto ret = cast<func::ReturnOp>(entry.front().getTerminator());
    for (auto [index, value] : llvm::enumerate(ret.getOperands())) {
      StringRef name = resultName(entry, unsigned(index));
      EntryShardings::Wanted wanted{partitioner.replicated(),
                                    "reshard: the entry point returns whole "
                                    "tensors"};
      if (const WeightSplit *split = plan.find(momentOf(name)))
        wanted = {splitLike(value, *split, split->axes.size()),
                  split->name + ": " + name.str() + " stays split"};
      else if (const WeightSplit *split = plan.find(name);
               split && split->atRest == split->axes.size())
        wanted = {splitLike(value, *split, split->atRest),
                  split->name + ": " + name.str() + " stays split"};
      else if (split)
        wanted = {splitLike(value, *split, split->atRest),
                  "ZeRO-1 weights: the updated shards of " + name.str() +
                      ", gathered over " +
                      grid.names[size_t(split->axes.back())].str()};
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
        if (const WeightSplit *split = plan.find(name))
          shardings.values[result] = {
              splitLike(result, *split, split->axes.size()),
              "reshard: " + split->name +
                  ": this rank's shard of the gradient of " + name.str()};
      }
    });
    // ZeRO-3: the functions the step calls hold the parameters split and
    // gather each just before use.
    for (unsigned index = 0; index < entry.getNumArguments(); ++index)
      if (const WeightSplit *split = plan.find(parameterName(entry, index));
          split && split->atRest > split->inUse)
        shardings.storage[entry.getArgument(index)] =
            parameterName(entry, index).str();
    return shardings;
  }

  FailureOr<WeightPlan> planWeights(func::FuncOp entry, const GridAxes &grid) {
    WeightPlan plan;
    if (grid.tp) {
      FailureOr<llvm::StringMap<int64_t>> dims =
          tensorParallelDims(entry, tp, /*skipExperts=*/grid.ep.has_value());
      if (failed(dims))
        return failure();
      plan.addModelParallel(*dims, {*grid.tp}, "TP");
    }
    if (grid.ep) {
      // With tp, the tp ranks of an ep rank (which see the same tokens)
      // split its experts further: the experts over [ep, tp].
      SmallVector<shard::GridAxis> axes{*grid.ep};
      if (grid.tp)
        axes.push_back(*grid.tp);
      FailureOr<llvm::StringMap<int64_t>> dims = expertParallelDims(
          entry, ep * tp, grid.tp ? "ep×tp" : "ep");
      if (failed(dims))
        return failure();
      plan.addModelParallel(*dims, axes, "EP");
    }
    if (zero != 0 && grid.dp)
      plan.addZero(zeroSplitDims(entry, dp), parameterShapes(entry),
                   grid.shape, *grid.dp, dp, zero);
    return plan;
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (failed(checkOptions(module)))
      return signalPassFailure();
    const int64_t ranks = dp * tp * ep;
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
    std::optional<ExpertDispatch> dispatch =
        llvm::StringSwitch<std::optional<ExpertDispatch>>(epDispatch)
            .Case("all-to-all", ExpertDispatch::AllToAll)
            .Case("all-gather", ExpertDispatch::AllGather)
            .Default(std::nullopt);
    if (!dispatch) {
      module.emitError("--ds-shard: ep-dispatch='")
          << epDispatch << "' is not all-to-all or all-gather";
      return signalPassFailure();
    }
    const GridAxes axes(dp, tp, ep);
    FailureOr<WeightPlan> plan = planWeights(entry, axes);
    if (failed(plan))
      return signalPassFailure();
    OpBuilder b(module.getBodyRegion());
    auto grid = shard::GridOp::create(b, module.getLoc(),
                                      b.getStringAttr(kGridName),
                                      b.getDenseI64ArrayAttr(axes.shape));
    grid->setAttr(kAxisNamesAttrName, b.getStrArrayAttr(axes.names));
    Partitioner partitioner(module, grid, *dispatch);
    if (zero == 3 && axes.dp)
      partitioner.setStorageAxes({*axes.dp});

    FailureOr<std::vector<shard::Sharding>> argShardings =
        argumentShardings(entry, partitioner, axes, *plan);
    if (failed(argShardings))
      return signalPassFailure();
    EntryShardings entryShardings = planEntry(entry, partitioner, axes, *plan);

    std::string partitionedName = (kEntry + ".partitioned").str();
    FailureOr<PartitionedFunction> partitioned = partitioner.partition(
        entry, *argShardings, partitionedName, &entryShardings);
    if (failed(partitioned))
      return signalPassFailure();
    // The per-rank step takes the entry's place and name; the tensors each
    // rank holds a slice of say along which dimension (and, on a grid of
    // several axes, over which axes).
    func::FuncOp step = partitioned->function;
    step.setVisibility(entry.getVisibility());
    step->setAttr(kRanksAttrName, b.getI64IntegerAttr(ranks));
    if (axes.shape.size() > 1)
      step->setAttr(kGridAttrName, b.getDenseI64ArrayAttr(axes.shape));
    auto markSplit = [&](const shard::Sharding &sharding, auto setAttr) {
      for (auto [d, split] : llvm::enumerate(sharding.getSplitAxes()))
        if (!split.empty()) {
          SmallVector<int64_t> list(split.asArrayRef().begin(),
                                    split.asArrayRef().end());
          setAttr(kSplitDimAttrName, b.getI64IntegerAttr(int64_t(d)));
          if (axes.shape.size() > 1)
            setAttr(kSplitAxesAttrName, b.getDenseI64ArrayAttr(list));
        }
    };
    // Every split argument is marked: the batch (each rank reads its own
    // stripe), moments and weights (checkpoints hold them whole).
    for (auto [index, sharding] : llvm::enumerate(*argShardings))
      if (sharding)
        markSplit(sharding, [&, arg = unsigned(index)](StringRef name,
                                                       Attribute value) {
          step.setArgAttr(arg, name, value);
        });
    for (auto [index, sharding] :
         llvm::enumerate(partitioned->resultShardings))
      if (sharding)
        markSplit(sharding, [&, result = unsigned(index)](StringRef name,
                                                          Attribute value) {
          step.setResultAttr(result, name, value);
        });
    entry.erase();
    step.setSymName(kEntry);
    bucketGradientSums(module, step, bucketBytes);
    sliceBeforeScalarArithmetic(step);
  }
};

} // namespace
} // namespace mlir::ds
