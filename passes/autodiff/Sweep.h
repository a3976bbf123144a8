//===- Sweep.h - the backward sweep of reverse-mode autodiff ----*- C++ -*-===//
//
// Private to passes/autodiff: the state shared by the entry function's
// differentiation, the callees' and the scans'.
//
//===----------------------------------------------------------------------===//

#ifndef DS_PASSES_AUTODIFF_SWEEP_H
#define DS_PASSES_AUTODIFF_SWEEP_H

#include "passes/autodiff/Remat.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/CallInterfaces.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"

#include <map>
#include <memory>
#include <tuple>

namespace mlir::ds {
class ScanOp;
} // namespace mlir::ds

namespace mlir::ds::autodiff {

bool isFloatTensor(Type type);
/// The ops of `block`, in order (a snapshot: the sweep appends to blocks).
SmallVector<Operation *> forwardOps(Block &block);

/// `@f` differentiated: `@f_fwd` and `@f_bwd` (see Autodiff.h).
struct CalleeGradient {
  func::FuncOp forward, backward;
  SmallVector<unsigned> floatArguments, floatResults;
  unsigned numResiduals = 0;
};

/// A scan over `@f` differentiated: wrappers of `@f_fwd` and `@f_bwd` in the
/// scan callee convention.
///   forward:  (carries, invariants, stacked) ->
///             (carries, ys, residuals, carry inputs)
///   backward: (carry cotangents, invariant gradient sums | invariants |
///              carry inputs, stacked, residuals, y cotangents) ->
///             (carry gradients, invariant gradient sums, stacked gradients)
/// Only float carries, invariants, stacked operands and ys take part in the
/// backward signature.
struct ScanGradient {
  func::FuncOp forward, backward;
  CalleeGradient *callee = nullptr;
  unsigned numCarries = 0, numInvariants = 0, numStacked = 0, numYs = 0;
  SmallVector<unsigned> floatCarries, floatInvariants, floatStacked, floatYs;
};

/// The forward copy of a function being differentiated.
struct ForwardPass {
  IRMapping map;                   // source value -> forward value
  llvm::DenseSet<Value> active;    // forward values that need gradients
  llvm::DenseMap<Operation *, CalleeGradient *> calls;
  llvm::DenseMap<Operation *, ScanGradient *> scans;
};

class Differentiator {
public:
  Differentiator(ModuleOp module, const RematPolicy *remat);

  LogicalResult cloneForward(Block &source, OpBuilder &b, ForwardPass &forward);
  FailureOr<CalleeGradient *> differentiateCallee(CallOpInterface call);
  FailureOr<CalleeGradient *> differentiateCallee(func::FuncOp callee,
                                                  Operation *user,
                                                  RematRole role);
  FailureOr<ScanGradient *> differentiateScan(ScanOp scan);

  func::FuncOp createFunction(Location loc, StringRef name, FunctionType type);

private:
  std::string uniqueName(StringRef base);
  /// Builds `@f_bwd` for the forward function `forward` (whose values
  /// `pass` maps), recomputing the values of `plan` (if any) instead of
  /// taking them as residuals. Returns the residuals it reads.
  FailureOr<SmallVector<Value>> buildBackward(func::FuncOp callee,
                                              CalleeGradient &gradient,
                                              ForwardPass &pass,
                                              ArrayRef<Value> results,
                                              const RematPlan *plan);

  ModuleOp module;
  const RematPolicy *remat;
  llvm::DenseMap<Operation *, std::unique_ptr<CalleeGradient>> callees;
  llvm::DenseSet<Operation *> inProgress;
  std::map<std::tuple<Operation *, unsigned, unsigned>,
           std::unique_ptr<ScanGradient>>
      scanWrappers;
};

/// Walks forward ops in reverse, building the backward pass at `b`.
class Sweep {
public:
  Sweep(Differentiator &differentiator, ForwardPass &forward, OpBuilder &b);

  /// Maps a forward value to its backward counterpart explicitly.
  void setPrimal(Value forward, Value backward) {
    primals[forward] = backward;
  }
  /// Forward values the backward pass reads become new arguments of
  /// `block` (the residuals); without this they are used directly.
  void useResiduals(Block *block) { residualBlock = block; }
  /// Forward values to recompute in the residual block instead of taking
  /// them as residuals.
  void useRematPlan(const RematPlan *plan) { rematPlan = plan; }
  /// Adds `cotangent` to the cotangent of forward value `value`.
  void seed(Value value, Value cotangent);

  LogicalResult run(ArrayRef<Operation *> ops);

  /// The accumulated gradient of `value`, or zeros.
  Value gradientOrZeros(Value value);
  /// The forward values read by the backward pass, in argument order.
  ArrayRef<Value> residuals() const { return residualValues; }

  // What VJP rules see (through VjpBuilder).
  Value primal(Value forward);
  Value cotangentOf(Value forward) const { return cotangents.lookup(forward); }
  Value cotangentOrZeros(Value forward, Location loc);
  bool isActive(Value forward) const { return pass.active.contains(forward); }
  /// Adds `gradient` to the gradient of `op`'s operand `index`; reports a
  /// mismatched type as an internal error at `op`.
  void accumulate(Operation *op, unsigned index, Value gradient);
  bool hasFailed() const { return failedFlag; }
  OpBuilder &builder() { return b; }

private:
  LogicalResult reverseCall(func::CallOp call, CalleeGradient &callee);
  LogicalResult reverseScan(ScanOp scan, ScanGradient &wrappers);
  LogicalResult reverseOp(Operation *op);
  /// Clones the op defining `forward` (a value of the remat plan) at the
  /// insertion point, its operands taken through `primal`.
  Value rematerialize(Value forward, StringRef why);

  Differentiator &differentiator;
  ForwardPass &pass;
  OpBuilder &b;
  Block *residualBlock = nullptr;
  const RematPlan *rematPlan = nullptr;
  llvm::DenseMap<Value, Value> primals;
  llvm::DenseMap<Value, Value> cotangents;
  SmallVector<Value> residualValues;
  bool failedFlag = false;
};

/// A zero tensor of `type`.
Value buildZeros(OpBuilder &b, Location loc, Type type);

} // namespace mlir::ds::autodiff

#endif // DS_PASSES_AUTODIFF_SWEEP_H
