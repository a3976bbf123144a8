//===- ApproximateMathPass.cpp - --ds-approximate-math ---------------------===//
//
// f32 transcendental functions as polynomials in plain arithmetic instead of
// calls into libm. A libm call per element keeps LLVM from vectorizing the
// loop around it, and glibc's tanhf (through expm1f) alone took a tenth of a
// GPT train step; the polynomials vectorize and stay within a few ulp, far
// inside the 1e-5 relative parity with the interpreter.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include "llvm/ADT/StringSet.h"

namespace mlir::ds {
#define GEN_PASS_DEF_DSAPPROXIMATEMATHPASS
#include "passes/Passes.h.inc"

namespace {

struct ApproximateMathPass
    : impl::DsApproximateMathPassBase<ApproximateMathPass> {
  using DsApproximateMathPassBase::DsApproximateMathPassBase;

  void runOnOperation() override {
    llvm::StringSet<> chosen;
    for (const std::string &name : functions)
      chosen.insert(name);
    RewritePatternSet patterns(&getContext());
    // The patterns are keyed by full operation name ("math.tanh").
    populateMathPolynomialApproximationPatterns(patterns, [&](StringRef name) {
      return chosen.contains(name.drop_front(name.find('.') + 1));
    });
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
} // namespace mlir::ds
