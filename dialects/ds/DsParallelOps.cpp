//===- DsParallelOps.cpp - ops of per-rank programs -----------------------===//

#include "dialects/ds/DsDialect.h"

#include "mlir/Dialect/Shard/IR/ShardOps.h"

using namespace mlir;
using namespace mlir::ds;

#define GET_OP_CLASSES
#include "dialects/ds/DsParallelOps.cpp.inc"

namespace {

/// `type`'s static shape, or failure reported at `op` naming `what`.
FailureOr<ArrayRef<int64_t>> staticShape(Operation *op, Type type,
                                         StringRef what, int64_t minRank) {
  auto ranked = cast<RankedTensorType>(type);
  if (!ranked.hasStaticShape() || ranked.getRank() < minRank)
    return op->emitOpError() << what << " must be a static tensor of rank "
                             << (minRank == 2 ? "2" : "1 or more") << ", got "
                             << type;
  return ranked.getShape();
}

/// The group size G of the exchange plan `counts` ([G, G]) and the tokens
/// T and choices K of `indices` ([T, K]).
struct ExchangeShape {
  int64_t group, tokens, topK;
};

FailureOr<ExchangeShape> exchangeShape(Operation *op, Value counts,
                                       Value indices) {
  FailureOr<ArrayRef<int64_t>> plan =
      staticShape(op, counts.getType(), "the plan (counts)", 2);
  FailureOr<ArrayRef<int64_t>> chosen =
      staticShape(op, indices.getType(), "indices", 2);
  if (failed(plan) || failed(chosen))
    return failure();
  if ((*plan)[0] != (*plan)[1] || (*plan)[0] < 1)
    return op->emitOpError("plan must be [G, G] for a group of G ranks, got ")
           << counts.getType();
  if (plan->size() != 2 || chosen->size() != 2)
    return op->emitOpError("takes a plan [G, G] and indices [T, K]");
  return ExchangeShape{(*plan)[0], (*chosen)[0], (*chosen)[1]};
}

/// Each `from` is [rows, …] and the matching `to` [toRows, …] alike.
LogicalResult verifyRows(Operation *op, ValueRange from, TypeRange to,
                         int64_t rows, int64_t toRows) {
  if (from.size() != to.size())
    return op->emitOpError("has ") << from.size() << " inputs but "
                                   << to.size() << " results to match them";
  for (auto [index, pair] : llvm::enumerate(llvm::zip(from, to))) {
    auto [input, result] = pair;
    FailureOr<ArrayRef<int64_t>> shape =
        staticShape(op, input.getType(), "input #" + std::to_string(index), 1);
    if (failed(shape))
      return failure();
    if ((*shape)[0] != rows)
      return op->emitOpError("input #")
             << index << " has " << (*shape)[0] << " rows, expected " << rows;
    SmallVector<int64_t> expected{toRows};
    llvm::append_range(expected, shape->drop_front());
    auto want = RankedTensorType::get(
        expected, cast<RankedTensorType>(input.getType()).getElementType());
    if (result != want)
      return op->emitOpError("result #")
             << index << " must be " << want << ", got " << result;
  }
  return success();
}

/// The grid exists, the axes are distinct axes of it in increasing order
/// (the order in which the runtime numbers a group), and they span `group`
/// ranks.
LogicalResult verifyGroup(Operation *op, FlatSymbolRefAttr gridName,
                          ArrayRef<int16_t> axes, int64_t group,
                          SymbolTableCollection &symbols) {
  shard::GridOp grid = shard::getGridOrNull(op, gridName, symbols);
  if (!grid)
    return op->emitOpError("refers to ") << gridName << ", which is not a grid";
  for (size_t i = 0; i < axes.size(); ++i)
    if (axes[i] < 0 || axes[i] >= grid.getRank() ||
        (i > 0 && axes[i] <= axes[i - 1]))
      return op->emitOpError("grid_axes must be distinct axes of ")
             << gridName << " in increasing order";
  const int64_t size = shard::collectiveProcessGroupSize(axes, grid);
  if (size != group)
    return op->emitOpError("plans for a group of ")
           << group << " ranks but grid_axes of " << gridName << " span "
           << (ShapedType::isDynamic(size) ? std::string("a dynamic number of")
                                           : std::to_string(size))
           << " ranks";
  return success();
}

template <typename Op>
LogicalResult verifyPlanGroup(Op op, SymbolTableCollection &symbols) {
  auto counts = cast<RankedTensorType>(op.getCounts().getType());
  return verifyGroup(op, op.getGridAttr(), op.getGridAxes(),
                     counts.getDimSize(0), symbols);
}

} // namespace

LogicalResult ExpertPlanOp::verify() {
  if (failed(exchangeShape(*this, getCounts(), getIndices())))
    return failure();
  return success();
}

LogicalResult
ExpertPlanOp::verifySymbolUses(SymbolTableCollection &symbols) {
  return verifyPlanGroup(*this, symbols);
}

LogicalResult ExpertDispatchOp::verify() {
  FailureOr<ExchangeShape> shape =
      exchangeShape(*this, getCounts(), getIndices());
  if (failed(shape))
    return failure();
  if (failed(verifyRows(*this, getInputs(), getOutputs().getTypes(),
                        shape->tokens, shape->group * shape->tokens)))
    return failure();
  auto indices = cast<RankedTensorType>(getIndices().getType());
  auto want = RankedTensorType::get({shape->group * shape->tokens, shape->topK},
                                    indices.getElementType());
  if (getLocalIndices().getType() != want)
    return emitOpError("local_indices must be ")
           << want << ", got " << getLocalIndices().getType();
  return success();
}

LogicalResult
ExpertDispatchOp::verifySymbolUses(SymbolTableCollection &symbols) {
  return verifyPlanGroup(*this, symbols);
}

LogicalResult ExpertCombineOp::verify() {
  FailureOr<ExchangeShape> shape =
      exchangeShape(*this, getCounts(), getIndices());
  if (failed(shape))
    return failure();
  return verifyRows(*this, getInputs(), getOutputs().getTypes(),
                    shape->group * shape->tokens, shape->tokens);
}

LogicalResult
ExpertCombineOp::verifySymbolUses(SymbolTableCollection &symbols) {
  return verifyPlanGroup(*this, symbols);
}
