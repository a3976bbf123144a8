//===- ShapeLowering.cpp - ds shape ops, reductions and softmax → linalg ---===//
//
// Shape ops become tensor ops (slices, inserts, reshapes), which
// bufferization turns into views wherever the layout allows, or
// linalg.transpose / broadcasting linalg.generic ops. Reductions and softmax
// become linalg.generic reductions computed in at least f32.
//
//===----------------------------------------------------------------------===//

#include "dialects/ds/DsDialect.h"
#include "passes/lower/LoweringUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/PatternMatch.h"

#include <limits>

namespace mlir::ds::lowering {
namespace {

SmallVector<OpFoldResult> indexFolds(OpBuilder &b, ArrayRef<int64_t> values) {
  return getAsIndexOpFoldResult(b.getContext(), values);
}

struct ReshapePattern : OpRewritePattern<ReshapeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ReshapeOp op,
                                PatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, reshapeTensor(rewriter, op.getLoc(), op.getInput(),
                                         op.getType()));
    return success();
  }
};

struct TransposePattern : OpRewritePattern<TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(TransposeOp op,
                                PatternRewriter &rewriter) const override {
    auto type = op.getType();
    Value init = tensor::EmptyOp::create(rewriter, op.getLoc(),
                                         type.getShape(), type.getElementType());
    auto transpose = linalg::TransposeOp::create(
        rewriter, op.getLoc(), op.getInput(), init, op.getPermutation());
    rewriter.replaceOp(op, transpose.getResult());
    return success();
  }
};

struct BroadcastPattern : OpRewritePattern<BroadcastOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(BroadcastOp op,
                                PatternRewriter &rewriter) const override {
    Value result = buildElementwise(
        rewriter, op.getLoc(), op.getType(), op.getInput(),
        [](OpBuilder &, Location, ValueRange args) { return args[0]; });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct SlicePattern : OpRewritePattern<SliceOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SliceOp op,
                                PatternRewriter &rewriter) const override {
    auto type = op.getType();
    SmallVector<int64_t> strides(type.getRank(), 1);
    if (auto given = op.getStrides())
      strides.assign(given->begin(), given->end());
    Value slice = tensor::ExtractSliceOp::create(
        rewriter, op.getLoc(), type, op.getInput(),
        indexFolds(rewriter, op.getStarts()),
        indexFolds(rewriter, type.getShape()), indexFolds(rewriter, strides));
    rewriter.replaceOp(op, slice);
    return success();
  }
};

struct SplitPattern : OpRewritePattern<SplitOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SplitOp op,
                                PatternRewriter &rewriter) const override {
    auto axis = static_cast<int64_t>(op.getAxis());
    int64_t start = 0;
    SmallVector<Value> pieces;
    for (Value result : op.getResults()) {
      auto type = cast<RankedTensorType>(result.getType());
      SmallVector<int64_t> offsets(type.getRank(), 0);
      offsets[axis] = start;
      start += type.getDimSize(axis);
      SmallVector<int64_t> ones(type.getRank(), 1);
      pieces.push_back(tensor::ExtractSliceOp::create(
          rewriter, op.getLoc(), type, op.getInput(),
          indexFolds(rewriter, offsets), indexFolds(rewriter, type.getShape()),
          indexFolds(rewriter, ones)));
    }
    rewriter.replaceOp(op, pieces);
    return success();
  }
};

/// Inserts `piece` into `into` at `offsets` with `strides`.
Value insertInto(OpBuilder &b, Location loc, Value piece, Value into,
                 ArrayRef<int64_t> offsets, ArrayRef<int64_t> strides) {
  auto type = cast<RankedTensorType>(piece.getType());
  return tensor::InsertSliceOp::create(b, loc, piece, into,
                                       indexFolds(b, offsets),
                                       indexFolds(b, type.getShape()),
                                       indexFolds(b, strides));
}

/// tensor.insert_slice at a run-time offset on the axis, clamped to
/// [0, size − update size] so the write stays in bounds.
struct DynamicUpdateSlicePattern : OpRewritePattern<DynamicUpdateSliceOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DynamicUpdateSliceOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto target = cast<RankedTensorType>(op.getTarget().getType());
    auto update = cast<RankedTensorType>(op.getUpdate().getType());
    auto axis = static_cast<int64_t>(op.getAxis());
    if (target.isDynamicDim(axis) || update.isDynamicDim(axis))
      return op.emitOpError("needs a static size on the update axis");
    Value start =
        tensor::ExtractOp::create(rewriter, loc, op.getStart(), ValueRange{});
    start = arith::IndexCastOp::create(rewriter, loc, rewriter.getIndexType(),
                                       start);
    Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
    Value last = arith::ConstantIndexOp::create(
        rewriter, loc, target.getDimSize(axis) - update.getDimSize(axis));
    start = arith::MaxSIOp::create(rewriter, loc, start, zero);
    start = arith::MinSIOp::create(rewriter, loc, start, last);
    SmallVector<OpFoldResult> offsets(target.getRank(),
                                      rewriter.getIndexAttr(0));
    offsets[axis] = start;
    SmallVector<int64_t> ones(target.getRank(), 1);
    Value result = tensor::InsertSliceOp::create(
        rewriter, loc, op.getUpdate(), op.getTarget(), offsets,
        indexFolds(rewriter, update.getShape()), indexFolds(rewriter, ones));
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct ConcatPattern : OpRewritePattern<ConcatOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ConcatOp op,
                                PatternRewriter &rewriter) const override {
    auto type = op.getType();
    auto axis = static_cast<int64_t>(op.getAxis());
    Value result = tensor::EmptyOp::create(rewriter, op.getLoc(),
                                           type.getShape(),
                                           type.getElementType());
    SmallVector<int64_t> offsets(type.getRank(), 0);
    SmallVector<int64_t> ones(type.getRank(), 1);
    for (Value input : op.getInputs()) {
      result = insertInto(rewriter, op.getLoc(), input, result, offsets, ones);
      offsets[axis] += cast<RankedTensorType>(input.getType()).getDimSize(axis);
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct PadPattern : OpRewritePattern<PadOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(PadOp op,
                                PatternRewriter &rewriter) const override {
    auto type = op.getType();
    Location loc = op.getLoc();
    Value empty = tensor::EmptyOp::create(rewriter, loc, type.getShape(),
                                          type.getElementType());
    Value zero = scalarConstant(rewriter, loc, type.getElementType(), 0.0);
    Value zeros = linalg::FillOp::create(rewriter, loc, zero, empty).getResult(0);
    SmallVector<int64_t> strides(type.getRank(), 1);
    if (auto interior = op.getInterior())
      for (auto [stride, gap] : llvm::zip(strides, *interior))
        stride = gap + 1;
    rewriter.replaceOp(op, insertInto(rewriter, loc, op.getInput(), zeros,
                                      op.getLow(), strides));
    return success();
  }
};

/// The reduced tensor reshaped to the op's result type (keep_dims) and cast
/// to its element type.
Value finishReduction(OpBuilder &b, Location loc, Value reduced,
                      RankedTensorType resultType) {
  Value cast = castTensor(b, loc, reduced, resultType.getElementType());
  return reshapeTensor(b, loc, cast, resultType);
}

template <typename OpTy>
struct ReducePattern : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto inputType = cast<RankedTensorType>(op.getInput().getType());
    Type element = inputType.getElementType();
    Type acc = computeType(element);
    bool isFloat = isa<FloatType>(acc);
    // Sums of f32 accumulate in f64: a gradient norm sums millions of
    // squares, and f32 accumulation would lose digits in proportion.
    if (!std::is_same_v<OpTy, ReduceMaxOp> && acc.isF32())
      acc = Float64Type::get(op.getContext());
    Value reduced;
    if constexpr (std::is_same_v<OpTy, ReduceMaxOp>) {
      double lowest = isFloat ? -std::numeric_limits<double>::infinity()
                              : -std::ldexp(1.0, acc.getIntOrFloatBitWidth() - 1);
      reduced = buildReduction(
          rewriter, loc, op.getInput(), op.getAxes(), acc, lowest,
          [&](OpBuilder &b, Location l, Value a, Value x) -> Value {
            if (isFloat)
              return arith::MaximumFOp::create(b, l, a, x);
            return arith::MaxSIOp::create(b, l, a, x);
          });
    } else {
      reduced = buildReduction(
          rewriter, loc, op.getInput(), op.getAxes(), acc, 0.0,
          [&](OpBuilder &b, Location l, Value a, Value x) -> Value {
            if (isFloat)
              return arith::AddFOp::create(b, l, a, x);
            return arith::AddIOp::create(b, l, a, x);
          });
      if constexpr (std::is_same_v<OpTy, ReduceMeanOp>) {
        int64_t count = 1;
        for (int64_t axis : op.getAxes())
          count *= inputType.getDimSize(axis);
        auto reducedType = cast<RankedTensorType>(reduced.getType());
        reduced = buildElementwise(
            rewriter, loc, reducedType, reduced,
            [&](OpBuilder &b, Location l, ValueRange args) -> Value {
              return arith::DivFOp::create(
                  b, l, args[0], scalarConstant(b, l, acc, double(count)));
            });
      }
    }
    rewriter.replaceOp(op, finishReduction(rewriter, loc, reduced,
                                           op.getType()));
    return success();
  }
};

/// softmax / log_softmax along one axis: the maximum, the sum of
/// exponentials shifted by it, then the normalisation, each a linalg.generic.
template <typename OpTy>
struct SoftmaxPattern : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = op.getContext();
    auto type = op.getType();
    auto axis = static_cast<int64_t>(op.getAxis());
    int64_t rank = type.getRank();
    Type acc = computeType(type.getElementType());
    Value input = castTensor(rewriter, loc, op.getInput(), acc);

    Value maximum = buildReduction(
        rewriter, loc, input, {axis}, acc,
        -std::numeric_limits<double>::infinity(),
        [](OpBuilder &b, Location l, Value a, Value x) -> Value {
          return arith::MaximumFOp::create(b, l, a, x);
        });
    SmallVector<AffineExpr> kept;
    SmallVector<int64_t> keptShape;
    for (int64_t d = 0; d < rank; ++d)
      if (d != axis) {
        kept.push_back(getAffineDimExpr(d, ctx));
        keptShape.push_back(type.getDimSize(d));
      }
    AffineMap identity = AffineMap::getMultiDimIdentityMap(rank, ctx);
    AffineMap dropAxis = AffineMap::get(rank, 0, kept, ctx);

    Value zero = scalarConstant(rewriter, loc, acc, 0.0);
    Value sumInit = linalg::FillOp::create(
                        rewriter, loc, zero,
                        tensor::EmptyOp::create(rewriter, loc, keptShape, acc)
                            .getResult())
                        .getResult(0);
    SmallVector<bool> reduceAxis(rank, false);
    reduceAxis[axis] = true;
    Value sum = buildGeneric(
        rewriter, loc, sumInit, ValueRange{input, maximum}, {identity, dropAxis},
        dropAxis, reduceAxis,
        [](OpBuilder &b, Location l, ValueRange args) -> Value {
          Value shifted = arith::SubFOp::create(b, l, args[0], args[1]);
          return arith::AddFOp::create(b, l, args[2],
                                       math::ExpOp::create(b, l, shifted));
        });

    Value init = tensor::EmptyOp::create(rewriter, loc, type.getShape(),
                                         type.getElementType());
    Type element = type.getElementType();
    Value result = buildGeneric(
        rewriter, loc, init, ValueRange{input, maximum, sum},
        {identity, dropAxis, dropAxis}, identity,
        SmallVector<bool>(rank, false),
        [&](OpBuilder &b, Location l, ValueRange args) -> Value {
          Value shifted = arith::SubFOp::create(b, l, args[0], args[1]);
          Value value;
          if constexpr (std::is_same_v<OpTy, SoftmaxOp>)
            value = arith::DivFOp::create(b, l, math::ExpOp::create(b, l, shifted),
                                          args[2]);
          else
            value = arith::SubFOp::create(b, l, shifted,
                                          math::LogOp::create(b, l, args[2]));
          return castScalar(b, l, value, element);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void populateShapeLowering(RewritePatternSet &patterns, SiteTable &) {
  patterns.add<ReshapePattern, TransposePattern, BroadcastPattern,
               SlicePattern, SplitPattern, ConcatPattern, PadPattern,
               DynamicUpdateSlicePattern,
               ReducePattern<ReduceSumOp>, ReducePattern<ReduceMeanOp>,
               ReducePattern<ReduceMaxOp>, SoftmaxPattern<SoftmaxOp>,
               SoftmaxPattern<LogSoftmaxOp>>(patterns.getContext());
}

} // namespace mlir::ds::lowering
