//===- Gpt2Builder.cpp - GPT-2 forward graphs -----------------------------===//
//
// Follows Hugging Face's GPT2LMHeadModel with its tensor names and Conv1D
// [in, out] weight layouts, so GPT-2 checkpoints load without conversion:
//
//   @attention  fused QKV projection, causal multi-head attention, c_proj
//   @mlp        c_fc, GELU (tanh), c_proj
//   @block      pre-LayerNorm residual block around them
//   @forward    token + position embeddings, one ds.scan, ln_f, tied head
//
//===----------------------------------------------------------------------===//

#include "frontend/builder/Builders.h"
#include "frontend/builder/GraphBuilder.h"

#include "frontend/config/model_config.pb.h"

#include <cmath>

using namespace mlir;
using namespace ::ds::frontend;
using ::ds::config::ModelConfig;

namespace {

class Gpt2Builder {
public:
  Gpt2Builder(ModuleOp module, const ModelConfig &config)
      : module(module), config(config),
        element(elementTypeFor(module.getContext(), config.dtype())),
        D(config.hidden_size()), H(config.num_attention_heads()),
        I(config.intermediate_size()), B(config.shape().batch_size()),
        T(config.shape().seq_len()) {}

  void build();

private:
  std::vector<WeightSpec> attentionSpecs() const;
  std::vector<WeightSpec> mlpSpecs() const;
  func::FuncOp buildAttention();
  func::FuncOp buildMlp();
  func::FuncOp buildBlock(func::FuncOp attention, func::FuncOp mlp);
  Init weightInit() const { return Init::normal(config.initializer_range()); }
  /// GPT-2 scales the init of the projections into the residual stream by
  /// 1/sqrt(2 · layers).
  Init residualInit() const {
    return Init::normal(config.initializer_range() /
                        std::sqrt(2.0 * config.num_hidden_layers()));
  }

  ModuleOp module;
  const ModelConfig &config;
  Type element;
  int64_t D, H, I, B, T;
};

std::vector<WeightSpec> Gpt2Builder::attentionSpecs() const {
  return {{"attn.c_attn.weight", {D, 3 * D}, weightInit()},
          {"attn.c_attn.bias", {3 * D}, Init::zeros()},
          {"attn.c_proj.weight", {D, D}, residualInit()},
          {"attn.c_proj.bias", {D}, Init::zeros()}};
}

std::vector<WeightSpec> Gpt2Builder::mlpSpecs() const {
  return {{"mlp.c_fc.weight", {D, I}, weightInit()},
          {"mlp.c_fc.bias", {I}, Init::zeros()},
          {"mlp.c_proj.weight", {I, D}, residualInit()},
          {"mlp.c_proj.bias", {D}, Init::zeros()}};
}

func::FuncOp Gpt2Builder::buildAttention() {
  FunctionBuilder f(module, "attention");
  Value x = f.input(f.tensor({B, T, D}, element));
  SmallVector<Value> w = addLayerInputs(f, attentionSpecs(), element);
  f.at("c_attn");
  Value qkv = f.conv1d(x, w[0], w[1]);
  SmallVector<Value> parts = f.split(qkv, 2, {D, D, D});
  for (Value &part : parts)
    part = f.reshape(part, {B, T, H, D / H});
  f.at("attention");
  Value o = mlir::ds::AttentionOp::create(f.b(), parts[0], parts[1], parts[2],
                                    /*causal=*/true, FloatAttr(), IntegerAttr());
  o = f.reshape(o, {B, T, D});
  f.at("c_proj");
  return f.finish(f.conv1d(o, w[2], w[3]));
}

func::FuncOp Gpt2Builder::buildMlp() {
  FunctionBuilder f(module, "mlp");
  Value x = f.input(f.tensor({B, T, D}, element));
  SmallVector<Value> w = addLayerInputs(f, mlpSpecs(), element);
  Value hidden = f.conv1d(x, w[0], w[1]);
  hidden = mlir::ds::GeluOp::create(
      f.b(), hidden,
      mlir::ds::GeluApproximationAttr::get(f.context(), mlir::ds::GeluApproximation::tanh));
  return f.finish(f.conv1d(hidden, w[2], w[3]));
}

func::FuncOp Gpt2Builder::buildBlock(func::FuncOp attention, func::FuncOp mlp) {
  FunctionBuilder f(module, "block");
  auto &b = f.b();
  Value h = f.input(f.tensor({B, T, D}, element));
  Value ln1w = f.input(f.tensor({D}, element));
  Value ln1b = f.input(f.tensor({D}, element));
  SmallVector<Value> attentionInputs = addLayerInputs(f, attentionSpecs(), element);
  Value ln2w = f.input(f.tensor({D}, element));
  Value ln2b = f.input(f.tensor({D}, element));
  SmallVector<Value> mlpInputs = addLayerInputs(f, mlpSpecs(), element);
  FloatAttr eps = f.f64(config.norm_eps());

  f.at("attention");
  SmallVector<Value> operands{mlir::ds::LayerNormOp::create(b, h, ln1w, ln1b, eps)};
  llvm::append_range(operands, attentionInputs);
  h = mlir::ds::AddOp::create(b, h, f.call(attention, operands));
  f.at("mlp");
  operands = {mlir::ds::LayerNormOp::create(b, h, ln2w, ln2b, eps)};
  llvm::append_range(operands, mlpInputs);
  h = mlir::ds::AddOp::create(b, h, f.call(mlp, operands));
  return f.finish(h);
}

void Gpt2Builder::build() {
  func::FuncOp attention = buildAttention();
  func::FuncOp mlp = buildMlp();
  func::FuncOp block = buildBlock(attention, mlp);

  std::vector<WeightSpec> blockSpecs{{"ln_1.weight", {D}, Init::ones()},
                                     {"ln_1.bias", {D}, Init::zeros()}};
  for (WeightSpec &spec : attentionSpecs())
    blockSpecs.push_back(std::move(spec));
  blockSpecs.push_back({"ln_2.weight", {D}, Init::ones()});
  blockSpecs.push_back({"ln_2.bias", {D}, Init::zeros()});
  for (WeightSpec &spec : mlpSpecs())
    blockSpecs.push_back(std::move(spec));

  FunctionBuilder f(module, ::ds::frontend::kForwardEntry);
  auto &b = f.b();
  int64_t V = config.vocab_size();
  Value tokens = f.input(f.tensor({B, T}, b.getI32Type()), "tokens");
  f.at("embed");
  Value wte = f.param("transformer.wte.weight", {V, D}, element, weightInit());
  Value wpe = f.param("transformer.wpe.weight",
                      {config.max_position_embeddings(), D}, element,
                      Init::normal(0.01));
  Value positions = mlir::ds::IotaOp::create(b, f.tensor({T}, b.getI32Type()),
                                       f.i64(0));
  Value h = mlir::ds::AddOp::create(
      b, mlir::ds::GatherOp::create(b, wte, tokens, f.i64(0)),
      mlir::ds::GatherOp::create(b, wpe, positions, f.i64(0)));
  h = scanLayers(f, block, blockSpecs, "transformer.h.", 0,
                 config.num_hidden_layers(), h, ValueRange(), element)[0];
  f.at("ln_f");
  Value lnfw = f.param("transformer.ln_f.weight", {D}, element, Init::ones());
  Value lnfb = f.param("transformer.ln_f.bias", {D}, element, Init::zeros());
  h = mlir::ds::LayerNormOp::create(b, h, lnfw, lnfb, f.f64(config.norm_eps()));
  f.at("lm_head");
  Value head = config.tie_word_embeddings()
                   ? wte
                   : f.param("lm_head.weight", {V, D}, element, weightInit());
  f.finish(f.linear(h, head), {"logits"});
}

} // namespace

void ::ds::frontend::buildGpt2Forward(ModuleOp module, const ModelConfig &config) {
  Gpt2Builder(module, config).build();
}
