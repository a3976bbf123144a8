//===- ScanGradient.cpp - differentiating ds.scan --------------------------===//
//
// A scan over `@f` runs `@f` once per layer. Its forward pass becomes a scan
// over a wrapper of `@f_fwd` that also outputs, per layer, the residuals and
// the carries the layer received; its backward pass is a reversed scan over a
// wrapper of `@f_bwd` that carries the carries' cotangents and the running sums
// of the invariants' gradients, and outputs the stacked operands' gradients
// per layer.
//
//===----------------------------------------------------------------------===//

#include "passes/autodiff/Sweep.h"

#include "dialects/ds/DsDialect.h"

using namespace mlir;
using namespace mlir::ds;
using namespace mlir::ds::autodiff;

/// `type` with a leading dimension of `layers`.
static RankedTensorType stackedType(Type type, int64_t layers) {
  auto tensor = cast<RankedTensorType>(type);
  SmallVector<int64_t> shape = {layers};
  llvm::append_range(shape, tensor.getShape());
  return tensor.clone(shape);
}

static RankedTensorType sliceType(Type type) {
  auto tensor = cast<RankedTensorType>(type);
  return tensor.clone(tensor.getShape().drop_front());
}

FailureOr<ScanGradient *> Differentiator::differentiateScan(ScanOp scan) {
  auto callee =
      SymbolTable::lookupNearestSymbolFrom<func::FuncOp>(scan, scan.getCalleeAttr());
  if (!callee)
    return scan.emitError("cannot differentiate a scan over an unknown "
                          "function");
  if (ShapedType::isDynamic(scan.getNumLayers()))
    return scan.emitError("cannot differentiate a scan with a dynamic number "
                          "of layers");
  unsigned numCarries = scan.getCarries().size();
  unsigned numInvariants = scan.getInvariants().size();
  auto key = std::make_tuple(callee.getOperation(), numCarries, numInvariants);
  auto found = scanWrappers.find(key);
  if (found != scanWrappers.end())
    return found->second.get();

  FailureOr<CalleeGradient *> gradient = differentiateCallee(callee, scan, RematRole::Layer);
  if (failed(gradient))
    return failure();
  auto wrappers = std::make_unique<ScanGradient>();
  ScanGradient &w = *wrappers;
  w.callee = *gradient;
  w.numCarries = numCarries;
  w.numInvariants = numInvariants;
  FunctionType type = callee.getFunctionType();
  w.numStacked = type.getNumInputs() - numCarries - numInvariants;
  w.numYs = type.getNumResults() - numCarries;
  for (unsigned i = 0; i < type.getNumInputs(); ++i) {
    if (!isFloatTensor(type.getInput(i)))
      continue;
    if (i < numCarries)
      w.floatCarries.push_back(i);
    else if (i < numCarries + numInvariants)
      w.floatInvariants.push_back(i - numCarries);
    else
      w.floatStacked.push_back(i - numCarries - numInvariants);
  }
  for (unsigned i = 0; i < w.numYs; ++i)
    if (isFloatTensor(type.getResult(numCarries + i)))
      w.floatYs.push_back(i);
  Location loc = scan.getLoc();
  MLIRContext *context = scan.getContext();

  // Forward wrapper: (c, i, s) -> (c', y, residuals, c).
  func::FuncOp forwardCallee = w.callee->forward;
  SmallVector<Type> forwardResults(forwardCallee.getFunctionType().getResults());
  llvm::append_range(forwardResults, type.getInputs().take_front(numCarries));
  w.forward = createFunction(loc, (callee.getSymName() + "_fwd_scan").str(),
                             FunctionType::get(context, type.getInputs(),
                                               forwardResults));
  {
    Block *block = w.forward.addEntryBlock();
    OpBuilder b = OpBuilder::atBlockEnd(block);
    auto call = func::CallOp::create(b, loc, forwardCallee, block->getArguments());
    SmallVector<Value> results(call.getResults());
    llvm::append_range(results, block->getArguments().take_front(numCarries));
    func::ReturnOp::create(b, loc, results);
  }

  // Backward wrapper.
  //   carries:    cotangents of float carries, sums of float invariants' grads
  //   invariants: the invariants
  //   stacked:    carry inputs, stacked operands, residuals, float ys' cotangents
  func::FuncOp backwardCallee = w.callee->backward;
  ArrayRef<Type> residualTypes =
      forwardCallee.getFunctionType().getResults().drop_front(
          type.getNumResults());
  SmallVector<Type> inputs, results;
  for (unsigned i : w.floatCarries)
    inputs.push_back(type.getInput(i));
  for (unsigned i : w.floatInvariants)
    inputs.push_back(type.getInput(numCarries + i));
  llvm::append_range(inputs,
                     type.getInputs().slice(numCarries, numInvariants));
  llvm::append_range(inputs, type.getInputs().take_front(numCarries));
  llvm::append_range(inputs, type.getInputs().drop_front(numCarries + numInvariants));
  llvm::append_range(inputs, residualTypes);
  for (unsigned i : w.floatYs)
    inputs.push_back(type.getResult(numCarries + i));
  for (unsigned i : w.floatCarries)
    results.push_back(type.getInput(i));
  for (unsigned i : w.floatInvariants)
    results.push_back(type.getInput(numCarries + i));
  for (unsigned i : w.floatStacked)
    results.push_back(type.getInput(numCarries + numInvariants + i));
  w.backward = createFunction(loc, (callee.getSymName() + "_bwd_scan").str(),
                              FunctionType::get(context, inputs, results));
  {
    Block *block = w.backward.addEntryBlock();
    OpBuilder b = OpBuilder::atBlockEnd(block);
    ValueRange args = block->getArguments();
    unsigned nfc = w.floatCarries.size(), nfi = w.floatInvariants.size();
    ValueRange carryCotangents = args.take_front(nfc);
    ValueRange sums = args.slice(nfc, nfi);
    ValueRange invariants = args.slice(nfc + nfi, numInvariants);
    ValueRange carryInputs = args.slice(nfc + nfi + numInvariants, numCarries);
    ValueRange stacked =
        args.slice(nfc + nfi + numInvariants + numCarries, w.numStacked);
    ValueRange residuals = args.slice(
        nfc + nfi + numInvariants + numCarries + w.numStacked,
        residualTypes.size());
    ValueRange yCotangents = args.take_back(w.floatYs.size());

    // @f_bwd(arguments, cotangents of float results, residuals).
    SmallVector<Value> operands(carryInputs);
    llvm::append_range(operands, invariants);
    llvm::append_range(operands, stacked);
    llvm::append_range(operands, carryCotangents);
    llvm::append_range(operands, yCotangents);
    llvm::append_range(operands, residuals);
    auto call = func::CallOp::create(b, loc, backwardCallee, operands);
    ValueRange grads = call.getResults();
    SmallVector<Value> returned(grads.take_front(nfc));
    for (auto [sum, grad] : llvm::zip(sums, grads.slice(nfc, nfi)))
      returned.push_back(AddOp::create(b, loc, sum, grad));
    llvm::append_range(returned, grads.drop_front(nfc + nfi));
    func::ReturnOp::create(b, loc, returned);
  }

  auto [it, inserted] = scanWrappers.try_emplace(key, std::move(wrappers));
  return it->second.get();
}

LogicalResult Sweep::reverseScan(ScanOp scan, ScanGradient &w) {
  Location loc = scan.getLoc();
  int64_t layers = scan.getNumLayers();
  unsigned numResiduals = w.callee->numResiduals;
  ValueRange results = scan.getResults();
  ValueRange ys = results.slice(w.numCarries, w.numYs);
  ValueRange residuals = results.slice(w.numCarries + w.numYs, numResiduals);
  ValueRange carryInputs =
      results.slice(w.numCarries + w.numYs + numResiduals, w.numCarries);

  SmallVector<Value> carries, invariants, stacked;
  for (unsigned i : w.floatCarries)
    carries.push_back(cotangentOrZeros(results[i], loc));
  for (unsigned i : w.floatInvariants)
    carries.push_back(buildZeros(b, loc, scan.getInvariants()[i].getType()));
  for (Value invariant : scan.getInvariants())
    invariants.push_back(primal(invariant));
  for (Value carryInput : carryInputs)
    stacked.push_back(primal(carryInput));
  for (Value operand : scan.getStacked())
    stacked.push_back(primal(operand));
  for (Value residual : residuals)
    stacked.push_back(primal(residual));
  for (unsigned i : w.floatYs)
    stacked.push_back(cotangentOrZeros(ys[i], loc));

  SmallVector<Type> resultTypes;
  for (unsigned i : w.floatCarries)
    resultTypes.push_back(scan.getCarries()[i].getType());
  for (unsigned i : w.floatInvariants)
    resultTypes.push_back(scan.getInvariants()[i].getType());
  for (unsigned i : w.floatStacked)
    resultTypes.push_back(
        stackedType(sliceType(scan.getStacked()[i].getType()), layers));
  auto backward = ScanOp::create(b, loc, resultTypes, w.backward.getSymName(),
                                 carries, invariants, stacked,
                                 !scan.getReverse());

  unsigned position = 0;
  for (unsigned i : w.floatCarries)
    accumulate(scan, i, backward.getResult(position++));
  for (unsigned i : w.floatInvariants)
    accumulate(scan, w.numCarries + i, backward.getResult(position++));
  for (unsigned i : w.floatStacked)
    accumulate(scan, w.numCarries + w.numInvariants + i,
               backward.getResult(position++));
  return success();
}
