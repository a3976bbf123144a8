//===- OptimizerPass.cpp - --ds-optimizer: @train_step ---------------------===//
//
// Builds one training step around the gradient function: micro-batch
// accumulation, loss-scale handling, global-norm clipping, the learning-rate
// schedule, AdamW and the MoE bias update, with all state explicit (see the
// pass description in Passes.td).
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/autodiff/Autodiff.h"

#include "dialects/ds/DsDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"

#include <cmath>

namespace mlir::ds {
#define GEN_PASS_DEF_DSOPTIMIZERPASS
#include "passes/Passes.h.inc"

namespace {

RankedTensorType tensorTypeOf(Value value) {
  return cast<RankedTensorType>(value.getType());
}

/// What the step does with one parameter of the gradient function.
struct Parameter {
  unsigned argIndex = 0;     // in the gradient function
  std::string name;
  int gradientResult = -1;   // result index of its gradient
  int loadResult = -1;       // for a balanced bias: the load result
  bool decays = false;
};

/// Small helpers that build ds ops at one location.
class Emitter {
public:
  Emitter(OpBuilder &b, Location loc) : b(b), loc(loc) {}
  Value constant(Type element, double value, ArrayRef<int64_t> shape = {}) {
    auto type = RankedTensorType::get(shape, element);
    Attribute attr = isa<FloatType>(element)
                         ? Attribute(FloatAttr::get(element, value))
                         : Attribute(IntegerAttr::get(
                               element, static_cast<int64_t>(value)));
    return ConstantOp::create(b, loc, DenseElementsAttr::get(type, attr));
  }
  Value zerosLike(Value value) {
    auto type = tensorTypeOf(value);
    return constant(type.getElementType(), 0.0, type.getShape());
  }
  Value add(Value x, Value y) { return AddOp::create(b, loc, x, y); }
  Value sub(Value x, Value y) { return SubOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return MulOp::create(b, loc, x, y); }
  Value div(Value x, Value y) { return DivOp::create(b, loc, x, y); }
  Value min(Value x, Value y) { return MinOp::create(b, loc, x, y); }
  Value max(Value x, Value y) { return MaxOp::create(b, loc, x, y); }
  Value sqrt(Value x) { return SqrtOp::create(b, loc, x); }
  Value cmp(CompareDirection d, Value x, Value y) {
    return CompareOp::create(b, loc, d, x, y);
  }
  Value select(Value c, Value x, Value y) {
    return SelectOp::create(b, loc, c, x, y);
  }
  Value cast(Value x, Type element) {
    if (tensorTypeOf(x).getElementType() == element)
      return x;
    return CastOp::create(b, loc, tensorTypeOf(x).clone(element), x);
  }
  /// The sum of all elements, as a rank-0 tensor.
  Value sumAll(Value x) {
    auto type = tensorTypeOf(x);
    if (type.getRank() == 0)
      return x;
    SmallVector<int64_t> axes;
    for (int64_t d = 0; d < type.getRank(); ++d)
      axes.push_back(d);
    return ReduceSumOp::create(b, loc, x, axes, false);
  }

  OpBuilder &b;
  Location loc;
};

struct DsOptimizerPass : impl::DsOptimizerPassBase<DsOptimizerPass> {
  using DsOptimizerPassBase::DsOptimizerPassBase;

  void runOnOperation() override;

private:
  LogicalResult checkOptions(Operation *anchor);
  func::FuncOp buildMicroStep(func::FuncOp grad, ArrayRef<unsigned> inputs,
                              ArrayRef<unsigned> params, bool hasSeed);
};

LogicalResult DsOptimizerPass::checkOptions(Operation *anchor) {
  auto bad = [&](StringRef what) {
    return anchor->emitError("--ds-optimizer: ") << what;
  };
  if (!(lr > 0.0) || !std::isfinite(lr))
    return bad("lr must be finite and > 0");
  if (!(beta1 >= 0.0 && beta1 < 1.0) || !(beta2 >= 0.0 && beta2 < 1.0))
    return bad("beta1 and beta2 must lie in [0, 1)");
  if (!(epsilon > 0.0))
    return bad("eps must be > 0");
  if (!(weightDecay >= 0.0))
    return bad("weight-decay must be >= 0");
  if (!(clipNorm >= 0.0))
    return bad("clip-norm must be >= 0 (0 disables clipping)");
  if (warmupSteps < 0 || totalSteps < 0)
    return bad("warmup-steps and total-steps must be >= 0");
  if (totalSteps > 0 && totalSteps <= warmupSteps)
    return bad("total-steps must exceed warmup-steps (or be 0: no decay)");
  if (scheduleArgument && totalSteps > 0)
    return bad("schedule-argument takes the schedule's length at run time: "
               "give it or total-steps, not both");
  if (!(minLrRatio >= 0.0 && minLrRatio <= 1.0))
    return bad("min-lr-ratio must lie in [0, 1]");
  if (microBatches < 1)
    return bad("micro-batches must be >= 1");
  if (growthInterval < 1)
    return bad("growth-interval must be >= 1");
  if (!(biasUpdateSpeed >= 0.0))
    return bad("bias-update-speed must be >= 0");
  return success();
}

/// `@train_step_micro(loss sum, aux sums, gradient sums | params, seed |
/// inputs) -> (sums + this micro-batch's)`: the callee of the micro-batch scan.
func::FuncOp DsOptimizerPass::buildMicroStep(func::FuncOp grad,
                                             ArrayRef<unsigned> inputs,
                                             ArrayRef<unsigned> params,
                                             bool hasSeed) {
  ModuleOp module = getOperation();
  Location loc = grad.getLoc();
  FunctionType type = grad.getFunctionType();
  SmallVector<Type> argTypes(type.getResults());
  for (unsigned index : params)
    argTypes.push_back(type.getInput(index));
  if (hasSeed)
    argTypes.push_back(type.getInputs().back());
  for (unsigned index : inputs)
    argTypes.push_back(type.getInput(index));
  OpBuilder mb(module.getBodyRegion());
  mb.setInsertionPointToEnd(module.getBody());
  auto micro = func::FuncOp::create(
      mb, loc, "train_step_micro",
      FunctionType::get(&getContext(), argTypes, type.getResults()));
  micro.setPrivate();
  SymbolTable(module).insert(micro);
  Block *block = micro.addEntryBlock();
  OpBuilder b = OpBuilder::atBlockEnd(block);
  Emitter e(b, loc);
  unsigned numResults = type.getNumResults();
  ValueRange sums = block->getArguments().take_front(numResults);
  ValueRange paramArgs = block->getArguments().slice(numResults, params.size());
  SmallVector<Value> operands(type.getNumInputs());
  for (auto [index, value] : llvm::zip(params, paramArgs))
    operands[index] = value;
  if (hasSeed)
    operands.back() = block->getArgument(numResults + params.size());
  for (auto [position, index] : llvm::enumerate(inputs))
    operands[index] = block->getArgument(numResults + params.size() +
                                         (hasSeed ? 1 : 0) + position);
  auto call = func::CallOp::create(b, loc, grad, operands);
  SmallVector<Value> next;
  for (auto [sum, value] : llvm::zip(sums, call.getResults()))
    next.push_back(e.add(sum, value));
  func::ReturnOp::create(b, loc, next);
  return micro;
}

void DsOptimizerPass::runOnOperation() {
  ModuleOp module = getOperation();
  if (failed(checkOptions(module)))
    return signalPassFailure();
  auto grad = module.lookupSymbol<func::FuncOp>(gradFunction);
  if (!grad) {
    module.emitError("--ds-optimizer: no gradient function @")
        << gradFunction << " (run --ds-autodiff first, or set grad-function)";
    return signalPassFailure();
  }
  if (module.lookupSymbol("train_step")) {
    module.emitError("--ds-optimizer: the module already has @train_step");
    return signalPassFailure();
  }
  MLIRContext *context = &getContext();
  Location loc = grad.getLoc();
  FunctionType type = grad.getFunctionType();

  // The gradient function's arguments: inputs, parameters, maybe the seed.
  bool hasSeed = false;
  if (type.getNumInputs() > 0)
    if (auto name = grad.getArgAttrOfType<StringAttr>(type.getNumInputs() - 1,
                                                      kNameAttrName))
      hasSeed = name.getValue() == kLossSeedName;
  if (lossScaling && !hasSeed) {
    grad.emitError("--ds-optimizer: loss-scaling needs the loss seed as an "
                   "argument of @")
        << gradFunction << " (run --ds-autodiff=seed-argument=true)";
    return signalPassFailure();
  }
  SmallVector<unsigned> inputs, paramArgs;
  llvm::StringMap<unsigned> paramByName;
  SmallVector<Parameter> params;
  for (unsigned index = 0; index + (hasSeed ? 1 : 0) < type.getNumInputs();
       ++index) {
    auto param = grad.getArgAttrOfType<ParamAttr>(index, kParamAttrName);
    if (!param) {
      inputs.push_back(index);
      continue;
    }
    paramArgs.push_back(index);
    Parameter p;
    p.argIndex = index;
    p.name = param.getName().str();
    paramByName[p.name] = params.size();
    params.push_back(p);
  }
  if (params.empty()) {
    grad.emitError("--ds-optimizer: @") << gradFunction << " has no parameters";
    return signalPassFailure();
  }

  // Results: loss, auxiliary outputs, then gradients named grad.<param>.
  auto lossType = dyn_cast<RankedTensorType>(type.getNumResults()
                                                 ? type.getResult(0)
                                                 : Type());
  if (!lossType || lossType.getRank() != 0 ||
      !isa<FloatType>(lossType.getElementType())) {
    grad.emitError("--ds-optimizer: result #0 of @")
        << gradFunction << " must be the rank-0 float loss";
    return signalPassFailure();
  }
  Type compute = lossType.getElementType();
  SmallVector<unsigned> auxResults;
  for (unsigned index = 1; index < type.getNumResults(); ++index) {
    auto name = grad.getResultAttrOfType<StringAttr>(index, kNameAttrName);
    StringRef prefix = kGradientNamePrefix;
    if (name && name.getValue().starts_with(prefix)) {
      auto found = paramByName.find(name.getValue().drop_front(prefix.size()));
      if (found != paramByName.end()) {
        params[found->second].gradientResult = index;
        continue;
      }
    }
    if (auto balances =
            grad.getResultAttrOfType<StringAttr>(index, kBalancesAttrName)) {
      auto found = paramByName.find(balances.getValue());
      if (found == paramByName.end() ||
          type.getResult(index) !=
              type.getInput(params[found->second].argIndex)) {
        grad.emitError("--ds-optimizer: result #")
            << index << " balances '" << balances.getValue()
            << "', which is not a parameter of the same type";
        return signalPassFailure();
      }
      params[found->second].loadResult = index;
    }
    if (microBatches > 1 && !isa<FloatType>(
                                cast<RankedTensorType>(type.getResult(index))
                                    .getElementType())) {
      grad.emitError("--ds-optimizer: result #")
          << index << " is not a float, so it cannot be summed over micro-batches";
      return signalPassFailure();
    }
    auxResults.push_back(index);
  }
  SmallVector<std::string> patterns(noDecay.begin(), noDecay.end());
  if (patterns.empty())
    patterns = {"norm", "bias", "embed", "wte", "wpe", "ln_"};
  for (Parameter &p : params) {
    if (p.gradientResult < 0 && p.loadResult < 0) {
      grad.emitError("--ds-optimizer: parameter '")
          << p.name << "' has no gradient result (grad." << p.name << ") in @"
          << gradFunction;
      return signalPassFailure();
    }
    p.decays = llvm::none_of(patterns, [&](const std::string &pattern) {
      return pattern == "none" || StringRef(p.name).contains(pattern);
    });
    if (llvm::is_contained(patterns, "none"))
      p.decays = true;
  }

  // The signature of @train_step.
  SmallVector<Type> argTypes;
  SmallVector<NamedAttrList> argAttrs;
  auto named = [&](StringRef name) {
    NamedAttrList attrs;
    attrs.set(kNameAttrName, StringAttr::get(context, name));
    return attrs;
  };
  Type i64 = IntegerType::get(context, 64);
  auto scalarI64 = RankedTensorType::get({}, i64);
  argTypes.push_back(scalarI64);
  argAttrs.push_back(named("step"));
  if (scheduleArgument) {
    argTypes.push_back(scalarI64);
    argAttrs.push_back(named("total_steps"));
  }
  for (unsigned index : inputs) {
    auto inputType = cast<RankedTensorType>(type.getInput(index));
    if (microBatches > 1) {
      SmallVector<int64_t> shape = {microBatches};
      llvm::append_range(shape, inputType.getShape());
      inputType = inputType.clone(shape);
    }
    argTypes.push_back(inputType);
    argAttrs.push_back(NamedAttrList(grad.getArgAttrDict(index)));
  }
  for (Parameter &p : params) {
    argTypes.push_back(type.getInput(p.argIndex));
    argAttrs.push_back(NamedAttrList(grad.getArgAttrDict(p.argIndex)));
  }
  for (StringRef state : {"exp_avg.", "exp_avg_sq."})
    for (Parameter &p : params)
      if (p.loadResult < 0) {
        argTypes.push_back(type.getInput(p.argIndex));
        argAttrs.push_back(named((state + p.name).str()));
      }
  auto scalarF32 = RankedTensorType::get({}, Float32Type::get(context));
  if (lossScaling) {
    argTypes.push_back(scalarF32);
    argAttrs.push_back(named("loss_scale"));
    argTypes.push_back(scalarI64);
    argAttrs.push_back(named("good_steps"));
  }

  OpBuilder mb(module.getBodyRegion());
  mb.setInsertionPointAfter(grad);
  auto step = func::FuncOp::create(mb, loc, "train_step",
                                   FunctionType::get(context, argTypes, {}));
  for (auto [index, attrs] : llvm::enumerate(argAttrs))
    step.setArgAttrs(index, attrs.getDictionary(context));
  Block *block = step.addEntryBlock();
  OpBuilder b = OpBuilder::atBlockEnd(block);
  Emitter e(b, loc);
  unsigned next = 0;
  Value stepArg = block->getArgument(next++);
  Value totalStepsArg =
      scheduleArgument ? block->getArgument(next++) : Value();
  ValueRange inputArgs = block->getArguments().slice(next, inputs.size());
  next += inputs.size();
  ValueRange paramValues = block->getArguments().slice(next, params.size());
  next += params.size();
  SmallVector<Value> expAvg(params.size()), expAvgSq(params.size());
  for (auto *state : {&expAvg, &expAvgSq})
    for (auto [i, p] : llvm::enumerate(params))
      if (p.loadResult < 0)
        (*state)[i] = block->getArgument(next++);
  Value lossScale = lossScaling ? block->getArgument(next++) : Value();
  Value goodSteps = lossScaling ? block->getArgument(next++) : Value();
  Value seed = lossScaling ? e.cast(lossScale, compute)
                           : e.constant(compute, 1.0);

  // 1. Gradients, averaged over the micro-batches.
  SmallVector<Value> results;
  if (microBatches == 1) {
    SmallVector<Value> operands(type.getNumInputs());
    for (auto [index, value] : llvm::zip(inputs, inputArgs))
      operands[index] = value;
    for (auto [p, value] : llvm::zip(params, paramValues))
      operands[p.argIndex] = value;
    if (hasSeed)
      operands.back() = seed;
    llvm::append_range(results,
                       func::CallOp::create(b, loc, grad, operands).getResults());
  } else {
    func::FuncOp micro = buildMicroStep(grad, inputs, paramArgs, hasSeed);
    SmallVector<Value> carries, invariants(paramValues);
    for (Type resultType : type.getResults()) {
      auto tensor = cast<RankedTensorType>(resultType);
      carries.push_back(
          e.constant(tensor.getElementType(), 0.0, tensor.getShape()));
    }
    if (hasSeed)
      invariants.push_back(seed);
    auto scan = ScanOp::create(b, loc, type.getResults(), micro.getSymName(),
                               carries, invariants, inputArgs, false);
    Value inverse = e.constant(compute, 1.0 / microBatches);
    for (auto [index, value] : llvm::enumerate(scan.getResults())) {
      bool isAux = llvm::is_contained(auxResults, index);
      results.push_back(isAux ? value
                              : e.mul(value, e.cast(inverse,
                                                    tensorTypeOf(value)
                                                        .getElementType())));
    }
  }
  Value loss = results[0];
  if (lossScaling)
    loss = e.div(loss, seed);

  // 2. Unscale, global norm, clipping.
  SmallVector<Value> grads(params.size());
  Value normSquared = e.constant(compute, 0.0);
  for (auto [i, p] : llvm::enumerate(params)) {
    // A balanced bias has no gradient worth the name (it only selects).
    if (p.loadResult >= 0)
      continue;
    Value g = results[p.gradientResult];
    Type element = tensorTypeOf(g).getElementType();
    if (lossScaling)
      g = e.div(g, e.cast(seed, element));
    grads[i] = g;
    Value g32 = e.cast(g, compute);
    normSquared = e.add(normSquared, e.sumAll(e.mul(g32, g32)));
  }
  Value gradNorm = e.sqrt(normSquared);
  Value clipFactor;
  if (clipNorm > 0.0)
    clipFactor = e.min(e.constant(compute, 1.0),
                       e.div(e.constant(compute, clipNorm),
                             e.add(gradNorm, e.constant(compute, 1e-6))));

  // 3. The learning rate of this step, t = step + 1.
  Value t = e.cast(e.add(stepArg, e.constant(i64, 1.0)), compute);
  Value peak = e.constant(compute, lr);
  Value rate = peak;
  if (totalSteps > 0 || scheduleArgument) {
    double floor = lr * minLrRatio;
    Value warmup = e.constant(compute, warmupSteps);
    // The decay's length, total − warmup: compiled in, or from the argument
    // (at least 1, so that a total within the warm-up cannot divide by 0).
    Value length = e.constant(compute, totalSteps - warmupSteps);
    if (scheduleArgument)
      length = e.max(e.sub(e.cast(totalStepsArg, compute), warmup),
                     e.constant(compute, 1.0));
    Value progress = e.div(e.sub(t, warmup), length);
    progress = e.min(e.max(progress, e.constant(compute, 0.0)),
                     e.constant(compute, 1.0));
    Value cosine = CosOp::create(b, loc, e.mul(progress,
                                               e.constant(compute, M_PI)));
    Value half = e.mul(e.add(cosine, e.constant(compute, 1.0)),
                       e.constant(compute, 0.5 * (lr - floor)));
    Value decayed = e.add(half, e.constant(compute, floor));
    // With the argument, a total within the warm-up means no decay.
    rate = scheduleArgument
               ? e.select(e.cmp(CompareDirection::le,
                                e.cast(totalStepsArg, compute), warmup),
                          peak, decayed)
               : decayed;
  }
  if (warmupSteps > 0) {
    Value warm = e.mul(peak, e.div(t, e.constant(compute, warmupSteps)));
    rate = e.select(e.cmp(CompareDirection::le, t,
                          e.constant(compute, warmupSteps)),
                    warm, rate);
  }

  // 4. AdamW (PyTorch's formulation), and the MoE bias update.
  Value bc1 = e.sub(e.constant(compute, 1.0),
                    PowOp::create(b, loc, e.constant(compute, beta1), t));
  Value bc2 = e.sub(e.constant(compute, 1.0),
                    PowOp::create(b, loc, e.constant(compute, beta2), t));
  Value stepSize = e.div(rate, bc1);
  Value bc2Root = e.sqrt(bc2);
  Value decay = e.sub(e.constant(compute, 1.0),
                      e.mul(rate, e.constant(compute, weightDecay)));
  Value finite;
  if (lossScaling)
    finite = e.cmp(CompareDirection::eq, e.sub(normSquared, normSquared),
                   e.constant(compute, 0.0));
  SmallVector<Value> newParams(params.size()), newAvg(params.size()),
      newAvgSq(params.size());
  for (auto [i, p] : llvm::enumerate(params)) {
    Value param = paramValues[i];
    Type element = tensorTypeOf(param).getElementType();
    auto scalar = [&](Value v) { return e.cast(v, element); };
    if (p.loadResult >= 0) {
      Value load = e.cast(results[p.loadResult], element);
      int64_t last = tensorTypeOf(load).getRank() - 1;
      Value mean = ReduceMeanOp::create(b, loc, load, ArrayRef<int64_t>{last},
                                        true);
      Value error = e.sub(mean, load);
      Value zero = e.constant(element, 0.0);
      Value sign = e.select(
          e.cmp(CompareDirection::gt, error, zero), e.constant(element, 1.0),
          e.select(e.cmp(CompareDirection::lt, error, zero),
                   e.constant(element, -1.0), zero));
      newParams[i] =
          e.add(param, e.mul(sign, e.constant(element, biasUpdateSpeed)));
    } else {
      Value g = grads[i];
      if (clipFactor)
        g = e.mul(g, scalar(clipFactor));
      Value m = e.add(e.mul(expAvg[i], e.constant(element, beta1)),
                      e.mul(g, e.constant(element, 1.0 - beta1)));
      Value v = e.add(e.mul(expAvgSq[i], e.constant(element, beta2)),
                      e.mul(e.mul(g, g), e.constant(element, 1.0 - beta2)));
      Value decayed = p.decays ? e.mul(param, scalar(decay)) : param;
      Value denominator = e.add(e.div(e.sqrt(v), scalar(bc2Root)),
                                e.constant(element, epsilon));
      newParams[i] =
          e.sub(decayed, e.mul(scalar(stepSize), e.div(m, denominator)));
      newAvg[i] = m;
      newAvgSq[i] = v;
    }
    if (finite) {
      newParams[i] = e.select(finite, newParams[i], param);
      if (newAvg[i]) {
        newAvg[i] = e.select(finite, newAvg[i], expAvg[i]);
        newAvgSq[i] = e.select(finite, newAvgSq[i], expAvgSq[i]);
      }
    }
  }

  // 5. Results: outputs, then the new state named like its argument.
  SmallVector<Value> returned = {loss};
  SmallVector<NamedAttrList> resultAttrs = {named("loss")};
  for (unsigned index : auxResults) {
    returned.push_back(results[index]);
    resultAttrs.push_back(NamedAttrList(grad.getResultAttrDict(index)));
  }
  returned.push_back(gradNorm);
  resultAttrs.push_back(named("grad_norm"));
  returned.push_back(rate);
  resultAttrs.push_back(named("lr"));
  returned.push_back(e.add(stepArg, e.constant(i64, 1.0)));
  resultAttrs.push_back(named("step"));
  for (auto [i, p] : llvm::enumerate(params)) {
    returned.push_back(newParams[i]);
    resultAttrs.push_back(named(p.name));
  }
  for (auto [prefix, values] :
       {std::pair<StringRef, SmallVector<Value> *>{"exp_avg.", &newAvg},
        {"exp_avg_sq.", &newAvgSq}})
    for (auto [i, p] : llvm::enumerate(params))
      if ((*values)[i]) {
        returned.push_back((*values)[i]);
        resultAttrs.push_back(named((prefix + p.name).str()));
      }
  if (lossScaling) {
    Value count = e.add(goodSteps, e.constant(i64, 1.0));
    Value grow = e.cmp(CompareDirection::ge, count,
                       e.constant(i64, growthInterval));
    Type f32 = scalarF32.getElementType();
    Value grown = e.select(grow, e.mul(lossScale, e.constant(f32, 2.0)),
                           lossScale);
    returned.push_back(e.select(finite, grown,
                                e.mul(lossScale, e.constant(f32, 0.5))));
    resultAttrs.push_back(named("loss_scale"));
    returned.push_back(e.select(
        finite, e.select(grow, e.constant(i64, 0.0), count),
        e.constant(i64, 0.0)));
    resultAttrs.push_back(named("good_steps"));
    returned.push_back(e.cmp(CompareDirection::eq, finite,
                             e.constant(b.getI1Type(), 0.0)));
    resultAttrs.push_back(named("update_skipped"));
  }
  func::ReturnOp::create(b, loc, returned);
  step.setFunctionType(FunctionType::get(context, argTypes,
                                         ValueRange(returned).getTypes()));
  for (auto [index, attrs] : llvm::enumerate(resultAttrs))
    step.setResultAttrs(index, attrs.getDictionary(context));
}

} // namespace
} // namespace mlir::ds
