//===- ExpertParallel.cpp - Routed experts split over ranks ---------------===//

#include "passes/shard/ExpertParallel.h"

#include "dialects/ds/DsDialect.h"
#include "dialects/ds/sharding/Loops.h"

namespace mlir::ds {

Value localExpertIndices(OpBuilder &b, Location loc, Value indices,
                         shard::GridOp grid,
                         ArrayRef<shard::GridAxis> expertAxes,
                         int64_t localExperts, int64_t globalExperts) {
  const StringRef what =
      "expert parallel: the numbers of the experts this rank holds";
  if (llvm::is_sorted(expertAxes))
    return sharding::localIndices(b, loc, indices, grid.getSymName(),
                                  expertAxes, localExperts, globalExperts,
                                  /*outside=*/-1, what);
  // One axis at a time, major first: each narrows the range to the block
  // of the rank's place along it (-1 stays -1).
  int64_t whole = globalExperts;
  for (shard::GridAxis axis : expertAxes) {
    const int64_t part = whole / grid.getShape()[size_t(axis)];
    indices = sharding::localIndices(b, loc, indices, grid.getSymName(),
                                     {axis}, part, whole, /*outside=*/-1, what);
    whole = part;
  }
  return indices;
}

namespace {

/// The operands of a moe_ffn / moe_ffn_grad indexed by token: input (0),
/// routing weights (1), indices (2) and, backward, the output's gradient
/// (6); and its results indexed by token: the output, or the tokens' and
/// routing weights' gradients (0, 1).
constexpr unsigned kIndices = 2, kGrad = 6;

bool isTokenResult(Operation &moe, unsigned index) {
  return isa<MoeFfnOp>(moe) || index < 2;
}

std::string describe(Operation &moe) {
  return moe.getName().getStringRef().str();
}

template <typename Op>
Op withReason(Op op, const std::string &why) {
  op->setAttr(kReasonAttrName, StringAttr::get(op.getContext(), why));
  return op;
}

} // namespace

SmallVector<Value> exchangeWithExperts(OpBuilder &b, Operation &moe,
                                       ValueRange locals, shard::GridOp grid,
                                       ArrayRef<shard::GridAxis> exchangedAxes,
                                       ArrayRef<shard::GridAxis> splitAxes,
                                       int64_t localExperts) {
  const Location loc = moe.getLoc();
  const bool backward = isa<MoeFfnGradOp>(moe);
  const std::string name = describe(moe);
  auto gridRef = FlatSymbolRefAttr::get(grid.getSymNameAttr());
  auto axes = b.getDenseI16ArrayAttr(exchangedAxes);
  // The experts of one rank of the exchange: its own and those of the
  // ranks along `splitAxes` that hold the same tokens.
  const int64_t split = shard::collectiveProcessGroupSize(splitAxes, grid);
  auto perRank = b.getI64IntegerAttr(localExperts * split);
  const int64_t group = shard::collectiveProcessGroupSize(exchangedAxes, grid);
  Value indices = locals[kIndices];
  const int64_t tokens =
      cast<RankedTensorType>(indices.getType()).getDimSize(0);

  auto plan = withReason(
      ExpertPlanOp::create(
          b, loc, RankedTensorType::get({group, group}, b.getI64Type()),
          indices, gridRef, axes, perRank),
      "expert parallel plan: " + name +
          ": how many tokens each rank sends to each rank's experts");

  // Dispatch the rows of the token operands other than the indices.
  SmallVector<unsigned> sent{0, 1};
  if (backward)
    sent.push_back(kGrad);
  SmallVector<Value> inputs;
  SmallVector<Type> types;
  auto rows = [&](Type type, int64_t count) {
    auto tensor = cast<RankedTensorType>(type);
    SmallVector<int64_t> shape(tensor.getShape());
    shape[0] = count;
    return RankedTensorType::get(shape, tensor.getElementType());
  };
  for (unsigned operand : sent) {
    inputs.push_back(locals[operand]);
    types.push_back(rows(locals[operand].getType(), group * tokens));
  }
  types.push_back(rows(indices.getType(), group * tokens));
  auto dispatch = withReason(
      ExpertDispatchOp::create(b, loc, types, plan, indices, inputs, gridRef,
                               axes, perRank),
      "expert parallel dispatch: " + name +
          ": each token to the ranks of its experts");

  // The op on the rows received, with this rank's experts.
  SmallVector<Value> operands(locals);
  for (auto [operand, received] : llvm::zip(sent, dispatch.getOutputs()))
    operands[operand] = received;
  operands[kIndices] = dispatch.getLocalIndices();
  if (!splitAxes.empty())
    operands[kIndices] = sharding::localIndices(
        b, loc, dispatch.getLocalIndices(), grid.getSymName(), splitAxes,
        localExperts, localExperts * split, /*outside=*/-1,
        "expert parallel: the experts this rank holds of its group's");
  SmallVector<Type> resultTypes;
  for (auto [index, result] : llvm::enumerate(moe.getResults())) {
    auto global = cast<RankedTensorType>(result.getType());
    // Results by token have the rows received, the experts' gradients the
    // experts' local shape.
    Value like = isTokenResult(moe, unsigned(index))
                     ? operands[index]
                     : locals[index + 1]; // gate, up, down: operands 3..5
    auto shape = cast<RankedTensorType>(like.getType()).getShape();
    resultTypes.push_back(RankedTensorType::get(shape, global.getElementType()));
  }
  OperationState state(loc, moe.getName(), operands, resultTypes,
                       moe.getAttrs());
  Operation *local = b.create(state);

  // Combine the results by token.
  SmallVector<Value> partial;
  SmallVector<Type> combinedTypes;
  for (auto [index, result] : llvm::enumerate(local->getResults()))
    if (isTokenResult(moe, unsigned(index))) {
      partial.push_back(result);
      combinedTypes.push_back(rows(result.getType(), tokens));
    }
  auto combine = withReason(
      ExpertCombineOp::create(b, loc, combinedTypes, plan, indices, partial,
                              gridRef, axes, perRank),
      "expert parallel combine: " + name +
          (backward ? ": the tokens' and routing weights' gradients"
                    : ": the tokens' output") +
          ", each token's experts' parts summed on its rank");
  SmallVector<Value> results(local->getResults());
  for (auto [index, combined] : llvm::enumerate(combine.getOutputs()))
    results[index] = combined;
  return results;
}

} // namespace mlir::ds
