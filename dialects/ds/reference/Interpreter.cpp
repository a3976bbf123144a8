//===- Interpreter.cpp - the ds reference interpreter ---------------------===//

#include "dialects/ds/reference/Interpreter.h"
#include "dialects/ds/reference/Evaluators.h"

#include "dialects/ds/DsDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/DenseMap.h"

using namespace mlir;
using namespace mlir::ds;
using namespace mlir::ds::reference;
using namespace mlir::ds::reference::eval;

std::optional<ElementKind> mlir::ds::reference::elementKindOf(Type type) {
  if (type.isF64())
    return ElementKind::F64;
  if (type.isF32())
    return ElementKind::F32;
  if (type.isF16())
    return ElementKind::F16;
  if (type.isBF16())
    return ElementKind::BF16;
  if (isa<Float8E4M3FNType>(type))
    return ElementKind::F8E4M3FN;
  if (isa<Float8E5M2Type>(type))
    return ElementKind::F8E5M2;
  if (type.isInteger(1))
    return ElementKind::I1;
  if (type.isInteger(8))
    return ElementKind::I8;
  if (type.isInteger(16))
    return ElementKind::I16;
  if (type.isInteger(32))
    return ElementKind::I32;
  if (type.isInteger(64))
    return ElementKind::I64;
  return std::nullopt;
}

/// "tensor<2x?xf32>"-style check of a run-time tensor against a type.
/// Returns an empty string when it matches, else what differs.
static std::string mismatch(const Tensor &tensor, Type type) {
  auto ranked = dyn_cast<RankedTensorType>(type);
  if (!ranked)
    return "the interpreter supports only ranked tensors";
  std::optional<ElementKind> kind = elementKindOf(ranked.getElementType());
  if (!kind || *kind != tensor.kind)
    return std::string("element type ") + kindName(tensor.kind);
  if (ranked.getRank() != tensor.rank())
    return "shape " + formatShape(tensor.shape);
  for (int64_t dim = 0; dim < ranked.getRank(); ++dim)
    if (!ranked.isDynamicDim(dim) && ranked.getDimSize(dim) != tensor.shape[dim])
      return "shape " + formatShape(tensor.shape);
  if (static_cast<int64_t>(tensor.values.size()) != tensor.numElements())
    return "a value count that does not match its shape";
  return "";
}

namespace {

class Interpreter {
public:
  FailureOr<std::vector<Tensor>> call(func::FuncOp function,
                                      ArrayRef<Tensor> arguments,
                                      Operation *caller);

private:
  LogicalResult evaluate(Operation *op, Operands operands, Results &results);
  LogicalResult evaluateScan(ScanOp scan, Operands operands, Results &results);
  func::FuncOp lookup(Operation *user, FlatSymbolRefAttr callee);

  SymbolTableCollection symbols;
  unsigned depth = 0;
};

} // namespace

func::FuncOp Interpreter::lookup(Operation *user, FlatSymbolRefAttr callee) {
  return symbols.lookupNearestSymbolFrom<func::FuncOp>(user, callee);
}

FailureOr<std::vector<Tensor>> Interpreter::call(func::FuncOp function,
                                                 ArrayRef<Tensor> arguments,
                                                 Operation *caller) {
  auto where = [&]() {
    return caller ? caller->emitError() : function.emitError();
  };
  if (function.isExternal()) {
    where() << "cannot interpret @" << function.getSymName()
            << ": it has no body";
    return failure();
  }
  if (++depth > 256) {
    where() << "call depth exceeds 256 (recursion?) in @"
            << function.getSymName();
    --depth;
    return failure();
  }
  struct DepthGuard {
    unsigned &depth;
    ~DepthGuard() { --depth; }
  } guard{depth};

  ArrayRef<Type> inputTypes = function.getArgumentTypes();
  if (arguments.size() != inputTypes.size()) {
    where() << "@" << function.getSymName() << " takes " << inputTypes.size()
            << " arguments, got " << arguments.size();
    return failure();
  }
  for (auto [index, argument] : llvm::enumerate(arguments)) {
    std::string problem = mismatch(argument, inputTypes[index]);
    if (problem.empty())
      continue;
    InFlightDiagnostic diag = where();
    diag << "argument #" << index;
    if (auto param = function.getArgAttrOfType<ParamAttr>(index, kParamAttrName))
      diag << " ('" << param.getName() << "')";
    diag << " of @" << function.getSymName() << " has " << problem
         << ", expected " << inputTypes[index];
    return failure();
  }

  Region &body = function.getBody();
  if (!body.hasOneBlock()) {
    function.emitError("the interpreter runs single-block functions only");
    return failure();
  }
  Block &block = body.front();
  llvm::DenseMap<Value, Tensor> values;
  for (auto [argument, tensor] : llvm::zip_equal(block.getArguments(), arguments))
    values[argument] = tensor;

  for (Operation &op : block) {
    SmallVector<const Tensor *> operands;
    for (Value operand : op.getOperands()) {
      auto found = values.find(operand);
      if (found == values.end()) {
        op.emitError("operand is not defined in this function");
        return failure();
      }
      operands.push_back(&found->second);
    }
    if (isa<func::ReturnOp>(op)) {
      std::vector<Tensor> results;
      for (const Tensor *operand : operands)
        results.push_back(*operand);
      return results;
    }
    Results results;
    if (failed(evaluate(&op, operands, results)))
      return failure();
    if (results.size() != op.getNumResults()) {
      op.emitError("interpreter produced ")
          << results.size() << " results, expected " << op.getNumResults();
      return failure();
    }
    for (auto [result, tensor] : llvm::zip_equal(op.getResults(), results)) {
      std::string problem = mismatch(tensor, result.getType());
      if (!problem.empty()) {
        op.emitError("result #")
            << result.getResultNumber() << " has " << problem
            << " at run time, but its type is " << result.getType();
        return failure();
      }
      values[result] = std::move(tensor);
    }
  }
  function.emitError("function body has no func.return");
  return failure();
}

LogicalResult Interpreter::evaluate(Operation *op, Operands operands,
                                    Results &results) {
  if (auto call = dyn_cast<func::CallOp>(op)) {
    func::FuncOp callee = lookup(op, call.getCalleeAttr());
    if (!callee)
      return op->emitError("callee @") << call.getCallee() << " not found";
    std::vector<Tensor> arguments;
    for (const Tensor *operand : operands)
      arguments.push_back(*operand);
    FailureOr<std::vector<Tensor>> out = this->call(callee, arguments, op);
    if (failed(out))
      return failure();
    results = std::move(*out);
    return success();
  }
  if (auto scan = dyn_cast<ScanOp>(op))
    return evaluateScan(scan, operands, results);
  if (!isa<DsDialect>(op->getDialect()))
    return op->emitError("the reference interpreter does not support '")
           << op->getName() << "'";
  for (auto family : {eval::evaluateElementwiseOp, eval::evaluateShapeOp,
                      eval::evaluateModelOp, eval::evaluateGradOp})
    if (std::optional<LogicalResult> handled = family(op, operands, results))
      return *handled;
  return op->emitError("the reference interpreter has no evaluator for '")
         << op->getName() << "'";
}

LogicalResult Interpreter::evaluateScan(ScanOp scan, Operands operands,
                                        Results &results) {
  func::FuncOp callee = lookup(scan, scan.getCalleeAttr());
  if (!callee)
    return scan.emitError("callee @") << scan.getCallee() << " not found";
  size_t numCarries = scan.getCarries().size();
  size_t numInvariants = scan.getInvariants().size();
  Operands stacked = operands.drop_front(numCarries + numInvariants);
  int64_t layers = stacked.front()->shape.empty() ? 0 : stacked.front()->shape[0];
  for (auto [number, tensor] : llvm::enumerate(stacked))
    if (tensor->shape.empty() || tensor->shape[0] != layers)
      return scan.emitError("stacked operand #")
             << number << " has shape " << formatShape(tensor->shape)
             << ", but operand #0 has " << layers << " layers";

  std::vector<Tensor> carries;
  for (const Tensor *carry : operands.take_front(numCarries))
    carries.push_back(*carry);
  // perLayer[r][i]: per-layer output r of layer i.
  size_t numOutputs = scan.getNumResults() - numCarries;
  std::vector<std::vector<Tensor>> perLayer(numOutputs,
                                            std::vector<Tensor>(layers));

  // With `reverse` the layers run from L-1 down to 0; layer i still gets
  // slice i and its outputs still go to index i.
  bool reverse = scan.getReverse();
  for (int64_t step = 0; step < layers; ++step) {
    int64_t layer = reverse ? layers - 1 - step : step;
    std::vector<Tensor> arguments = carries;
    for (const Tensor *invariant :
         operands.slice(numCarries, numInvariants))
      arguments.push_back(*invariant);
    for (const Tensor *tensor : stacked) {
      std::vector<int64_t> sliceShape(tensor->shape.begin() + 1,
                                      tensor->shape.end());
      int64_t size = productOf(sliceShape);
      auto begin = tensor->values.begin() + layer * size;
      arguments.emplace_back(tensor->kind, sliceShape,
                             std::vector<double>(begin, begin + size));
    }
    FailureOr<std::vector<Tensor>> out = call(callee, arguments, scan);
    if (failed(out))
      return failure();
    for (size_t i = 0; i < out->size(); ++i) {
      if (i < numCarries)
        carries[i] = std::move((*out)[i]);
      else
        perLayer[i - numCarries][layer] = std::move((*out)[i]);
    }
  }

  results = std::move(carries);
  for (size_t r = 0; r < numOutputs; ++r) {
    std::vector<Tensor> &slices = perLayer[r];
    Value result = scan.getResult(numCarries + r);
    Tensor stackedResult;
    stackedResult.kind = kindOf(result);
    stackedResult.shape.push_back(layers);
    if (layers > 0) {
      for (int64_t dim : slices.front().shape)
        stackedResult.shape.push_back(dim);
    } else {
      // No layer ran: the slice shape comes from the result type.
      auto type = cast<RankedTensorType>(result.getType());
      for (int64_t dim : type.getShape().drop_front()) {
        if (ShapedType::isDynamic(dim))
          return scan.emitError("per-layer output #")
                 << r << " of a scan over 0 layers has a dynamic size";
        stackedResult.shape.push_back(dim);
      }
    }
    for (auto [layer, slice] : llvm::enumerate(slices)) {
      if (slice.shape != slices.front().shape)
        return scan.emitError("per-layer output #")
               << r << " has shape " << formatShape(slice.shape)
               << " in layer " << layer << " but "
               << formatShape(slices.front().shape) << " in layer 0";
      stackedResult.values.insert(stackedResult.values.end(),
                                  slice.values.begin(), slice.values.end());
    }
    results.push_back(std::move(stackedResult));
  }
  return success();
}

FailureOr<std::vector<Tensor>>
mlir::ds::reference::interpret(func::FuncOp function,
                               ArrayRef<Tensor> arguments) {
  Interpreter interpreter;
  return interpreter.call(function, arguments, nullptr);
}

//===----------------------------------------------------------------------===//
// Helpers shared by the evaluators
//===----------------------------------------------------------------------===//

ElementKind eval::kindOf(Value value) {
  auto type = cast<RankedTensorType>(value.getType());
  return *elementKindOf(type.getElementType());
}

Tensor eval::makeResult(Value result, std::vector<int64_t> shape) {
  return Tensor(kindOf(result), std::move(shape));
}

bool eval::broadcastShapes(const std::vector<int64_t> &a,
                             const std::vector<int64_t> &b,
                             std::vector<int64_t> &out) {
  size_t rank = std::max(a.size(), b.size());
  out.assign(rank, 1);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < a.size() ? a[a.size() - 1 - i] : 1;
    int64_t db = i < b.size() ? b[b.size() - 1 - i] : 1;
    if (da != db && da != 1 && db != 1)
      return false;
    out[rank - 1 - i] = da == 1 ? db : da;
  }
  return true;
}

std::vector<int64_t>
eval::broadcastIndexMap(const std::vector<int64_t> &shape,
                          const std::vector<int64_t> &resultShape) {
  int64_t count = productOf(resultShape);
  std::vector<int64_t> map(count);
  std::vector<int64_t> strides = stridesOf(shape);
  size_t offset = resultShape.size() - shape.size();
  std::vector<int64_t> index;
  for (int64_t flat = 0; flat < count; ++flat) {
    unflatten(flat, resultShape, index);
    int64_t source = 0;
    for (size_t dim = 0; dim < shape.size(); ++dim)
      if (shape[dim] != 1)
        source += index[dim + offset] * strides[dim];
    map[flat] = source;
  }
  return map;
}

void eval::unflatten(int64_t flat, const std::vector<int64_t> &shape,
                       std::vector<int64_t> &index) {
  index.assign(shape.size(), 0);
  for (size_t dim = shape.size(); dim-- > 0;) {
    if (shape[dim] == 0)
      continue;
    index[dim] = flat % shape[dim];
    flat /= shape[dim];
  }
}
