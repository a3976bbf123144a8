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
    call.value(statusOf(op)).i32(sites.add(op)).input(op.getInput());
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
    call.value(statusOf(op)).i32(sites.add(op)).input(op.getInput());
    call.output(result);
    call.i64(outer).i64(local).i64(inner)
        .i64(elementBytes(input.getElementType())).i64(group->size)
        .i64(group->axes);
    rewriter.replaceOp(op, call.emit(op));
    return success();
  }
  SiteTable &sites;
};

/// The leading arguments of every kernel of kernels/cpu/ExpertExchange.h
/// after the status and site: the plan and the indices (as i64).
struct ExpertExchange {
  Group group;
  int64_t tokens, topK;
};

template <typename Op>
FailureOr<ExpertExchange> expertExchange(Op op, PatternRewriter &rewriter) {
  FailureOr<Group> group =
      groupOf(op, op.getGridAttr(),
              ArrayRef<shard::GridAxis>(op.getGridAxes()), rewriter);
  if (failed(group))
    return failure();
  auto indices = cast<RankedTensorType>(op.getIndices().getType());
  return ExpertExchange{*group, indices.getDimSize(0), indices.getDimSize(1)};
}

Value asI64(PatternRewriter &rewriter, Location loc, Value tensor) {
  return castTensor(rewriter, loc, tensor, rewriter.getI64Type());
}

/// ds.expert_plan → ds_expert_plan.
struct ExpertPlanPattern : OpRewritePattern<ExpertPlanOp> {
  ExpertPlanPattern(MLIRContext *ctx, SiteTable &sites)
      : OpRewritePattern(ctx), sites(sites) {}
  LogicalResult matchAndRewrite(ExpertPlanOp op,
                                PatternRewriter &rewriter) const override {
    FailureOr<ExpertExchange> x = expertExchange(op, rewriter);
    if (failed(x))
      return failure();
    KernelCall call(rewriter, op.getLoc(), "ds_expert_plan");
    call.value(statusOf(op)).i32(sites.add(op))
        .input(asI64(rewriter, op.getLoc(), op.getIndices()));
    call.output(cast<RankedTensorType>(op.getType()));
    call.i64(x->tokens).i64(x->topK).i64(op.getExpertsPerRank())
        .i64(x->group.size).i64(x->group.axes);
    rewriter.replaceOp(op, call.emit(op));
    return success();
  }
  SiteTable &sites;
};

/// ds.expert_dispatch → one ds_expert_dispatch per input (rows of bytes),
/// then ds_expert_dispatch_indices.
struct ExpertDispatchPattern : OpRewritePattern<ExpertDispatchOp> {
  ExpertDispatchPattern(MLIRContext *ctx, SiteTable &sites)
      : OpRewritePattern(ctx), sites(sites) {}
  LogicalResult matchAndRewrite(ExpertDispatchOp op,
                                PatternRewriter &rewriter) const override {
    FailureOr<ExpertExchange> x = expertExchange(op, rewriter);
    if (failed(x))
      return failure();
    const Location loc = op.getLoc();
    const int32_t site = sites.add(op);
    Value indices = asI64(rewriter, loc, op.getIndices());
    SmallVector<Value> results;
    auto start = [&](StringRef kernel, Value input, RankedTensorType type) {
      KernelCall call(rewriter, loc, kernel);
      call.value(statusOf(op)).i32(site).input(op.getCounts()).input(indices);
      if (input)
        call.input(input);
      call.output(type);
      call.i64(x->tokens).i64(x->topK).i64(op.getExpertsPerRank());
      return call;
    };
    for (auto [input, result] : llvm::zip(op.getInputs(), op.getOutputs())) {
      auto type = cast<RankedTensorType>(result.getType());
      KernelCall call = start("ds_expert_dispatch", input, type);
      call.i64(type.getNumElements() / std::max<int64_t>(type.getDimSize(0), 1) *
               elementBytes(type.getElementType()))
          .i64(x->group.size).i64(x->group.axes);
      results.push_back(call.emit(op)[0]);
    }
    auto localType = cast<RankedTensorType>(op.getLocalIndices().getType());
    KernelCall call = start("ds_expert_dispatch_indices", Value(),
                            localType.clone(rewriter.getI64Type()));
    call.i64(x->group.size).i64(x->group.axes);
    results.push_back(castTensor(rewriter, loc, call.emit(op)[0],
                                 localType.getElementType()));
    rewriter.replaceOp(op, results);
    return success();
  }
  SiteTable &sites;
};

/// ds.expert_combine → one ds_expert_combine per input, in f32 or f64.
struct ExpertCombinePattern : OpRewritePattern<ExpertCombineOp> {
  ExpertCombinePattern(MLIRContext *ctx, SiteTable &sites)
      : OpRewritePattern(ctx), sites(sites) {}
  LogicalResult matchAndRewrite(ExpertCombineOp op,
                                PatternRewriter &rewriter) const override {
    FailureOr<ExpertExchange> x = expertExchange(op, rewriter);
    if (failed(x))
      return failure();
    const Location loc = op.getLoc();
    const int32_t site = sites.add(op);
    Value indices = asI64(rewriter, loc, op.getIndices());
    SmallVector<Value> results;
    for (auto [input, result] : llvm::zip(op.getInputs(), op.getOutputs())) {
      auto type = cast<RankedTensorType>(result.getType());
      Type element = computeType(type.getElementType());
      KernelCall call(rewriter, loc, "ds_expert_combine");
      call.value(statusOf(op)).i32(site).input(op.getCounts()).input(indices)
          .input(castTensor(rewriter, loc, input, element));
      call.output(type.clone(element));
      call.i64(x->tokens).i64(x->topK).i64(op.getExpertsPerRank())
          .i64(type.getNumElements() / std::max<int64_t>(x->tokens, 1))
          .i32(commDType(element)).i64(x->group.size).i64(x->group.axes);
      results.push_back(castTensor(rewriter, loc, call.emit(op)[0],
                                   type.getElementType()));
    }
    rewriter.replaceOp(op, results);
    return success();
  }
  SiteTable &sites;
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
