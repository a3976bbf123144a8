//===- DsSharding.cpp - ShardingInterface for ds ops ----------------------===//
//
// Each op family describes its loops once (LoopStructure); one external
// model turns that into the interface's iterator types, reduction kinds,
// indexing maps and partition.
//
//===----------------------------------------------------------------------===//

#include "dialects/ds/DsSharding.h"
#include "dialects/ds/DsDialect.h"

#include "mlir/Dialect/Shard/IR/ShardDialect.h"
#include "mlir/Dialect/Shard/IR/ShardOps.h"
#include "mlir/Dialect/Shard/Interfaces/ShardingInterface.h"
#include "mlir/Dialect/Shard/Interfaces/ShardingInterfaceImpl.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/Support/InterleavedRange.h"

namespace mlir::ds {
namespace {

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
  /// a norm reduces over while keeping it): partition refuses a sharding
  /// that splits one, naming it, rather than computing something else.
  SmallVector<int64_t> wholeLoops;
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

ArrayRef<int64_t> shapeOf(Value value) {
  return cast<RankedTensorType>(value.getType()).getShape();
}

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
  if constexpr (std::is_same_v<Op, SoftmaxOp> ||
                std::is_same_v<Op, LogSoftmaxOp>)
    s.wholeLoops.push_back(cast<Op>(op).getAxis());
  else
    s.wholeLoops.push_back(rank - 1);
  return s;
}

/// `value` divided by `shards`, in its own element type.
Value divideByShards(OpBuilder &b, Location loc, Value value, int64_t shards) {
  auto type = cast<RankedTensorType>(value.getType());
  auto scalarType = RankedTensorType::get({}, type.getElementType());
  Attribute factor = FloatAttr::get(type.getElementType(), 1.0 / double(shards));
  auto scale = DenseElementsAttr::get(scalarType, ArrayRef(factor));
  Value constant = ConstantOp::create(b, loc, scale);
  return MulOp::create(b, loc, value, constant);
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
  for (int64_t loop : loops.wholeLoops)
    if (size_t(loop) < axes.size() && !axes[size_t(loop)].empty())
      return op->emitOpError("works along dimension ")
             << loop << ", which this sharding splits over grid axes "
             << llvm::interleaved_array(axes[size_t(loop)])
             << "; keep that dimension whole (reshard before the op)";
  shard::partitionTriviallyShardableOperation(*op, partitionedOperands,
                                              operandShardings, resultShardings,
                                              partitionMap, symbols, b);
  if (!shard::isAtLeastOneReductionIteratorSharded(loops.iterators, axes))
    return success();
  SmallVector<shard::GridAxis> reductionAxes =
      shard::getReductionGridAxes(loops.iterators, axes);
  const shard::Sharding &sharding = resultShardings.front();
  shard::GridOp grid = shard::getGrid(op, sharding.getGridAttr(), symbols);
  const int64_t shards =
      shard::collectiveProcessGroupSize(reductionAxes, grid);
  for (Value result : op->getResults()) {
    Value local = partitionMap.lookup(result);
    Value reduced = shard::AllReduceOp::create(
        b, op->getLoc(), local.getType(), sharding.getGrid(), reductionAxes,
        local, loops.reductionKinds.front());
    if (loops.mean)
      reduced = divideByShards(b, op->getLoc(), reduced, shards);
    partitionMap.map(result, reduced);
  }
  return success();
}

template <typename Op, LoopStructure (*Loops)(Operation *)>
struct LoopShardingModel
    : shard::ShardingInterface::ExternalModel<LoopShardingModel<Op, Loops>,
                                              Op> {
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
  LogicalResult partition(Operation *op, ArrayRef<Value> partitionedOperands,
                          ArrayRef<shard::Sharding> operandShardings,
                          ArrayRef<shard::Sharding> resultShardings,
                          IRMapping &partitionMap,
                          SymbolTableCollection &symbols,
                          OpBuilder &b) const {
    return partitionByLoops(op, Loops(op), partitionedOperands,
                            operandShardings, resultShardings, partitionMap,
                            symbols, b);
  }
};

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

void registerShardingInterfaceModels(DialectRegistry &registry) {
  registry.insert<shard::ShardDialect>();
  registry.addExtension(+[](MLIRContext *context, DsDialect *) {
    attachElementwise<AddOp, SubOp, MulOp, DivOp, MaxOp, MinOp, PowOp,
                      CompareOp, SelectOp, NegOp, AbsOp, SquareOp, ReluOp,
                      ExpOp, LogOp, SqrtOp, RsqrtOp, TanhOp, SigmoidOp, SiluOp,
                      SinOp, CosOp, GeluOp, GeluGradOp, CastOp, BroadcastOp>(
        context);
    TransposeOp::attachInterface<LoopShardingModel<TransposeOp, transposeLoops>>(
        *context);
    attachRowwise<SoftmaxOp, LogSoftmaxOp, RmsNormOp, LayerNormOp>(context);
    MatmulOp::attachInterface<LoopShardingModel<MatmulOp, matmulLoops>>(
        *context);
    ReduceSumOp::attachInterface<
        LoopShardingModel<ReduceSumOp, reductionLoops<ReduceSumOp>>>(*context);
    ReduceMeanOp::attachInterface<
        LoopShardingModel<ReduceMeanOp, reductionLoops<ReduceMeanOp>>>(
        *context);
    ReduceMaxOp::attachInterface<
        LoopShardingModel<ReduceMaxOp, reductionLoops<ReduceMaxOp>>>(*context);
  });
}

} // namespace mlir::ds
