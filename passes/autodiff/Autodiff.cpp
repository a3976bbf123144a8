//===- Autodiff.cpp - reverse-mode differentiation of ds functions --------===//
//
// Three steps per function:
//  1. Forward clone: the function's ops are copied into the forward function,
//     with every active call to `@f` replaced by a call to `@f_fwd` and every
//     active `ds.scan` over `@f` by a scan over a wrapper that also stacks the
//     residuals. "Active" values are floats that depend on a differentiated
//     argument; everything else is copied as is.
//  2. Backward sweep: the forward ops are visited in reverse; each op on the
//     gradient's path adds its operands' gradients (VjpOpInterface for ds ops,
//     `@f_bwd` for calls, a reversed scan for scans).
//  3. Signatures: the values the sweep read from the forward pass become
//     residual results of `@f_fwd` and arguments of `@f_bwd`; for the entry
//     function forward and backward share one body and need none.
//
//===----------------------------------------------------------------------===//

#include "passes/autodiff/Autodiff.h"
#include "passes/autodiff/Remat.h"
#include "passes/autodiff/Sweep.h"

#include "dialects/ds/DsDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/SymbolTable.h"

using namespace mlir;
using namespace mlir::ds;
using namespace mlir::ds::autodiff;

bool autodiff::isFloatTensor(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  return tensor && isa<FloatType>(tensor.getElementType());
}

SmallVector<Operation *> autodiff::forwardOps(Block &block) {
  SmallVector<Operation *> ops;
  for (Operation &op : block)
    ops.push_back(&op);
  return ops;
}

//===----------------------------------------------------------------------===//
// Differentiator: the per-module state (callees differentiated so far)
//===----------------------------------------------------------------------===//

Differentiator::Differentiator(ModuleOp module, const RematPolicy *remat)
    : module(module), remat(remat) {}

std::string Differentiator::uniqueName(StringRef base) {
  SymbolTable symbols(module);
  std::string name = base.str();
  for (int suffix = 1; symbols.lookup(name); ++suffix)
    name = (base + "_" + Twine(suffix)).str();
  return name;
}

func::FuncOp Differentiator::createFunction(Location loc, StringRef name,
                                            FunctionType type) {
  OpBuilder b(module.getBodyRegion());
  b.setInsertionPointToEnd(module.getBody());
  auto function = func::FuncOp::create(b, loc, uniqueName(name), type);
  function.setPrivate();
  return function;
}

/// Clones the body of `source` into `target` (which already has its block
/// arguments mapped in `forward.map`), rewriting active calls and scans.
LogicalResult Differentiator::cloneForward(Block &source, OpBuilder &b,
                                           ForwardPass &forward) {
  for (Operation &op : source.without_terminator()) {
    bool active = llvm::any_of(op.getOperands(), [&](Value operand) {
      return forward.active.contains(forward.map.lookup(operand));
    });
    Operation *clone = nullptr;
    if (auto call = dyn_cast<func::CallOp>(op); call && active) {
      FailureOr<CalleeGradient *> callee = differentiateCallee(call);
      if (failed(callee))
        return failure();
      SmallVector<Value> operands;
      for (Value operand : call.getOperands())
        operands.push_back(forward.map.lookup(operand));
      clone = func::CallOp::create(b, call.getLoc(), (*callee)->forward,
                                   operands);
      forward.calls[clone] = *callee;
    } else if (auto scan = dyn_cast<ScanOp>(op); scan && active) {
      FailureOr<ScanGradient *> wrappers = differentiateScan(scan);
      if (failed(wrappers))
        return failure();
      auto mapAll = [&](ValueRange values) {
        SmallVector<Value> mapped;
        for (Value value : values)
          mapped.push_back(forward.map.lookup(value));
        return mapped;
      };
      auto forwardType = (*wrappers)->forward.getFunctionType();
      SmallVector<Type> resultTypes;
      int64_t layers = scan.getNumLayers();
      for (auto [index, type] : llvm::enumerate(forwardType.getResults())) {
        if (index < scan.getCarries().size()) {
          resultTypes.push_back(type);
          continue;
        }
        auto slice = cast<RankedTensorType>(type);
        SmallVector<int64_t> shape = {layers};
        llvm::append_range(shape, slice.getShape());
        resultTypes.push_back(slice.clone(shape));
      }
      auto forwardScan = ScanOp::create(
          b, scan.getLoc(), resultTypes, (*wrappers)->forward.getSymName(),
          mapAll(scan.getCarries()), mapAll(scan.getInvariants()),
          mapAll(scan.getStacked()), scan.getReverse());
      clone = forwardScan;
      forward.scans[clone] = *wrappers;
    } else {
      clone = b.clone(op, forward.map);
    }
    for (auto [original, cloned] :
         llvm::zip(op.getResults(), clone->getResults().take_front(
                                        op.getNumResults()))) {
      forward.map.map(original, cloned);
      if (active && isFloatTensor(cloned.getType()))
        forward.active.insert(cloned);
    }
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Callees: @f -> @f_fwd, @f_bwd
//===----------------------------------------------------------------------===//

FailureOr<CalleeGradient *>
Differentiator::differentiateCallee(CallOpInterface call) {
  auto symbol = dyn_cast_if_present<SymbolRefAttr>(call.getCallableForCallee());
  auto callee = symbol ? SymbolTable::lookupNearestSymbolFrom<func::FuncOp>(
                             call, symbol)
                       : func::FuncOp();
  if (!callee)
    return call->emitError("cannot differentiate a call to an unknown "
                           "function");
  return differentiateCallee(callee, call, RematRole::Call);
}

FailureOr<CalleeGradient *>
Differentiator::differentiateCallee(func::FuncOp callee, Operation *user,
                                    RematRole role) {
  auto found = callees.find(callee);
  if (found != callees.end())
    return found->second.get();
  if (callee.isExternal() || !callee.getBody().hasOneBlock())
    return user->emitError("cannot differentiate @")
           << callee.getSymName()
           << ": it has no body or more than one block";
  if (inProgress.contains(callee))
    return user->emitError("cannot differentiate @")
           << callee.getSymName() << ": it calls itself";
  inProgress.insert(callee);

  auto gradient = std::make_unique<CalleeGradient>();
  Location loc = callee.getLoc();
  FunctionType type = callee.getFunctionType();
  for (auto [index, argType] : llvm::enumerate(type.getInputs()))
    if (isFloatTensor(argType))
      gradient->floatArguments.push_back(index);
  for (auto [index, resultType] : llvm::enumerate(type.getResults()))
    if (isFloatTensor(resultType))
      gradient->floatResults.push_back(index);

  // The forward function: a copy of the body; its signature gains the
  // residuals once the backward sweep knows them.
  func::FuncOp forward =
      createFunction(loc, (callee.getSymName() + "_fwd").str(), type);
  Block *forwardBlock = forward.addEntryBlock();
  ForwardPass pass;
  Block &source = callee.getBody().front();
  for (auto [from, to] :
       llvm::zip(source.getArguments(), forwardBlock->getArguments())) {
    pass.map.map(from, to);
    if (isFloatTensor(to.getType()))
      pass.active.insert(to);
  }
  OpBuilder fb = OpBuilder::atBlockEnd(forwardBlock);
  if (failed(cloneForward(source, fb, pass)))
    return failure();
  auto sourceReturn = cast<func::ReturnOp>(source.getTerminator());
  SmallVector<Value> results;
  for (Value value : sourceReturn.getOperands())
    results.push_back(pass.map.lookup(value));

  // The backward function, built once keeping every forward value it reads
  // (which finds them), then again recomputing those the policy chooses.
  gradient->forward = forward;
  FailureOr<SmallVector<Value>> residuals =
      buildBackward(callee, *gradient, pass, results, /*plan=*/nullptr);
  if (failed(residuals))
    return failure();
  RematPlan plan;
  SmallVector<Value> needed(*residuals);
  llvm::sort(needed, [](Value a, Value b) {
    return (a.getDefiningOp() ? a.getDefiningOp()->isBeforeInBlock(
                                    b.getDefiningOp())
                              : false);
  });
  if (remat)
    remat->choose(*forwardBlock, needed, role, plan);
  else
    addFreeValues(*forwardBlock, needed, plan);
  if (!plan.empty()) {
    gradient->backward.erase();
    residuals = buildBackward(callee, *gradient, pass, results, &plan);
    if (failed(residuals))
      return failure();
  }

  // Now the residuals are known: @f_fwd returns them after its results.
  llvm::append_range(results, *residuals);
  func::ReturnOp::create(fb, loc, results);
  forward.setFunctionType(FunctionType::get(
      callee.getContext(), type.getInputs(), ValueRange(results).getTypes()));
  gradient->numResiduals = residuals->size();
  forward->setAttr(kResidualsAttrName,
                   IntegerAttr::get(IntegerType::get(callee.getContext(), 64),
                                    residuals->size()));
  inProgress.erase(callee);
  auto [it, inserted] = callees.try_emplace(callee, std::move(gradient));
  return it->second.get();
}

FailureOr<SmallVector<Value>>
Differentiator::buildBackward(func::FuncOp callee, CalleeGradient &gradient,
                              ForwardPass &pass, ArrayRef<Value> results,
                              const RematPlan *plan) {
  // (arguments, cotangents of float results, residuals...) -> gradients of
  // float arguments.
  Location loc = callee.getLoc();
  FunctionType type = callee.getFunctionType();
  Block *forwardBlock = &gradient.forward.getBody().front();
  SmallVector<Type> backwardInputs(type.getInputs());
  for (unsigned index : gradient.floatResults)
    backwardInputs.push_back(type.getResult(index));
  SmallVector<Type> backwardResults;
  for (unsigned index : gradient.floatArguments)
    backwardResults.push_back(type.getInput(index));
  func::FuncOp backward = createFunction(
      loc, (callee.getSymName() + "_bwd").str(),
      FunctionType::get(callee.getContext(), backwardInputs, backwardResults));
  Block *backwardBlock = backward.addEntryBlock();
  OpBuilder bb = OpBuilder::atBlockEnd(backwardBlock);

  Sweep sweep(*this, pass, bb);
  // Forward arguments are the backward function's leading arguments.
  for (auto [forwardArg, backwardArg] :
       llvm::zip(forwardBlock->getArguments(),
                 backwardBlock->getArguments().take_front(type.getNumInputs())))
    sweep.setPrimal(forwardArg, backwardArg);
  sweep.useResiduals(backwardBlock);
  sweep.useRematPlan(plan);
  for (auto [position, index] : llvm::enumerate(gradient.floatResults))
    sweep.seed(results[index],
               backwardBlock->getArgument(type.getNumInputs() + position));
  gradient.backward = backward;
  if (failed(sweep.run(forwardOps(*forwardBlock))))
    return failure();
  SmallVector<Value> gradients;
  for (unsigned index : gradient.floatArguments)
    gradients.push_back(sweep.gradientOrZeros(forwardBlock->getArgument(index)));
  func::ReturnOp::create(bb, loc, gradients);
  backward.setFunctionType(FunctionType::get(
      callee.getContext(), backwardBlock->getArgumentTypes(), backwardResults));
  return SmallVector<Value>(sweep.residuals());
}

//===----------------------------------------------------------------------===//
// The entry function: forward and backward in one body
//===----------------------------------------------------------------------===//

FailureOr<func::FuncOp> ds::differentiateFunction(func::FuncOp entry,
                                                  const AutodiffOptions &options) {
  Location loc = entry.getLoc();
  FunctionType type = entry.getFunctionType();
  if (entry.isExternal() || !entry.getBody().hasOneBlock())
    return entry.emitError("cannot differentiate @")
           << entry.getSymName() << ": it has no body or more than one block";
  if (type.getNumResults() == 0)
    return entry.emitError("cannot differentiate @")
           << entry.getSymName() << ": it returns nothing (the loss must be "
                                    "its first result)";
  auto lossType = dyn_cast<RankedTensorType>(type.getResult(0));
  if (!lossType || lossType.getRank() != 0 ||
      !isa<FloatType>(lossType.getElementType()))
    return entry.emitError("cannot differentiate @")
           << entry.getSymName()
           << ": the loss (result #0) must be a rank-0 float tensor, got "
           << type.getResult(0);

  // Which arguments get gradients.
  SmallVector<unsigned> differentiated;
  for (auto [index, argType] : llvm::enumerate(type.getInputs())) {
    if (!isFloatTensor(argType))
      continue;
    if (options.allFloatArguments || entry.getArgAttr(index, kParamAttrName))
      differentiated.push_back(index);
  }
  if (differentiated.empty())
    return entry.emitError("cannot differentiate @")
           << entry.getSymName()
           << ": no argument to differentiate (no float argument has a '"
           << kParamAttrName << "' attribute)";

  auto module = entry->getParentOfType<ModuleOp>();
  Differentiator differentiator(module, options.remat);
  SmallVector<Type> inputs(type.getInputs());
  if (options.seedArgument)
    inputs.push_back(lossType);
  SmallVector<Type> results(type.getResults());
  for (unsigned index : differentiated)
    results.push_back(type.getInput(index));
  std::string name = options.gradientName.empty()
                         ? (entry.getSymName() + "_grad").str()
                         : options.gradientName;
  OpBuilder mb(module.getBodyRegion());
  mb.setInsertionPointAfter(entry);
  if (SymbolTable::lookupSymbolIn(module, name))
    return entry.emitError("cannot create @")
           << name << ": the module already has a symbol of that name";
  auto gradient = func::FuncOp::create(
      mb, loc, name, FunctionType::get(entry.getContext(), inputs, results));
  Block *block = gradient.addEntryBlock();

  // Attributes: the entry's, then the seed's and the gradients' names.
  for (unsigned index = 0; index < type.getNumInputs(); ++index)
    gradient.setArgAttrs(index, entry.getArgAttrDict(index));
  if (options.seedArgument)
    gradient.setArgAttr(inputs.size() - 1, kNameAttrName,
                        mb.getStringAttr(kLossSeedName));
  for (unsigned index = 0; index < type.getNumResults(); ++index)
    gradient.setResultAttrs(index, entry.getResultAttrDict(index));
  for (auto [position, index] : llvm::enumerate(differentiated)) {
    std::string argName = "arg" + std::to_string(index);
    if (auto param = entry.getArgAttrOfType<ParamAttr>(index, kParamAttrName))
      argName = param.getName().str();
    else if (auto named =
                 entry.getArgAttrOfType<StringAttr>(index, kNameAttrName))
      argName = named.getValue().str();
    gradient.setResultAttr(type.getNumResults() + position, kNameAttrName,
                           mb.getStringAttr(kGradientNamePrefix + argName));
  }

  ForwardPass pass;
  Block &source = entry.getBody().front();
  for (auto [index, from] : llvm::enumerate(source.getArguments())) {
    Value to = block->getArgument(index);
    pass.map.map(from, to);
    if (llvm::is_contained(differentiated, index))
      pass.active.insert(to);
  }
  OpBuilder b = OpBuilder::atBlockEnd(block);
  if (failed(differentiator.cloneForward(source, b, pass)))
    return failure();
  SmallVector<Value> returned;
  for (Value value : source.getTerminator()->getOperands())
    returned.push_back(pass.map.lookup(value));

  SmallVector<Operation *> ops = forwardOps(*block);
  Sweep sweep(differentiator, pass, b);
  Value seed = options.seedArgument
                   ? Value(block->getArguments().back())
                   : Value(ConstantOp::create(
                         b, loc,
                         DenseElementsAttr::get(
                             lossType,
                             FloatAttr::get(lossType.getElementType(), 1.0))));
  sweep.seed(returned.front(), seed);
  if (failed(sweep.run(ops)))
    return failure();
  for (unsigned index : differentiated)
    returned.push_back(sweep.gradientOrZeros(block->getArgument(index)));
  func::ReturnOp::create(b, loc, returned);

  MLIRContext *context = entry.getContext();
  NamedAttribute how[] = {
      {StringAttr::get(context, "all_float_arguments"),
       BoolAttr::get(context, options.allFloatArguments)},
      {StringAttr::get(context, "of"),
       FlatSymbolRefAttr::get(entry.getSymNameAttr())},
      {StringAttr::get(context, "remat"),
       StringAttr::get(context, options.remat ? options.remat->name() : "none")},
      {StringAttr::get(context, "seed_argument"),
       BoolAttr::get(context, options.seedArgument)}};
  gradient->setAttr(kGradientAttrName, DictionaryAttr::get(context, how));
  return gradient;
}
