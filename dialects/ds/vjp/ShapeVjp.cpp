//===- ShapeVjp.cpp - VJPs of reductions, softmax and shape ops ------------===//

#include "dialects/ds/DsDialect.h"
#include "dialects/ds/Vjp.h"

using namespace mlir;
using namespace mlir::ds;

static RankedTensorType tensorTypeOf(Value value) {
  return cast<RankedTensorType>(value.getType());
}

/// The shape `type` has after reducing `axes` with keep_dims.
static RankedTensorType keptDimsType(RankedTensorType type,
                                     ArrayRef<int64_t> axes, Type element) {
  SmallVector<int64_t> shape(type.getShape());
  for (int64_t axis : axes)
    shape[axis] = 1;
  return RankedTensorType::get(shape, element);
}

/// `g`, the cotangent of a reduction of `input` over `axes`, reshaped to the
/// kept-dims shape so that it broadcasts against the input.
static Value withKeptDims(VjpBuilder &vjp, Value g, RankedTensorType input,
                          ArrayRef<int64_t> axes) {
  RankedTensorType kept =
      keptDimsType(input, axes, tensorTypeOf(g).getElementType());
  if (tensorTypeOf(g) == kept)
    return g;
  return ReshapeOp::create(vjp.builder(), vjp.loc(), kept, g);
}

//===----------------------------------------------------------------------===//
// Reductions and softmax
//===----------------------------------------------------------------------===//

LogicalResult ReduceSumOp::buildVjp(VjpBuilder &vjp) {
  RankedTensorType input = tensorTypeOf(getInput());
  Value g = withKeptDims(vjp, vjp.cotangent(0), input, getAxes());
  vjp.addGradient(0, vjp.broadcastTo(g, input));
  return success();
}

LogicalResult ReduceMeanOp::buildVjp(VjpBuilder &vjp) {
  RankedTensorType input = tensorTypeOf(getInput());
  int64_t count = 1;
  for (int64_t axis : getAxes())
    count *= input.getDimSize(axis);
  if (ShapedType::isDynamic(count) || count <= 0)
    return emitOpError("the backward pass needs static reduced dimensions");
  Value g = withKeptDims(vjp, vjp.cotangent(0), input, getAxes());
  g = MulOp::create(vjp.builder(), vjp.loc(), g,
                    vjp.scalar(input.getElementType(), 1.0 / count));
  vjp.addGradient(0, vjp.broadcastTo(g, input));
  return success();
}

LogicalResult ReduceMaxOp::buildVjp(VjpBuilder &vjp) {
  // The gradient is shared equally by the elements equal to the maximum.
  OpBuilder &b = vjp.builder();
  Location loc = vjp.loc();
  RankedTensorType input = tensorTypeOf(getInput());
  Type element = input.getElementType();
  Value x = vjp.operand(0);
  Value maximum = withKeptDims(vjp, vjp.result(0), input, getAxes());
  Value isMax = CompareOp::create(b, loc, CompareDirection::eq, x, maximum);
  Value ones = vjp.castTo(isMax, element);
  Value count = ReduceSumOp::create(b, loc, ones, getAxes(), true);
  Value g = withKeptDims(vjp, vjp.cotangent(0), input, getAxes());
  Value share = DivOp::create(b, loc, g, count);
  vjp.addGradient(0, MulOp::create(b, loc, ones, share));
  return success();
}

LogicalResult SoftmaxOp::buildVjp(VjpBuilder &vjp) {
  // dx = y (g - Σ g y).
  OpBuilder &b = vjp.builder();
  Location loc = vjp.loc();
  Value y = vjp.result(0), g = vjp.cotangent(0);
  int64_t axis = static_cast<int64_t>(getAxis());
  Value dot = ReduceSumOp::create(b, loc, MulOp::create(b, loc, g, y),
                                  ArrayRef<int64_t>{axis}, true);
  vjp.addGradient(0, MulOp::create(b, loc, y, SubOp::create(b, loc, g, dot)));
  return success();
}

LogicalResult LogSoftmaxOp::buildVjp(VjpBuilder &vjp) {
  // dx = g - softmax(x) Σ g.
  OpBuilder &b = vjp.builder();
  Location loc = vjp.loc();
  Value y = vjp.result(0), g = vjp.cotangent(0);
  Value total =
      ReduceSumOp::create(b, loc, g, ArrayRef<int64_t>{static_cast<int64_t>(getAxis())}, true);
  Value probabilities = ExpOp::create(b, loc, y);
  vjp.addGradient(
      0, SubOp::create(b, loc, g, MulOp::create(b, loc, probabilities, total)));
  return success();
}

//===----------------------------------------------------------------------===//
// Shape ops
//===----------------------------------------------------------------------===//

LogicalResult ReshapeOp::buildVjp(VjpBuilder &vjp) {
  vjp.addGradient(0, ReshapeOp::create(vjp.builder(), vjp.loc(),
                                       getInput().getType(), vjp.cotangent(0)));
  return success();
}

LogicalResult TransposeOp::buildVjp(VjpBuilder &vjp) {
  ArrayRef<int64_t> permutation = getPermutation();
  SmallVector<int64_t> inverse(permutation.size());
  for (auto [i, p] : llvm::enumerate(permutation))
    inverse[p] = static_cast<int64_t>(i);
  vjp.addGradient(0, TransposeOp::create(vjp.builder(), vjp.loc(),
                                         vjp.cotangent(0), inverse));
  return success();
}

LogicalResult BroadcastOp::buildVjp(VjpBuilder &vjp) {
  vjp.addGradient(0, vjp.sumToShape(vjp.cotangent(0),
                                    tensorTypeOf(getInput())));
  return success();
}

LogicalResult SliceOp::buildVjp(VjpBuilder &vjp) {
  RankedTensorType input = tensorTypeOf(getInput());
  RankedTensorType result = tensorTypeOf(getResult());
  if (!input.hasStaticShape() || !result.hasStaticShape())
    return emitOpError("the backward pass needs static shapes");
  if (result.getNumElements() == 0) {
    vjp.addGradient(0, vjp.splat(input, 0.0));
    return success();
  }
  int64_t rank = input.getRank();
  SmallVector<int64_t> strides(rank, 1);
  if (std::optional<ArrayRef<int64_t>> given = getStrides())
    strides.assign(given->begin(), given->end());
  SmallVector<int64_t> low(getStarts()), high, interior;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t last = low[d] + (result.getDimSize(d) - 1) * strides[d];
    high.push_back(input.getDimSize(d) - 1 - last);
    interior.push_back(strides[d] - 1);
  }
  OpBuilder &b = vjp.builder();
  vjp.addGradient(0, PadOp::create(b, vjp.loc(), vjp.cotangent(0), low, high,
                                   b.getDenseI64ArrayAttr(interior)));
  return success();
}

LogicalResult PadOp::buildVjp(VjpBuilder &vjp) {
  RankedTensorType input = tensorTypeOf(getInput());
  if (!input.hasStaticShape())
    return emitOpError("the backward pass needs static shapes");
  int64_t rank = input.getRank();
  SmallVector<int64_t> interior(rank, 0);
  if (std::optional<ArrayRef<int64_t>> given = getInterior())
    interior.assign(given->begin(), given->end());
  SmallVector<int64_t> starts(getLow()), limits, strides;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t size = input.getDimSize(d);
    strides.push_back(interior[d] + 1);
    limits.push_back(size == 0 ? starts[d]
                               : starts[d] + (size - 1) * strides[d] + 1);
  }
  OpBuilder &b = vjp.builder();
  vjp.addGradient(0, SliceOp::create(b, vjp.loc(), vjp.cotangent(0), starts,
                                     limits, b.getDenseI64ArrayAttr(strides)));
  return success();
}

LogicalResult ConcatOp::buildVjp(VjpBuilder &vjp) {
  Value g = vjp.cotangent(0);
  RankedTensorType result = tensorTypeOf(getResult());
  int64_t axis = getAxis();
  int64_t offset = 0;
  for (auto [index, input] : llvm::enumerate(getInputs())) {
    int64_t size = tensorTypeOf(input).getDimSize(axis);
    if (ShapedType::isDynamic(size) || !result.hasStaticShape())
      return emitOpError("the backward pass needs static shapes");
    if (vjp.needsGradient(index)) {
      SmallVector<int64_t> starts(result.getRank(), 0);
      SmallVector<int64_t> limits(result.getShape());
      starts[axis] = offset;
      limits[axis] = offset + size;
      vjp.addGradient(index, SliceOp::create(vjp.builder(), vjp.loc(), g,
                                             starts, limits, nullptr));
    }
    offset += size;
  }
  return success();
}

LogicalResult SplitOp::buildVjp(VjpBuilder &vjp) {
  SmallVector<Value> pieces;
  for (unsigned i = 0; i < getNumResults(); ++i)
    pieces.push_back(vjp.cotangent(i));
  vjp.addGradient(0, ConcatOp::create(vjp.builder(), vjp.loc(), pieces,
                                      getAxis()));
  return success();
}

LogicalResult GatherOp::buildVjp(VjpBuilder &vjp) {
  if (!vjp.needsGradient(0))
    return success();
  vjp.addGradient(0, ScatterAddOp::create(vjp.builder(), vjp.loc(),
                                          getInput().getType(), vjp.cotangent(0),
                                          vjp.operand(1), getAxis()));
  return success();
}

LogicalResult ScatterAddOp::buildVjp(VjpBuilder &vjp) {
  if (!vjp.needsGradient(0))
    return success();
  vjp.addGradient(0, GatherOp::create(vjp.builder(), vjp.loc(),
                                      vjp.cotangent(0), vjp.operand(1),
                                      getAxis()));
  return success();
}
