//===- Remat.h - which forward values a backward pass recomputes -*- C++ -*-===//
//
// The backward pass of `@f` reads forward values of `@f` (its residuals).
// Each one is either saved (returned by `@f_fwd`, passed to `@f_bwd`, and
// stacked per layer by a scan) or recomputed in `@f_bwd` from values it has
// anyway. A RematPolicy makes that choice once per differentiated function;
// the sweep then clones the chosen values' defining ops into the backward
// function, just before their first use, and marks each clone with a
// `ds.remat` attribute saying why, how many bytes it spares and what it
// costs. See docs/remat.md.
//
//===----------------------------------------------------------------------===//

#ifndef DS_PASSES_AUTODIFF_REMAT_H
#define DS_PASSES_AUTODIFF_REMAT_H

#include "mlir/IR/Block.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>

namespace mlir {
class Operation;
class Type;
} // namespace mlir

namespace mlir::ds {

/// The attribute on every recomputed op of a backward function:
/// `{why = "...", bytes = <result bytes>, flops = <cost>}`. Its location is
/// the forward op's.
inline constexpr llvm::StringLiteral kRematAttrName = "ds.remat";

/// Where a differentiated function runs: a layer is the body of a `ds.scan`
/// (one call per layer), anything else is a call.
enum class RematRole { Call, Layer };

/// The values a backward pass recomputes, each with the reason (a string
/// literal) recorded in the IR. Every operand of a recomputed value must be
/// an argument of the forward function, a recomputed value, or a value the
/// backward pass reads anyway (a residual).
using RematPlan = llvm::MapVector<Value, llvm::StringRef>;

class RematPolicy {
public:
  virtual ~RematPolicy();
  /// The policy's name, as `--ds-remat` spells it.
  virtual llvm::StringRef name() const = 0;
  /// Chooses the values to recompute in the backward pass of one function.
  /// `forward` is the body of `@f_fwd`; `needed` are the forward values a
  /// backward pass that recomputed nothing would read, in forward order.
  virtual void choose(Block &forward, ArrayRef<Value> needed, RematRole role,
                      RematPlan &plan) const = 0;
};

/// The rule every policy starts from (and the whole of policy `none`):
/// values that are free to rebuild are never saved. Those are reshapes,
/// transposes and broadcasts of arguments, of saved values or of other free
/// values (constants and iotas are always rebuilt by the sweep).
void addFreeValues(Block &forward, ArrayRef<Value> needed, RematPlan &plan);

/// Bytes of a statically shaped tensor (0 for anything else).
int64_t tensorBytes(Type type);
/// The floating-point operations `op` performs (multiply-adds count two):
/// exact for GEMMs and attention, an estimate of a few per element for
/// elementwise ops, normalisations and reductions; a call costs its callee's
/// body, a scan its body once per layer. Shape ops cost nothing.
int64_t flopsOf(Operation *op);
/// Whether `op` is cheap to recompute relative to the memory its result
/// takes: elementwise ops, normalisations, rope, softmax, reductions,
/// routing and shape ops. GEMMs, attention, expert FFNs, the loss, calls,
/// scans and collectives are not.
bool isCheapToRecompute(Operation *op);

} // namespace mlir::ds

#endif // DS_PASSES_AUTODIFF_REMAT_H
