//===- DsTypeRules.h - shared shape and type rules of ds ops ----*- C++ -*-===//
//
// The rules several ops share (broadcasting, axis checks, shape formatting)
// and the reporting helper used by result-type inference. Inference doubles as
// verification, so every rule reports what broke, naming the op and operand.
//
//===----------------------------------------------------------------------===//

#ifndef DS_DIALECTS_DS_DSTYPERULES_H
#define DS_DIALECTS_DS_DSTYPERULES_H

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/OpImplementation.h"

#include <algorithm>
#include <optional>
#include <string>

namespace mlir::ds {

/// Reports broken type rules of one op. Result-type inference runs both while
/// verifying (with a location: report) and speculatively while building (no
/// location: stay silent), so reporting goes through this one place.
class RuleReporter {
public:
  RuleReporter(std::optional<Location> loc, StringRef opName)
      : loc(loc), opName(opName) {}

  /// Emits "'<op>' op <args...>" at the op's location, if there is one, and
  /// returns failure.
  template <typename... Args>
  LogicalResult fail(Args &&...args) const {
    if (loc) {
      InFlightDiagnostic diag = emitError(*loc);
      diag << "'" << opName << "' op ";
      (diag << ... << std::forward<Args>(args));
    }
    return failure();
  }

private:
  std::optional<Location> loc;
  StringRef opName;
};

/// "[4, ?, 8]": how shapes appear in diagnostics.
std::string formatShape(ArrayRef<int64_t> shape);

/// The bytes of a statically shaped tensor or buffer (elements of less than
/// a byte count one byte each); 0 for a dynamic shape or a non-shaped type.
/// The one measure of size the passes count memory and traffic with.
inline int64_t staticByteSize(Type type) {
  auto shaped = dyn_cast<ShapedType>(type);
  if (!shaped || !shaped.hasStaticShape())
    return 0;
  return shaped.getNumElements() *
         std::max<int64_t>((shaped.getElementTypeBitWidth() + 7) / 8, 1);
}

/// True if two dimensions can be equal at run time (either is dynamic, or
/// both are the same static size).
inline bool dimsCompatible(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

/// True if the shapes have the same rank and compatible dimensions.
bool shapesCompatible(ArrayRef<int64_t> a, ArrayRef<int64_t> b);

/// NumPy broadcasting of several operand shapes; `operandNumbers[i]` is the
/// operand number of `shapes[i]`, used in the diagnostic.
FailureOr<SmallVector<int64_t>>
broadcastShapes(const RuleReporter &report, ArrayRef<ArrayRef<int64_t>> shapes,
                ArrayRef<unsigned> operandNumbers);

/// Checks that `axis` indexes a dimension of a rank-`rank` tensor; `what`
/// names the attribute in the diagnostic.
LogicalResult checkAxis(const RuleReporter &report, StringRef what,
                        int64_t axis, int64_t rank);

/// Checks that `value` is a ranked tensor and returns it, or reports.
FailureOr<RankedTensorType> getRankedOperand(const RuleReporter &report,
                                             Value value, unsigned number);

/// Result type of a binary elementwise op: the operands' broadcast shape and
/// their common element type.
LogicalResult inferBinaryElementwise(std::optional<Location> loc,
                                     StringRef opName, Value lhs, Value rhs,
                                     SmallVectorImpl<Type> &results);

/// Result type of a reduction over `axes` (unique, in range, non-empty).
LogicalResult inferReduction(std::optional<Location> loc, StringRef opName,
                             Value input, ArrayRef<int64_t> axes,
                             bool keepDims, SmallVectorImpl<Type> &results);

/// The `custom<BroadcastTypes>` directive of binary elementwise ops: `: T` when
/// both operands and the result have type T, otherwise `: (A, B) -> C`.
ParseResult parseBroadcastTypes(OpAsmParser &parser, Type &lhs, Type &rhs,
                                Type &result);
void printBroadcastTypes(OpAsmPrinter &printer, Operation *op, Type lhs,
                         Type rhs, Type result);

} // namespace mlir::ds

#endif // DS_DIALECTS_DS_DSTYPERULES_H
