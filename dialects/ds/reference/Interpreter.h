//===- Interpreter.h - the ds reference interpreter -------------*- C++ -*-===//
//
// Executes any function of ds ops (with func.call, func.return and ds.scan)
// on the CPU with plain, obviously correct loops. Every backend and every
// transformation is checked against it.
//
// Arithmetic is carried out in double precision and each op's results are
// rounded once to their element type, so an f64 function is computed in f64,
// an f32 function gives what f32 arithmetic with exactly rounded ops gives,
// and bf16/f16/fp8 values are exactly the values those types hold.
//
// Run-time errors (an index out of range, an argument of the wrong shape, a
// dynamic size that does not match) are reported as MLIR diagnostics at the
// location of the op that found them, and the call returns failure.
//
//===----------------------------------------------------------------------===//

#ifndef DS_DIALECTS_DS_REFERENCE_INTERPRETER_H
#define DS_DIALECTS_DS_REFERENCE_INTERPRETER_H

#include "dialects/ds/reference/Tensor.h"

#include "mlir/Support/LLVM.h"
#include "llvm/ADT/ArrayRef.h"

#include <vector>

namespace mlir {
class Type;
namespace func {
class FuncOp;
} // namespace func
} // namespace mlir

namespace mlir::ds::reference {

/// Runs `function` on `arguments` (one per function argument, matching its
/// type: same element type, same static dimensions) and returns its results.
FailureOr<std::vector<Tensor>> interpret(func::FuncOp function,
                                         llvm::ArrayRef<Tensor> arguments);

/// The element kind of an MLIR element type, if ds supports it.
std::optional<ElementKind> elementKindOf(Type type);

} // namespace mlir::ds::reference

#endif // DS_DIALECTS_DS_REFERENCE_INTERPRETER_H
