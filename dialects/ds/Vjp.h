//===- Vjp.h - what an op's VJP rule sees of the backward pass --*- C++ -*-===//
//
// Reverse-mode differentiation (passes/autodiff) walks a function backwards and
// asks every op for its vector–Jacobian product through VjpOpInterface. The op
// answers by building ds ops with a VjpBuilder, which hides where the backward
// pass lives: in the same function as the forward pass (the loss function
// being differentiated), or in a separate backward function of a layer, where
// each forward value it reads becomes an explicit residual argument.
//
//===----------------------------------------------------------------------===//

#ifndef DS_DIALECTS_DS_VJP_H
#define DS_DIALECTS_DS_VJP_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Value.h"

namespace mlir::ds {

class VjpBuilder {
public:
  VjpBuilder(OpBuilder &builder, Operation *op) : b(builder), forwardOp(op) {}
  virtual ~VjpBuilder();

  /// The op whose VJP is being built (in the forward pass).
  Operation *op() const { return forwardOp; }
  /// Builds at the current point of the backward pass.
  OpBuilder &builder() { return b; }
  Location loc() const { return forwardOp->getLoc(); }

  /// `forward`, an operand or result of op(), as a value of the backward pass.
  virtual Value primal(Value forward) = 0;
  Value operand(unsigned index) { return primal(forwardOp->getOperand(index)); }
  Value result(unsigned index) { return primal(forwardOp->getResult(index)); }

  /// The cotangent of float result `index` (zeros when nothing flows back to
  /// it while another result has one).
  virtual Value cotangent(unsigned resultIndex) = 0;

  /// Whether operand `index` needs a gradient (it is a float that depends on a
  /// differentiated argument).
  virtual bool needsGradient(unsigned operandIndex) = 0;

  /// Adds `gradient` (of operand `index`'s type) to that operand's gradient.
  virtual void addGradient(unsigned operandIndex, Value gradient) = 0;

  //===--------------------------------------------------------------------===//
  // Helpers the rules share
  //===--------------------------------------------------------------------===//

  /// A tensor of `type` filled with `value`.
  Value splat(RankedTensorType type, double value);
  /// A rank-0 tensor of `elementType` holding `value`.
  Value scalar(Type elementType, double value);
  /// Sums `value` down to `type`'s shape, undoing NumPy broadcasting: leading
  /// dimensions are summed away and dimensions of size 1 in `type` summed with
  /// keep_dims. Returns `value` when the shapes already agree.
  Value sumToShape(Value value, RankedTensorType type);
  /// Broadcasts `value` to `type`'s shape (no-op when equal).
  Value broadcastTo(Value value, RankedTensorType type);
  /// `value` converted to `elementType` (no-op when it already has it).
  Value castTo(Value value, Type elementType);

  /// Adds the gradient of a broadcasting elementwise operand: sums `gradient`
  /// down to operand `index`'s shape first.
  void addBroadcastGradient(unsigned operandIndex, Value gradient);

private:
  OpBuilder &b;
  Operation *forwardOp;
};

} // namespace mlir::ds

#endif // DS_DIALECTS_DS_VJP_H
