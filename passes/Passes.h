//===- Passes.h - DS's passes -----------------------------------*- C++ -*-===//
//
// Declares every DS pass (see Passes.td) and their registration.
//
//===----------------------------------------------------------------------===//

#ifndef DS_PASSES_PASSES_H
#define DS_PASSES_PASSES_H

#include "mlir/Pass/Pass.h"

namespace mlir {
class ModuleOp;
} // namespace mlir

namespace mlir::ds {

#define GEN_PASS_DECL
#include "passes/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"

} // namespace mlir::ds

#endif // DS_PASSES_PASSES_H
