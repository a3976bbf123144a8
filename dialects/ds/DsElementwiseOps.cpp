//===- DsElementwiseOps.cpp - elementwise ops, constants, casts -----------===//

#include "dialects/ds/DsDialect.h"
#include "dialects/ds/DsTypeRules.h"

#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace mlir::ds;

#define GET_OP_CLASSES
#include "dialects/ds/DsElementwiseOps.cpp.inc"

//===----------------------------------------------------------------------===//
// Broadcasting ops
//===----------------------------------------------------------------------===//

/// The result type of an elementwise op over `operands`: their broadcast shape
/// with the element type they share. The operands at `sameElementType` must
/// have one element type; `resultElementType` overrides it when given.
static LogicalResult
inferBroadcast(std::optional<Location> loc, StringRef opName,
               ArrayRef<std::pair<Value, unsigned>> operands,
               SmallVectorImpl<Type> &results,
               Type resultElementType = nullptr) {
  RuleReporter report(loc, opName);
  SmallVector<ArrayRef<int64_t>> shapes;
  SmallVector<unsigned> numbers;
  Type elementType;
  unsigned elementTypeOwner = 0;
  for (auto [value, number] : operands) {
    FailureOr<RankedTensorType> type = getRankedOperand(report, value, number);
    if (failed(type))
      return failure();
    if (!elementType) {
      elementType = type->getElementType();
      elementTypeOwner = number;
    } else if (type->getElementType() != elementType) {
      return report.fail("operand #", number, " has element type ",
                         type->getElementType(), " but operand #",
                         elementTypeOwner, " has ", elementType,
                         " (they must be equal)");
    }
    shapes.push_back(type->getShape());
    numbers.push_back(number);
  }
  FailureOr<SmallVector<int64_t>> shape =
      broadcastShapes(report, shapes, numbers);
  if (failed(shape))
    return failure();
  results.push_back(RankedTensorType::get(
      *shape, resultElementType ? resultElementType : elementType));
  return success();
}

LogicalResult mlir::ds::inferBinaryElementwise(std::optional<Location> loc,
                                              StringRef opName, Value lhs,
                                              Value rhs,
                                              SmallVectorImpl<Type> &results) {
  return inferBroadcast(loc, opName, {{lhs, 0}, {rhs, 1}}, results);
}

LogicalResult CompareOp::inferReturnTypes(MLIRContext *context,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &results) {
  return inferBroadcast(loc, getOperationName(),
                        {{adaptor.getLhs(), 0}, {adaptor.getRhs(), 1}}, results,
                        IntegerType::get(context, 1));
}

LogicalResult SelectOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &results) {
  RuleReporter report(loc, getOperationName());
  FailureOr<RankedTensorType> condition =
      getRankedOperand(report, adaptor.getCondition(), 0);
  if (failed(condition))
    return failure();
  FailureOr<RankedTensorType> onTrue =
      getRankedOperand(report, adaptor.getOnTrue(), 1);
  if (failed(onTrue))
    return failure();
  FailureOr<RankedTensorType> onFalse =
      getRankedOperand(report, adaptor.getOnFalse(), 2);
  if (failed(onFalse))
    return failure();
  // The two values share the element type and must broadcast together (a
  // clash between them is reported as such); then the condition joins in.
  if (onTrue->getElementType() != onFalse->getElementType())
    return report.fail("operand #2 has element type ",
                       onFalse->getElementType(), " but operand #1 has ",
                       onTrue->getElementType(), " (they must be equal)");
  if (failed(broadcastShapes(report, {onTrue->getShape(), onFalse->getShape()},
                             {1, 2})))
    return failure();
  FailureOr<SmallVector<int64_t>> shape = broadcastShapes(
      report,
      {condition->getShape(), onTrue->getShape(), onFalse->getShape()},
      {0, 1, 2});
  if (failed(shape))
    return failure();
  results.push_back(RankedTensorType::get(*shape, onTrue->getElementType()));
  return success();
}

//===----------------------------------------------------------------------===//
// Folders: x + 0, x - 0, x * 1, x / 1, -(-x)
//===----------------------------------------------------------------------===//

static bool isSplatZero(Attribute attr) {
  return attr && (matchPattern(attr, m_AnyZeroFloat()) ||
                  matchPattern(attr, m_Zero()));
}

static bool isSplatOne(Attribute attr) {
  return attr &&
         (matchPattern(attr, m_OneFloat()) || matchPattern(attr, m_One()));
}

/// Folding `op(x, c)` to `x` is only right when `x` already has the result's
/// type: a splat that broadcasts `x` to a larger shape must stay.
static OpFoldResult foldToOperandIf(Operation *op, Value operand, bool cond) {
  if (cond && operand.getType() == op->getResult(0).getType())
    return operand;
  return {};
}

// The sign of a zero is not preserved (x + 0 where x = -0.0 yields -0.0
// instead of +0.0), as in every ML compiler's algebraic simplifier.
OpFoldResult AddOp::fold(FoldAdaptor adaptor) {
  if (OpFoldResult r =
          foldToOperandIf(*this, getLhs(), isSplatZero(adaptor.getRhs())))
    return r;
  return foldToOperandIf(*this, getRhs(), isSplatZero(adaptor.getLhs()));
}

OpFoldResult SubOp::fold(FoldAdaptor adaptor) {
  return foldToOperandIf(*this, getLhs(), isSplatZero(adaptor.getRhs()));
}

OpFoldResult MulOp::fold(FoldAdaptor adaptor) {
  if (OpFoldResult r =
          foldToOperandIf(*this, getLhs(), isSplatOne(adaptor.getRhs())))
    return r;
  return foldToOperandIf(*this, getRhs(), isSplatOne(adaptor.getLhs()));
}

OpFoldResult DivOp::fold(FoldAdaptor adaptor) {
  return foldToOperandIf(*this, getLhs(), isSplatOne(adaptor.getRhs()));
}

OpFoldResult NegOp::fold(FoldAdaptor) {
  if (auto inner = getInput().getDefiningOp<NegOp>())
    return inner.getInput();
  return {};
}

//===----------------------------------------------------------------------===//
// Constants, casts, iota
//===----------------------------------------------------------------------===//

LogicalResult ConstantOp::inferReturnTypes(MLIRContext *,
                                           std::optional<Location> loc,
                                           Adaptor adaptor,
                                           SmallVectorImpl<Type> &results) {
  ElementsAttr value = adaptor.getValueAttr();
  if (!value)
    return RuleReporter(loc, getOperationName())
        .fail("requires a 'value' elements attribute");
  results.push_back(value.getType());
  return success();
}

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValueAttr(); }

OpFoldResult CastOp::fold(FoldAdaptor) {
  if (getInput().getType() == getType())
    return getInput();
  return {};
}

LogicalResult IotaOp::verify() {
  int64_t rank = getType().getRank();
  // I64Attr getters return uint64_t; read the dimension as signed.
  int64_t dim = static_cast<int64_t>(getDim());
  if (dim < 0 || dim >= rank)
    return emitOpError("dim ")
           << dim << " is out of range for the rank-" << rank
           << " result (expected 0 <= dim < " << rank << ")";
  return success();
}
