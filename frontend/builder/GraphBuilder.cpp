//===- GraphBuilder.cpp - helpers shared by the model builders ------------===//

#include "frontend/builder/GraphBuilder.h"

#include "frontend/config/model_config.pb.h"

using namespace mlir;
using namespace ::ds::frontend;

FunctionBuilder::FunctionBuilder(ModuleOp module, StringRef name)
    : builder(UnknownLoc::get(module.getContext()), module.getContext()),
      functionName(name.str()) {
  builder.setInsertionPointToEnd(module.getBody());
  builder.setLoc(NameLoc::get(builder.getStringAttr(functionName)));
  function = func::FuncOp::create(builder, name, builder.getFunctionType({}, {}));
  body = function.addEntryBlock();
  builder.setInsertionPointToEnd(body);
}

void FunctionBuilder::at(StringRef what) {
  builder.setLoc(
      NameLoc::get(builder.getStringAttr(functionName + "/" + what.str())));
}

Value FunctionBuilder::input(Type type, StringRef name) {
  SmallVector<NamedAttribute> attrs;
  if (!name.empty())
    attrs.push_back(
        builder.getNamedAttr(mlir::ds::kNameAttrName, builder.getStringAttr(name)));
  argAttrs.push_back(builder.getDictionaryAttr(attrs));
  return body->addArgument(type, builder.getLoc());
}

Value FunctionBuilder::param(StringRef name, ArrayRef<int64_t> shape,
                             Type elementType, Init init) {
  auto attr = mlir::ds::ParamAttr::get(context(), name, init.kind, APFloat(init.a),
                                 APFloat(init.b));
  argAttrs.push_back(builder.getDictionaryAttr(
      builder.getNamedAttr(mlir::ds::kParamAttrName, attr)));
  return body->addArgument(tensor(shape, elementType), builder.getLoc());
}

func::FuncOp FunctionBuilder::finish(ValueRange results,
                                     ArrayRef<StringRef> names) {
  func::ReturnOp::create(builder, results);
  function.setType(builder.getFunctionType(body->getArgumentTypes(),
                                           TypeRange(results)));
  function.setAllArgAttrs(argAttrs);
  for (auto [index, name] : llvm::enumerate(names))
    function.setResultAttr(index, mlir::ds::kNameAttrName,
                           builder.getStringAttr(name));
  return function;
}

Value FunctionBuilder::scalar(Type elementType, double value) {
  auto type = RankedTensorType::get({}, elementType);
  Attribute element =
      isa<IntegerType>(elementType)
          ? Attribute(IntegerAttr::get(elementType, static_cast<int64_t>(value)))
          : Attribute(FloatAttr::get(elementType, value));
  return mlir::ds::ConstantOp::create(builder,
                                      DenseElementsAttr::get(type, element));
}

Value FunctionBuilder::transpose(Value x, ArrayRef<int64_t> permutation) {
  return mlir::ds::TransposeOp::create(
      builder, x, builder.getDenseI64ArrayAttr(permutation));
}

RankedTensorType FunctionBuilder::tensor(ArrayRef<int64_t> shape,
                                         Type elementType) {
  return RankedTensorType::get(shape, elementType);
}

Value FunctionBuilder::linear(Value x, Value weightOutIn) {
  SmallVector<int64_t> shape(shapeOf(x));
  shape.back() = shapeOf(weightOutIn)[0];
  Type element = cast<RankedTensorType>(x.getType()).getElementType();
  return mlir::ds::MatmulOp::create(builder, tensor(shape, element), x, weightOutIn,
                              /*transpose_lhs=*/nullptr,
                              builder.getUnitAttr());
}

Value FunctionBuilder::conv1d(Value x, Value weightInOut, Value bias) {
  SmallVector<int64_t> shape(shapeOf(x));
  shape.back() = shapeOf(weightInOut)[1];
  Type element = cast<RankedTensorType>(x.getType()).getElementType();
  Value y = mlir::ds::MatmulOp::create(builder, tensor(shape, element), x,
                                 weightInOut, nullptr, nullptr);
  return bias ? mlir::ds::AddOp::create(builder, y, bias).getResult() : y;
}

Value FunctionBuilder::reshape(Value x, ArrayRef<int64_t> shape) {
  Type element = cast<RankedTensorType>(x.getType()).getElementType();
  return mlir::ds::ReshapeOp::create(builder, tensor(shape, element), x);
}

SmallVector<Value> FunctionBuilder::split(Value x, int64_t axis,
                                          ArrayRef<int64_t> sizes) {
  auto op = mlir::ds::SplitOp::create(builder, x, i64(axis),
                                builder.getDenseI64ArrayAttr(sizes));
  return SmallVector<Value>(op.getResults());
}

Value FunctionBuilder::call(func::FuncOp callee, ValueRange operands) {
  auto op = func::CallOp::create(builder, callee, operands);
  return op.getResult(0);
}

namespace ds::frontend {

ArrayRef<int64_t> shapeOf(Value value) {
  return cast<RankedTensorType>(value.getType()).getShape();
}

Type elementTypeFor(MLIRContext *context, int dtype) {
  Builder b(context);
  switch (static_cast<config::DType>(dtype)) {
  case config::F64:
    return b.getF64Type();
  case config::BF16:
    return b.getBF16Type();
  case config::F16:
    return b.getF16Type();
  default:
    return b.getF32Type();
  }
}

std::string stackedName(StringRef prefix, int64_t begin,
                                      int64_t end, StringRef suffix) {
  return (prefix + "[" + Twine(begin) + ":" + Twine(end) + "]" + suffix).str();
}

SmallVector<int64_t> stackShape(int64_t leading,
                                              ArrayRef<int64_t> shape) {
  SmallVector<int64_t> stacked{leading};
  llvm::append_range(stacked, shape);
  return stacked;
}

SmallVector<Value> addLayerInputs(FunctionBuilder &layer,
                                                ArrayRef<WeightSpec> specs,
                                                Type elementType) {
  SmallVector<Value> inputs;
  for (const WeightSpec &spec : specs)
    inputs.push_back(layer.input(layer.tensor(spec.shape, elementType)));
  return inputs;
}

SmallVector<Value> scanLayers(FunctionBuilder &caller,
                              func::FuncOp layerFunction,
                              ArrayRef<WeightSpec> specs, StringRef prefix,
                              int64_t begin, int64_t end, Value carry,
                              ValueRange invariants, Type elementType,
                              ValueRange stackedState) {
  SmallVector<Value> stacked(stackedState);
  for (const WeightSpec &spec : specs)
    stacked.push_back(caller.param(
        stackedName(prefix, begin, end, "." + spec.name),
        stackShape(end - begin, spec.shape), elementType, spec.init));
  caller.at(layerFunction.getSymName());
  // Per-layer outputs (beyond the carry) come back stacked over the layers.
  SmallVector<Type> resultTypes = {carry.getType()};
  for (Type type : layerFunction.getResultTypes().drop_front()) {
    auto tensor = cast<RankedTensorType>(type);
    resultTypes.push_back(tensor.clone(stackShape(end - begin, tensor.getShape())));
  }
  auto scan = mlir::ds::ScanOp::create(caller.b(), resultTypes,
                                 layerFunction.getSymName(), ValueRange{carry},
                                 invariants, stacked);
  return SmallVector<Value>(scan.getResults());
}

} // namespace ds::frontend
