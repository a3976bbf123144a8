//===- ModelBuilder.cpp - ds IR from a model config -----------------------===//

#include "frontend/builder/ModelBuilder.h"
#include "frontend/builder/Builders.h"
#include "frontend/builder/GraphBuilder.h"

#include "frontend/config/ModelConfig.h"

using namespace mlir;
using namespace ::ds::frontend;

/// @loss(tokens, targets, parameters...): @forward's logits scored by mean
/// cross-entropy. It takes the same parameters as @forward, in its order.
static void buildLoss(ModuleOp module, func::FuncOp forward) {
  FunctionBuilder f(module, kLossEntry);
  auto &b = f.b();
  Type tokensType = forward.getArgumentTypes()[0];
  Value tokens = f.input(tokensType, "tokens");
  Value targets = f.input(tokensType, "targets");
  SmallVector<Value> operands{tokens};
  for (unsigned index = 1; index < forward.getNumArguments(); ++index) {
    auto param =
        forward.getArgAttrOfType<mlir::ds::ParamAttr>(index, mlir::ds::kParamAttrName);
    auto type = cast<RankedTensorType>(forward.getArgumentTypes()[index]);
    Init init{param.getInit(), param.getA().convertToDouble(),
              param.getB().convertToDouble()};
    operands.push_back(f.param(param.getName(), type.getShape(),
                               type.getElementType(), init));
  }
  f.at("cross_entropy");
  auto call = func::CallOp::create(b, forward, operands);
  Value loss =
      mlir::ds::CrossEntropyOp::create(b, call.getResult(0), targets).getResult();
  // @forward's training statistics: the expert load passes through (with its
  // ds.balances link), the balance loss is added to the loss.
  SmallVector<Value> results = {loss};
  SmallVector<StringRef> names = {"loss"};
  for (unsigned index = 1; index < forward.getNumResults(); ++index) {
    auto name =
        forward.getResultAttrOfType<StringAttr>(index, mlir::ds::kNameAttrName);
    if (name && name.getValue() == "balance_loss") {
      Value balance = call.getResult(index);
      if (balance.getType() != loss.getType())
        balance = mlir::ds::CastOp::create(b, loss.getType(), balance);
      results[0] = mlir::ds::AddOp::create(b, results[0], balance);
      continue;
    }
    results.push_back(call.getResult(index));
    names.push_back(name ? name.getValue() : StringRef());
  }
  func::FuncOp function = f.finish(results, names);
  for (unsigned index = 1; index < forward.getNumResults(); ++index)
    if (auto balances = forward.getResultAttr(index, mlir::ds::kBalancesAttrName))
      function.setResultAttr(index, mlir::ds::kBalancesAttrName, balances);
}

namespace ds::frontend {

OwningOpRef<ModuleOp> buildModel(MLIRContext &context,
                                 const config::ModelConfig &config) {
  context.loadDialect<mlir::ds::DsDialect, func::FuncDialect>();
  Location loc = NameLoc::get(StringAttr::get(&context, config.name()));
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc, config.name());
  if (config.architecture() == ::ds::config::GPT2)
    buildGpt2Forward(*module, config);
  else
    buildDeepSeekForward(*module, config);
  auto forward = module->lookupSymbol<func::FuncOp>(kForwardEntry);
  buildLoss(*module, forward);
  (*module)->setAttr(mlir::ds::kModelConfigAttrName,
                     StringAttr::get(&context, ::ds::config::toTextproto(
                                                   config, /*singleLine=*/true)));
  return module;
}

} // namespace ds::frontend
