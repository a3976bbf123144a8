//===- Partitioner.cpp - Per-rank programs across calls and scans ---------===//

#include "passes/shard/Partitioner.h"
#include "passes/shard/ExpertParallel.h"

#include "dialects/ds/DsDialect.h"

#include "mlir/Dialect/Shard/Interfaces/ShardingInterface.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/StringExtras.h"

#include <string>

namespace mlir::ds {
namespace {

using Axes = SmallVector<SmallVector<shard::GridAxis>>;

bool isTensor(Value value) { return isa<RankedTensorType>(value.getType()); }

/// The grid axes splitting each of `rank` dimensions (empty: whole).
Axes axesOf(const shard::Sharding &sharding, int64_t rank) {
  Axes axes;
  axes.resize(size_t(rank));
  if (!sharding)
    return axes;
  ArrayRef<shard::GridAxesAttr> split = sharding.getSplitAxes();
  for (size_t d = 0; d < split.size() && d < size_t(rank); ++d)
    axes[d].assign(split[d].asArrayRef().begin(), split[d].asArrayRef().end());
  return axes;
}

/// "[[0], []]": a key and a message spelling of a sharding.
std::string spell(const Axes &axes) {
  std::string text = "[";
  for (size_t d = 0; d < axes.size(); ++d) {
    text += d ? ", [" : "[";
    for (size_t i = 0; i < axes[d].size(); ++i)
      text += (i ? ", " : "") + std::to_string(axes[d][i]);
    text += "]";
  }
  return text + "]";
}

int64_t rankOf(Value value) {
  return cast<RankedTensorType>(value.getType()).getRank();
}

} // namespace

/// Writes the per-rank body of one function (see Partitioner.h).
class Partitioner::FunctionPartitioner {
public:
  FunctionPartitioner(Partitioner &parent, func::FuncOp original,
                      func::FuncOp partitioned)
      : parent(parent), original(original), partitioned(partitioned),
        b(partitioned.getContext()) {}

  LogicalResult run(ArrayRef<shard::Sharding> argShardings,
                    const EntryShardings *entry, const StorageNames &storageArgs,
                    std::vector<shard::Sharding> &resultShardings) {
    this->entry = entry;
    Block &source = original.front();
    Block *target = partitioned.addEntryBlock();
    for (auto [index, arg, local, sharding] :
         llvm::enumerate(source.getArguments(), target->getArguments(),
                         argShardings)) {
      map.map(arg, local);
      shardings[arg] = sharding;
      if (index < storageArgs.size() && !storageArgs[index].empty())
        storage[arg] = storageArgs[index];
    }
    b.setInsertionPointToStart(target);
    for (Operation &op : source) {
      if (auto ret = dyn_cast<func::ReturnOp>(op)) {
        SmallVector<Value> values;
        for (auto [index, v] : llvm::enumerate(ret.getOperands())) {
          Value local = map.lookup(v);
          shard::Sharding sharding = shardingOf(v);
          if (entry && isTensor(v)) {
            EntryShardings::Wanted wanted{
                parent.replicated(), "reshard: the entry point returns whole tensors"};
            if (index < entry->results.size())
              wanted = entry->results[index];
            local = reshard(ret.getLoc(), local, v.getType(), sharding,
                            wanted.sharding, wanted.why);
            sharding = wanted.sharding;
          }
          values.push_back(local);
          resultShardings.push_back(sharding);
        }
        func::ReturnOp::create(b, ret.getLoc(), values);
        continue;
      }
      if (failed(partitionOp(op)))
        return failure();
      if (!entry)
        continue;
      for (Value result : op.getResults()) {
        auto wanted = entry->values.find(result);
        if (wanted == entry->values.end())
          continue;
        map.map(result, reshard(op.getLoc(), map.lookup(result),
                                result.getType(), shardingOf(result),
                                wanted->second.sharding, wanted->second.why));
        shardings[result] = wanted->second.sharding;
      }
    }
    return success();
  }

private:
  shard::Sharding shardingOf(Value value) {
    if (!isTensor(value))
      return shard::Sharding();
    auto it = shardings.find(value);
    return it == shardings.end() ? parent.replicated() : it->second;
  }

  Type localType(Type global, const shard::Sharding &sharding) {
    return shard::shardType(global, parent.grid, sharding);
  }

  shard::Sharding make(const Axes &axes) {
    SmallVector<shard::GridAxesAttr> split;
    for (const auto &dim : axes)
      split.push_back(shard::GridAxesAttr::get(b.getContext(), dim));
    if (split.empty()) // a scalar: whole, spelled [[]]
      split.push_back(shard::GridAxesAttr::get(b.getContext(), {}));
    return shard::Sharding::get(
        FlatSymbolRefAttr::get(parent.grid.getSymNameAttr()), split);
  }

  /// `local` (a piece of a `global`-typed tensor split as `from`) as split
  /// by `to`: whole dimensions gathered, then new splits sliced off. A
  /// dimension split over axes [a, b] that is wanted over [a] gathers over
  /// b alone (row-major blocks: gathering the trailing axes joins the
  /// blocks of the leading ones), and one split over [a] wanted over
  /// [a, b] is sliced over b alone.
  Value reshard(Location loc, Value local, Type global,
                const shard::Sharding &from, const shard::Sharding &to,
                const Twine &why) {
    const int64_t rank = cast<RankedTensorType>(global).getRank();
    Axes current = axesOf(from, rank);
    const Axes wanted = axesOf(to, rank);
    if (current == wanted)
      return local;
    StringRef gridName = parent.grid.getSymName();
    auto isPrefix = [](ArrayRef<shard::GridAxis> prefix,
                       ArrayRef<shard::GridAxis> of) {
      return prefix.size() <= of.size() && of.take_front(prefix.size()) == prefix;
    };
    for (int64_t d = 0; d < rank; ++d) {
      SmallVector<shard::GridAxis> &have = current[size_t(d)];
      const SmallVector<shard::GridAxis> &want = wanted[size_t(d)];
      if (have.empty() || have == want)
        continue;
      // Keep the longest prefix of `have` that `want` starts with.
      const size_t keep = isPrefix(want, have) ? want.size()
                          : isPrefix(have, want) ? have.size()
                                                 : 0;
      if (keep == have.size())
        continue;
      // One gather over the axes when they are in increasing order (the
      // order the runtime numbers a group in); otherwise one per axis,
      // minor first ([tp, dp] blocks: over dp, then over tp).
      const size_t step = llvm::is_sorted(ArrayRef(have).drop_front(keep))
                              ? have.size() - keep
                              : 1;
      while (have.size() > keep) {
        SmallVector<shard::GridAxis> gathered(have.end() - step, have.end());
        have.resize(have.size() - step);
        auto gather = shard::AllGatherOp::create(
            b, loc, localType(global, make(current)), gridName, gathered,
            local, APInt(64, uint64_t(d)));
        gather->setAttr(kReasonAttrName,
                        b.getStringAttr(why + " (dimension " + Twine(d) +
                                        (have.empty() ? " whole)"
                                                      : " gathered)")));
        local = gather;
      }
    }
    for (int64_t d = 0; d < rank; ++d) {
      SmallVector<shard::GridAxis> &have = current[size_t(d)];
      const SmallVector<shard::GridAxis> &want = wanted[size_t(d)];
      if (want.empty() || have == want)
        continue;
      // Likewise one slice, or one per axis, major first.
      const size_t step =
          llvm::is_sorted(ArrayRef(want).drop_front(have.size()))
              ? want.size() - have.size()
              : 1;
      while (have.size() < want.size()) {
        SmallVector<shard::GridAxis> sliced(want.begin() + have.size(),
                                            want.begin() + have.size() + step);
        have.append(sliced);
        auto slice = shard::AllSliceOp::create(
            b, loc, localType(global, make(current)), local, gridName, sliced,
            d);
        slice->setAttr(kReasonAttrName,
                       b.getStringAttr(why + " (dimension " + Twine(d) +
                                       " split)"));
        local = slice;
      }
    }
    return local;
  }

  /// The local operands of `op`, resharded to `wanted` (one per operand;
  /// null for non-tensors).
  SmallVector<Value> operandsAs(Operation &op,
                                ArrayRef<shard::Sharding> wanted) {
    SmallVector<Value> locals;
    for (auto [index, operand, sharding] :
         llvm::enumerate(op.getOperands(), wanted)) {
      Value local = map.lookup(operand);
      if (isTensor(operand))
        local = reshard(op.getLoc(), local, operand.getType(),
                        shardingOf(operand), sharding,
                        "reshard: operand #" + Twine(index) + " of " +
                            op.getName().getStringRef());
      locals.push_back(local);
    }
    return locals;
  }

  /// The storage name of `value` for a callee: its own here, or the
  /// entry's for values the entry stores split.
  std::string storageName(Value value) {
    if (auto it = storage.find(value); it != storage.end())
      return it->second;
    if (entry)
      if (auto it = entry->storage.find(value); it != entry->storage.end())
        return it->second;
    return "";
  }

  /// Storage operands of `op` (not a call or scan) are gathered over the
  /// storage axes once, here, before their first use.
  void gatherStorageOperands(Operation &op) {
    for (Value operand : op.getOperands()) {
      auto it = storage.find(operand);
      if (it == storage.end())
        continue;
      // Gathered over the storage axes only: a tensor-parallel block split
      // further by ZeRO-3 becomes the block the model computes on.
      Axes axes = axesOf(shardingOf(operand), rankOf(operand));
      for (SmallVector<shard::GridAxis> &dim : axes)
        llvm::erase_if(dim, [&](shard::GridAxis axis) {
          return llvm::is_contained(parent.storageAxes, axis);
        });
      const shard::Sharding use = make(axes);
      map.map(operand, reshard(op.getLoc(), map.lookup(operand),
                               operand.getType(), shardingOf(operand), use,
                               "ZeRO-3 weights: " + it->second +
                                   ", gathered just before use"));
      shardings[operand] = use;
      storage.erase(it);
    }
  }

  LogicalResult partitionOp(Operation &op) {
    if (auto call = dyn_cast<func::CallOp>(op))
      return partitionCall(call);
    if (auto scan = dyn_cast<ScanOp>(op))
      return partitionScan(scan);
    gatherStorageOperands(op);
    if (auto reshape = dyn_cast<ReshapeOp>(op))
      return partitionReshape(reshape);
    if (isa<MoeFfnOp, MoeFfnGradOp>(op)) {
      FailureOr<bool> done = partitionExperts(op);
      if (failed(done))
        return failure();
      if (*done)
        return success();
    }
    if (auto sharded = dyn_cast<shard::ShardingInterface>(op)) {
      FailureOr<bool> done = partitionWithInterface(op, sharded);
      if (failed(done))
        return failure();
      if (*done)
        return success();
    }
    if (op.getNumRegions() != 0)
      return op.emitOpError("has regions, which the DS partitioner does not "
                            "handle");
    return partitionWhole(op);
  }

  /// Ops without a sharding rule run on whole tensors.
  LogicalResult partitionWhole(Operation &op) {
    std::vector<shard::Sharding> whole;
    for (Value operand : op.getOperands())
      whole.push_back(isTensor(operand) ? parent.replicated()
                                        : shard::Sharding());
    SmallVector<Value> locals = operandsAs(op, whole);
    IRMapping local;
    for (auto [operand, value] : llvm::zip(op.getOperands(), locals))
      local.map(operand, value);
    Operation *clone = b.clone(op, local);
    for (auto [result, value] : llvm::zip(op.getResults(), clone->getResults())) {
      map.map(result, value);
      shardings[result] = parent.replicated();
    }
    return success();
  }

  /// The operands' shardings for choosing an op's sharding, without those
  /// an operand of the same type refines (splits over the same axes and
  /// more, as a ZeRO-1 moment [tp, dp] refines its weight [tp]): those
  /// operands are sliced to the finer sharding, for free, rather than the
  /// finer ones gathered (upstream's option finds no common sharding and
  /// falls back to whole tensors).
  std::vector<shard::Sharding> withoutCoarserOperands(Operation &op) {
    std::vector<shard::Sharding> shardings;
    for (Value operand : op.getOperands())
      shardings.push_back(shardingOf(operand));
    auto refines = [&](unsigned fine, unsigned coarse) {
      Value a = op.getOperand(fine), b = op.getOperand(coarse);
      if (a.getType() != b.getType() || !isTensor(a))
        return false;
      const Axes fineAxes = axesOf(shardings[fine], rankOf(a));
      const Axes coarseAxes = axesOf(shardings[coarse], rankOf(b));
      if (fineAxes == coarseAxes)
        return false;
      for (auto [f, c] : llvm::zip(fineAxes, coarseAxes))
        if (c.size() > f.size() || ArrayRef(f).take_front(c.size()) != ArrayRef(c))
          return false;
      return true;
    };
    std::vector<shard::Sharding> chosen = shardings;
    for (unsigned coarse = 0; coarse < op.getNumOperands(); ++coarse)
      for (unsigned fine = 0; fine < op.getNumOperands(); ++fine)
        if (fine != coarse && refines(fine, coarse)) {
          chosen[coarse] = shard::Sharding();
          break;
        }
    return chosen;
  }

  /// True when partitioned, false when the interface gives no sharding
  /// (the op then runs on whole tensors), failure on an error.
  FailureOr<bool> partitionWithInterface(Operation &op,
                                         shard::ShardingInterface sharded) {
    std::vector<shard::Sharding> operandShardings =
        withoutCoarserOperands(op);
    std::vector<shard::Sharding> unknown(op.getNumResults(),
                                         shard::Sharding());
    FailureOr<shard::ShardingOption> option =
        sharded.getShardingOption(operandShardings, unknown);
    if (failed(option) || option->empty)
      return false;
    FailureOr<std::vector<shard::Sharding>> annotations =
        sharded.getShardingAnnotations(*option);
    if (failed(annotations) ||
        annotations->size() != op.getNumOperands() + op.getNumResults())
      return false;
    ArrayRef<shard::Sharding> all(*annotations);
    ArrayRef<shard::Sharding> wantedOperands = all.take_front(op.getNumOperands());
    ArrayRef<shard::Sharding> resultShardings = all.drop_front(op.getNumOperands());
    std::vector<shard::Sharding> operandAnnotations(wantedOperands.begin(),
                                                    wantedOperands.end());
    for (auto [i, operand] : llvm::enumerate(op.getOperands()))
      if (isTensor(operand) && !operandAnnotations[i])
        operandAnnotations[i] = parent.replicated();
    std::vector<shard::Sharding> resultAnnotations(resultShardings.begin(),
                                                   resultShardings.end());
    for (shard::Sharding &s : resultAnnotations)
      if (!s)
        s = parent.replicated();
    SmallVector<Value> locals = operandsAs(op, operandAnnotations);
    // Upstream's partition helpers look the operands up in the map: point
    // them at the resharded values for this op, then back.
    SmallVector<Value> before;
    for (auto [operand, local] : llvm::zip(op.getOperands(), locals)) {
      before.push_back(map.lookupOrNull(operand));
      map.map(operand, local);
    }
    LogicalResult partitioned = sharded.partition(
        locals, operandAnnotations, resultAnnotations, map, parent.symbols, b);
    for (auto [operand, value] : llvm::zip(op.getOperands(), before))
      map.map(operand, value);
    if (failed(partitioned))
      return failure();
    for (auto [result, sharding] : llvm::zip(op.getResults(), resultAnnotations))
      shardings[result] = sharding;
    return true;
  }

  /// `value` summed over the ranks along `axes` (shard.all_reduce).
  Value sumOver(Location loc, Value value, ArrayRef<shard::GridAxis> axes,
                const Twine &why) {
    auto reduce = shard::AllReduceOp::create(b, loc, value.getType(),
                                             parent.grid.getSymName(), axes,
                                             value, shard::ReductionKind::Sum);
    reduce->setAttr(kReasonAttrName, b.getStringAttr(why));
    return reduce;
  }

  /// Expert parallelism (ExpertParallel.h): a moe_ffn or moe_ffn_grad
  /// whose experts (dimension 0 of gate, up and down) are split over grid
  /// axes. False when they are not.
  FailureOr<bool> partitionExperts(Operation &op) {
    const bool backward = isa<MoeFfnGradOp>(op);
    const int64_t numExperts =
        cast<RankedTensorType>(op.getOperand(3).getType()).getDimSize(0);
    const SmallVector<shard::GridAxis> experts =
        axesOf(shardingOf(op.getOperand(3)), 3)[0];
    if (experts.empty())
      return false;
    // The tokens' axes: those the experts are split over too are gathered
    // (dispatch) and scattered back (combine); they must come last.
    const SmallVector<shard::GridAxis> tokens =
        axesOf(shardingOf(op.getOperand(0)), 2)[0];
    SmallVector<shard::GridAxis> kept, exchanged, summed;
    for (shard::GridAxis axis : tokens)
      (llvm::is_contained(experts, axis) ? exchanged : kept).push_back(axis);
    if (ArrayRef(tokens).take_front(kept.size()) != ArrayRef(kept))
      return op.emitOpError("has its tokens split over grid axes ")
             << spell({tokens}) << " and its experts over " << spell({experts})
             << "; expert parallelism needs the experts' axes last";
    for (shard::GridAxis axis : experts)
      if (!llvm::is_contained(exchanged, axis))
        summed.push_back(axis);
    const Location loc = op.getLoc();
    const std::string name = op.getName().getStringRef().str();
    // All-to-all moves each token only to its experts' ranks; it needs the
    // experts split over exactly the axes the tokens are exchanged over.
    SmallVector<shard::GridAxis> exchangedThenSummed(exchanged);
    exchangedThenSummed.append(summed);
    const bool allToAll =
        parent.expertDispatch == ExpertDispatch::AllToAll &&
        !exchanged.empty() && experts == exchangedThenSummed;
    const Axes tokenAxes{allToAll ? tokens : kept, {}};
    const Axes expertAxes{experts, {}, {}};
    // The tokens' operands (input, routing weights and indices; backward,
    // the output's gradient) split like the tokens (all-to-all) or
    // gathered over the exchanged axes; the expert weights split by expert
    // only.
    SmallVector<Value> locals;
    for (auto [index, operand] : llvm::enumerate(op.getOperands())) {
      const bool expertWeight = index >= 3 && index <= 5;
      locals.push_back(reshard(
          loc, map.lookup(operand), operand.getType(), shardingOf(operand),
          make(expertWeight ? expertAxes : tokenAxes),
          "expert parallel dispatch: operand #" + Twine(index) + " of " +
              name + ", the tokens that may choose this rank's experts"));
    }
    const int64_t localExperts =
        cast<RankedTensorType>(locals[3].getType()).getDimSize(0);
    SmallVector<Value> results;
    if (allToAll) {
      results = exchangeWithExperts(b, op, locals, parent.grid, exchanged,
                                    summed, localExperts);
    } else {
      locals[2] = localExpertIndices(b, loc, locals[2], parent.grid, experts,
                                     localExperts, numExperts);
      SmallVector<Type> types;
      for (auto [index, result] : llvm::enumerate(op.getResults())) {
        const bool expertGrad = backward && index >= 2;
        types.push_back(localType(result.getType(),
                                  make(expertGrad ? expertAxes : tokenAxes)));
      }
      OperationState state(loc, op.getName(), locals, types, op.getAttrs());
      llvm::append_range(results, b.create(state)->getResults());
    }
    // Combine (all-to-all combined already): a token's result is the sum
    // of its experts' parts over the ranks holding them; the experts'
    // weight gradients sum over the ranks that saw other tokens.
    for (auto [index, result] : llvm::enumerate(op.getResults())) {
      Value value = results[index];
      const bool expertGrad = backward && index >= 2;
      static constexpr const char *backwardNames[] = {
          "the tokens' gradient", "the routing weights' gradient",
          "the experts' gate gradient", "the experts' up gradient",
          "the experts' down gradient"};
      const std::string what =
          name + " result #" + std::to_string(index) + ", " +
          (backward ? backwardNames[index] : "the tokens' output");
      auto sum = [&](ArrayRef<shard::GridAxis> axes, const Twine &why) {
        value = sumOver(loc, value, axes, why);
      };
      if (expertGrad) {
        if (!kept.empty())
          sum(kept, "partial sum: " + what +
                        " over this rank's tokens");
        map.map(result, value);
        shardings[result] = make(expertAxes);
        continue;
      }
      if (!summed.empty())
        sum(summed, "expert parallel combine: " + what +
                        ": each rank's experts' part, summed");
      if (!allToAll && !exchanged.empty()) {
        Axes scattered = tokenAxes;
        scattered[0] = tokens;
        auto scatter = shard::ReduceScatterOp::create(
            b, loc, localType(result.getType(), make(scattered)),
            parent.grid.getSymName(), exchanged, value,
            shard::ReductionKind::Sum, APInt(64, 0));
        scatter->setAttr(kReasonAttrName,
                         b.getStringAttr("expert parallel combine: " + what +
                                         ": the parts of each token's "
                                         "experts, summed on its rank"));
        value = scatter;
      }
      map.map(result, value);
      shardings[result] = make({tokens, {}});
    }
    return true;
  }

  /// A reshape keeps a split when the split dimension leads the group of
  /// dimensions it merges into (or splits from) one, and the new leading
  /// dimension divides by the shards: row-major order keeps each rank's
  /// rows contiguous. Other splits are gathered first.
  LogicalResult partitionReshape(ReshapeOp reshape) {
    Value input = reshape.getInput();
    auto inType = cast<RankedTensorType>(input.getType());
    auto outType = cast<RankedTensorType>(reshape.getType());
    ArrayRef<int64_t> in = inType.getShape(), out = outType.getShape();
    Axes inAxes = axesOf(shardingOf(input), inType.getRank());
    Axes outAxes, keptInAxes;
    outAxes.resize(size_t(outType.getRank()));
    keptInAxes.resize(size_t(inType.getRank()));
    size_t i = 0, j = 0;
    while (i < in.size() || j < out.size()) {
      // One group: input dims [i, i2) and output dims [j, j2) of one size.
      size_t i2 = i, j2 = j;
      int64_t inSize = 1, outSize = 1;
      if (i2 < in.size())
        inSize *= in[i2++];
      if (j2 < out.size())
        outSize *= out[j2++];
      while (inSize != outSize) {
        if (inSize < outSize && i2 < in.size())
          inSize *= in[i2++];
        else if (j2 < out.size())
          outSize *= out[j2++];
        else
          break;
      }
      if (inSize != outSize || ShapedType::isDynamic(inSize))
        return partitionWhole(*reshape);
      if (i < in.size() && j < out.size() && !inAxes[i].empty()) {
        const int64_t shards =
            shard::collectiveProcessGroupSize(inAxes[i], parent.grid);
        if (out[j] % shards == 0 && in[i] % shards == 0) {
          outAxes[j] = inAxes[i];
          keptInAxes[i] = inAxes[i];
        }
      }
      i = i2;
      j = j2;
    }
    Value local = reshard(reshape.getLoc(), map.lookup(input), inType,
                          shardingOf(input), make(keptInAxes),
                          "reshard: a reshape that moves the split dimension");
    shard::Sharding outSharding = make(outAxes);
    Value result = ReshapeOp::create(b, reshape.getLoc(),
                                     localType(outType, outSharding), local);
    map.map(reshape.getResult(), result);
    shardings[reshape.getResult()] = outSharding;
    return success();
  }

  LogicalResult partitionCall(func::CallOp call) {
    auto callee = parent.module.lookupSymbol<func::FuncOp>(call.getCallee());
    if (!callee || callee.isExternal())
      return call.emitOpError("calls '")
             << call.getCallee()
             << "', which has no body in this module to partition";
    std::vector<shard::Sharding> argShardings;
    StorageNames storageArgs;
    for (Value operand : call.getOperands()) {
      argShardings.push_back(shardingOf(operand));
      storageArgs.push_back(storageName(operand));
    }
    FailureOr<PartitionedFunction> target =
        parent.partition(callee, argShardings, "", nullptr, storageArgs);
    if (failed(target))
      return failure();
    SmallVector<Value> locals;
    for (Value operand : call.getOperands())
      locals.push_back(map.lookup(operand));
    auto local = func::CallOp::create(b, call.getLoc(), target->function,
                                      locals);
    // Marks such as ds.remat stay with the call.
    local->setDiscardableAttrs(call->getDiscardableAttrDictionary());
    for (auto [result, value, sharding] :
         llvm::zip(call.getResults(), local.getResults(),
                   target->resultShardings)) {
      map.map(result, value);
      shardings[result] = sharding;
    }
    return success();
  }

  /// A scan runs its callee once per layer: the callee is partitioned for
  /// the carries', invariants' and (without their layer dimension) the
  /// stacked operands' shardings. A carry must leave a layer split as it
  /// entered: if the first try changes it, the carries are resharded to
  /// what the layer gives and the callee partitioned again.
  LogicalResult partitionScan(ScanOp scan) {
    auto callee = parent.module.lookupSymbol<func::FuncOp>(scan.getCallee());
    if (!callee || callee.isExternal())
      return scan.emitOpError("scans '")
             << scan.getCallee() << "', which has no body to partition";
    const size_t numCarries = scan.getCarries().size();
    std::vector<shard::Sharding> carryShardings, stackedShardings;
    for (Value carry : scan.getCarries())
      carryShardings.push_back(shardingOf(carry));
    std::vector<shard::Sharding> calleeStacked;
    for (Value stacked : scan.getStacked()) {
      Axes axes = axesOf(shardingOf(stacked), rankOf(stacked));
      axes[0].clear(); // every rank runs every layer
      stackedShardings.push_back(make(axes));
      Axes layer(axes.begin() + 1, axes.end());
      calleeStacked.push_back(make(layer));
    }
    // Carries are never storage: the next layer computes on them.
    StorageNames storageArgs(numCarries);
    for (Value invariant : scan.getInvariants())
      storageArgs.push_back(storageName(invariant));
    for (Value value : scan.getStacked())
      storageArgs.push_back(storageName(value));
    FailureOr<PartitionedFunction> target;
    for (int attempt = 0; attempt < 2; ++attempt) {
      std::vector<shard::Sharding> args(carryShardings);
      for (Value invariant : scan.getInvariants())
        args.push_back(shardingOf(invariant));
      llvm::append_range(args, calleeStacked);
      target = parent.partition(callee, args, "", nullptr, storageArgs);
      if (failed(target))
        return failure();
      bool stable = true;
      for (size_t c = 0; c < numCarries; ++c) {
        const int64_t rank = rankOf(scan.getCarries()[c]);
        if (axesOf(target->resultShardings[c], rank) !=
            axesOf(carryShardings[c], rank)) {
          carryShardings[c] = target->resultShardings[c];
          stable = false;
        }
      }
      if (stable)
        break;
      if (attempt == 1)
        return scan.emitOpError("carry #0.. changes its sharding through "
                                "the layer '")
               << scan.getCallee() << "' whatever it starts with";
    }
    SmallVector<Value> carries, invariants, stacked;
    for (auto [carry, sharding] : llvm::zip(scan.getCarries(), carryShardings))
      carries.push_back(reshard(scan.getLoc(), map.lookup(carry),
                                carry.getType(), shardingOf(carry), sharding,
                                "reshard: a carry of the layer scan over @" +
                                    scan.getCallee()));
    for (Value invariant : scan.getInvariants())
      invariants.push_back(map.lookup(invariant));
    for (auto [value, sharding] : llvm::zip(scan.getStacked(), stackedShardings))
      stacked.push_back(reshard(scan.getLoc(), map.lookup(value),
                                value.getType(), shardingOf(value), sharding,
                                "reshard: a stacked operand of the layer scan over @" +
                                    scan.getCallee()));
    std::vector<shard::Sharding> resultShardings;
    SmallVector<Type> resultTypes;
    for (auto [index, result] : llvm::enumerate(scan.getResults())) {
      shard::Sharding layer = target->resultShardings[index];
      shard::Sharding sharding = layer;
      if (index >= numCarries) { // stacked over layers: a leading whole dim
        Axes axes = axesOf(layer, rankOf(result) - 1);
        axes.insert(axes.begin(), SmallVector<shard::GridAxis>());
        sharding = make(axes);
      }
      resultShardings.push_back(sharding);
      resultTypes.push_back(localType(result.getType(), sharding));
    }
    auto local = ScanOp::create(
        b, scan.getLoc(), resultTypes,
        FlatSymbolRefAttr::get(target->function.getSymNameAttr()), carries,
        invariants, stacked, scan.getReverseAttr());
    for (auto [result, value, sharding] :
         llvm::zip(scan.getResults(), local.getResults(), resultShardings)) {
      map.map(result, value);
      shardings[result] = sharding;
    }
    return success();
  }

  Partitioner &parent;
  func::FuncOp original, partitioned;
  OpBuilder b;
  IRMapping map;
  DenseMap<Value, shard::Sharding> shardings;
  /// Storage values not gathered yet, by parameter name.
  DenseMap<Value, std::string> storage;
  const EntryShardings *entry = nullptr;
};

Partitioner::Partitioner(ModuleOp module, shard::GridOp grid,
                         ExpertDispatch expertDispatch)
    : module(module), grid(grid), expertDispatch(expertDispatch) {}

Partitioner::~Partitioner() = default;

shard::Sharding Partitioner::replicated() {
  // Upstream spells "whole" as one empty list of axes ([[]]); an empty list
  // of lists is not a sharding its propagation understands.
  return shard::Sharding::get(
      FlatSymbolRefAttr::get(grid.getSymNameAttr()),
      {shard::GridAxesAttr::get(grid.getContext(), {})});
}

shard::Sharding Partitioner::split(int64_t rank, int64_t dim,
                                   ArrayRef<shard::GridAxis> axes) {
  SmallVector<shard::GridAxesAttr> split;
  for (int64_t d = 0; d < rank; ++d)
    split.push_back(shard::GridAxesAttr::get(
        grid.getContext(), d == dim ? axes : ArrayRef<shard::GridAxis>{}));
  return shard::Sharding::get(FlatSymbolRefAttr::get(grid.getSymNameAttr()),
                              split);
}

FailureOr<PartitionedFunction>
Partitioner::partition(func::FuncOp function,
                       ArrayRef<shard::Sharding> argShardings, StringRef name,
                       const EntryShardings *entry,
                       const StorageNames &storage) {
  // An entry point's partition is its own (never shared with a callee's).
  std::string key = entry ? "entry " + name.str() + ";" : "";
  for (auto [index, arg, sharding] :
       llvm::enumerate(function.getArguments(), argShardings)) {
    key += isTensor(arg) ? spell(axesOf(sharding, rankOf(arg))) : "-";
    if (index < storage.size() && !storage[index].empty())
      key += " stored " + storage[index];
    key += ";";
  }
  auto found = done.find({function.getOperation(), key});
  if (found != done.end())
    return found->second;

  SmallVector<Type> argTypes;
  for (auto [arg, sharding] : llvm::zip(function.getArguments(), argShardings))
    argTypes.push_back(isTensor(arg)
                           ? shard::shardType(arg.getType(), grid, sharding)
                           : arg.getType());
  OpBuilder b(module.getContext());
  b.setInsertionPointAfter(function);
  std::string newName =
      name.empty() ? (function.getSymName() + ".part" + Twine(nameCounter++))
                         .str()
                   : name.str();
  auto partitioned = func::FuncOp::create(
      b, function.getLoc(), newName,
      b.getFunctionType(argTypes, function.getResultTypes()));
  partitioned.setPrivate();
  // What autodiff and ds-remat recorded on the function (ds.gradient,
  // ds.residuals) describes the partitioned copy too.
  for (NamedAttribute attr : function->getDiscardableAttrs())
    partitioned->setAttr(attr.getName(), attr.getValue());
  if (ArrayAttr args = function.getArgAttrsAttr())
    partitioned.setArgAttrsAttr(args);
  // A split parameter of a function other than the entry is no longer the
  // whole parameter `ds.param` describes (the entry's says where it is
  // split: ds.split_dim).
  if (!entry)
    for (auto [index, arg] : llvm::enumerate(function.getArguments()))
      if (isTensor(arg) &&
          llvm::any_of(axesOf(argShardings[index], rankOf(arg)),
                       [](const auto &axes) { return !axes.empty(); }))
        partitioned.removeArgAttr(unsigned(index),
                                  StringAttr::get(module.getContext(),
                                                  kParamAttrName));
  if (ArrayAttr results = function.getResAttrsAttr())
    partitioned.setResAttrsAttr(results);

  FunctionPartitioner writer(*this, function, partitioned);
  std::vector<shard::Sharding> resultShardings;
  if (failed(writer.run(argShardings, entry, storage, resultShardings))) {
    partitioned.erase();
    return failure();
  }
  auto ret = cast<func::ReturnOp>(partitioned.front().getTerminator());
  partitioned.setFunctionType(
      b.getFunctionType(argTypes, ret.getOperandTypes()));
  PartitionedFunction result{partitioned, resultShardings};
  done[{function.getOperation(), key}] = result;
  return result;
}

} // namespace mlir::ds
