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

SmallVector<Value> addStackedParams(FunctionBuilder &caller,
                                    ArrayRef<WeightSpec> specs,
                                    StringRef prefix, int64_t begin,
                                    int64_t end, Type elementType) {
  SmallVector<Value> params;
  for (const WeightSpec &spec : specs)
    params.push_back(caller.param(
        stackedName(prefix, begin, end, "." + spec.name),
        stackShape(end - begin, spec.shape), elementType, spec.init));
  return params;
}

SmallVector<Value> scanLayers(FunctionBuilder &caller,
                              func::FuncOp layerFunction,
                              ArrayRef<WeightSpec> specs, StringRef prefix,
                              int64_t begin, int64_t end, Value carry,
                              ValueRange invariants, Type elementType,
                              ValueRange stackedState) {
  SmallVector<Value> stacked(stackedState);
  llvm::append_range(stacked, addStackedParams(caller, specs, prefix, begin,
                                               end, elementType));
  LayerSegment all;
  all.begin = begin;
  all.end = end;
  all.functions.push_back(layerFunction);
  return scanSegments(caller, all, begin, end, "", carry, invariants, stacked);
}

SmallVector<LayerSegment> segmentLayers(ArrayRef<func::FuncOp> perLayer,
                                        int64_t begin) {
  SmallVector<LayerSegment> segments;
  const int64_t n = int64_t(perLayer.size());
  int64_t i = 0;
  while (i < n) {
    int64_t run = 1;
    while (i + run < n && perLayer[i + run] == perLayer[i])
      ++run;
    // The period whose whole repeats (at least two) cover the most layers.
    int64_t bestPeriod = 1, bestCovered = run;
    for (int64_t period = 2; 2 * period <= n - i; ++period) {
      int64_t covered = 0;
      while (i + covered + period <= n) {
        bool repeats = true;
        for (int64_t k = 0; k < period && repeats; ++k)
          repeats = perLayer[i + covered + k] == perLayer[i + k];
        if (!repeats)
          break;
        covered += period;
      }
      if (covered >= 2 * period && covered > bestCovered) {
        bestPeriod = period;
        bestCovered = covered;
      }
    }
    LayerSegment segment;
    segment.begin = begin + i;
    segment.end = begin + i + bestCovered;
    segment.functions.assign(perLayer.begin() + i,
                             perLayer.begin() + i + bestPeriod);
    segments.push_back(std::move(segment));
    i += bestCovered;
  }
  return segments;
}

/// Rows [from, to) of `value` along its first dimension (itself when that
/// is all of it).
static Value rows(FunctionBuilder &f, Value value, int64_t from, int64_t to) {
  ArrayRef<int64_t> shape = shapeOf(value);
  if (from == 0 && to == shape[0])
    return value;
  SmallVector<int64_t> start(shape.size(), 0), limit(shape);
  start[0] = from;
  limit[0] = to;
  return mlir::ds::SliceOp::create(f.b(), value,
                                   f.b().getDenseI64ArrayAttr(start),
                                   f.b().getDenseI64ArrayAttr(limit),
                                   DenseI64ArrayAttr());
}

/// Row `index` of `stacked` [n, ...] as a tensor [...].
static Value sliceRow(FunctionBuilder &f, Value stacked, int64_t index) {
  return f.reshape(rows(f, stacked, index, index + 1),
                   shapeOf(stacked).drop_front());
}

/// The block function of a segment: (carry, invariants, state and weights
/// of `period` layers, each [period, ...]) -> (carry, per-layer outputs,
/// each [period, ...]), calling the layer functions in turn.
static func::FuncOp buildBlock(ModuleOp module, const LayerSegment &segment,
                               StringRef name, unsigned numInvariants,
                               TypeRange stackedTypes) {
  const int64_t period = segment.period();
  func::FuncOp first = segment.functions.front();
  FunctionBuilder f(module, name);
  FunctionType layerType = first.getFunctionType();
  Value carry = f.input(layerType.getInput(0));
  SmallVector<Value> invariants, stacked;
  for (unsigned i = 0; i < numInvariants; ++i)
    invariants.push_back(f.input(layerType.getInput(1 + i)));
  for (Type type : stackedTypes) {
    auto tensor = cast<RankedTensorType>(type);
    stacked.push_back(
        f.input(tensor.clone(stackShape(period, tensor.getShape()))));
  }
  SmallVector<SmallVector<Value>> outputs(layerType.getNumResults() - 1);
  for (int64_t j = 0; j < period; ++j) {
    func::FuncOp layer = segment.functions[j];
    f.at(layer.getSymName());
    SmallVector<Value> operands{carry};
    llvm::append_range(operands, invariants);
    for (Value value : stacked)
      operands.push_back(sliceRow(f, value, j));
    auto call = func::CallOp::create(f.b(), layer, operands);
    carry = call.getResult(0);
    for (auto [k, output] : llvm::enumerate(call.getResults().drop_front()))
      outputs[k].push_back(f.reshape(
          output, stackShape(1, shapeOf(output))));
  }
  SmallVector<Value> results{carry};
  for (SmallVector<Value> &rows : outputs)
    results.push_back(
        mlir::ds::ConcatOp::create(f.b(), ValueRange(rows), f.i64(0)));
  return f.finish(results);
}

/// One segment's ds.scan over its rows of `stacked`; returns the carry and
/// the per-layer outputs stacked over the segment's layers.
static SmallVector<Value> scanOneSegment(FunctionBuilder &caller,
                                         const LayerSegment &segment,
                                         StringRef blockName, Value carry,
                                         ValueRange invariants,
                                         ArrayRef<Value> stacked) {
  const int64_t layers = segment.end - segment.begin;
  const int64_t period = segment.period(), blocks = layers / period;
  func::FuncOp callee = segment.functions.front();
  SmallVector<Value> scanned(stacked);
  if (period > 1) {
    SmallVector<Type> perLayer;
    for (Value value : stacked) {
      auto tensor = cast<RankedTensorType>(value.getType());
      perLayer.push_back(tensor.clone(tensor.getShape().drop_front()));
    }
    ModuleOp module = caller.b()
                          .getInsertionBlock()
                          ->getParentOp()
                          ->getParentOfType<ModuleOp>();
    callee = buildBlock(module, segment, blockName, invariants.size(),
                        perLayer);
    // [layers, ...] viewed as [blocks, period, ...].
    for (Value &value : scanned) {
      SmallVector<int64_t> shape = {blocks, period};
      llvm::append_range(shape, shapeOf(value).drop_front());
      value = caller.reshape(value, shape);
    }
  }
  caller.at(callee.getSymName());
  SmallVector<Type> resultTypes = {carry.getType()};
  for (Type type : callee.getResultTypes().drop_front()) {
    auto tensor = cast<RankedTensorType>(type);
    resultTypes.push_back(
        tensor.clone(stackShape(layers / period, tensor.getShape())));
  }
  auto scan = mlir::ds::ScanOp::create(caller.b(), resultTypes,
                                       callee.getSymName(), ValueRange{carry},
                                       invariants, scanned);
  SmallVector<Value> results(scan.getResults());
  if (period > 1)
    for (Value &output : llvm::drop_begin(results)) {
      SmallVector<int64_t> shape = {layers};
      llvm::append_range(shape, shapeOf(output).drop_front(2));
      output = caller.reshape(output, shape);
    }
  return results;
}

SmallVector<Value> scanSegments(FunctionBuilder &caller,
                                ArrayRef<LayerSegment> segments, int64_t begin,
                                int64_t end, StringRef blockName, Value carry,
                                ValueRange invariants, ValueRange stacked) {
  SmallVector<SmallVector<Value>> outputs;
  int blocksBuilt = 0;
  for (const LayerSegment &segment : segments) {
    SmallVector<Value> mine;
    for (Value value : stacked)
      mine.push_back(rows(caller, value, segment.begin - begin,
                          segment.end - begin));
    std::string name = blockName.str();
    if (segment.period() > 1 && blocksBuilt++ > 0)
      name += std::to_string(blocksBuilt - 1);
    SmallVector<Value> results =
        scanOneSegment(caller, segment, name, carry, invariants, mine);
    carry = results[0];
    outputs.push_back(SmallVector<Value>(llvm::drop_begin(results)));
  }
  assert(!segments.empty() && segments.front().begin == begin &&
         segments.back().end == end && "segments must cover [begin, end)");
  (void)end;
  // The per-layer outputs of the segments, back in layer order.
  SmallVector<Value> results{carry};
  for (size_t k = 0; k < outputs.front().size(); ++k) {
    if (outputs.size() == 1) {
      results.push_back(outputs.front()[k]);
      continue;
    }
    SmallVector<Value> parts;
    for (SmallVector<Value> &segmentOutputs : outputs)
      parts.push_back(segmentOutputs[k]);
    results.push_back(
        mlir::ds::ConcatOp::create(caller.b(), ValueRange(parts), caller.i64(0)));
  }
  return results;
}

} // namespace ds::frontend
