//===- ModelBuilder.cpp - ds IR from a model config -----------------------===//

#include "frontend/builder/ModelBuilder.h"
#include "frontend/builder/Builders.h"
#include "frontend/builder/GraphBuilder.h"

#include "frontend/config/model_config.pb.h"

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
  Value logits = f.call(forward, operands);
  f.finish(mlir::ds::CrossEntropyOp::create(b, logits, targets).getResult(),
           {"loss"});
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
  return module;
}

} // namespace ds::frontend
