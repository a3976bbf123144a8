//===- ModelVjp.cpp - VJPs of matmul, norms, rotary, attention, MoE, loss --===//
//
// Norms and the loss are differentiated with ds ops (a later fusion pass makes
// each one kernel again); attention and the MoE ops use their dedicated
// backward ops, which recompute what they need as fused kernels do.
//
//===----------------------------------------------------------------------===//

#include "dialects/ds/DsDialect.h"
#include "dialects/ds/Vjp.h"

using namespace mlir;
using namespace mlir::ds;

static RankedTensorType tensorTypeOf(Value value) {
  return cast<RankedTensorType>(value.getType());
}

/// Norm statistics are computed in at least f32 (as the forward ops do).
static Type statisticsType(Type element) {
  return element.getIntOrFloatBitWidth() < 32
             ? Float32Type::get(element.getContext())
             : element;
}

//===----------------------------------------------------------------------===//
// Matmul
//===----------------------------------------------------------------------===//

/// `a · b` (each transposed as asked), with batch dimensions broadcast like
/// ds.matmul's, in `a`'s element type.
static Value buildMatmul(OpBuilder &b, Location loc, Value lhs, Value rhs,
                         bool transposeLhs, bool transposeRhs) {
  ArrayRef<int64_t> l = tensorTypeOf(lhs).getShape();
  ArrayRef<int64_t> r = tensorTypeOf(rhs).getShape();
  ArrayRef<int64_t> lb = l.drop_back(2), rb = r.drop_back(2);
  size_t rank = std::max(lb.size(), rb.size());
  SmallVector<int64_t> shape;
  for (size_t i = 0; i < rank; ++i) {
    int64_t x = i + lb.size() >= rank ? lb[i + lb.size() - rank] : 1;
    int64_t y = i + rb.size() >= rank ? rb[i + rb.size() - rank] : 1;
    shape.push_back(x == 1 ? y : x);
  }
  shape.push_back(transposeLhs ? l.back() : l[l.size() - 2]);
  shape.push_back(transposeRhs ? r[r.size() - 2] : r.back());
  auto type =
      RankedTensorType::get(shape, tensorTypeOf(lhs).getElementType());
  return MatmulOp::create(b, loc, type, lhs, rhs, transposeLhs, transposeRhs);
}

/// The operand `index` of a matmul and its gradient formula, in terms of the
/// other operand and the cotangent `g`, by which operands are transposed:
///   lhs:  nn: g·rᵀ   tn: r·gᵀ   nt: g·r   tt: rᵀ·gᵀ
///   rhs:  nn: lᵀ·g   tn: l·g    nt: gᵀ·l  tt: gᵀ·lᵀ
LogicalResult MatmulOp::buildVjp(VjpBuilder &vjp) {
  OpBuilder &b = vjp.builder();
  Location loc = vjp.loc();
  bool tl = getTransposeLhs(), tr = getTransposeRhs();
  RankedTensorType lhsType = tensorTypeOf(getLhs());
  RankedTensorType rhsType = tensorTypeOf(getRhs());
  // Mixed precision (say bf16 operands, f32 result): the backward GEMMs run
  // in the operands' type, like the forward one.
  Value g = vjp.castTo(vjp.cotangent(0), lhsType.getElementType());
  Value lhs = vjp.operand(0), rhs = vjp.operand(1);

  if (vjp.needsGradient(0)) {
    Value d;
    if (!tl)
      d = buildMatmul(b, loc, g,
                           rhs, false, !tr);
    else
      d = buildMatmul(b, loc, rhs,
                           g, tr, true);
    vjp.addBroadcastGradient(0, d);
  }
  if (vjp.needsGradient(1)) {
    Value d;
    // x·W with a rank-2 W: fold the batch dimensions of x and g into their
    // rows, so the weight gradient is one GEMM with no batch to sum.
    bool foldBatch = rhsType.getRank() == 2 && lhsType.getRank() > 2 && !tl &&
                     lhsType.hasStaticShape();
    Value l = lhs, gg = g;
    if (foldBatch) {
      int64_t k = lhsType.getShape().back();
      int64_t rows = lhsType.getNumElements() / std::max<int64_t>(k, 1);
      int64_t n = tensorTypeOf(g).getShape().back();
      l = ReshapeOp::create(b, loc,
                            RankedTensorType::get({rows, k},
                                                  lhsType.getElementType()),
                            lhs);
      gg = ReshapeOp::create(
          b, loc, RankedTensorType::get({rows, n}, lhsType.getElementType()), g);
    }
    if (!tr)
      d = buildMatmul(b, loc, l,
                           gg, !tl, false);
    else
      d = buildMatmul(b, loc, gg, l,
                           true, tl);
    vjp.addBroadcastGradient(1, d);
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Norms
//===----------------------------------------------------------------------===//

LogicalResult RmsNormOp::buildVjp(VjpBuilder &vjp) {
  // y = x̂ w with x̂ = x r, r = (mean(x²) + ε)^(-1/2):
  //   dw = Σ g x̂,  dx = r (g w − x̂ mean(g w x̂)).
  OpBuilder &b = vjp.builder();
  Location loc = vjp.loc();
  RankedTensorType inputType = tensorTypeOf(getInput());
  Type stats = statisticsType(inputType.getElementType());
  int64_t last = inputType.getRank() - 1;
  Value x = vjp.castTo(vjp.operand(0), stats);
  Value w = vjp.castTo(vjp.operand(1), stats);
  Value g = vjp.castTo(vjp.cotangent(0), stats);
  Value meanSquare = ReduceMeanOp::create(b, loc, SquareOp::create(b, loc, x),
                                          ArrayRef<int64_t>{last}, true);
  Value r = RsqrtOp::create(
      b, loc,
      AddOp::create(b, loc, meanSquare,
                    vjp.scalar(stats, getEpsilon().convertToDouble())));
  Value xhat = MulOp::create(b, loc, x, r);
  if (vjp.needsGradient(1))
    vjp.addBroadcastGradient(1, MulOp::create(b, loc, g, xhat));
  if (vjp.needsGradient(0)) {
    Value gw = MulOp::create(b, loc, g, w);
    Value mean = ReduceMeanOp::create(b, loc, MulOp::create(b, loc, gw, xhat),
                                      ArrayRef<int64_t>{last}, true);
    Value dx = MulOp::create(
        b, loc, r,
        SubOp::create(b, loc, gw, MulOp::create(b, loc, xhat, mean)));
    vjp.addGradient(0, vjp.castTo(dx, inputType.getElementType()));
  }
  return success();
}

LogicalResult LayerNormOp::buildVjp(VjpBuilder &vjp) {
  // y = x̂ w + b with x̂ = (x − μ) r, r = (var + ε)^(-1/2):
  //   dw = Σ g x̂,  db = Σ g,  dx = r (g w − mean(g w) − x̂ mean(g w x̂)).
  OpBuilder &b = vjp.builder();
  Location loc = vjp.loc();
  RankedTensorType inputType = tensorTypeOf(getInput());
  Type stats = statisticsType(inputType.getElementType());
  SmallVector<int64_t> axes = {inputType.getRank() - 1};
  Value x = vjp.castTo(vjp.operand(0), stats);
  Value w = vjp.castTo(vjp.operand(1), stats);
  Value g = vjp.castTo(vjp.cotangent(0), stats);
  Value mu = ReduceMeanOp::create(b, loc, x, axes, true);
  Value centered = SubOp::create(b, loc, x, mu);
  Value variance = ReduceMeanOp::create(
      b, loc, SquareOp::create(b, loc, centered), axes, true);
  Value r = RsqrtOp::create(
      b, loc,
      AddOp::create(b, loc, variance,
                    vjp.scalar(stats, getEpsilon().convertToDouble())));
  Value xhat = MulOp::create(b, loc, centered, r);
  if (vjp.needsGradient(1))
    vjp.addBroadcastGradient(1, MulOp::create(b, loc, g, xhat));
  if (getBias() && vjp.needsGradient(2))
    vjp.addBroadcastGradient(2, g);
  if (vjp.needsGradient(0)) {
    Value gw = MulOp::create(b, loc, g, w);
    Value meanGw = ReduceMeanOp::create(b, loc, gw, axes, true);
    Value meanGwx = ReduceMeanOp::create(
        b, loc, MulOp::create(b, loc, gw, xhat), axes, true);
    Value inner = SubOp::create(b, loc, SubOp::create(b, loc, gw, meanGw),
                                MulOp::create(b, loc, xhat, meanGwx));
    vjp.addGradient(0, vjp.castTo(MulOp::create(b, loc, r, inner),
                                  inputType.getElementType()));
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Rotary embedding, attention, MoE
//===----------------------------------------------------------------------===//

LogicalResult RopeOp::buildVjp(VjpBuilder &vjp) {
  // The rotation is linear in the input: its VJP is its transpose.
  vjp.addGradient(0, RopeOp::create(vjp.builder(), vjp.loc(), vjp.cotangent(0),
                                    vjp.operand(1), getStyle(), getTheta(),
                                    getOffset(), getDim(), getYarnAttr(),
                                    !getAdjoint()));
  return success();
}

LogicalResult AttentionOp::buildVjp(VjpBuilder &vjp) {
  auto grads = AttentionGradOp::create(
      vjp.builder(), vjp.loc(), vjp.operand(0), vjp.operand(1), vjp.operand(2),
      vjp.cotangent(0), getKeyLength() ? vjp.operand(3) : Value(), getCausal(),
      getScaleAttr(), getWindowAttr());
  for (unsigned i = 0; i < 3; ++i)
    if (vjp.needsGradient(i))
      vjp.addGradient(i, grads->getResult(i));
  return success();
}

LogicalResult MoeRouteOp::buildVjp(VjpBuilder &vjp) {
  // Only the weights depend smoothly on the logits; the choice of experts, and
  // with it the selection bias, gets no gradient.
  if (!vjp.needsGradient(0))
    return success();
  vjp.addGradient(0, MoeRouteGradOp::create(
                         vjp.builder(), vjp.loc(), vjp.operand(0),
                         vjp.result(1), vjp.cotangent(0), getScoringAttr(),
                         getNormTopkProbAttr(), getRoutedScalingFactorAttr()));
  return success();
}

LogicalResult MoeFfnOp::buildVjp(VjpBuilder &vjp) {
  auto grads = MoeFfnGradOp::create(
      vjp.builder(), vjp.loc(), vjp.operand(0), vjp.operand(1), vjp.operand(2),
      vjp.operand(3), vjp.operand(4), vjp.operand(5), vjp.cotangent(0));
  // Results: input, weights, gate, up, down; operand 2 (indices) has none.
  unsigned operandOf[] = {0, 1, 3, 4, 5};
  for (unsigned i = 0; i < 5; ++i)
    if (vjp.needsGradient(operandOf[i]))
      vjp.addGradient(operandOf[i], grads->getResult(i));
  return success();
}

//===----------------------------------------------------------------------===//
// Cross-entropy
//===----------------------------------------------------------------------===//

LogicalResult CrossEntropyOp::buildVjp(VjpBuilder &vjp) {
  // d loss / d logits[p] = (softmax(logits[p]) − onehot(targets[p])) · g / n
  // for the n positions whose target is not ignored; 0 for the others.
  OpBuilder &b = vjp.builder();
  Location loc = vjp.loc();
  RankedTensorType logitsType = tensorTypeOf(getLogits());
  RankedTensorType targetsType = tensorTypeOf(getTargets());
  if (!logitsType.hasStaticShape())
    return emitOpError("the backward pass needs static shapes");
  Type compute = tensorTypeOf(getResult()).getElementType();
  Type index = targetsType.getElementType();
  int64_t rank = logitsType.getRank();
  int64_t vocab = logitsType.getShape().back();

  Value logits = vjp.castTo(vjp.operand(0), compute);
  Value targets = vjp.operand(1);
  Value probabilities = SoftmaxOp::create(b, loc, logits, rank - 1);
  SmallVector<int64_t> keptShape(targetsType.getShape());
  keptShape.push_back(1);
  Value column = ReshapeOp::create(
      b, loc, RankedTensorType::get(keptShape, index), targets);
  Value classes =
      IotaOp::create(b, loc, RankedTensorType::get({vocab}, index), 0);
  Value isTarget =
      CompareOp::create(b, loc, CompareDirection::eq, column, classes);
  Value shifted = SelectOp::create(
      b, loc, isTarget,
      SubOp::create(b, loc, probabilities, vjp.scalar(compute, 1.0)),
      probabilities);

  Value counted = CompareOp::create(
      b, loc, CompareDirection::ne, column,
      vjp.scalar(index, static_cast<double>(
                                 static_cast<int64_t>(getIgnoreIndex()))));
  Value weight = vjp.castTo(counted, compute);
  SmallVector<int64_t> allAxes;
  for (int64_t d = 0; d < rank; ++d)
    allAxes.push_back(d);
  Value count = ReduceSumOp::create(b, loc, weight, allAxes, false);
  Value denominator =
      MaxOp::create(b, loc, count, vjp.scalar(compute, 1.0));
  Value scale = DivOp::create(b, loc, vjp.cotangent(0), denominator);
  Value d = MulOp::create(b, loc, MulOp::create(b, loc, shifted, weight),
                          scale);
  vjp.addGradient(0, vjp.castTo(d, logitsType.getElementType()));
  return success();
}
