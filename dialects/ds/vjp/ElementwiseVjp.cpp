//===- ElementwiseVjp.cpp - VJPs of the elementwise ops --------------------===//
//
// Each rule reads the op's forward values through `vjp.operand/result` and
// builds the operands' gradients with ds ops. Binary ops broadcast, so their
// gradients are summed back to each operand's shape (addBroadcastGradient).
//
//===----------------------------------------------------------------------===//

#include "dialects/ds/DsDialect.h"
#include "dialects/ds/Vjp.h"

using namespace mlir;
using namespace mlir::ds;

static Type elementTypeOf(Value value) {
  return cast<RankedTensorType>(value.getType()).getElementType();
}

//===----------------------------------------------------------------------===//
// Binary ops
//===----------------------------------------------------------------------===//

LogicalResult AddOp::buildVjp(VjpBuilder &vjp) {
  Value g = vjp.cotangent(0);
  vjp.addBroadcastGradient(0, g);
  vjp.addBroadcastGradient(1, g);
  return success();
}

LogicalResult SubOp::buildVjp(VjpBuilder &vjp) {
  OpBuilder &b = vjp.builder();
  Value g = vjp.cotangent(0);
  vjp.addBroadcastGradient(0, g);
  if (vjp.needsGradient(1))
    vjp.addBroadcastGradient(1, NegOp::create(b, vjp.loc(), g));
  return success();
}

LogicalResult MulOp::buildVjp(VjpBuilder &vjp) {
  OpBuilder &b = vjp.builder();
  Value g = vjp.cotangent(0);
  if (vjp.needsGradient(0))
    vjp.addBroadcastGradient(0, MulOp::create(b, vjp.loc(), g, vjp.operand(1)));
  if (vjp.needsGradient(1))
    vjp.addBroadcastGradient(1, MulOp::create(b, vjp.loc(), g, vjp.operand(0)));
  return success();
}

LogicalResult DivOp::buildVjp(VjpBuilder &vjp) {
  OpBuilder &b = vjp.builder();
  Location loc = vjp.loc();
  Value g = vjp.cotangent(0);
  Value rhs = vjp.operand(1);
  Value gOverRhs = DivOp::create(b, loc, g, rhs);
  vjp.addBroadcastGradient(0, gOverRhs);
  // d(l/r)/dr = -(l/r) / r.
  if (vjp.needsGradient(1))
    vjp.addBroadcastGradient(
        1, NegOp::create(b, loc, MulOp::create(b, loc, gOverRhs, vjp.result(0))));
  return success();
}

/// max/min: the gradient goes to the operand that was chosen (to `lhs` on a
/// tie, as the forward op returns it).
static void buildSelectionVjp(VjpBuilder &vjp, CompareDirection lhsWins) {
  OpBuilder &b = vjp.builder();
  Location loc = vjp.loc();
  Value g = vjp.cotangent(0);
  Value mask =
      CompareOp::create(b, loc, lhsWins, vjp.operand(0), vjp.operand(1));
  Value zero = vjp.scalar(elementTypeOf(g), 0.0);
  if (vjp.needsGradient(0))
    vjp.addBroadcastGradient(0, SelectOp::create(b, loc, mask, g, zero));
  if (vjp.needsGradient(1))
    vjp.addBroadcastGradient(1, SelectOp::create(b, loc, mask, zero, g));
}

LogicalResult MaxOp::buildVjp(VjpBuilder &vjp) {
  buildSelectionVjp(vjp, CompareDirection::ge);
  return success();
}

LogicalResult MinOp::buildVjp(VjpBuilder &vjp) {
  buildSelectionVjp(vjp, CompareDirection::le);
  return success();
}

LogicalResult PowOp::buildVjp(VjpBuilder &vjp) {
  OpBuilder &b = vjp.builder();
  Location loc = vjp.loc();
  Value g = vjp.cotangent(0);
  Value base = vjp.operand(0), exponent = vjp.operand(1);
  if (vjp.needsGradient(0)) {
    // d(b^e)/db = e * b^(e-1).
    Value one = vjp.scalar(elementTypeOf(g), 1.0);
    Value lower = PowOp::create(b, loc, base,
                                SubOp::create(b, loc, exponent, one));
    vjp.addBroadcastGradient(
        0, MulOp::create(b, loc, g, MulOp::create(b, loc, exponent, lower)));
  }
  if (vjp.needsGradient(1)) {
    // d(b^e)/de = b^e * ln(b).
    Value logBase = LogOp::create(b, loc, base);
    vjp.addBroadcastGradient(
        1, MulOp::create(b, loc, g,
                         MulOp::create(b, loc, vjp.result(0), logBase)));
  }
  return success();
}

LogicalResult SelectOp::buildVjp(VjpBuilder &vjp) {
  OpBuilder &b = vjp.builder();
  Location loc = vjp.loc();
  Value g = vjp.cotangent(0);
  Value condition = vjp.operand(0);
  Value zero = vjp.scalar(elementTypeOf(g), 0.0);
  if (vjp.needsGradient(1))
    vjp.addBroadcastGradient(1, SelectOp::create(b, loc, condition, g, zero));
  if (vjp.needsGradient(2))
    vjp.addBroadcastGradient(2, SelectOp::create(b, loc, condition, zero, g));
  return success();
}

//===----------------------------------------------------------------------===//
// Unary ops: dx = g * f'(x), with f'(x) written in terms of x or y = f(x)
//===----------------------------------------------------------------------===//

/// Adds `g * derivative` as the gradient of the single operand.
static LogicalResult addScaled(VjpBuilder &vjp, Value derivative) {
  Value g = vjp.cotangent(0);
  vjp.addGradient(0, MulOp::create(vjp.builder(), vjp.loc(), g, derivative));
  return success();
}

LogicalResult NegOp::buildVjp(VjpBuilder &vjp) {
  vjp.addGradient(0, NegOp::create(vjp.builder(), vjp.loc(), vjp.cotangent(0)));
  return success();
}

LogicalResult AbsOp::buildVjp(VjpBuilder &vjp) {
  OpBuilder &b = vjp.builder();
  Location loc = vjp.loc();
  Value g = vjp.cotangent(0);
  Value negative =
      CompareOp::create(b, loc, CompareDirection::lt, vjp.operand(0),
                        vjp.scalar(elementTypeOf(g), 0.0));
  vjp.addGradient(0, SelectOp::create(b, loc, negative,
                                      NegOp::create(b, loc, g), g));
  return success();
}

LogicalResult SquareOp::buildVjp(VjpBuilder &vjp) {
  Value x = vjp.operand(0);
  Value two = vjp.scalar(elementTypeOf(x), 2.0);
  return addScaled(vjp, MulOp::create(vjp.builder(), vjp.loc(), x, two));
}

LogicalResult ReluOp::buildVjp(VjpBuilder &vjp) {
  OpBuilder &b = vjp.builder();
  Location loc = vjp.loc();
  Value g = vjp.cotangent(0);
  Value zero = vjp.scalar(elementTypeOf(g), 0.0);
  Value positive =
      CompareOp::create(b, loc, CompareDirection::gt, vjp.operand(0), zero);
  vjp.addGradient(0, SelectOp::create(b, loc, positive, g, zero));
  return success();
}

LogicalResult ExpOp::buildVjp(VjpBuilder &vjp) {
  return addScaled(vjp, vjp.result(0));
}

LogicalResult LogOp::buildVjp(VjpBuilder &vjp) {
  vjp.addGradient(0, DivOp::create(vjp.builder(), vjp.loc(), vjp.cotangent(0),
                                   vjp.operand(0)));
  return success();
}

LogicalResult SqrtOp::buildVjp(VjpBuilder &vjp) {
  // d sqrt(x) = 1 / (2 sqrt(x)).
  OpBuilder &b = vjp.builder();
  Value y = vjp.result(0);
  Value twiceY =
      MulOp::create(b, vjp.loc(), y, vjp.scalar(elementTypeOf(y), 2.0));
  vjp.addGradient(0, DivOp::create(b, vjp.loc(), vjp.cotangent(0), twiceY));
  return success();
}

LogicalResult RsqrtOp::buildVjp(VjpBuilder &vjp) {
  // d x^(-1/2) = -1/2 x^(-3/2) = -y³/2.
  OpBuilder &b = vjp.builder();
  Location loc = vjp.loc();
  Value y = vjp.result(0);
  Value cube = MulOp::create(b, loc, MulOp::create(b, loc, y, y), y);
  return addScaled(
      vjp, MulOp::create(b, loc, cube, vjp.scalar(elementTypeOf(y), -0.5)));
}

LogicalResult TanhOp::buildVjp(VjpBuilder &vjp) {
  // 1 - y².
  OpBuilder &b = vjp.builder();
  Location loc = vjp.loc();
  Value y = vjp.result(0);
  Value one = vjp.scalar(elementTypeOf(y), 1.0);
  return addScaled(vjp,
                   SubOp::create(b, loc, one, MulOp::create(b, loc, y, y)));
}

LogicalResult SigmoidOp::buildVjp(VjpBuilder &vjp) {
  // y (1 - y).
  OpBuilder &b = vjp.builder();
  Location loc = vjp.loc();
  Value y = vjp.result(0);
  Value one = vjp.scalar(elementTypeOf(y), 1.0);
  return addScaled(vjp,
                   MulOp::create(b, loc, y, SubOp::create(b, loc, one, y)));
}

LogicalResult SiluOp::buildVjp(VjpBuilder &vjp) {
  // d(x s(x)) = s (1 + x (1 - s)).
  OpBuilder &b = vjp.builder();
  Location loc = vjp.loc();
  Value x = vjp.operand(0);
  Value s = SigmoidOp::create(b, loc, x);
  Value one = vjp.scalar(elementTypeOf(x), 1.0);
  Value inner = AddOp::create(
      b, loc, one, MulOp::create(b, loc, x, SubOp::create(b, loc, one, s)));
  return addScaled(vjp, MulOp::create(b, loc, s, inner));
}

LogicalResult SinOp::buildVjp(VjpBuilder &vjp) {
  return addScaled(vjp, CosOp::create(vjp.builder(), vjp.loc(), vjp.operand(0)));
}

LogicalResult CosOp::buildVjp(VjpBuilder &vjp) {
  OpBuilder &b = vjp.builder();
  Location loc = vjp.loc();
  return addScaled(vjp,
                   NegOp::create(b, loc, SinOp::create(b, loc, vjp.operand(0))));
}

LogicalResult GeluOp::buildVjp(VjpBuilder &vjp) {
  vjp.addGradient(0, GeluGradOp::create(vjp.builder(), vjp.loc(),
                                        vjp.operand(0), vjp.cotangent(0),
                                        getApproximate()));
  return success();
}

LogicalResult CastOp::buildVjp(VjpBuilder &vjp) {
  // Float to float: the gradient converts back. (Integers get no gradient.)
  if (!vjp.needsGradient(0))
    return success();
  vjp.addGradient(0,
                  vjp.castTo(vjp.cotangent(0), elementTypeOf(getInput())));
  return success();
}
