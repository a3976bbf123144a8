//===- Evaluators.h - per-family op evaluators (private) --------*- C++ -*-===//
//
// The interpreter dispatches each ds op to its family's evaluator. Each
// evaluator returns std::nullopt for ops outside its family, failure after
// reporting a run-time error at the op, and success after appending one
// tensor per op result (already rounded to the result's element type).
//
//===----------------------------------------------------------------------===//

#ifndef DS_DIALECTS_DS_REFERENCE_EVALUATORS_H
#define DS_DIALECTS_DS_REFERENCE_EVALUATORS_H

#include "dialects/ds/reference/Tensor.h"

#include "mlir/IR/Operation.h"
#include "mlir/IR/Value.h"

#include <optional>

namespace mlir::ds::reference::eval {

using Operands = llvm::ArrayRef<const Tensor *>;
using Results = std::vector<Tensor>;

std::optional<LogicalResult> evaluateElementwiseOp(Operation *op,
                                                   Operands operands,
                                                   Results &results);
std::optional<LogicalResult> evaluateShapeOp(Operation *op, Operands operands,
                                             Results &results);
std::optional<LogicalResult> evaluateModelOp(Operation *op, Operands operands,
                                             Results &results);

/// The element kind of `value`'s tensor type.
ElementKind kindOf(Value value);

/// A zero tensor for `result` with the given (run-time) shape.
Tensor makeResult(Value result, std::vector<int64_t> shape);

/// NumPy broadcast of two shapes (their compatibility is checked by the
/// verifier and, for dynamic sizes, here: returns false when incompatible).
bool broadcastShapes(const std::vector<int64_t> &a,
                     const std::vector<int64_t> &b, std::vector<int64_t> &out);

/// For each flat index of `resultShape`, the flat index of the element of a
/// tensor of `shape` that broadcasting reads.
std::vector<int64_t> broadcastIndexMap(const std::vector<int64_t> &shape,
                                       const std::vector<int64_t> &resultShape);

/// Decomposes `flat` into a multi-index of `shape`.
void unflatten(int64_t flat, const std::vector<int64_t> &shape,
               std::vector<int64_t> &index);

} // namespace mlir::ds::reference::eval

#endif // DS_DIALECTS_DS_REFERENCE_EVALUATORS_H
