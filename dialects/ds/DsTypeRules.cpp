//===- DsTypeRules.cpp - shared shape and type rules of ds ops ------------===//

#include "dialects/ds/DsTypeRules.h"

#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::ds;

std::string mlir::ds::formatShape(ArrayRef<int64_t> shape) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << '[';
  llvm::interleaveComma(shape, os, [&](int64_t dim) {
    if (ShapedType::isDynamic(dim))
      os << '?';
    else
      os << dim;
  });
  os << ']';
  return text;
}

bool mlir::ds::shapesCompatible(ArrayRef<int64_t> a, ArrayRef<int64_t> b) {
  if (a.size() != b.size())
    return false;
  for (auto [x, y] : llvm::zip_equal(a, b))
    if (!dimsCompatible(x, y))
      return false;
  return true;
}

FailureOr<SmallVector<int64_t>>
mlir::ds::broadcastShapes(const RuleReporter &report,
                          ArrayRef<ArrayRef<int64_t>> shapes,
                          ArrayRef<unsigned> operandNumbers) {
  size_t rank = 0;
  for (ArrayRef<int64_t> shape : shapes)
    rank = std::max(rank, shape.size());

  // Walk the dimensions from the trailing end; `owner[d]` remembers which
  // operand fixed result dimension d, for the diagnostic.
  SmallVector<int64_t> result(rank, 1);
  SmallVector<int> owner(rank, -1);
  for (auto [index, shape] : llvm::enumerate(shapes)) {
    size_t lead = rank - shape.size();
    for (auto [d, dim] : llvm::enumerate(shape)) {
      int64_t &out = result[lead + d];
      if (dim == 1)
        continue;
      if (out == 1) {
        out = dim;
        owner[lead + d] = index;
        continue;
      }
      if (ShapedType::isDynamic(dim))
        continue; // a static size wins; ? may be 1 or equal at run time
      if (ShapedType::isDynamic(out)) {
        out = dim;
        owner[lead + d] = index;
        continue;
      }
      if (out != dim) {
        unsigned other = owner[lead + d];
        return report.fail(
            "operand #", operandNumbers[index], " of shape ",
            formatShape(shape), " does not broadcast with operand #",
            operandNumbers[other], " of shape ", formatShape(shapes[other]),
            ": dimension ", dim, " vs. ", out,
            " (dimensions must be equal or 1)");
      }
    }
  }
  return result;
}

LogicalResult mlir::ds::checkAxis(const RuleReporter &report, StringRef what,
                                  int64_t axis, int64_t rank) {
  if (axis < 0 || axis >= rank)
    return report.fail(what, " ", axis, " is out of range for a rank-", rank,
                       " operand (expected 0 <= ", what, " < ", rank, ")");
  return success();
}

FailureOr<RankedTensorType> mlir::ds::getRankedOperand(
    const RuleReporter &report, Value value, unsigned number) {
  if (!value)
    return report.fail("operand #", number, " is missing");
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type)
    return report.fail("operand #", number, " must be a ranked tensor, got ",
                       value.getType());
  return type;
}

ParseResult mlir::ds::parseBroadcastTypes(OpAsmParser &parser, Type &lhs,
                                          Type &rhs, Type &result) {
  if (succeeded(parser.parseOptionalLParen())) {
    if (parser.parseType(lhs) || parser.parseComma() ||
        parser.parseType(rhs) || parser.parseRParen() ||
        parser.parseArrow() || parser.parseType(result))
      return failure();
    return success();
  }
  if (parser.parseType(lhs))
    return failure();
  rhs = result = lhs;
  return success();
}

void mlir::ds::printBroadcastTypes(OpAsmPrinter &printer, Operation *,
                                   Type lhs, Type rhs, Type result) {
  if (lhs == rhs && rhs == result) {
    printer << lhs;
    return;
  }
  printer << '(' << lhs << ", " << rhs << ") -> " << result;
}
