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

#include <string>

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
                std::is_same_v<Op, LogSoftmaxOp>) {
    const int64_t axis = cast<Op>(op).getAxis();
    s.wholeLoops.push_back({axis, "dimension " + std::to_string(axis)});
  } else {
    s.wholeLoops.push_back(
        {rank - 1, "the normalized dimension " + std::to_string(rank - 1)});
  }
  return s;
}

/// attention: batch, query, head and value-channel loops are parallel; the
/// key positions and the query-key channels must stay whole (a split would
/// need a softmax across ranks). With grouped KV heads the key/value head
/// dimension shares the head loop: splitting the heads n ways splits the
/// KV heads n ways, which keeps every query head with its KV head as long
/// as n divides the KV heads (the op's verifier checks the local shapes).
LoopStructure attentionLoops(Operation *op) {
  auto attention = cast<AttentionOp>(op);
  LoopBuilder b;
  const int64_t batch = b.addLoop(IteratorType::parallel);
  const int64_t query = b.addLoop(IteratorType::parallel);
  const int64_t head = b.addLoop(IteratorType::parallel);
  const int64_t channel = b.addLoop(IteratorType::parallel);
  const int64_t key = b.addLoop(IteratorType::parallel);
  const int64_t valueChannel = b.addLoop(IteratorType::parallel);
  b.addMap({batch, query, head, channel});
  b.addMap({batch, key, head, channel});
  b.addMap({batch, key, head, valueChannel});
  if (attention.getKeyLength())
    b.addMap({});
  b.addMap({batch, query, head, valueChannel});
  LoopStructure s = std::move(b).finish(op->getContext());
  // Causal masks and key lengths are positions in the whole sequence.
  s.wholeLoops = {{query, "the query positions"},
                  {channel, "the query-key channels"},
                  {key, "the key positions"}};
  return s;
}

/// rope: [..., T, H, D] rotated by positions [..., T] or [T]; the rotated
/// channels pair up along D, which stays whole.
LoopStructure ropeLoops(Operation *op) {
  auto rope = cast<RopeOp>(op);
  LoopBuilder b;
  ArrayRef<int64_t> shape = shapeOf(rope.getResult());
  SmallVector<int64_t> loops;
  for (size_t i = 0; i < shape.size(); ++i)
    loops.push_back(b.addLoop(IteratorType::parallel));
  const size_t positionsRank = shapeOf(rope.getPositions()).size();
  ArrayRef<int64_t> lead = ArrayRef(loops).drop_back(2);
  b.addMap(loops);
  b.addMap(lead.take_back(positionsRank));
  b.addMap(loops);
  LoopStructure s = std::move(b).finish(op->getContext());
  s.wholeLoops = {{loops.back(), "the rotated channels"}};
  return s;
}

/// gather: the result's loops are the input's dimensions before and after
/// `axis` around the indices' dimensions; the gathered axis is a loop of
/// its own, kept whole (a vocabulary-parallel lookup is a different
/// program: DS's sharding pass writes it).
LoopStructure gatherLoops(Operation *op) {
  auto gather = cast<GatherOp>(op);
  LoopBuilder b;
  const int64_t axis = gather.getAxis();
  const size_t inputRank = shapeOf(gather.getInput()).size();
  const size_t indicesRank = shapeOf(gather.getIndices()).size();
  SmallVector<int64_t> before, indices, after;
  for (int64_t i = 0; i < axis; ++i)
    before.push_back(b.addLoop(IteratorType::parallel));
  for (size_t i = 0; i < indicesRank; ++i)
    indices.push_back(b.addLoop(IteratorType::parallel));
  for (size_t i = size_t(axis) + 1; i < inputRank; ++i)
    after.push_back(b.addLoop(IteratorType::parallel));
  const int64_t gathered = b.addLoop(IteratorType::parallel);
  SmallVector<int64_t> input(before), result(before);
  input.push_back(gathered);
  llvm::append_range(input, after);
  llvm::append_range(result, indices);
  llvm::append_range(result, after);
  b.addMap(input);
  b.addMap(indices);
  b.addMap(result);
  LoopStructure s = std::move(b).finish(op->getContext());
  s.wholeLoops = {{gathered, "the gathered axis"}};
  return s;
}

/// cross_entropy: the positions are reduction loops (the loss is their
/// mean), the vocabulary is whole (a vocabulary-parallel loss is DS's
/// sharding pass's). Its partition is crossEntropyPartition.
LoopStructure crossEntropyLoops(Operation *op) {
  auto loss = cast<CrossEntropyOp>(op);
  LoopBuilder b;
  SmallVector<int64_t> positions;
  for (size_t i = 0; i < shapeOf(loss.getTargets()).size(); ++i) {
    positions.push_back(b.addLoop(IteratorType::reduction));
    b.s.reductionKinds.push_back(shard::ReductionKind::Sum);
  }
  const int64_t vocabulary = b.addLoop(IteratorType::parallel);
  SmallVector<int64_t> logits(positions);
  logits.push_back(vocabulary);
  b.addMap(logits);
  b.addMap(positions);
  b.addMap({});
  LoopStructure s = std::move(b).finish(op->getContext());
  s.wholeLoops = {{vocabulary, "the vocabulary"}};
  return s;
}

/// moe_route: tokens are parallel; the experts (scores, groups, top-k) and
/// the chosen slots stay whole.
LoopStructure moeRouteLoops(Operation *op) {
  auto route = cast<MoeRouteOp>(op);
  LoopBuilder b;
  const int64_t token = b.addLoop(IteratorType::parallel);
  const int64_t expert = b.addLoop(IteratorType::parallel);
  const int64_t slot = b.addLoop(IteratorType::parallel);
  b.addMap({token, expert});
  if (route.getBias())
    b.addMap({expert});
  b.addMap({token, slot});
  b.addMap({token, slot});
  LoopStructure s = std::move(b).finish(op->getContext());
  s.wholeLoops = {{expert, "the experts"}, {slot, "the chosen experts"}};
  return s;
}

/// moe_ffn: tokens and output channels are parallel; each expert's
/// intermediate channels are a sum reduction (gate and up split by rows,
/// down by columns: the tensor-parallel experts of Megatron, one all_reduce
/// of the output). The experts themselves stay whole here: expert
/// parallelism moves tokens between ranks (all-to-all), which DS's sharding
/// pass writes, not a loop split.
LoopStructure moeFfnLoops(Operation *op) {
  LoopBuilder b;
  const int64_t token = b.addLoop(IteratorType::parallel);
  const int64_t slot = b.addLoop(IteratorType::parallel);
  const int64_t expert = b.addLoop(IteratorType::parallel);
  const int64_t inChannel = b.addLoop(IteratorType::parallel);
  const int64_t outChannel = b.addLoop(IteratorType::parallel);
  const int64_t hidden = b.addLoop(IteratorType::reduction);
  b.s.reductionKinds.push_back(shard::ReductionKind::Sum);
  b.addMap({token, inChannel});
  b.addMap({token, slot});
  b.addMap({token, slot});
  b.addMap({expert, hidden, inChannel});
  b.addMap({expert, hidden, inChannel});
  b.addMap({expert, outChannel, hidden});
  b.addMap({token, outChannel});
  LoopStructure s = std::move(b).finish(op->getContext());
  s.wholeLoops = {{slot, "the chosen experts"},
                  {expert, "the experts"},
                  {inChannel, "the input channels"}};
  return s;
}

/// attention_grad: attention's loops; the gradients of the query, key and
/// value follow their tensors.
LoopStructure attentionGradLoops(Operation *op) {
  LoopBuilder b;
  const int64_t batch = b.addLoop(IteratorType::parallel);
  const int64_t query = b.addLoop(IteratorType::parallel);
  const int64_t head = b.addLoop(IteratorType::parallel);
  const int64_t channel = b.addLoop(IteratorType::parallel);
  const int64_t key = b.addLoop(IteratorType::parallel);
  const int64_t valueChannel = b.addLoop(IteratorType::parallel);
  const SmallVector<int64_t> q{batch, query, head, channel},
      k{batch, key, head, channel}, v{batch, key, head, valueChannel},
      o{batch, query, head, valueChannel};
  for (ArrayRef<int64_t> map : {q, k, v, o, q, k, v})
    b.addMap(map);
  LoopStructure s = std::move(b).finish(op->getContext());
  s.wholeLoops = {{query, "the query positions"},
                  {channel, "the query-key channels"},
                  {key, "the key positions"}};
  return s;
}

/// moe_route_grad: per token; the experts and slots whole.
LoopStructure moeRouteGradLoops(Operation *op) {
  LoopBuilder b;
  const int64_t token = b.addLoop(IteratorType::parallel);
  const int64_t expert = b.addLoop(IteratorType::parallel);
  const int64_t slot = b.addLoop(IteratorType::parallel);
  b.addMap({token, expert});
  b.addMap({token, slot});
  b.addMap({token, slot});
  b.addMap({token, expert});
  LoopStructure s = std::move(b).finish(op->getContext());
  s.wholeLoops = {{expert, "the experts"}, {slot, "the chosen experts"}};
  return s;
}

/// moe_ffn_grad: moe_ffn's loops, with the tokens a sum reduction for the
/// experts' weight gradients (split tokens: partial gradients, all_reduce)
/// that the per-token gradients index; the hidden channels are a sum for
/// the input's gradient and the routing weights' (tensor-parallel experts).
LoopStructure moeFfnGradLoops(Operation *op) {
  LoopBuilder b;
  const int64_t token = b.addLoop(IteratorType::reduction);
  const int64_t slot = b.addLoop(IteratorType::parallel);
  const int64_t expert = b.addLoop(IteratorType::parallel);
  const int64_t inChannel = b.addLoop(IteratorType::parallel);
  const int64_t outChannel = b.addLoop(IteratorType::parallel);
  const int64_t hidden = b.addLoop(IteratorType::reduction);
  b.s.reductionKinds = {shard::ReductionKind::Sum, shard::ReductionKind::Sum};
  const SmallVector<int64_t> input{token, inChannel}, routing{token, slot},
      gateUp{expert, hidden, inChannel}, down{expert, outChannel, hidden},
      output{token, outChannel};
  for (ArrayRef<int64_t> map :
       {input, routing, routing, gateUp, gateUp, down, output, input, routing,
        gateUp, gateUp, down})
    b.addMap(map);
  LoopStructure s = std::move(b).finish(op->getContext());
  s.wholeLoops = {{slot, "the chosen experts"},
                  {expert, "the experts"},
                  {inChannel, "the input channels"}};
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

/// `value` divided by `shards`, in its own element type.
Value divideByShards(OpBuilder &b, Location loc, Value value, int64_t shards) {
  auto type = cast<RankedTensorType>(value.getType());
  auto scalarType = RankedTensorType::get({}, type.getElementType());
  Attribute factor = FloatAttr::get(type.getElementType(), 1.0 / double(shards));
  auto scale = DenseElementsAttr::get(scalarType, ArrayRef(factor));
  Value constant = ConstantOp::create(b, loc, scale);
  return MulOp::create(b, loc, value, constant);
}

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
    Value reduced = shard::AllReduceOp::create(
        b, op->getLoc(), local.getType(), sharding.getGrid(), partialAxes,
        local, kind);
    if (loops.mean)
      reduced = divideByShards(
          b, op->getLoc(), reduced,
          shard::collectiveProcessGroupSize(partialAxes, grid));
    partitionMap.map(result, reduced);
  }
  return success();
}

/// cross_entropy with its positions split: each rank's loss is the mean
/// over its own valid positions, and ranks may hold different numbers of
/// them (ignore_index), so the global mean is not the mean of the means:
/// it is (sum of loss_r * count_r) / (sum of count_r), two all_reduces,
/// and 0 when no position anywhere is valid (as the op defines it).
LogicalResult crossEntropyPartition(Operation *op, const LoopStructure &loops,
                                    ArrayRef<Value> partitionedOperands,
                                    ArrayRef<shard::Sharding> operandShardings,
                                    ArrayRef<shard::Sharding> resultShardings,
                                    IRMapping &partitionMap,
                                    SymbolTableCollection &symbols,
                                    OpBuilder &b) {
  shard::ShardingArray axes = shard::getGridAxisAssignmentForLoopIterators(
      operandShardings, resultShardings, loops.iterators, loops.maps);
  if (!shard::isAtLeastOneReductionIteratorSharded(loops.iterators, axes))
    return partitionByLoops(op, loops, partitionedOperands, operandShardings,
                            resultShardings, partitionMap, symbols, b);
  if (failed(checkWholeLoops(op, loops, axes)))
    return failure();
  auto loss = cast<CrossEntropyOp>(op);
  const Location loc = op->getLoc();
  SmallVector<shard::GridAxis> reductionAxes =
      shard::getReductionGridAxes(loops.iterators, axes);
  shard::partitionTriviallyShardableOperation(*op, partitionedOperands,
                                              operandShardings, resultShardings,
                                              partitionMap, symbols, b);
  Value local = partitionMap.lookup(loss.getResult());
  Value targets = partitionedOperands[1];
  auto lossType = cast<RankedTensorType>(local.getType());
  auto targetType = cast<RankedTensorType>(targets.getType());
  Attribute ignore =
      IntegerAttr::get(targetType.getElementType(), loss.getIgnoreIndex());
  Value ignoreIndex = ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(
          RankedTensorType::get({}, targetType.getElementType()),
          ArrayRef(ignore)));
  Value valid =
      CompareOp::create(b, loc, CompareDirection::ne, targets, ignoreIndex);
  Value validAsFloat = CastOp::create(
      b, loc, targetType.clone(lossType.getElementType()), valid);
  SmallVector<int64_t> all;
  for (int64_t i = 0; i < targetType.getRank(); ++i)
    all.push_back(i);
  Value count = ReduceSumOp::create(b, loc, validAsFloat, all);
  Value sum = MulOp::create(b, loc, local, count);
  StringRef grid = resultShardings.front().getGrid();
  auto allReduce = [&](Value value) -> Value {
    return shard::AllReduceOp::create(b, loc, value.getType(), grid,
                                      reductionAxes, value,
                                      shard::ReductionKind::Sum);
  };
  Value totalSum = allReduce(sum), totalCount = allReduce(count);
  Attribute one = FloatAttr::get(lossType.getElementType(), 1.0);
  Value atLeastOne = MaxOp::create(
      b, loc, totalCount,
      ConstantOp::create(b, loc, DenseElementsAttr::get(lossType, ArrayRef(one))));
  partitionMap.map(loss.getResult(),
                   DivOp::create(b, loc, totalSum, atLeastOne));
  return success();
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
    AttentionOp::attachInterface<LoopShardingModel<AttentionOp, attentionLoops>>(
        *context);
    RopeOp::attachInterface<LoopShardingModel<RopeOp, ropeLoops>>(*context);
    GatherOp::attachInterface<LoopShardingModel<GatherOp, gatherLoops>>(
        *context);
    SliceOp::attachInterface<
        LoopShardingModel<SliceOp, sliceLoops, slicePartition>>(*context);
    PadOp::attachInterface<LoopShardingModel<PadOp, padLoops>>(*context);
    ConcatOp::attachInterface<LoopShardingModel<ConcatOp, concatLoops>>(
        *context);
    SplitOp::attachInterface<LoopShardingModel<SplitOp, splitLoops>>(*context);
    ScatterAddOp::attachInterface<
        LoopShardingModel<ScatterAddOp, scatterAddLoops>>(*context);
    AttentionGradOp::attachInterface<
        LoopShardingModel<AttentionGradOp, attentionGradLoops>>(*context);
    MoeRouteGradOp::attachInterface<
        LoopShardingModel<MoeRouteGradOp, moeRouteGradLoops>>(*context);
    MoeFfnGradOp::attachInterface<
        LoopShardingModel<MoeFfnGradOp, moeFfnGradLoops>>(*context);
    MoeRouteOp::attachInterface<LoopShardingModel<MoeRouteOp, moeRouteLoops>>(
        *context);
    MoeFfnOp::attachInterface<LoopShardingModel<MoeFfnOp, moeFfnLoops>>(
        *context);
    CrossEntropyOp::attachInterface<LoopShardingModel<
        CrossEntropyOp, crossEntropyLoops, crossEntropyPartition>>(*context);
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
