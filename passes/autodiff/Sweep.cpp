//===- Sweep.cpp - the backward sweep: ops, calls and their VJPs ----------===//

#include "passes/autodiff/Sweep.h"

#include "dialects/ds/DsDialect.h"
#include "dialects/ds/Vjp.h"

using namespace mlir;
using namespace mlir::ds;
using namespace mlir::ds::autodiff;

Value autodiff::buildZeros(OpBuilder &b, Location loc, Type type) {
  auto tensor = cast<RankedTensorType>(type);
  return ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(tensor,
                             FloatAttr::get(tensor.getElementType(), 0.0)));
}

namespace {
/// What a ds op's VJP rule sees: its forward values through the sweep.
class OpVjp final : public VjpBuilder {
public:
  OpVjp(Sweep &sweep, Operation *op)
      : VjpBuilder(sweep.builder(), op), sweep(sweep) {}

  Value primal(Value forward) override { return sweep.primal(forward); }
  Value cotangent(unsigned index) override {
    return sweep.cotangentOrZeros(op()->getResult(index), loc());
  }
  bool needsGradient(unsigned index) override {
    return sweep.isActive(op()->getOperand(index));
  }
  void addGradient(unsigned index, Value gradient) override {
    sweep.accumulate(op(), index, gradient);
  }

private:
  Sweep &sweep;
};
} // namespace

Sweep::Sweep(Differentiator &differentiator, ForwardPass &forward,
             OpBuilder &b)
    : differentiator(differentiator), pass(forward), b(b) {}

void Sweep::seed(Value value, Value cotangent) {
  if (!isFloatTensor(value.getType()))
    return;
  Value &slot = cotangents[value];
  slot = slot ? AddOp::create(b, value.getLoc(), slot, cotangent).getResult()
              : cotangent;
}

Value Sweep::primal(Value forward) {
  if (!residualBlock)
    return forward;
  if (Value known = primals.lookup(forward))
    return known;
  // Constants and iotas are cheaper to rebuild than to keep.
  Operation *definer = forward.getDefiningOp();
  if (definer && definer->getNumOperands() == 0 &&
      definer->getNumRegions() == 0 && isa<ConstantOp, IotaOp>(definer)) {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(residualBlock);
    Operation *copy = b.clone(*definer);
    for (auto [from, to] : llvm::zip(definer->getResults(), copy->getResults()))
      primals[from] = to;
    return primals.lookup(forward);
  }
  if (rematPlan)
    if (auto planned = rematPlan->find(forward); planned != rematPlan->end())
      return rematerialize(forward, planned->second);
  Value argument = residualBlock->addArgument(forward.getType(), forward.getLoc());
  residualValues.push_back(forward);
  primals[forward] = argument;
  return argument;
}

Value Sweep::rematerialize(Value forward, StringRef why) {
  Operation *definer = forward.getDefiningOp();
  IRMapping operands;
  for (Value operand : definer->getOperands())
    operands.map(operand, primal(operand));
  Operation *copy = b.clone(*definer, operands);
  int64_t bytes = 0;
  for (Value result : definer->getResults())
    bytes += tensorBytes(result.getType());
  MLIRContext *context = definer->getContext();
  auto i64 = [&](int64_t value) {
    return IntegerAttr::get(IntegerType::get(context, 64), value);
  };
  NamedAttribute fields[] = {
      {StringAttr::get(context, "bytes"), i64(bytes)},
      {StringAttr::get(context, "flops"), i64(flopsOf(definer))},
      {StringAttr::get(context, "why"), StringAttr::get(context, why)}};
  copy->setAttr(kRematAttrName, DictionaryAttr::get(context, fields));
  for (auto [from, to] : llvm::zip(definer->getResults(), copy->getResults()))
    primals[from] = to;
  return primals.lookup(forward);
}

Value Sweep::cotangentOrZeros(Value forward, Location loc) {
  if (Value cotangent = cotangents.lookup(forward))
    return cotangent;
  return buildZeros(b, loc, forward.getType());
}

Value Sweep::gradientOrZeros(Value value) {
  return cotangentOrZeros(value, value.getLoc());
}

void Sweep::accumulate(Operation *op, unsigned index, Value gradient) {
  Value operand = op->getOperand(index);
  if (!isActive(operand))
    return;
  if (gradient.getType() != operand.getType()) {
    op->emitError("internal error: the VJP of '")
        << op->getName() << "' built a gradient of type " << gradient.getType()
        << " for operand #" << index << " of type " << operand.getType();
    failedFlag = true;
    return;
  }
  seed(operand, gradient);
}

LogicalResult Sweep::run(ArrayRef<Operation *> ops) {
  for (Operation *op : llvm::reverse(ops)) {
    bool needed = llvm::any_of(op->getResults(), [&](Value result) {
      return cotangents.contains(result);
    });
    bool active = llvm::any_of(op->getOperands(),
                               [&](Value operand) { return isActive(operand); });
    if (!needed || !active)
      continue;
    b.setInsertionPointToEnd(b.getInsertionBlock());
    if (failed(reverseOp(op)) || failedFlag)
      return failure();
  }
  return success();
}

LogicalResult Sweep::reverseOp(Operation *op) {
  if (auto call = dyn_cast<func::CallOp>(op)) {
    auto found = pass.calls.find(op);
    if (found == pass.calls.end())
      return op->emitError("internal error: call was not prepared for "
                           "differentiation");
    return reverseCall(call, *found->second);
  }
  if (auto scan = dyn_cast<ScanOp>(op)) {
    auto found = pass.scans.find(op);
    if (found == pass.scans.end())
      return op->emitError("internal error: scan was not prepared for "
                           "differentiation");
    return reverseScan(scan, *found->second);
  }
  auto vjpOp = dyn_cast<VjpOpInterface>(op);
  if (!vjpOp) {
    InFlightDiagnostic diag = op->emitError("cannot differentiate '")
                              << op->getName()
                              << "': it has no vector-Jacobian product "
                                 "(VjpOpInterface), and the loss depends on "
                                 "it through a differentiated argument";
    return diag;
  }
  OpVjp vjp(*this, op);
  return vjpOp.buildVjp(vjp);
}

LogicalResult Sweep::reverseCall(func::CallOp call, CalleeGradient &callee) {
  Location loc = call.getLoc();
  unsigned numResults =
      call.getNumResults() - callee.numResiduals;
  SmallVector<Value> operands;
  for (Value operand : call.getOperands())
    operands.push_back(primal(operand));
  for (unsigned index : callee.floatResults)
    operands.push_back(cotangentOrZeros(call.getResult(index), loc));
  for (Value residual : call.getResults().drop_front(numResults))
    operands.push_back(primal(residual));
  auto backward = func::CallOp::create(b, loc, callee.backward, operands);
  for (auto [position, index] : llvm::enumerate(callee.floatArguments))
    accumulate(call, index, backward.getResult(position));
  return success();
}
