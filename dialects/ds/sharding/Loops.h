//===- Loops.h - ds ops as loop nests, for ShardingInterface ----*- C++ -*-===//
//
// Internal to the ds ops' sharding models (DsSharding.h): each op family
// describes its loops once (LoopStructure); one external model
// (LoopShardingModel) turns that into the interface's iterator types,
// reduction kinds, indexing maps, sharding option and partition.
//
//===----------------------------------------------------------------------===//

#ifndef DS_DIALECTS_DS_SHARDING_LOOPS_H
#define DS_DIALECTS_DS_SHARDING_LOOPS_H

#include "mlir/Dialect/Shard/IR/ShardOps.h"
#include "mlir/Dialect/Shard/Interfaces/ShardingInterface.h"
#include "mlir/Dialect/Shard/Interfaces/ShardingInterfaceImpl.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/IRMapping.h"

#include <string>
#include <utility>

namespace mlir::ds::sharding {

using utils::IteratorType;

/// An op as a loop nest: the loops' kinds, the reduction each reduction loop
/// performs, and one indexing map per operand then per result (from the
/// loops to the tensor's dimensions).
struct LoopStructure {
  SmallVector<IteratorType> iterators;
  SmallVector<shard::ReductionKind> reductionKinds;
  SmallVector<AffineMap> maps;
  /// The reductions average instead of summing (reduce_mean): a sharded
  /// reduction's all_reduce result is divided by the number of shards.
  bool mean = false;
  /// Loops whose split the op cannot compute locally (the axis a softmax or
  /// a norm reduces over while keeping it), with what they are: the
  /// sharding option never splits them (an operand split there is gathered
  /// first), and partition refuses a split forced by hand-written
  /// annotations, naming it, rather than computing something else.
  SmallVector<std::pair<int64_t, std::string>> wholeLoops;
};

/// Builds the maps of a LoopStructure: loops are added as they are needed,
/// each map is a list of loop numbers (one per tensor dimension).
class LoopBuilder {
public:
  int64_t addLoop(IteratorType type) {
    s.iterators.push_back(type);
    return int64_t(s.iterators.size()) - 1;
  }
  void addMap(ArrayRef<int64_t> loops) { pending.emplace_back(loops); }
  /// The loops of `operandShape`'s dimensions when it broadcasts (NumPy:
  /// aligned at the end) against `loops` of `shape`: the same loop where
  /// the sizes agree, a loop of its own where a size-1 dimension broadcasts.
  SmallVector<int64_t> broadcastLoops(ArrayRef<int64_t> operandShape,
                                      ArrayRef<int64_t> shape,
                                      ArrayRef<int64_t> loops) {
    SmallVector<int64_t> result;
    const size_t offset = shape.size() - operandShape.size();
    for (size_t i = 0; i < operandShape.size(); ++i)
      result.push_back(operandShape[i] == shape[offset + i]
                           ? loops[offset + i]
                           : addLoop(IteratorType::parallel));
    return result;
  }
  LoopStructure finish(MLIRContext *context) && {
    for (ArrayRef<int64_t> loops : pending) {
      SmallVector<AffineExpr> exprs;
      for (int64_t loop : loops)
        exprs.push_back(getAffineDimExpr(unsigned(loop), context));
      s.maps.push_back(AffineMap::get(unsigned(s.iterators.size()), 0, exprs,
                                      context));
    }
    return std::move(s);
  }

  LoopStructure s;

private:
  SmallVector<SmallVector<int64_t>> pending;
};

inline ArrayRef<int64_t> shapeOf(Value value) {
  return cast<RankedTensorType>(value.getType()).getShape();
}

/// Refuses a sharding that splits a loop the op needs whole, naming it.
LogicalResult checkWholeLoops(Operation *op, const LoopStructure &loops,
                              const shard::ShardingArray &axes);

/// The partition every ds op shares: the same op on the local pieces, and
/// an all_reduce of each result that is partial (see Loops.cpp).
LogicalResult partitionByLoops(Operation *op, const LoopStructure &loops,
                               ArrayRef<Value> partitionedOperands,
                               ArrayRef<shard::Sharding> operandShardings,
                               ArrayRef<shard::Sharding> resultShardings,
                               IRMapping &partitionMap,
                               SymbolTableCollection &symbols, OpBuilder &b);

/// exp(x − max) and the sum of it along `axis` of `x`, a piece of a tensor
/// whose `axis` is split over grid `axes`: the maximum and the sum are
/// all-reduced over the ranks (`why` names the op in the reasons). Both
/// returned with `axis` kept (size 1), and the maximum too.
/// `value`'s type with dimension `axis` of size 1 (a reduction that keeps
/// it).
inline RankedTensorType keptAxisType(Value value, int64_t axis) {
  auto type = cast<RankedTensorType>(value.getType());
  SmallVector<int64_t> shape(type.getShape());
  shape[size_t(axis)] = 1;
  return type.clone(shape);
}

/// `indices` (numbers of a whole axis of `wholeSize`) as this rank's block
/// of it, split over grid `axes` in blocks of `localSize`: index − first,
/// where first is the rank's first number (its slice of an iota), and
/// `outside` for the indices other ranks hold. `what` names the block in
/// the slice's reason.
Value localIndices(OpBuilder &b, Location loc, Value indices, StringRef grid,
                   ArrayRef<shard::GridAxis> axes, int64_t localSize,
                   int64_t wholeSize, int64_t outside, StringRef what);

struct SoftmaxAcross {
  Value max, exps, sum;
};
SoftmaxAcross softmaxAcross(OpBuilder &b, Location loc, Value x, int64_t axis,
                            StringRef grid, ArrayRef<shard::GridAxis> axes,
                            StringRef why);

/// softmax whose axis is split over grid axes (the vocabulary of
/// tensor-parallel logits): exp(x − M) / S with M and S over every rank.
LogicalResult softmaxPartition(Operation *op, const LoopStructure &loops,
                               ArrayRef<Value> partitionedOperands,
                               ArrayRef<shard::Sharding> operandShardings,
                               ArrayRef<shard::Sharding> resultShardings,
                               IRMapping &partitionMap,
                               SymbolTableCollection &symbols, OpBuilder &b);

using PartitionFunction = LogicalResult (*)(
    Operation *, const LoopStructure &, ArrayRef<Value>,
    ArrayRef<shard::Sharding>, ArrayRef<shard::Sharding>, IRMapping &,
    SymbolTableCollection &, OpBuilder &);

template <typename Op, LoopStructure (*Loops)(Operation *),
          PartitionFunction Partition = partitionByLoops>
struct LoopShardingModel
    : shard::ShardingInterface::ExternalModel<
          LoopShardingModel<Op, Loops, Partition>, Op> {
  SmallVector<IteratorType> getLoopIteratorTypes(Operation *op) const {
    return Loops(op).iterators;
  }
  SmallVector<shard::ReductionKind>
  getReductionLoopIteratorKinds(Operation *op) const {
    return Loops(op).reductionKinds;
  }
  SmallVector<AffineMap> getIndexingMaps(Operation *op) const {
    return Loops(op).maps;
  }
  /// Upstream's choice from the operands' and results' shardings, minus
  /// any split of a loop the op needs whole: such an operand is then
  /// gathered before the op instead of computed on in pieces.
  FailureOr<shard::ShardingOption>
  getShardingOption(Operation *op, ArrayRef<shard::Sharding> operandShardings,
                    ArrayRef<shard::Sharding> resultShardings) const {
    FailureOr<shard::ShardingOption> option =
        shard::detail::defaultGetShardingOption(op, operandShardings,
                                                resultShardings);
    if (failed(option) || option->empty)
      return option;
    for (const auto &[loop, what] : Loops(op).wholeLoops)
      if (size_t(loop) < option->shardingArray.size())
        option->shardingArray[size_t(loop)].clear();
    shard::removeTrailingEmptySubArray(option->shardingArray);
    return option;
  }
  LogicalResult partition(Operation *op, ArrayRef<Value> partitionedOperands,
                          ArrayRef<shard::Sharding> operandShardings,
                          ArrayRef<shard::Sharding> resultShardings,
                          IRMapping &partitionMap,
                          SymbolTableCollection &symbols,
                          OpBuilder &b) const {
    return Partition(op, Loops(op), partitionedOperands, operandShardings,
                     resultShardings, partitionMap, symbols, b);
  }
};

/// Attach the models of each family (TensorOps.cpp, ModelOps.cpp).
void attachTensorOpModels(MLIRContext *context);
void attachModelOpModels(MLIRContext *context);

} // namespace mlir::ds::sharding

#endif // DS_DIALECTS_DS_SHARDING_LOOPS_H
