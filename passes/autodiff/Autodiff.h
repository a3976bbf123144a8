//===- Autodiff.h - reverse-mode differentiation of ds functions -*- C++ -*-===//
//
// The library behind --ds-autodiff (and ds-gradcheck): builds, from a function
// returning a scalar loss, a function returning the loss, the function's other
// results, and the gradients of the loss with respect to chosen arguments.
//
// Layer functions are differentiated once per callee, whatever the number of
// calls: `@f` becomes `@f_fwd`, which returns `@f`'s results followed by the
// activations its backward pass reads (the residuals), and `@f_bwd`, which
// takes `@f`'s arguments, the cotangents of its float results and the
// residuals, and returns the gradients of its float arguments. A `ds.scan`
// over `@f` becomes a forward scan that stacks the residuals per layer and a
// reversed backward scan over them. Residuals are therefore explicit values
// that a later pass may choose to recompute instead of keeping.
//
//===----------------------------------------------------------------------===//

#ifndef DS_PASSES_AUTODIFF_AUTODIFF_H
#define DS_PASSES_AUTODIFF_AUTODIFF_H

#include "mlir/Support/LLVM.h"

#include <string>

namespace mlir {
namespace func {
class FuncOp;
} // namespace func
} // namespace mlir

namespace mlir::ds {

class RematPolicy;

struct AutodiffOptions {
  /// Differentiate with respect to every float argument, not only the
  /// parameters (arguments with a `ds.param` attribute).
  bool allFloatArguments = false;
  /// Take the loss cotangent (the seed of the backward pass, 1 by default) as
  /// a trailing `ds.name = "loss_seed"` argument; loss scaling needs it.
  bool seedArgument = false;
  /// The name of the new function; empty means `<entry>_grad`.
  std::string gradientName;
  /// Which forward values the backward passes recompute instead of saving
  /// (passes/remat); null: only those free to rebuild (policy `none`).
  const RematPolicy *remat = nullptr;
};

/// The attribute on a gradient function that records how it was built, so
/// that `--ds-remat` can build it again with another policy:
/// `{of = @loss, all_float_arguments = false, seed_argument = false,
///   remat = "none"}`.
inline constexpr const char *kGradientAttrName = "ds.gradient";
/// The attribute on `@f_fwd`: how many of its results, at the end, are
/// residuals (the rest are `@f`'s results).
inline constexpr const char *kResidualsAttrName = "ds.residuals";

/// The prefix of the `ds.name` of a gradient result: "grad." + the parameter
/// name (or the argument's `ds.name`, or "arg<N>").
inline constexpr const char *kGradientNamePrefix = "grad.";
/// The `ds.name` of the seed argument.
inline constexpr const char *kLossSeedName = "loss_seed";

/// Adds the gradient function of `entry` to `entry`'s module and returns it.
/// Its arguments are `entry`'s (plus the seed, if asked); its results are
/// `entry`'s results followed by one gradient per differentiated argument, in
/// argument order. Emits diagnostics and fails when `entry` cannot be
/// differentiated (non-scalar loss, an op without a VJP on the gradient's
/// path, unsupported control flow).
FailureOr<func::FuncOp> differentiateFunction(func::FuncOp entry,
                                              const AutodiffOptions &options);

} // namespace mlir::ds

#endif // DS_PASSES_AUTODIFF_AUTODIFF_H
