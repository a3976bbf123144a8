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
  GatherOp::attachInterface<LoopShardingModel<GatherOp, gatherLoops>>(*context);
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
