//===- CollectiveLowering.cpp - shard collectives → runtime calls ---------===//
//
// The collectives --ds-shard writes (upstream's shard.all_reduce,
// reduce_scatter, all_gather, all_slice) become calls of kernels/cpu/Collectives.h, which
// reach the other ranks through the communicator the runtime gives the run
// (ds_status.comm): one artifact runs on MPI or NCCL, and model.so links
// no transport. A collective over some axes of a 2-D grid runs on the
// group of ranks along them (a bitmask of the axes in the call).
//
//===----------------------------------------------------------------------===//

#include "passes/lower/LoweringUtils.h"

#include "dialects/ds/DsDialect.h"

#include "mlir/Dialect/Shard/IR/ShardOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/PatternMatch.h"

#include <type_traits>

namespace mlir::ds::lowering {
namespace {

/// ds_comm_dtype (kernels/cpu/Collectives.h) of an element type, or -1.
int32_t commDType(Type element) {
  if (element.isF64())
    return 0;
  if (element.isF32())
    return 1;
  if (element.isF16())
    return 2;
  if (element.isBF16())
    return 3;
  if (element.isInteger(64))
    return 6;
  if (element.isInteger(32))
    return 7;
  return -1;
}

/// The ranks a collective over `axes` of its grid spans, and the axes as the
/// bitmask the kernels take (kernels/cpu/Collectives.h); failure (reported
/// at `op`) when the axes are not listed in increasing order, the order in
/// which the runtime numbers a group's ranks.
struct Group {
  int64_t size;
  int64_t axes;
};

FailureOr<Group> groupOf(Operation *op, FlatSymbolRefAttr gridName,
                         ArrayRef<shard::GridAxis> axes,
                         PatternRewriter &rewriter) {
  SymbolTableCollection symbols;
  shard::GridOp grid = shard::getGridOrNull(op, gridName, symbols);
  if (!grid)
    return rewriter.notifyMatchFailure(op, "no grid");
  int64_t mask = 0;
  for (size_t i = 0; i < axes.size(); ++i) {
    if (axes[i] < 0 || axes[i] >= grid.getRank() || axes[i] >= 62 ||
        (i > 0 && axes[i] <= axes[i - 1])) {
      op->emitOpError("runs over grid axes that are not distinct axes of @")
          << grid.getSymName() << " in increasing order";
      return failure();
    }
    mask |= int64_t(1) << axes[i];
  }
  return Group{shard::collectiveProcessGroupSize(axes, grid), mask};
}

/// [outer, size of `axis`, inner] of `type`.
std::array<int64_t, 3> around(RankedTensorType type, int64_t axis) {
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d)
    outer *= type.getDimSize(d);
  for (int64_t d = axis + 1; d < type.getRank(); ++d)
    inner *= type.getDimSize(d);
  return {outer, type.getDimSize(axis), inner};
}

int64_t elementBytes(Type element) {
  return std::max<int64_t>(int64_t(element.getIntOrFloatBitWidth()) / 8, 1);
}

/// The ds_comm_dtype and ds_comm_reduction of a reducing collective
/// (reported at `op` when the runtime has none).
template <typename Op>
FailureOr<std::pair<int32_t, int32_t>> reductionOf(Op op) {
  auto type = cast<RankedTensorType>(op.getInput().getType());
  auto resultType = cast<RankedTensorType>(op.getResult().getType());
  const int32_t dtype = commDType(type.getElementType());
  if (dtype < 0 || resultType.getElementType() != type.getElementType())
    return op.emitOpError("reduces ")
           << type.getElementType() << " into " << resultType.getElementType()
           << "; the runtime reduces f64, f32, f16, bf16, i64 and i32 in "
              "their own type";
  switch (op.getReduction()) {
  case shard::ReductionKind::Sum:
    return std::pair(dtype, int32_t(0));
  case shard::ReductionKind::Max:
    return std::pair(dtype, int32_t(1));
  case shard::ReductionKind::Min:
    return std::pair(dtype, int32_t(2));
  default:
    return op.emitOpError("has a reduction the runtime does not implement "
                          "(sum, max and min)");
  }
}

/// all_reduce (the reduction over the ranks, whole on each) and
/// reduce_scatter (each rank keeps its block of it along the scatter axis).
template <typename Op>
struct ReducingPattern : OpRewritePattern<Op> {
  ReducingPattern(MLIRContext *ctx, SiteTable &sites)
      : OpRewritePattern<Op>(ctx), sites(sites) {}
  LogicalResult matchAndRewrite(Op op,
                                PatternRewriter &rewriter) const override {
    constexpr bool scatter = std::is_same_v<Op, shard::ReduceScatterOp>;
    auto input = cast<RankedTensorType>(op.getInput().getType());
    auto result = cast<RankedTensorType>(op.getResult().getType());
    FailureOr<std::pair<int32_t, int32_t>> reduction = reductionOf(op);
    if (failed(reduction))
      return failure();
    FailureOr<Group> group =
        groupOf(op, op.getGridAttr(), op.getGridAxes(), rewriter);
    if (failed(group))
      return failure();
    KernelCall call(rewriter, op.getLoc(),
                    scatter ? "ds_collective_reduce_scatter"
                            : "ds_collective_all_reduce");
    call.status(statusOf(op)).i32(sites.add(op)).input(op.getInput());
    call.output(result);
    if constexpr (scatter) {
      auto [outer, local, inner] =
          around(result, op.getScatterAxis().getSExtValue());
      call.i64(outer).i64(local).i64(inner);
    } else {
      call.i64(input.getNumElements());
    }
    call.i32(reduction->first).i32(reduction->second).i64(group->size)
        .i64(group->axes);
    rewriter.replaceOp(op, call.emit(op));
    return success();
  }
  SiteTable &sites;
};

/// all_gather and all_slice: blocks along one axis.
template <typename Op, bool gather>
struct AxisCollectivePattern : OpRewritePattern<Op> {
  AxisCollectivePattern(MLIRContext *ctx, SiteTable &sites)
      : OpRewritePattern<Op>(ctx), sites(sites) {}
  LogicalResult matchAndRewrite(Op op,
                                PatternRewriter &rewriter) const override {
    auto input = cast<RankedTensorType>(op.getInput().getType());
    auto result = cast<RankedTensorType>(op.getResult().getType());
    int64_t axis;
    if constexpr (gather)
      axis = op.getGatherAxis().getSExtValue();
    else
      axis = op.getSliceAxis().getSExtValue();
    FailureOr<Group> group =
        groupOf(op, op.getGridAttr(), op.getGridAxes(), rewriter);
    if (failed(group))
      return failure();
    // The local (per-rank) side: the gather's input, the slice's result.
    auto [outer, local, inner] = around(gather ? input : result, axis);
    KernelCall call(rewriter, op.getLoc(),
                    gather ? "ds_collective_all_gather"
                           : "ds_collective_all_slice");
    call.status(statusOf(op)).i32(sites.add(op)).input(op.getInput());
    call.output(result);
    call.i64(outer).i64(local).i64(inner)
        .i64(elementBytes(input.getElementType())).i64(group->size)
        .i64(group->axes);
    rewriter.replaceOp(op, call.emit(op));
    return success();
  }
  SiteTable &sites;
};

/// The arguments every kernel of kernels/cpu/ExpertExchange.h takes.
struct ExpertExchange {
  Location loc;
  int32_t site;
  Value indices; ///< as i64
  Group group;
  int64_t tokens, topK, expertsPerRank;
};

/// The rewrite of one of ds.expert_plan / expert_dispatch / expert_combine
/// into kernel calls, given what they all take (`rewrite`).
template <typename Op>
struct ExpertExchangePattern : OpRewritePattern<Op> {
  ExpertExchangePattern(MLIRContext *ctx, SiteTable &sites)
      : OpRewritePattern<Op>(ctx), sites(sites) {}

  LogicalResult matchAndRewrite(Op op,
                                PatternRewriter &rewriter) const override {
    FailureOr<Group> group =
        groupOf(op, op.getGridAttr(),
                ArrayRef<shard::GridAxis>(op.getGridAxes()), rewriter);
    if (failed(group))
      return failure();
    auto indices = cast<RankedTensorType>(op.getIndices().getType());
    const ExpertExchange x{
        op.getLoc(),
        sites.add(op),
        castTensor(rewriter, op.getLoc(), op.getIndices(),
                   rewriter.getI64Type()),
        *group,
        indices.getDimSize(0),
        indices.getDimSize(1),
        int64_t(op.getExpertsPerRank())};
    rewriter.replaceOp(op, rewrite(op, x, rewriter));
    return success();
  }

  /// A call of `kernel` with the status, site and `leading` tensors; the
  /// caller adds its output and the sizes.
  static KernelCall call(PatternRewriter &rewriter, Op op,
                         const ExpertExchange &x, StringRef kernel,
                         ValueRange leading) {
    KernelCall call(rewriter, x.loc, kernel);
    call.status(statusOf(op)).i32(x.site);
    for (Value tensor : leading)
      call.input(tensor);
    return call;
  }

  virtual SmallVector<Value> rewrite(Op op, const ExpertExchange &x,
                                     PatternRewriter &rewriter) const = 0;

  SiteTable &sites;
};

/// ds.expert_plan → ds_expert_plan.
struct ExpertPlanPattern : ExpertExchangePattern<ExpertPlanOp> {
  using ExpertExchangePattern::ExpertExchangePattern;
  SmallVector<Value> rewrite(ExpertPlanOp op, const ExpertExchange &x,
                             PatternRewriter &rewriter) const override {
    KernelCall plan = call(rewriter, op, x, "ds_expert_plan", {x.indices});
    plan.output(cast<RankedTensorType>(op.getType()));
    plan.i64(x.tokens).i64(x.topK).i64(x.expertsPerRank).i64(x.group.size)
        .i64(x.group.axes);
    return plan.emit(op);
  }
};

/// ds.expert_dispatch → one ds_expert_dispatch per input (rows of bytes),
/// then ds_expert_dispatch_indices.
struct ExpertDispatchPattern : ExpertExchangePattern<ExpertDispatchOp> {
  using ExpertExchangePattern::ExpertExchangePattern;
  SmallVector<Value> rewrite(ExpertDispatchOp op, const ExpertExchange &x,
                             PatternRewriter &rewriter) const override {
    SmallVector<Value> results;
    for (auto [input, result] : llvm::zip(op.getInputs(), op.getOutputs())) {
      auto type = cast<RankedTensorType>(result.getType());
      KernelCall rows = call(rewriter, op, x, "ds_expert_dispatch",
                             {op.getCounts(), x.indices, input});
      rows.output(type);
      rows.i64(x.tokens).i64(x.topK).i64(x.expertsPerRank)
          .i64(type.getNumElements() /
               std::max<int64_t>(type.getDimSize(0), 1) *
               elementBytes(type.getElementType()))
          .i64(x.group.size).i64(x.group.axes);
      results.push_back(rows.emit(op)[0]);
    }
    auto localType = cast<RankedTensorType>(op.getLocalIndices().getType());
    KernelCall local = call(rewriter, op, x, "ds_expert_dispatch_indices",
                            {op.getCounts(), x.indices});
    local.output(localType.clone(rewriter.getI64Type()));
    local.i64(x.tokens).i64(x.topK).i64(x.expertsPerRank).i64(x.group.size)
        .i64(x.group.axes);
    results.push_back(castTensor(rewriter, x.loc, local.emit(op)[0],
                                 localType.getElementType()));
    return results;
  }
};

/// ds.expert_combine → one ds_expert_combine per input, in f32 or f64.
struct ExpertCombinePattern : ExpertExchangePattern<ExpertCombineOp> {
  using ExpertExchangePattern::ExpertExchangePattern;
  SmallVector<Value> rewrite(ExpertCombineOp op, const ExpertExchange &x,
                             PatternRewriter &rewriter) const override {
    SmallVector<Value> results;
    for (auto [input, result] : llvm::zip(op.getInputs(), op.getOutputs())) {
      auto type = cast<RankedTensorType>(result.getType());
      Type element = computeType(type.getElementType());
      KernelCall sum = call(
          rewriter, op, x, "ds_expert_combine",
          {op.getCounts(), x.indices,
           castTensor(rewriter, x.loc, input, element)});
      sum.output(type.clone(element));
      sum.i64(x.tokens).i64(x.topK).i64(x.expertsPerRank)
          .i64(type.getNumElements() / std::max<int64_t>(x.tokens, 1))
          .i32(commDType(element)).i64(x.group.size).i64(x.group.axes);
      results.push_back(castTensor(rewriter, x.loc, sum.emit(op)[0],
                                   type.getElementType()));
    }
    return results;
  }
};

} // namespace

void populateCollectiveLowering(RewritePatternSet &patterns, SiteTable &sites) {
  patterns.add<ExpertPlanPattern, ExpertDispatchPattern, ExpertCombinePattern>(
      patterns.getContext(), sites);
  patterns.add<ReducingPattern<shard::AllReduceOp>,
               ReducingPattern<shard::ReduceScatterOp>,
               AxisCollectivePattern<shard::AllGatherOp, true>,
               AxisCollectivePattern<shard::AllSliceOp, false>>(
      patterns.getContext(), sites);
}

} // namespace mlir::ds::lowering
