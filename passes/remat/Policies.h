//===- Policies.h - --ds-remat's policies -----------------------*- C++ -*-===//
//
// none:      recompute only what is free to rebuild (views of values the
//            backward pass has, constants, iotas).
// full:      every layer (the body of a ds.scan) keeps only its input and
//            runs its forward again in its backward pass.
// selective: keep what GEMMs, attention and the expert FFNs produce;
//            recompute the elementwise, normalisation, rope, softmax and
//            routing values that can be rebuilt from values kept anyway.
// Budgets choose among these per layer (Budget.h).
//
//===----------------------------------------------------------------------===//

#ifndef DS_PASSES_REMAT_POLICIES_H
#define DS_PASSES_REMAT_POLICIES_H

#include "passes/autodiff/Remat.h"

#include <memory>
#include <string>

namespace mlir::ds {

/// The policy `name` ("none", "full" or "selective"), or null.
std::unique_ptr<RematPolicy> makeRematPolicy(llvm::StringRef name);

} // namespace mlir::ds

#endif // DS_PASSES_REMAT_POLICIES_H
