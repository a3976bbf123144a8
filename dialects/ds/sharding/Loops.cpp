//===- Loops.cpp - The partition the ds ops' sharding models share -------===//

#include "dialects/ds/sharding/Loops.h"
#include "dialects/ds/DsDialect.h"

#include "llvm/Support/InterleavedRange.h"

namespace mlir::ds::sharding {
namespace {

/// `value` divided by `shards`, in its own element type.
Value divideByShards(OpBuilder &b, Location loc, Value value, int64_t shards) {
  auto type = cast<RankedTensorType>(value.getType());
  auto scalarType = RankedTensorType::get({}, type.getElementType());
  Attribute factor = FloatAttr::get(type.getElementType(), 1.0 / double(shards));
  auto scale = DenseElementsAttr::get(scalarType, ArrayRef(factor));
  Value constant = ConstantOp::create(b, loc, scale);
  return MulOp::create(b, loc, value, constant);
}

} // namespace

/// Refuses a sharding that splits a loop the op needs whole, naming it.
LogicalResult checkWholeLoops(Operation *op, const LoopStructure &loops,
                              const shard::ShardingArray &axes) {
  for (const auto &[loop, what] : loops.wholeLoops)
    if (size_t(loop) < axes.size() && !axes[size_t(loop)].empty())
      return op->emitOpError("needs ")
             << what << " whole on every rank, not split over grid axes "
             << llvm::interleaved_array(axes[size_t(loop)])
             << " (reshard before the op)";
  return success();
}

/// The partition every ds op shares: the same op on the local pieces, and
/// when a reduction loop is split over grid axes, an all_reduce of each
/// result over those axes (the per-rank results are partial).
LogicalResult partitionByLoops(Operation *op, const LoopStructure &loops,
                               ArrayRef<Value> partitionedOperands,
                               ArrayRef<shard::Sharding> operandShardings,
                               ArrayRef<shard::Sharding> resultShardings,
                               IRMapping &partitionMap,
                               SymbolTableCollection &symbols, OpBuilder &b) {
  shard::ShardingArray axes = shard::getGridAxisAssignmentForLoopIterators(
      operandShardings, resultShardings, loops.iterators, loops.maps);
  if (failed(checkWholeLoops(op, loops, axes)))
    return failure();
  shard::partitionTriviallyShardableOperation(*op, partitionedOperands,
                                              operandShardings, resultShardings,
                                              partitionMap, symbols, b);
  // A result is partial over the grid axes of the split reduction loops it
  // does not index (a weight gradient summed over split tokens), and whole
  // over those it does (the same op's per-token input gradient).
  const unsigned numOperands = op->getNumOperands();
  for (auto [index, result] : llvm::enumerate(op->getResults())) {
    AffineMap map = loops.maps[numOperands + index];
    SmallVector<shard::GridAxis> partialAxes;
    shard::ReductionKind kind = shard::ReductionKind::Sum;
    for (size_t loop = 0, reduction = 0; loop < loops.iterators.size();
         ++loop) {
      if (loops.iterators[loop] != IteratorType::reduction)
        continue;
      const shard::ReductionKind loopKind = loops.reductionKinds[reduction++];
      if (axes[loop].empty() ||
          map.isFunctionOfDim(unsigned(loop)))
        continue;
      llvm::append_range(partialAxes, axes[loop]);
      kind = loopKind;
    }
    if (partialAxes.empty())
      continue;
    llvm::sort(partialAxes);
    const shard::Sharding &sharding = resultShardings[index];
    shard::GridOp grid = shard::getGrid(op, sharding.getGridAttr(), symbols);
    Value local = partitionMap.lookup(result);
    auto allReduce = shard::AllReduceOp::create(
        b, op->getLoc(), local.getType(), sharding.getGrid(), partialAxes,
        local, kind);
    allReduce->setAttr(
        kReasonAttrName,
        b.getStringAttr("partial sum: " + op->getName().getStringRef() +
                        " result #" + Twine(index) +
                        " reduces over a loop split across the ranks"));
    Value reduced = allReduce;
    if (loops.mean)
      reduced = divideByShards(
          b, op->getLoc(), reduced,
          shard::collectiveProcessGroupSize(partialAxes, grid));
    partitionMap.map(result, reduced);
  }
  return success();
}

Value localIndices(OpBuilder &b, Location loc, Value indices, StringRef grid,
                   ArrayRef<shard::GridAxis> axes, int64_t localSize,
                   int64_t wholeSize, int64_t outside, StringRef what) {
  Type element = cast<RankedTensorType>(indices.getType()).getElementType();
  auto scalar = [&](int64_t value) -> Value {
    auto type = RankedTensorType::get({}, element);
    return ConstantOp::create(
        b, loc, DenseElementsAttr::get(type, IntegerAttr::get(element, value)));
  };
  Value all = IotaOp::create(
      b, loc, RankedTensorType::get({wholeSize}, element), 0);
  auto mine = shard::AllSliceOp::create(
      b, loc, RankedTensorType::get({localSize}, element), all, grid, axes,
      0);
  mine->setAttr(kReasonAttrName, b.getStringAttr(what));
  Value first = SliceOp::create(b, loc, mine, ArrayRef<int64_t>{0},
                                ArrayRef<int64_t>{1}, DenseI64ArrayAttr());
  Value shifted = SubOp::create(b, loc, indices, first);
  Value elsewhere = scalar(outside);
  Value below = CompareOp::create(b, loc, CompareDirection::lt, shifted,
                                  scalar(0));
  Value above = CompareOp::create(b, loc, CompareDirection::ge, shifted,
                                  scalar(localSize));
  Value low = SelectOp::create(b, loc, below, elsewhere, shifted);
  return SelectOp::create(b, loc, above, elsewhere, low);
}

SoftmaxAcross softmaxAcross(OpBuilder &b, Location loc, Value x, int64_t axis,
                            StringRef grid, ArrayRef<shard::GridAxis> axes,
                            StringRef why) {
  auto reduce = [&](Value value, shard::ReductionKind kind,
                    const Twine &what) -> Value {
    auto reduced = shard::AllReduceOp::create(b, loc, value.getType(), grid,
                                              axes, value, kind);
    reduced->setAttr(kReasonAttrName,
                     b.getStringAttr("vocabulary parallel: " + what + " of " +
                                     why + " over the split axis"));
    return reduced;
  };
  SoftmaxAcross s;
  Type kept = keptAxisType(x, axis);
  s.max = reduce(ReduceMaxOp::create(b, loc, kept, x,
                                     b.getDenseI64ArrayAttr({axis}),
                                     b.getUnitAttr()),
                 shard::ReductionKind::Max, "the maximum");
  s.exps = ExpOp::create(b, loc, SubOp::create(b, loc, x, s.max));
  s.sum = reduce(ReduceSumOp::create(b, loc, kept, s.exps,
                                     b.getDenseI64ArrayAttr({axis}),
                                     b.getUnitAttr()),
                 shard::ReductionKind::Sum, "the sum of exponentials");
  return s;
}

LogicalResult softmaxPartition(Operation *op, const LoopStructure &loops,
                               ArrayRef<Value> partitionedOperands,
                               ArrayRef<shard::Sharding> operandShardings,
                               ArrayRef<shard::Sharding> resultShardings,
                               IRMapping &partitionMap,
                               SymbolTableCollection &symbols, OpBuilder &b) {
  auto softmax = cast<SoftmaxOp>(op);
  const int64_t axis = softmax.getAxis();
  shard::ShardingArray axes = shard::getGridAxisAssignmentForLoopIterators(
      operandShardings, resultShardings, loops.iterators, loops.maps);
  if (size_t(axis) >= axes.size() || axes[size_t(axis)].empty())
    return partitionByLoops(op, loops, partitionedOperands, operandShardings,
                            resultShardings, partitionMap, symbols, b);
  SoftmaxAcross s = softmaxAcross(b, op->getLoc(), partitionedOperands[0],
                                  axis, resultShardings.front().getGrid(),
                                  axes[size_t(axis)], "ds.softmax");
  partitionMap.map(softmax.getResult(),
                   DivOp::create(b, op->getLoc(), s.exps, s.sum));
  return success();
}

} // namespace mlir::ds::sharding
