//===- ModelLowering.cpp - ds model ops → kernel calls and linalg ----------===//
//
// The model ops split as XLA splits them: GEMMs go to BLAS and attention,
// MoE, rotary embedding, losses, gathers and scatters to the hand-written
// kernels of kernels/cpu (called on the tensors' buffers, see KernelCall);
// the norms are generated linalg reductions. Kernels exist in f32 and f64;
// narrower floats are widened to f32 around the call (the dialect computes
// them in at least f32) and the result rounded once. Index operands are
// passed as i64.
//
//===----------------------------------------------------------------------===//

#include "dialects/ds/DsDialect.h"
#include "passes/lower/LoweringUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/PatternMatch.h"

#include <numeric>

namespace mlir::ds::lowering {
namespace {

int64_t product(ArrayRef<int64_t> dims) {
  return std::accumulate(dims.begin(), dims.end(), int64_t{1},
                         std::multiplies<int64_t>());
}

/// f32 or f64: the type a kernel computes `element` in.
Type kernelType(Type element) {
  if (element.isF64())
    return element;
  return Float32Type::get(element.getContext());
}

/// The kernels cover f32 and f64 and, widened to f32, bf16 and f16. fp8
/// values have no LLVM arithmetic type; they are rejected with a diagnostic.
LogicalResult checkSupported(Operation *op, PatternRewriter &rewriter) {
  for (Type type : llvm::concat<Type>(op->getOperandTypes(),
                                      op->getResultTypes())) {
    Type element = cast<RankedTensorType>(type).getElementType();
    if (auto floatType = dyn_cast<FloatType>(element))
      if (floatType.getWidth() == 8)
        return op->emitOpError("the CPU backend does not support ")
               << element << " operands yet";
  }
  return success();
}

Value toKernel(OpBuilder &b, Location loc, Value tensor) {
  auto type = cast<RankedTensorType>(tensor.getType());
  return castTensor(b, loc, tensor, kernelType(type.getElementType()));
}

Value toIndices(OpBuilder &b, Location loc, Value tensor) {
  return castTensor(b, loc, tensor, b.getI64Type());
}

RankedTensorType withElement(Type type, Type element) {
  return cast<RankedTensorType>(type).clone(element);
}

std::string kernelName(StringRef base, Type element) {
  return (base + "_" + kernelSuffix(element)).str();
}

//===----------------------------------------------------------------------===//
// matmul
//===----------------------------------------------------------------------===//

struct MatmulPattern : OpRewritePattern<MatmulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MatmulOp op,
                                PatternRewriter &rewriter) const override {
    if (failed(checkSupported(op, rewriter)))
      return failure();
    Location loc = op.getLoc();
    auto resultType = op.getType();
    Value lhs = toKernel(rewriter, loc, op.getLhs());
    Value rhs = toKernel(rewriter, loc, op.getRhs());
    Type element = cast<RankedTensorType>(lhs.getType()).getElementType();
    auto lhsType = cast<RankedTensorType>(lhs.getType());
    auto rhsType = cast<RankedTensorType>(rhs.getType());
    bool transA = op.getTransposeLhs(), transB = op.getTransposeRhs();
    int64_t lr = lhsType.getRank(), rr = rhsType.getRank();
    int64_t M = lhsType.getDimSize(transA ? lr - 1 : lr - 2);
    int64_t K = lhsType.getDimSize(transA ? lr - 2 : lr - 1);
    int64_t N = rhsType.getDimSize(transB ? rr - 2 : rr - 1);
    ArrayRef<int64_t> batchShape = resultType.getShape().drop_back(2);
    int64_t batch = product(batchShape);

    // x @ W with a shared W: one GEMM over all rows of x.
    if (rr == 2 && !transA && lr > 2) {
      int64_t rows = lhsType.getNumElements() / K;
      Value flat = reshapeTensor(
          rewriter, loc, lhs, RankedTensorType::get({rows, K}, element));
      KernelCall call(rewriter, loc, kernelName("ds_matmul", element));
      call.input(flat).input(rhs);
      call.output(RankedTensorType::get({rows, N}, element));
      call.i64(1).i64(rows).i64(N).i64(K).i32(0).i32(transB).i64(0).i64(0);
      Value out = call.emit(op)[0];
      out = reshapeTensor(rewriter, loc, out,
                          withElement(resultType, element));
      rewriter.replaceOp(op, castTensor(rewriter, loc, out,
                                        resultType.getElementType()));
      return success();
    }

    // Otherwise each operand is either shared by every batch (stride 0),
    // already of the full batch shape, or broadcast to it first.
    auto batchOperand = [&](Value operand, int64_t rows, int64_t cols,
                            int64_t &stride) -> Value {
      auto type = cast<RankedTensorType>(operand.getType());
      if (type.getRank() == 2) {
        stride = 0;
        return operand;
      }
      stride = rows * cols;
      ArrayRef<int64_t> own = type.getShape().drop_back(2);
      if (own == batchShape)
        return operand;
      SmallVector<int64_t> full(batchShape);
      full.push_back(type.getDimSize(type.getRank() - 2));
      full.push_back(type.getDimSize(type.getRank() - 1));
      return buildElementwise(
          rewriter, loc, RankedTensorType::get(full, element), operand,
          [](OpBuilder &, Location, ValueRange args) { return args[0]; });
    };
    int64_t strideA, strideB;
    Value a = batchOperand(lhs, M, K, strideA);
    Value b = batchOperand(rhs, K, N, strideB);
    KernelCall call(rewriter, loc, kernelName("ds_matmul", element));
    call.input(a).input(b);
    call.output(RankedTensorType::get({batch, M, N}, element));
    call.i64(batch).i64(M).i64(N).i64(K).i32(transA).i32(transB)
        .i64(strideA).i64(strideB);
    Value out = call.emit(op)[0];
    out = reshapeTensor(rewriter, loc, out, withElement(resultType, element));
    rewriter.replaceOp(op, castTensor(rewriter, loc, out,
                                      resultType.getElementType()));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Norms (generated)
//===----------------------------------------------------------------------===//

/// Maps of a rank-`rank` loop nest: the identity, all but the last loop, and
/// only the last loop.
struct RowMaps {
  AffineMap all, rows, lastOnly;
  RowMaps(MLIRContext *ctx, int64_t rank) {
    all = AffineMap::getMultiDimIdentityMap(rank, ctx);
    SmallVector<AffineExpr> leading;
    for (int64_t d = 0; d + 1 < rank; ++d)
      leading.push_back(getAffineDimExpr(d, ctx));
    rows = AffineMap::get(rank, 0, leading, ctx);
    lastOnly = AffineMap::get(rank, 0, getAffineDimExpr(rank - 1, ctx), ctx);
  }
};

/// Per row: 1 / sqrt(statistic / D + epsilon).
Value inverseRoot(OpBuilder &b, Location loc, Value statistic, int64_t D,
                  double epsilon) {
  auto type = cast<RankedTensorType>(statistic.getType());
  Type t = type.getElementType();
  return buildElementwise(
      b, loc, type, statistic, [&](OpBuilder &nb, Location nl, ValueRange args) {
        Value mean = arith::DivFOp::create(nb, nl, args[0],
                                           scalarConstant(nb, nl, t, double(D)));
        Value shifted = arith::AddFOp::create(
            nb, nl, mean, scalarConstant(nb, nl, t, epsilon));
        return arith::DivFOp::create(nb, nl, scalarConstant(nb, nl, t, 1.0),
                                     math::SqrtOp::create(nb, nl, shifted));
      });
}

struct RmsNormPattern : OpRewritePattern<RmsNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(RmsNormOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = op.getType();
    int64_t rank = type.getRank(), D = type.getDimSize(rank - 1);
    Type acc = computeType(type.getElementType());
    Value x = castTensor(rewriter, loc, op.getInput(), acc);
    Value w = castTensor(rewriter, loc, op.getWeight(), acc);
    Value squares = buildReduction(
        rewriter, loc, x, {rank - 1}, acc, 0.0,
        [](OpBuilder &b, Location l, Value a, Value v) -> Value {
          return arith::AddFOp::create(b, l, a, arith::MulFOp::create(b, l, v, v));
        });
    Value inverse = inverseRoot(rewriter, loc, squares, D,
                                op.getEpsilon().convertToDouble());
    RowMaps maps(op.getContext(), rank);
    Value init = tensor::EmptyOp::create(rewriter, loc, type.getShape(),
                                         type.getElementType());
    Type element = type.getElementType();
    Value result = buildGeneric(
        rewriter, loc, init, ValueRange{x, inverse, w},
        {maps.all, maps.rows, maps.lastOnly}, maps.all,
        SmallVector<bool>(rank, false),
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value scaled = arith::MulFOp::create(b, l, args[0], args[1]);
          return castScalar(b, l, arith::MulFOp::create(b, l, scaled, args[2]),
                            element);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct LayerNormPattern : OpRewritePattern<LayerNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LayerNormOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = op.getType();
    int64_t rank = type.getRank(), D = type.getDimSize(rank - 1);
    Type acc = computeType(type.getElementType());
    Value x = castTensor(rewriter, loc, op.getInput(), acc);
    Value w = castTensor(rewriter, loc, op.getWeight(), acc);
    RowMaps maps(op.getContext(), rank);
    Value sum = buildReduction(
        rewriter, loc, x, {rank - 1}, acc, 0.0,
        [](OpBuilder &b, Location l, Value a, Value v) -> Value {
          return arith::AddFOp::create(b, l, a, v);
        });
    auto rowType = cast<RankedTensorType>(sum.getType());
    Value mean = buildElementwise(
        rewriter, loc, rowType, sum,
        [&](OpBuilder &b, Location l, ValueRange args) -> Value {
          return arith::DivFOp::create(b, l, args[0],
                                       scalarConstant(b, l, acc, double(D)));
        });
    Value zero = scalarConstant(rewriter, loc, acc, 0.0);
    Value varianceInit =
        linalg::FillOp::create(rewriter, loc, zero,
                               tensor::EmptyOp::create(rewriter, loc,
                                                       rowType.getShape(), acc)
                                   .getResult())
            .getResult(0);
    SmallVector<bool> reduceLast(rank, false);
    reduceLast[rank - 1] = true;
    Value squares = buildGeneric(
        rewriter, loc, varianceInit, ValueRange{x, mean},
        {maps.all, maps.rows}, maps.rows, reduceLast,
        [](OpBuilder &b, Location l, ValueRange args) -> Value {
          Value centred = arith::SubFOp::create(b, l, args[0], args[1]);
          return arith::AddFOp::create(
              b, l, args[2], arith::MulFOp::create(b, l, centred, centred));
        });
    Value inverse = inverseRoot(rewriter, loc, squares, D,
                                op.getEpsilon().convertToDouble());
    SmallVector<Value> inputs{x, mean, inverse, w};
    SmallVector<AffineMap> inputMaps{maps.all, maps.rows, maps.rows,
                                     maps.lastOnly};
    if (Value bias = op.getBias()) {
      inputs.push_back(castTensor(rewriter, loc, bias, acc));
      inputMaps.push_back(maps.lastOnly);
    }
    Value init = tensor::EmptyOp::create(rewriter, loc, type.getShape(),
                                         type.getElementType());
    Type element = type.getElementType();
    bool hasBias = inputs.size() == 5;
    Value result = buildGeneric(
        rewriter, loc, init, inputs, inputMaps, maps.all,
        SmallVector<bool>(rank, false),
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value centred = arith::SubFOp::create(b, l, args[0], args[1]);
          Value value = arith::MulFOp::create(
              b, l, arith::MulFOp::create(b, l, centred, args[2]), args[3]);
          if (hasBias)
            value = arith::AddFOp::create(b, l, value, args[4]);
          return castScalar(b, l, value, element);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Kernel-backed ops
//===----------------------------------------------------------------------===//

struct RopePattern : OpRewritePattern<RopeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(RopeOp op,
                                PatternRewriter &rewriter) const override {
    if (failed(checkSupported(op, rewriter)))
      return failure();
    Location loc = op.getLoc();
    auto type = op.getType();
    int64_t rank = type.getRank();
    int64_t T = type.getDimSize(rank - 3), H = type.getDimSize(rank - 2),
            D = type.getDimSize(rank - 1);
    auto offset = static_cast<int64_t>(op.getOffset());
    auto dim = static_cast<int64_t>(op.getDim());
    if (offset + dim > D)
      return op.emitOpError("rotated channels [")
             << offset << ", " << offset + dim << ") exceed the head size "
             << D;
    double magnitude;
    std::vector<double> frequencies = op.frequencies(magnitude);
    auto tableType = RankedTensorType::get(
        {static_cast<int64_t>(frequencies.size())}, rewriter.getF64Type());
    Value table = arith::ConstantOp::create(
        rewriter, loc,
        DenseElementsAttr::get(tableType, ArrayRef<double>(frequencies)));
    Value input = toKernel(rewriter, loc, op.getInput());
    Type element = cast<RankedTensorType>(input.getType()).getElementType();
    auto positionsType = cast<RankedTensorType>(op.getPositions().getType());
    KernelCall call(rewriter, loc, kernelName("ds_rope", element));
    call.input(input).input(toIndices(rewriter, loc, op.getPositions()));
    call.output(withElement(type, element));
    call.i64(type.getNumElements() / std::max<int64_t>(T * H * D, 1))
        .i64(T).i64(H).i64(D).i64(offset).i64(dim)
        .i32(op.getStyle() == RopeStyle::interleaved)
        .i32(positionsType.getRank() == 1);
    call.input(table).f64(magnitude).i32(op.getAdjoint());
    Value out = call.emit(op)[0];
    rewriter.replaceOp(op, castTensor(rewriter, loc, out,
                                      type.getElementType()));
    return success();
  }
};

/// A rank-0 integer tensor as an i64 scalar.
Value scalarI64(OpBuilder &b, Location loc, Value tensor) {
  Value element = tensor::ExtractOp::create(b, loc, tensor, ValueRange{});
  if (element.getType().isInteger(64))
    return element;
  return arith::ExtSIOp::create(b, loc, b.getI64Type(), element);
}

/// The shape and mask arguments shared by attention and its gradient; the
/// key length is the `key_length` operand when there is one, else Tk.
void attentionArguments(OpBuilder &b, Location loc, KernelCall &call,
                        Value query, Value key, Value value, Value keyLength,
                        bool causal, std::optional<APFloat> scale,
                        std::optional<uint64_t> window) {
  auto q = cast<RankedTensorType>(query.getType());
  auto k = cast<RankedTensorType>(key.getType());
  auto v = cast<RankedTensorType>(value.getType());
  int64_t Dqk = q.getDimSize(3);
  double s = scale ? scale->convertToDouble() : 1.0 / std::sqrt(double(Dqk));
  call.i64(q.getDimSize(0)).i64(q.getDimSize(1)).i64(k.getDimSize(1))
      .i64(q.getDimSize(2)).i64(k.getDimSize(2)).i64(Dqk)
      .i64(v.getDimSize(3)).f64(s).i32(causal)
      .i64(window ? static_cast<int64_t>(*window) : 0);
  if (keyLength)
    call.value(scalarI64(b, loc, keyLength));
  else
    call.i64(k.getDimSize(1));
}

struct AttentionPattern : OpRewritePattern<AttentionOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AttentionOp op,
                                PatternRewriter &rewriter) const override {
    if (failed(checkSupported(op, rewriter)))
      return failure();
    Location loc = op.getLoc();
    Value q = toKernel(rewriter, loc, op.getQuery());
    Value k = toKernel(rewriter, loc, op.getKey());
    Value v = toKernel(rewriter, loc, op.getValue());
    Type element = cast<RankedTensorType>(q.getType()).getElementType();
    KernelCall call(rewriter, loc, kernelName("ds_attention", element));
    call.input(q).input(k).input(v);
    call.output(withElement(op.getType(), element));
    attentionArguments(rewriter, loc, call, q, k, v, op.getKeyLength(),
                       op.getCausal(), op.getScale(), op.getWindow());
    Value out = call.emit(op)[0];
    rewriter.replaceOp(op, castTensor(rewriter, loc, out,
                                      op.getType().getElementType()));
    return success();
  }
};

struct AttentionGradPattern : OpRewritePattern<AttentionGradOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AttentionGradOp op,
                                PatternRewriter &rewriter) const override {
    if (failed(checkSupported(op, rewriter)))
      return failure();
    Location loc = op.getLoc();
    Value q = toKernel(rewriter, loc, op.getQuery());
    Value k = toKernel(rewriter, loc, op.getKey());
    Value v = toKernel(rewriter, loc, op.getValue());
    Value dout = toKernel(rewriter, loc, op.getGrad());
    Type element = cast<RankedTensorType>(q.getType()).getElementType();
    KernelCall call(rewriter, loc, kernelName("ds_attention_grad", element));
    call.input(q).input(k).input(v).input(dout);
    for (Value result : op->getResults())
      call.output(withElement(result.getType(), element));
    attentionArguments(rewriter, loc, call, q, k, v, op.getKeyLength(),
                       op.getCausal(), op.getScale(), op.getWindow());
    SmallVector<Value> outs = call.emit(op);
    for (auto [out, result] : llvm::zip(outs, op->getResults()))
      out = castTensor(rewriter, loc, out,
                       cast<RankedTensorType>(result.getType()).getElementType());
    rewriter.replaceOp(op, outs);
    return success();
  }
};

struct MoeRoutePattern : OpRewritePattern<MoeRouteOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MoeRouteOp op,
                                PatternRewriter &rewriter) const override {
    if (failed(checkSupported(op, rewriter)))
      return failure();
    Location loc = op.getLoc();
    Value logits = toKernel(rewriter, loc, op.getLogits());
    auto logitsType = cast<RankedTensorType>(logits.getType());
    Type element = logitsType.getElementType();
    KernelCall call(rewriter, loc, kernelName("ds_moe_route", element));
    call.input(logits);
    if (Value bias = op.getBias())
      call.input(toKernel(rewriter, loc, bias));
    else
      call.nullPointer();
    auto weightsType = op.getWeights().getType();
    call.output(withElement(weightsType, element));
    call.output(withElement(op.getIndices().getType(), rewriter.getI64Type()));
    call.i64(logitsType.getDimSize(0)).i64(logitsType.getDimSize(1))
        .i64(op.getTopK()).i64(op.getNGroup()).i64(op.getTopkGroup())
        .i32(op.getScoring() == ScoringFunc::sigmoid)
        .i32(op.getGroupScore() == GroupScore::top2_sum)
        .i32(op.getNormTopkProb())
        .f64(op.getRoutedScalingFactor().convertToDouble());
    SmallVector<Value> outs = call.emit(op);
    Value weights = castTensor(rewriter, loc, outs[0],
                               weightsType.getElementType());
    Value indices = castTensor(rewriter, loc, outs[1],
                               op.getIndices().getType().getElementType());
    rewriter.replaceOp(op, {weights, indices});
    return success();
  }
};

/// Ops whose kernels check indices take the status and a site first.
struct CheckedKernelCall : KernelCall {
  CheckedKernelCall(PatternRewriter &rewriter, Operation *op, StringRef name,
                    SiteTable &sites)
      : KernelCall(rewriter, op->getLoc(), name) {
    status(statusOf(op));
    i32(sites.add(op));
  }
};

struct MoeRouteGradPattern : OpRewritePattern<MoeRouteGradOp> {
  MoeRouteGradPattern(MLIRContext *ctx, SiteTable &sites)
      : OpRewritePattern(ctx), sites(sites) {}
  LogicalResult matchAndRewrite(MoeRouteGradOp op,
                                PatternRewriter &rewriter) const override {
    if (failed(checkSupported(op, rewriter)))
      return failure();
    Location loc = op.getLoc();
    Value logits = toKernel(rewriter, loc, op.getLogits());
    auto logitsType = cast<RankedTensorType>(logits.getType());
    Type element = logitsType.getElementType();
    auto indicesType = cast<RankedTensorType>(op.getIndices().getType());
    CheckedKernelCall call(rewriter, op, kernelName("ds_moe_route_grad", element),
                           sites);
    call.input(logits).input(toIndices(rewriter, loc, op.getIndices()))
        .input(toKernel(rewriter, loc, op.getGrad()));
    call.output(withElement(op.getType(), element));
    call.i64(logitsType.getDimSize(0)).i64(logitsType.getDimSize(1))
        .i64(indicesType.getDimSize(1))
        .i32(op.getScoring() == ScoringFunc::sigmoid)
        .i32(op.getNormTopkProb())
        .f64(op.getRoutedScalingFactor().convertToDouble());
    Value out = call.emit(op)[0];
    rewriter.replaceOp(op, castTensor(rewriter, loc, out,
                                      op.getType().getElementType()));
    return success();
  }
  SiteTable &sites;
};

/// N, D, K, E, I of a moe_ffn / moe_ffn_grad.
void moeSizes(KernelCall &call, Value input, Value weights, Value down) {
  auto x = cast<RankedTensorType>(input.getType());
  auto w = cast<RankedTensorType>(weights.getType());
  auto d = cast<RankedTensorType>(down.getType());
  call.i64(x.getDimSize(0)).i64(x.getDimSize(1)).i64(w.getDimSize(1))
      .i64(d.getDimSize(0)).i64(d.getDimSize(2));
}

struct MoeFfnPattern : OpRewritePattern<MoeFfnOp> {
  MoeFfnPattern(MLIRContext *ctx, SiteTable &sites)
      : OpRewritePattern(ctx), sites(sites) {}
  LogicalResult matchAndRewrite(MoeFfnOp op,
                                PatternRewriter &rewriter) const override {
    if (failed(checkSupported(op, rewriter)))
      return failure();
    Location loc = op.getLoc();
    Value x = toKernel(rewriter, loc, op.getInput());
    Type element = cast<RankedTensorType>(x.getType()).getElementType();
    CheckedKernelCall call(rewriter, op, kernelName("ds_moe_ffn", element),
                           sites);
    call.input(x).input(toKernel(rewriter, loc, op.getWeights()))
        .input(toIndices(rewriter, loc, op.getIndices()))
        .input(toKernel(rewriter, loc, op.getGate()))
        .input(toKernel(rewriter, loc, op.getUp()))
        .input(toKernel(rewriter, loc, op.getDown()));
    call.output(withElement(op.getType(), element));
    moeSizes(call, op.getInput(), op.getWeights(), op.getDown());
    Value out = call.emit(op)[0];
    rewriter.replaceOp(op, castTensor(rewriter, loc, out,
                                      op.getType().getElementType()));
    return success();
  }
  SiteTable &sites;
};

struct MoeFfnGradPattern : OpRewritePattern<MoeFfnGradOp> {
  MoeFfnGradPattern(MLIRContext *ctx, SiteTable &sites)
      : OpRewritePattern(ctx), sites(sites) {}
  LogicalResult matchAndRewrite(MoeFfnGradOp op,
                                PatternRewriter &rewriter) const override {
    if (failed(checkSupported(op, rewriter)))
      return failure();
    Location loc = op.getLoc();
    Value x = toKernel(rewriter, loc, op.getInput());
    Type element = cast<RankedTensorType>(x.getType()).getElementType();
    CheckedKernelCall call(rewriter, op, kernelName("ds_moe_ffn_grad", element),
                           sites);
    call.input(x).input(toKernel(rewriter, loc, op.getWeights()))
        .input(toIndices(rewriter, loc, op.getIndices()))
        .input(toKernel(rewriter, loc, op.getGate()))
        .input(toKernel(rewriter, loc, op.getUp()))
        .input(toKernel(rewriter, loc, op.getDown()))
        .input(toKernel(rewriter, loc, op.getGrad()));
    for (Value result : op->getResults())
      call.output(withElement(result.getType(), element));
    moeSizes(call, op.getInput(), op.getWeights(), op.getDown());
    SmallVector<Value> outs = call.emit(op);
    for (auto [out, result] : llvm::zip(outs, op->getResults()))
      out = castTensor(rewriter, loc, out,
                       cast<RankedTensorType>(result.getType()).getElementType());
    rewriter.replaceOp(op, outs);
    return success();
  }
  SiteTable &sites;
};

struct CrossEntropyPattern : OpRewritePattern<CrossEntropyOp> {
  CrossEntropyPattern(MLIRContext *ctx, SiteTable &sites)
      : OpRewritePattern(ctx), sites(sites) {}
  LogicalResult matchAndRewrite(CrossEntropyOp op,
                                PatternRewriter &rewriter) const override {
    if (failed(checkSupported(op, rewriter)))
      return failure();
    Location loc = op.getLoc();
    Value logits = toKernel(rewriter, loc, op.getLogits());
    auto logitsType = cast<RankedTensorType>(logits.getType());
    Type element = logitsType.getElementType();
    int64_t V = logitsType.getDimSize(logitsType.getRank() - 1);
    CheckedKernelCall call(rewriter, op, kernelName("ds_cross_entropy", element),
                           sites);
    call.input(logits).input(toIndices(rewriter, loc, op.getTargets()));
    call.output(withElement(op.getType(), element));
    call.i64(logitsType.getNumElements() / std::max<int64_t>(V, 1)).i64(V)
        .i64(static_cast<int64_t>(op.getIgnoreIndex()));
    Value out = call.emit(op)[0];
    rewriter.replaceOp(op, castTensor(rewriter, loc, out,
                                      op.getType().getElementType()));
    return success();
  }
  SiteTable &sites;
};

/// outer = Π dims before `axis`, inner = Π dims after it.
void splitAround(RankedTensorType type, int64_t axis, int64_t &outer,
                 int64_t &inner) {
  outer = product(type.getShape().take_front(axis));
  inner = product(type.getShape().drop_front(axis + 1));
}

struct GatherPattern : OpRewritePattern<GatherOp> {
  GatherPattern(MLIRContext *ctx, SiteTable &sites)
      : OpRewritePattern(ctx), sites(sites) {}
  LogicalResult matchAndRewrite(GatherOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto inputType = cast<RankedTensorType>(op.getInput().getType());
    auto indicesType = cast<RankedTensorType>(op.getIndices().getType());
    auto axis = static_cast<int64_t>(op.getAxis());
    int64_t outer, inner;
    splitAround(inputType, axis, outer, inner);
    int64_t elementBytes = std::max<int64_t>(
        inputType.getElementTypeBitWidth() / 8, 1);
    CheckedKernelCall call(rewriter, op, "ds_gather", sites);
    call.input(op.getInput()).input(toIndices(rewriter, loc, op.getIndices()));
    call.output(op.getType());
    call.i64(outer).i64(inputType.getDimSize(axis)).i64(inner * elementBytes)
        .i64(indicesType.getNumElements());
    rewriter.replaceOp(op, call.emit(op)[0]);
    return success();
  }
  SiteTable &sites;
};

struct ScatterAddPattern : OpRewritePattern<ScatterAddOp> {
  ScatterAddPattern(MLIRContext *ctx, SiteTable &sites)
      : OpRewritePattern(ctx), sites(sites) {}
  LogicalResult matchAndRewrite(ScatterAddOp op,
                                PatternRewriter &rewriter) const override {
    if (failed(checkSupported(op, rewriter)))
      return failure();
    Location loc = op.getLoc();
    auto type = op.getType();
    Type element = type.getElementType();
    // The kernels add f32, f64, i32 and i64; other types are added in the
    // next wider one and rounded once.
    Type kernelElement = isa<FloatType>(element) ? kernelType(element)
                         : element.getIntOrFloatBitWidth() > 32
                             ? rewriter.getI64Type()
                             : rewriter.getI32Type();
    StringRef suffix = isa<FloatType>(kernelElement)
                           ? kernelSuffix(kernelElement)
                           : (kernelElement.isInteger(64) ? "i64" : "i32");
    auto indicesType = cast<RankedTensorType>(op.getIndices().getType());
    auto axis = static_cast<int64_t>(op.getAxis());
    int64_t outer, inner;
    splitAround(type, axis, outer, inner);
    CheckedKernelCall call(rewriter, op, ("ds_scatter_add_" + suffix).str(),
                           sites);
    call.input(castTensor(rewriter, loc, op.getUpdates(), kernelElement))
        .input(toIndices(rewriter, loc, op.getIndices()));
    call.output(type.clone(kernelElement));
    call.i64(outer).i64(type.getDimSize(axis)).i64(inner)
        .i64(indicesType.getNumElements());
    Value out = call.emit(op)[0];
    rewriter.replaceOp(op, castTensor(rewriter, loc, out, element));
    return success();
  }
  SiteTable &sites;
};

} // namespace

void populateModelLowering(RewritePatternSet &patterns, SiteTable &sites) {
  MLIRContext *ctx = patterns.getContext();
  patterns.add<MatmulPattern, RmsNormPattern, LayerNormPattern, RopePattern,
               AttentionPattern, AttentionGradPattern, MoeRoutePattern>(ctx);
  patterns.add<MoeRouteGradPattern, MoeFfnPattern, MoeFfnGradPattern,
               CrossEntropyPattern, GatherPattern, ScatterAddPattern>(ctx,
                                                                      sites);
}

} // namespace mlir::ds::lowering
