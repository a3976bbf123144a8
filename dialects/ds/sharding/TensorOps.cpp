//===- TensorOps.cpp - Sharding models of ds's tensor ops -----------------===//
//
// Elementwise ops, matmul, reductions, transpose, the ops that normalize
// along an axis (softmax, norms), and the shape ops (slice, pad, concat,
// split, scatter_add): their loops, and the partitions that need more than
// partitionByLoops.
//
//===----------------------------------------------------------------------===//

#include "dialects/ds/sharding/Loops.h"
#include "dialects/ds/DsDialect.h"

namespace mlir::ds::sharding {
namespace {

/// Elementwise ops: one parallel loop per result dimension; operands
/// broadcast against the result.
LoopStructure elementwiseLoops(Operation *op) {
  LoopBuilder b;
  ArrayRef<int64_t> shape = shapeOf(op->getResult(0));
  SmallVector<int64_t> loops;
  for (size_t i = 0; i < shape.size(); ++i)
    loops.push_back(b.addLoop(IteratorType::parallel));
  for (Value operand : op->getOperands())
    b.addMap(b.broadcastLoops(shapeOf(operand), shape, loops));
  b.addMap(loops);
  return std::move(b).finish(op->getContext());
}

/// matmul: batch loops (broadcast between the operands), M, N, and K, a
/// sum reduction.
LoopStructure matmulLoops(Operation *op) {
  auto matmul = cast<MatmulOp>(op);
  LoopBuilder b;
  ArrayRef<int64_t> shape = shapeOf(matmul.getResult());
  const size_t batchRank = shape.size() - 2;
  SmallVector<int64_t> resultLoops;
  for (size_t i = 0; i < shape.size(); ++i)
    resultLoops.push_back(b.addLoop(IteratorType::parallel));
  const int64_t m = resultLoops[batchRank], n = resultLoops[batchRank + 1];
  const int64_t k = b.addLoop(IteratorType::reduction);
  b.s.reductionKinds.push_back(shard::ReductionKind::Sum);
  ArrayRef<int64_t> batchShape = shape.take_front(batchRank);
  ArrayRef<int64_t> batchLoops = ArrayRef(resultLoops).take_front(batchRank);
  auto operandLoops = [&](Value operand, int64_t rows, int64_t columns,
                          bool transposed) {
    ArrayRef<int64_t> operandShape = shapeOf(operand);
    SmallVector<int64_t> loops = b.broadcastLoops(
        operandShape.drop_back(2), batchShape, batchLoops);
    loops.push_back(transposed ? columns : rows);
    loops.push_back(transposed ? rows : columns);
    return loops;
  };
  b.addMap(operandLoops(matmul.getLhs(), m, k, matmul.getTransposeLhs()));
  b.addMap(operandLoops(matmul.getRhs(), k, n, matmul.getTransposeRhs()));
  b.addMap(resultLoops);
  return std::move(b).finish(op->getContext());
}

/// reduce_sum / reduce_mean / reduce_max: one loop per input dimension, the
/// reduced ones reductions; a kept (size-1) reduced dimension of the result
/// gets a loop of its own.
template <typename ReduceOp>
LoopStructure reductionLoops(Operation *op) {
  auto reduce = cast<ReduceOp>(op);
  LoopBuilder b;
  ArrayRef<int64_t> shape = shapeOf(reduce.getInput());
  ArrayRef<int64_t> axes = reduce.getAxes();
  SmallVector<int64_t> inputLoops, resultLoops;
  const shard::ReductionKind kind = std::is_same_v<ReduceOp, ReduceMaxOp>
                                        ? shard::ReductionKind::Max
                                        : shard::ReductionKind::Sum;
  for (int64_t i = 0; i < int64_t(shape.size()); ++i) {
    const bool reduced = llvm::is_contained(axes, i);
    inputLoops.push_back(
        b.addLoop(reduced ? IteratorType::reduction : IteratorType::parallel));
    if (reduced)
      b.s.reductionKinds.push_back(kind);
  }
  for (int64_t i = 0; i < int64_t(shape.size()); ++i) {
    if (!llvm::is_contained(axes, i))
      resultLoops.push_back(inputLoops[size_t(i)]);
    else if (reduce.getKeepDims())
      resultLoops.push_back(b.addLoop(IteratorType::parallel));
  }
  b.addMap(inputLoops);
  b.addMap(resultLoops);
  LoopStructure s = std::move(b).finish(op->getContext());
  s.mean = std::is_same_v<ReduceOp, ReduceMeanOp>;
  return s;
}

/// transpose: one loop per result dimension; the input's dimension
/// permutation[j] is the result's j.
LoopStructure transposeLoops(Operation *op) {
  auto transpose = cast<TransposeOp>(op);
  LoopBuilder b;
  ArrayRef<int64_t> permutation = transpose.getPermutation();
  SmallVector<int64_t> resultLoops, inputLoops(permutation.size());
  for (size_t j = 0; j < permutation.size(); ++j)
    resultLoops.push_back(b.addLoop(IteratorType::parallel));
  for (size_t j = 0; j < permutation.size(); ++j)
    inputLoops[size_t(permutation[j])] = resultLoops[j];
  b.addMap(inputLoops);
  b.addMap(resultLoops);
  return std::move(b).finish(op->getContext());
}

/// Ops that normalize along one axis and keep it (softmax, log_softmax over
/// `axis`; rms_norm, layer_norm over the last): elementwise loops, and the
/// normalized axis must be whole on every rank.
template <typename Op>
LoopStructure rowwiseLoops(Operation *op) {
  LoopStructure s = elementwiseLoops(op);
  const int64_t rank = int64_t(shapeOf(op->getResult(0)).size());
  if constexpr (std::is_same_v<Op, SoftmaxOp>) {
    // A split axis is partitioned by softmaxPartition (vocabulary-parallel
    // logits).
  } else if constexpr (std::is_same_v<Op, LogSoftmaxOp>) {
    const int64_t axis = cast<Op>(op).getAxis();
    s.wholeLoops.push_back({axis, "dimension " + std::to_string(axis)});
  } else {
    s.wholeLoops.push_back(
        {rank - 1, "the normalized dimension " + std::to_string(rank - 1)});
  }
  return s;
}

/// Ops whose operands and results have one rank and share every loop, and
/// that work across one or more whole dimensions: slice and pad (the
/// dimensions they cut or extend), concat and split (their axis).
LoopStructure sameRankLoops(Operation *op, ArrayRef<int64_t> wholeDims,
                            StringRef what) {
  LoopBuilder b;
  const size_t rank = shapeOf(op->getResult(0)).size();
  SmallVector<int64_t> loops;
  for (size_t i = 0; i < rank; ++i)
    loops.push_back(b.addLoop(IteratorType::parallel));
  for (size_t i = 0; i < op->getNumOperands() + op->getNumResults(); ++i)
    b.addMap(loops);
  LoopStructure s = std::move(b).finish(op->getContext());
  for (int64_t dim : wholeDims)
    s.wholeLoops.push_back(
        {loops[size_t(dim)], (what + " dimension " + Twine(dim)).str()});
  return s;
}

/// The dimensions where the result's size differs from the input's.
SmallVector<int64_t> resizedDims(Operation *op) {
  ArrayRef<int64_t> in = shapeOf(op->getOperand(0)),
                    out = shapeOf(op->getResult(0));
  SmallVector<int64_t> dims;
  for (size_t i = 0; i < in.size(); ++i)
    if (in[i] != out[i])
      dims.push_back(int64_t(i));
  return dims;
}

LoopStructure sliceLoops(Operation *op) {
  return sameRankLoops(op, resizedDims(op), "the sliced");
}
LoopStructure padLoops(Operation *op) {
  return sameRankLoops(op, resizedDims(op), "the padded");
}
LoopStructure concatLoops(Operation *op) {
  return sameRankLoops(op, {int64_t(cast<ConcatOp>(op).getAxis())}, "the joined");
}
LoopStructure splitLoops(Operation *op) {
  return sameRankLoops(op, {int64_t(cast<SplitOp>(op).getAxis())}, "the cut");
}

/// scatter_add (starting from zeros): the result's dimensions around the
/// scattered axis are parallel, the indices' dimensions a sum reduction
/// (tokens split over ranks scatter partial sums: one all_reduce), the
/// scattered axis whole.
LoopStructure scatterAddLoops(Operation *op) {
  auto scatter = cast<ScatterAddOp>(op);
  LoopBuilder b;
  const int64_t axis = scatter.getAxis();
  const size_t resultRank = shapeOf(scatter.getResult()).size();
  const size_t indicesRank = shapeOf(scatter.getIndices()).size();
  SmallVector<int64_t> before, indices, after;
  for (int64_t i = 0; i < axis; ++i)
    before.push_back(b.addLoop(IteratorType::parallel));
  for (size_t i = 0; i < indicesRank; ++i) {
    indices.push_back(b.addLoop(IteratorType::reduction));
    b.s.reductionKinds.push_back(shard::ReductionKind::Sum);
  }
  for (size_t i = size_t(axis) + 1; i < resultRank; ++i)
    after.push_back(b.addLoop(IteratorType::parallel));
  const int64_t scattered = b.addLoop(IteratorType::parallel);
  SmallVector<int64_t> updates(before), result(before);
  llvm::append_range(updates, indices);
  llvm::append_range(updates, after);
  result.push_back(scattered);
  llvm::append_range(result, after);
  b.addMap(updates);
  b.addMap(indices);
  b.addMap(result);
  LoopStructure s = std::move(b).finish(op->getContext());
  s.wholeLoops = {{scattered, "the scattered axis"}};
  return s;
}

/// slice: its limits are global sizes; on a split dimension (which the
/// slice takes whole) the local op's limit is the local size.
LogicalResult slicePartition(Operation *op, const LoopStructure &loops,
                             ArrayRef<Value> partitionedOperands,
                             ArrayRef<shard::Sharding> operandShardings,
                             ArrayRef<shard::Sharding> resultShardings,
                             IRMapping &partitionMap,
                             SymbolTableCollection &symbols, OpBuilder &b) {
  if (failed(partitionByLoops(op, loops, partitionedOperands, operandShardings,
                              resultShardings, partitionMap, symbols, b)))
    return failure();
  auto local = cast<SliceOp>(
      partitionMap.lookup(op->getResult(0)).getDefiningOp());
  ArrayRef<int64_t> localShape = shapeOf(local.getInput());
  SmallVector<int64_t> limits(local.getLimits());
  ArrayRef<int64_t> globalShape = shapeOf(op->getOperand(0));
  for (size_t i = 0; i < limits.size(); ++i)
    if (limits[i] == globalShape[i] && localShape[i] != globalShape[i])
      limits[i] = localShape[i];
  local.setLimits(limits);
  return success();
}

template <typename... Ops>
void attachElementwise(MLIRContext *context) {
  (Ops::template attachInterface<LoopShardingModel<Ops, elementwiseLoops>>(
       *context),
   ...);
}

template <typename... Ops>
void attachRowwise(MLIRContext *context) {
  (Ops::template attachInterface<LoopShardingModel<Ops, rowwiseLoops<Ops>>>(
       *context),
   ...);
}

} // namespace

void attachTensorOpModels(MLIRContext *context) {
  attachElementwise<AddOp, SubOp, MulOp, DivOp, MaxOp, MinOp, PowOp, CompareOp,
                    SelectOp, NegOp, AbsOp, SquareOp, ReluOp, ExpOp, LogOp,
                    SqrtOp, RsqrtOp, TanhOp, SigmoidOp, SiluOp, SinOp, CosOp,
                    GeluOp, GeluGradOp, CastOp, BroadcastOp>(context);
  attachRowwise<LogSoftmaxOp, RmsNormOp, LayerNormOp>(context);
  SoftmaxOp::attachInterface<LoopShardingModel<
      SoftmaxOp, rowwiseLoops<SoftmaxOp>, softmaxPartition>>(*context);
  TransposeOp::attachInterface<LoopShardingModel<TransposeOp, transposeLoops>>(
      *context);
  MatmulOp::attachInterface<LoopShardingModel<MatmulOp, matmulLoops>>(*context);
  ReduceSumOp::attachInterface<
      LoopShardingModel<ReduceSumOp, reductionLoops<ReduceSumOp>>>(*context);
  ReduceMeanOp::attachInterface<
      LoopShardingModel<ReduceMeanOp, reductionLoops<ReduceMeanOp>>>(*context);
  ReduceMaxOp::attachInterface<
      LoopShardingModel<ReduceMaxOp, reductionLoops<ReduceMaxOp>>>(*context);
  SliceOp::attachInterface<
      LoopShardingModel<SliceOp, sliceLoops, slicePartition>>(*context);
  PadOp::attachInterface<LoopShardingModel<PadOp, padLoops>>(*context);
  ConcatOp::attachInterface<LoopShardingModel<ConcatOp, concatLoops>>(*context);
  SplitOp::attachInterface<LoopShardingModel<SplitOp, splitLoops>>(*context);
  ScatterAddOp::attachInterface<
      LoopShardingModel<ScatterAddOp, scatterAddLoops>>(*context);
}

} // namespace mlir::ds::sharding
