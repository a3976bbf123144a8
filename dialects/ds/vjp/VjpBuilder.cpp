//===- VjpBuilder.cpp - helpers shared by the VJP rules -------------------===//

#include "dialects/ds/Vjp.h"
#include "dialects/ds/DsDialect.h"

using namespace mlir;
using namespace mlir::ds;

VjpBuilder::~VjpBuilder() = default;

Value VjpBuilder::splat(RankedTensorType type, double value) {
  Type element = type.getElementType();
  Attribute scalarAttr;
  if (isa<FloatType>(element))
    scalarAttr = FloatAttr::get(element, value);
  else
    scalarAttr = IntegerAttr::get(element, static_cast<int64_t>(value));
  return ConstantOp::create(b, loc(), DenseElementsAttr::get(type, scalarAttr));
}

Value VjpBuilder::scalar(Type elementType, double value) {
  return splat(RankedTensorType::get({}, elementType), value);
}

Value VjpBuilder::sumToShape(Value value, RankedTensorType type) {
  auto valueType = cast<RankedTensorType>(value.getType());
  if (valueType.getShape() == type.getShape())
    return value;
  int64_t lead = valueType.getRank() - type.getRank();
  SmallVector<int64_t> axes;
  for (int64_t d = 0; d < valueType.getRank(); ++d)
    if (d < lead || (type.getDimSize(d - lead) == 1 &&
                     valueType.getDimSize(d) != 1))
      axes.push_back(d);
  Value summed = value;
  if (!axes.empty())
    summed = ReduceSumOp::create(b, loc(), value, axes, /*keep_dims=*/true);
  return ReshapeOp::create(
      b, loc(), RankedTensorType::get(type.getShape(), valueType.getElementType()),
      summed);
}

Value VjpBuilder::broadcastTo(Value value, RankedTensorType type) {
  auto valueType = cast<RankedTensorType>(value.getType());
  if (valueType.getShape() == type.getShape())
    return value;
  return BroadcastOp::create(
      b, loc(),
      RankedTensorType::get(type.getShape(), valueType.getElementType()), value);
}

Value VjpBuilder::castTo(Value value, Type elementType) {
  auto valueType = cast<RankedTensorType>(value.getType());
  if (valueType.getElementType() == elementType)
    return value;
  return CastOp::create(b, loc(), valueType.clone(elementType), value);
}

void VjpBuilder::addBroadcastGradient(unsigned operandIndex, Value gradient) {
  if (!needsGradient(operandIndex))
    return;
  auto type = cast<RankedTensorType>(op()->getOperand(operandIndex).getType());
  addGradient(operandIndex, castTo(sumToShape(gradient, type),
                                   type.getElementType()));
}
