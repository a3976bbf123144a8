//===- ModelOps.cpp - Sharding models of ds's model ops -------------------===//
//
// Attention (by batch and head), rope, gather, the loss (a count-weighted
// mean across ranks) and the MoE ops (by token; tensor-parallel experts).
//
//===----------------------------------------------------------------------===//

#include "dialects/ds/sharding/Loops.h"
#include "dialects/ds/DsDialect.h"

namespace mlir::ds::sharding {
namespace {

/// Attention's loops: batch, query, head and value-channel loops are
/// parallel; the key positions and the query-key channels must stay whole
/// (a split would need a softmax across ranks), and so must the query
/// positions (causal masks and key lengths are positions in the whole
/// sequence). With grouped KV heads the key/value head dimension shares the
/// head loop: splitting the heads n ways splits the KV heads n ways, which
/// keeps every query head with its KV head as long as n divides the KV
/// heads (the op's verifier checks the local shapes).
struct AttentionLoops {
  LoopBuilder b;
  int64_t batch = b.addLoop(IteratorType::parallel);
  int64_t query = b.addLoop(IteratorType::parallel);
  int64_t head = b.addLoop(IteratorType::parallel);
  int64_t channel = b.addLoop(IteratorType::parallel);
  int64_t key = b.addLoop(IteratorType::parallel);
  int64_t valueChannel = b.addLoop(IteratorType::parallel);
  SmallVector<int64_t> q() const { return {batch, query, head, channel}; }
  SmallVector<int64_t> k() const { return {batch, key, head, channel}; }
  SmallVector<int64_t> v() const { return {batch, key, head, valueChannel}; }
  SmallVector<int64_t> o() const { return {batch, query, head, valueChannel}; }
  LoopStructure finish(MLIRContext *context) && {
    LoopStructure s = std::move(b).finish(context);
    s.wholeLoops = {{query, "the query positions"},
                    {channel, "the query-key channels"},
                    {key, "the key positions"}};
    return s;
  }
};

/// attention: query, key, value (and a scalar key length) to the output.
LoopStructure attentionLoops(Operation *op) {
  AttentionLoops l;
  for (const SmallVector<int64_t> &map : {l.q(), l.k(), l.v()})
    l.b.addMap(map);
  if (cast<AttentionOp>(op).getKeyLength())
    l.b.addMap({});
  l.b.addMap(l.o());
  return std::move(l).finish(op->getContext());
}

/// attention_grad: the gradients of the query, key and value follow their
/// tensors.
LoopStructure attentionGradLoops(Operation *op) {
  AttentionLoops l;
  for (const SmallVector<int64_t> &map :
       {l.q(), l.k(), l.v(), l.o(), l.q(), l.k(), l.v()})
    l.b.addMap(map);
  return std::move(l).finish(op->getContext());
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
  (void)gathered; // split: gatherPartition
  return std::move(b).finish(op->getContext());
}

/// A rank-0 tensor of `element` holding `value` (an integer element type
/// takes it as an integer: pass integers exactly, as int64_t).
Value scalarOf(OpBuilder &b, Location loc, Type element, int64_t value) {
  Attribute attr = isa<FloatType>(element)
                       ? Attribute(FloatAttr::get(element, double(value)))
                       : Attribute(IntegerAttr::get(element, value));
  return ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(RankedTensorType::get({}, element), ArrayRef(attr)));
}

/// gather from a table split along the gathered axis (Megatron's
/// vocabulary-parallel embedding): each rank looks up the indices its block
/// holds, zeros the others, and the lookups are summed over the ranks.
LogicalResult gatherPartition(Operation *op, const LoopStructure &loops,
                              ArrayRef<Value> partitionedOperands,
                              ArrayRef<shard::Sharding> operandShardings,
                              ArrayRef<shard::Sharding> resultShardings,
                              IRMapping &partitionMap,
                              SymbolTableCollection &symbols, OpBuilder &b) {
  auto gather = cast<GatherOp>(op);
  shard::ShardingArray axes = shard::getGridAxisAssignmentForLoopIterators(
      operandShardings, resultShardings, loops.iterators, loops.maps);
  const size_t gathered = loops.iterators.size() - 1;
  if (gathered >= axes.size() || axes[gathered].empty())
    return partitionByLoops(op, loops, partitionedOperands, operandShardings,
                            resultShardings, partitionMap, symbols, b);
  const Location loc = op->getLoc();
  const int64_t axis = gather.getAxis();
  Value table = partitionedOperands[0], indices = partitionedOperands[1];
  auto tableType = cast<RankedTensorType>(table.getType());
  auto indexType = cast<RankedTensorType>(indices.getType());
  StringRef grid = resultShardings.front().getGrid();
  Value local = localIndices(
      b, loc, indices, grid, axes[gathered], tableType.getDimSize(axis),
      shapeOf(gather.getInput())[size_t(axis)], /*outside=*/-1,
      "vocabulary parallel: the rows of this rank's block of the table");
  // Rows held elsewhere look up row 0 and are zeroed.
  Value zeroIndex = scalarOf(b, loc, indexType.getElementType(), 0);
  Value held =
      CompareOp::create(b, loc, CompareDirection::ge, local, zeroIndex);
  Value safe = SelectOp::create(b, loc, held, local, zeroIndex);
  Value rows = GatherOp::create(b, loc, table, safe, axis);
  auto rowsType = cast<RankedTensorType>(rows.getType());
  // The mask broadcasts over the table's dimensions after the axis.
  SmallVector<int64_t> maskShape(indexType.getShape());
  for (int64_t d = axis + 1; d < tableType.getRank(); ++d)
    maskShape.push_back(1);
  Value mask = ReshapeOp::create(
      b, loc, RankedTensorType::get(maskShape, b.getI1Type()), held);
  Value masked = SelectOp::create(
      b, loc, mask, rows, scalarOf(b, loc, rowsType.getElementType(), 0));
  auto summed = shard::AllReduceOp::create(b, loc, rowsType, grid,
                                           axes[gathered], masked,
                                           shard::ReductionKind::Sum);
  summed->setAttr(kReasonAttrName,
                  b.getStringAttr("vocabulary parallel: each row from the "
                                  "rank whose block of the table holds it"));
  partitionMap.map(gather.getResult(), summed.getResult());
  return success();
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
  (void)vocabulary; // split: vocabParallelCrossEntropy
  return std::move(b).finish(op->getContext());
}

/// cross_entropy with the vocabulary split (tensor-parallel logits,
/// Megatron's vocabulary-parallel cross-entropy): each rank holds the logits
/// of its classes; the maximum, the sum of exponentials and the target's
/// logit (on the rank whose classes hold it) are reduced over the
/// vocabulary's axes, so no rank gathers the logits. Per position the loss
/// is log S + M − logit[target]; the mean over valid positions is summed
/// over the positions' axes too when they are split.
LogicalResult vocabParallelCrossEntropy(CrossEntropyOp loss, Value logits,
                                        Value targets, StringRef grid,
                                        ArrayRef<shard::GridAxis> vocabAxes,
                                        ArrayRef<shard::GridAxis> positionAxes,
                                        IRMapping &partitionMap, OpBuilder &b) {
  const Location loc = loss.getLoc();
  auto lossType = cast<RankedTensorType>(loss.getResult().getType());
  Type element = lossType.getElementType();
  auto localType = cast<RankedTensorType>(logits.getType());
  if (localType.getElementType() != element)
    logits = CastOp::create(b, loc, localType.clone(element), logits);
  const int64_t axis = localType.getRank() - 1;
  const int64_t vocabulary =
      cast<RankedTensorType>(loss.getLogits().getType()).getShape().back();
  auto targetType = cast<RankedTensorType>(targets.getType());
  Type index = targetType.getElementType();
  SoftmaxAcross s = softmaxAcross(b, loc, logits, axis, grid, vocabAxes,
                                  "ds.cross_entropy's logits");
  // The target's logit: on the rank whose classes include it, 0 elsewhere.
  Value classes =
      IotaOp::create(b, loc, RankedTensorType::get({vocabulary}, index), 0);
  auto mine = shard::AllSliceOp::create(
      b, loc, RankedTensorType::get({localType.getShape().back()}, index),
      classes, grid, vocabAxes, 0);
  mine->setAttr(kReasonAttrName,
                b.getStringAttr("vocabulary parallel: the classes of this "
                                "rank's logits"));
  SmallVector<int64_t> columnShape(targetType.getShape());
  columnShape.push_back(1);
  Value column = ReshapeOp::create(
      b, loc, RankedTensorType::get(columnShape, index), targets);
  Value isTarget =
      CompareOp::create(b, loc, CompareDirection::eq, column, mine);
  Value picked = SelectOp::create(b, loc, isTarget, logits,
                                  scalarOf(b, loc, element, 0));
  auto target = shard::AllReduceOp::create(
      b, loc, s.sum.getType(), grid, vocabAxes,
      ReduceSumOp::create(b, loc, s.sum.getType(), picked,
                          b.getDenseI64ArrayAttr({axis}), b.getUnitAttr()),
      shard::ReductionKind::Sum);
  target->setAttr(kReasonAttrName,
                  b.getStringAttr("vocabulary parallel: the target's logit, "
                                  "from the rank holding its class"));
  Value nll = SubOp::create(
      b, loc, AddOp::create(b, loc, LogOp::create(b, loc, s.sum), s.max),
      target);
  nll = ReshapeOp::create(b, loc, targetType.clone(element), nll);
  // The mean over valid positions (every rank, or summed over the
  // positions' axes when they are split).
  Value valid = CastOp::create(
      b, loc, targetType.clone(element),
      CompareOp::create(b, loc, CompareDirection::ne, targets,
                        scalarOf(b, loc, index,
                                 int64_t(loss.getIgnoreIndex()))));
  SmallVector<int64_t> all;
  for (int64_t i = 0; i < targetType.getRank(); ++i)
    all.push_back(i);
  Value sum = ReduceSumOp::create(b, loc, MulOp::create(b, loc, nll, valid),
                                  all);
  Value count = ReduceSumOp::create(b, loc, valid, all);
  if (!positionAxes.empty()) {
    auto total = [&](Value value, StringRef reason) -> Value {
      auto reduced = shard::AllReduceOp::create(
          b, loc, value.getType(), grid, positionAxes, value,
          shard::ReductionKind::Sum);
      reduced->setAttr(kReasonAttrName, b.getStringAttr(reason));
      return reduced;
    };
    sum = total(sum, "loss: the losses of valid targets, summed (positions "
                     "split across the ranks)");
    count = total(count, "loss: the count of valid targets, summed "
                         "(positions split across the ranks)");
  }
  Value atLeastOne = MaxOp::create(b, loc, count, scalarOf(b, loc, element, 1));
  partitionMap.map(loss.getResult(), DivOp::create(b, loc, sum, atLeastOne));
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
  auto loss = cast<CrossEntropyOp>(op);
  const size_t vocabulary = loops.iterators.size() - 1;
  if (vocabulary < axes.size() && !axes[vocabulary].empty()) {
    SmallVector<shard::GridAxis> positions;
    for (size_t loop = 0; loop < vocabulary && loop < axes.size(); ++loop)
      llvm::append_range(positions, axes[loop]);
    llvm::sort(positions);
    return vocabParallelCrossEntropy(
        loss, partitionedOperands[0], partitionedOperands[1],
        resultShardings.front().getGrid(), axes[vocabulary], positions,
        partitionMap, b);
  }
  if (!shard::isAtLeastOneReductionIteratorSharded(loops.iterators, axes))
    return partitionByLoops(op, loops, partitionedOperands, operandShardings,
                            resultShardings, partitionMap, symbols, b);
  if (failed(checkWholeLoops(op, loops, axes)))
    return failure();
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
  auto allReduce = [&](Value value, StringRef reason) -> Value {
    auto reduced = shard::AllReduceOp::create(b, loc, value.getType(), grid,
                                              reductionAxes, value,
                                              shard::ReductionKind::Sum);
    reduced->setAttr(kReasonAttrName, b.getStringAttr(reason));
    return reduced;
  };
  Value totalSum = allReduce(
      sum, "loss: each rank's mean loss times its count of valid targets, "
           "summed (positions split across the ranks)");
  Value totalCount = allReduce(
      count, "loss: the count of valid targets, summed (positions split "
             "across the ranks)");
  Attribute one = FloatAttr::get(lossType.getElementType(), 1.0);
  Value atLeastOne = MaxOp::create(
      b, loc, totalCount,
      ConstantOp::create(b, loc, DenseElementsAttr::get(lossType, ArrayRef(one))));
  partitionMap.map(loss.getResult(),
                   DivOp::create(b, loc, totalSum, atLeastOne));
  return success();
}

/// Routing's loops: tokens are parallel; the experts (scores, groups,
/// top-k) and the chosen slots stay whole.
struct RouteLoops {
  LoopBuilder b;
  int64_t token = b.addLoop(IteratorType::parallel);
  int64_t expert = b.addLoop(IteratorType::parallel);
  int64_t slot = b.addLoop(IteratorType::parallel);
  LoopStructure finish(MLIRContext *context) && {
    LoopStructure s = std::move(b).finish(context);
    s.wholeLoops = {{expert, "the experts"}, {slot, "the chosen experts"}};
    return s;
  }
};

/// moe_route: logits (and the selection bias) to weights and indices.
LoopStructure moeRouteLoops(Operation *op) {
  RouteLoops l;
  l.b.addMap({l.token, l.expert});
  if (cast<MoeRouteOp>(op).getBias())
    l.b.addMap({l.expert});
  l.b.addMap({l.token, l.slot});
  l.b.addMap({l.token, l.slot});
  return std::move(l).finish(op->getContext());
}

/// moe_route_grad: logits, indices and the weights' gradient to the
/// logits' gradient.
LoopStructure moeRouteGradLoops(Operation *op) {
  RouteLoops l;
  l.b.addMap({l.token, l.expert});
  l.b.addMap({l.token, l.slot});
  l.b.addMap({l.token, l.slot});
  l.b.addMap({l.token, l.expert});
  return std::move(l).finish(op->getContext());
}

/// The routed experts' loops. Tokens and output channels are parallel;
/// each expert's hidden channels are a sum reduction (gate and up split by
/// rows, down by columns: Megatron's tensor-parallel experts, one
/// all_reduce of the output). The experts stay whole: expert parallelism
/// moves tokens between ranks (all-to-all), which DS's sharding pass
/// writes, not a loop split. In the backward op the tokens are a sum
/// reduction too (the experts' weight gradients sum over them), which the
/// per-token gradients index.
struct ExpertLoops {
  explicit ExpertLoops(bool backward)
      : token(b.addLoop(backward ? IteratorType::reduction
                                 : IteratorType::parallel)) {
    if (backward)
      b.s.reductionKinds.push_back(shard::ReductionKind::Sum); // tokens
    slot = b.addLoop(IteratorType::parallel);
    expert = b.addLoop(IteratorType::parallel);
    inChannel = b.addLoop(IteratorType::parallel);
    outChannel = b.addLoop(IteratorType::parallel);
    hidden = b.addLoop(IteratorType::reduction);
    b.s.reductionKinds.push_back(shard::ReductionKind::Sum);
  }
  LoopBuilder b;
  int64_t token, slot, expert, inChannel, outChannel, hidden;
  void addMaps(std::initializer_list<SmallVector<int64_t>> maps) {
    for (const SmallVector<int64_t> &map : maps)
      b.addMap(map);
  }
  SmallVector<int64_t> input() const { return {token, inChannel}; }
  SmallVector<int64_t> routing() const { return {token, slot}; }
  SmallVector<int64_t> gateUp() const { return {expert, hidden, inChannel}; }
  SmallVector<int64_t> down() const { return {expert, outChannel, hidden}; }
  SmallVector<int64_t> output() const { return {token, outChannel}; }
  LoopStructure finish(MLIRContext *context) && {
    LoopStructure s = std::move(b).finish(context);
    s.wholeLoops = {{slot, "the chosen experts"},
                    {expert, "the experts"},
                    {inChannel, "the input channels"}};
    return s;
  }
};

/// moe_ffn: tokens, routing weights and indices, the experts' gate, up and
/// down weights to the output.
LoopStructure moeFfnLoops(Operation *op) {
  ExpertLoops l(/*backward=*/false);
  l.addMaps({l.input(), l.routing(), l.routing(), l.gateUp(), l.gateUp(),
             l.down(), l.output()});
  return std::move(l).finish(op->getContext());
}

/// moe_ffn_grad: moe_ffn's operands and the output's gradient to the
/// gradients of the input, routing weights and expert weights.
LoopStructure moeFfnGradLoops(Operation *op) {
  ExpertLoops l(/*backward=*/true);
  l.addMaps({l.input(), l.routing(), l.routing(), l.gateUp(), l.gateUp(),
             l.down(), l.output(), l.input(), l.routing(), l.gateUp(),
             l.gateUp(), l.down()});
  return std::move(l).finish(op->getContext());
}

} // namespace

void attachModelOpModels(MLIRContext *context) {
  AttentionOp::attachInterface<LoopShardingModel<AttentionOp, attentionLoops>>(
      *context);
  AttentionGradOp::attachInterface<
      LoopShardingModel<AttentionGradOp, attentionGradLoops>>(*context);
  RopeOp::attachInterface<LoopShardingModel<RopeOp, ropeLoops>>(*context);
  GatherOp::attachInterface<
      LoopShardingModel<GatherOp, gatherLoops, gatherPartition>>(*context);
  CrossEntropyOp::attachInterface<LoopShardingModel<
      CrossEntropyOp, crossEntropyLoops, crossEntropyPartition>>(*context);
  MoeRouteOp::attachInterface<LoopShardingModel<MoeRouteOp, moeRouteLoops>>(
      *context);
  MoeRouteGradOp::attachInterface<
      LoopShardingModel<MoeRouteGradOp, moeRouteGradLoops>>(*context);
  MoeFfnOp::attachInterface<LoopShardingModel<MoeFfnOp, moeFfnLoops>>(*context);
  MoeFfnGradOp::attachInterface<
      LoopShardingModel<MoeFfnGradOp, moeFfnGradLoops>>(*context);
}

} // namespace mlir::ds::sharding
