//===- DeepSeekBuilder.cpp - DeepSeek-V2/V3 forward graphs ----------------===//
//
// Follows Hugging Face's modeling_deepseek.py for DeepSeek-V2 and V3, with
// its tensor names and [out, in] weight layouts, so that checkpoints load
// without conversion:
//
//   @mla        multi-head latent attention with decoupled RoPE
//   @mlp        SwiGLU (dense layers and the shared experts)
//   @moe        router + routed experts + shared experts
//   @dense_layer / @moe_layer   pre-norm residual blocks around them
//   @forward    embedding, one ds.scan per layer kind, final norm, lm_head
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

/// Hugging Face's yarn_get_mscale.
double yarnMscale(double factor, double mscale) {
  return factor <= 1.0 ? 1.0 : 0.1 * mscale * std::log(factor) + 1.0;
}

class DeepSeekBuilder {
public:
  DeepSeekBuilder(ModuleOp module, const ModelConfig &config)
      : module(module), config(config),
        element(elementTypeFor(module.getContext(), config.dtype())) {
    const auto &mla = config.mla();
    D = config.hidden_size();
    H = config.num_attention_heads();
    qkNope = mla.qk_nope_head_dim();
    qkRope = mla.qk_rope_head_dim();
    vDim = mla.v_head_dim();
    numLayers = config.num_hidden_layers();
    hasMoe = config.has_moe() && config.moe().n_routed_experts() > 0;
    firstMoe = hasMoe ? config.moe().first_k_dense_replace() : numLayers;
  }

  void build();

private:
  Init linearInit() const { return Init::normal(config.initializer_range()); }

  std::vector<WeightSpec> attentionSpecs() const;
  std::vector<WeightSpec> mlpSpecs(StringRef prefix, int64_t width) const;
  std::vector<WeightSpec> moeSpecs() const;

  func::FuncOp buildMla();
  func::FuncOp buildMlp(StringRef name, int64_t width);
  func::FuncOp buildMoe(func::FuncOp sharedMlp);
  func::FuncOp buildLayer(StringRef name, func::FuncOp attention,
                          ArrayRef<WeightSpec> attentionWeights,
                          func::FuncOp feedForward,
                          ArrayRef<WeightSpec> feedForwardWeights);

  ModuleOp module;
  const ModelConfig &config;
  Type element;
  int64_t D, H, qkNope, qkRope, vDim, numLayers, firstMoe;
  bool hasMoe;
  int64_t B() const { return config.shape().batch_size(); }
  int64_t T() const { return config.shape().seq_len(); }
};

std::vector<WeightSpec> DeepSeekBuilder::attentionSpecs() const {
  const auto &mla = config.mla();
  int64_t qHead = qkNope + qkRope;
  std::vector<WeightSpec> specs;
  if (mla.q_lora_rank() > 0) {
    specs.push_back({"self_attn.q_a_proj.weight", {mla.q_lora_rank(), D}, linearInit()});
    specs.push_back({"self_attn.q_a_layernorm.weight", {mla.q_lora_rank()}, Init::ones()});
    specs.push_back({"self_attn.q_b_proj.weight", {H * qHead, mla.q_lora_rank()}, linearInit()});
  } else {
    specs.push_back({"self_attn.q_proj.weight", {H * qHead, D}, linearInit()});
  }
  specs.push_back({"self_attn.kv_a_proj_with_mqa.weight",
                   {mla.kv_lora_rank() + qkRope, D}, linearInit()});
  specs.push_back({"self_attn.kv_a_layernorm.weight", {mla.kv_lora_rank()}, Init::ones()});
  specs.push_back({"self_attn.kv_b_proj.weight",
                   {H * (qkNope + vDim), mla.kv_lora_rank()}, linearInit()});
  specs.push_back({"self_attn.o_proj.weight", {D, H * vDim}, linearInit()});
  return specs;
}

std::vector<WeightSpec> DeepSeekBuilder::mlpSpecs(StringRef prefix,
                                                  int64_t width) const {
  return {{(prefix + ".gate_proj.weight").str(), {width, D}, linearInit()},
          {(prefix + ".up_proj.weight").str(), {width, D}, linearInit()},
          {(prefix + ".down_proj.weight").str(), {D, width}, linearInit()}};
}

std::vector<WeightSpec> DeepSeekBuilder::moeSpecs() const {
  const auto &moe = config.moe();
  int64_t E = moe.n_routed_experts(), I = moe.moe_intermediate_size();
  std::string experts = stackedName("mlp.experts.", 0, E, "");
  std::vector<WeightSpec> specs{{"mlp.gate.weight", {E, D}, linearInit()}};
  if (moe.topk_method() == ::ds::config::NOAUX_TC)
    specs.push_back({"mlp.gate.e_score_correction_bias", {E}, Init::zeros()});
  specs.push_back({experts + ".gate_proj.weight", {E, I, D}, linearInit()});
  specs.push_back({experts + ".up_proj.weight", {E, I, D}, linearInit()});
  specs.push_back({experts + ".down_proj.weight", {E, D, I}, linearInit()});
  if (moe.n_shared_experts() > 0)
    for (WeightSpec &spec :
         mlpSpecs("mlp.shared_experts", I * moe.n_shared_experts()))
      specs.push_back(std::move(spec));
  return specs;
}

func::FuncOp DeepSeekBuilder::buildMla() {
  const auto &mla = config.mla();
  FunctionBuilder f(module, "mla");
  auto &b = f.b();
  Value x = f.input(f.tensor({B(), T(), D}, element));
  Value positions = f.input(f.tensor({T()}, b.getI32Type()));
  SmallVector<Value> w = addLayerInputs(f, attentionSpecs(), element);
  unsigned next = 0;
  double eps = 1e-6; // q_a_layernorm and kv_a_layernorm use HF's default

  // Queries, optionally through the low-rank compression.
  f.at("q");
  Value q;
  if (mla.q_lora_rank() > 0) {
    Value qa = f.linear(x, w[next++]);
    qa = mlir::ds::RmsNormOp::create(b, qa, w[next++], f.f64(eps));
    q = f.linear(qa, w[next++]);
  } else {
    q = f.linear(x, w[next++]);
  }
  q = f.reshape(q, {B(), T(), H, qkNope + qkRope});

  // Keys and values from the compressed latent; the RoPE key is shared by
  // all heads.
  f.at("kv");
  Value kva = f.linear(x, w[next++]);
  SmallVector<Value> parts = f.split(kva, 2, {mla.kv_lora_rank(), qkRope});
  Value latent = mlir::ds::RmsNormOp::create(b, parts[0], w[next++], f.f64(eps));
  Value kv = f.linear(latent, w[next++]);
  kv = f.reshape(kv, {B(), T(), H, qkNope + vDim});
  SmallVector<Value> kvParts = f.split(kv, 3, {qkNope, vDim});
  Value kNope = kvParts[0], value = kvParts[1];

  // Decoupled rotary embedding on the last qk_rope_head_dim channels.
  f.at("rope");
  mlir::ds::YarnAttr yarn;
  double scale = 1.0 / std::sqrt(static_cast<double>(qkNope + qkRope));
  if (config.has_rope_scaling()) {
    const auto &y = config.rope_scaling();
    yarn = mlir::ds::YarnAttr::get(
        f.context(), APFloat(y.factor()), y.original_max_position_embeddings(),
        APFloat(y.beta_fast()), APFloat(y.beta_slow()), APFloat(y.mscale()),
        APFloat(y.mscale_all_dim()));
    if (y.mscale_all_dim() != 0.0) {
      double m = yarnMscale(y.factor(), y.mscale_all_dim());
      scale *= m * m;
    }
  }
  auto style = mlir::ds::RopeStyleAttr::get(f.context(), mlir::ds::RopeStyle::interleaved);
  q = mlir::ds::RopeOp::create(b, q, positions, style, f.f64(config.rope_theta()),
                         f.i64(qkNope), f.i64(qkRope), yarn);
  Value kRope = f.reshape(parts[1], {B(), T(), 1, qkRope});
  kRope = mlir::ds::RopeOp::create(b, kRope, positions, style,
                             f.f64(config.rope_theta()), f.i64(0),
                             f.i64(qkRope), yarn);
  kRope = mlir::ds::BroadcastOp::create(b, f.tensor({B(), T(), H, qkRope}, element),
                                  kRope);
  Value k = mlir::ds::ConcatOp::create(b, ValueRange{kNope, kRope}, f.i64(3));

  f.at("attention");
  Value o = mlir::ds::AttentionOp::create(b, q, k, value, /*causal=*/true,
                                    f.f64(scale), IntegerAttr());
  o = f.reshape(o, {B(), T(), H * vDim});
  f.at("o_proj");
  return f.finish(f.linear(o, w[next++]));
}

func::FuncOp DeepSeekBuilder::buildMlp(StringRef name, int64_t width) {
  FunctionBuilder f(module, name);
  Value x = f.input(f.tensor({B(), T(), D}, element));
  SmallVector<Value> w = addLayerInputs(f, mlpSpecs("mlp", width), element);
  Value gate = mlir::ds::SiluOp::create(f.b(), f.linear(x, w[0]));
  Value hidden = mlir::ds::MulOp::create(f.b(), gate, f.linear(x, w[1]));
  return f.finish(f.linear(hidden, w[2]));
}

func::FuncOp DeepSeekBuilder::buildMoe(func::FuncOp sharedMlp) {
  const auto &moe = config.moe();
  FunctionBuilder f(module, "moe");
  auto &b = f.b();
  int64_t N = B() * T();
  int64_t k = moe.num_experts_per_tok();
  Value x = f.input(f.tensor({B(), T(), D}, element));
  SmallVector<Value> w = addLayerInputs(f, moeSpecs(), element);
  unsigned next = 0;

  f.at("router");
  Value tokens = f.reshape(x, {N, D});
  Value logits = f.linear(tokens, w[next++]);
  Value bias;
  if (moe.topk_method() == ::ds::config::NOAUX_TC)
    bias = w[next++];
  // V3 (noaux_tc) ranks groups by their two best experts, V2 by the best.
  auto groupScore = mlir::ds::GroupScoreAttr::get(
      f.context(), moe.topk_method() == ::ds::config::NOAUX_TC
                       ? mlir::ds::GroupScore::top2_sum
                       : mlir::ds::GroupScore::max);
  auto scoring = mlir::ds::ScoringFuncAttr::get(
      f.context(), moe.scoring_func() == ::ds::config::SIGMOID
                       ? mlir::ds::ScoringFunc::sigmoid
                       : mlir::ds::ScoringFunc::softmax);
  // Hugging Face normalises only when top_k > 1. DeepSeek-V2's code scales
  // by routed_scaling_factor only when it does not normalise; V3 always does.
  bool normalize = moe.norm_topk_prob() && k > 1;
  double scaling = moe.routed_scaling_factor();
  if (normalize && moe.topk_method() != ::ds::config::NOAUX_TC)
    scaling = 1.0;
  auto route = mlir::ds::MoeRouteOp::create(
      b, logits, bias, scoring, f.i64(k), f.i64(moe.n_group()),
      f.i64(moe.topk_group()), groupScore,
      normalize ? b.getUnitAttr() : UnitAttr(), f.f64(scaling));

  f.at("experts");
  Value gate = w[next++], up = w[next++], down = w[next++];
  Value routed = mlir::ds::MoeFfnOp::create(b, tokens, route.getWeights(),
                                      route.getIndices(), gate, up, down);
  Value out = f.reshape(routed, {B(), T(), D});
  if (sharedMlp) {
    f.at("shared_experts");
    SmallVector<Value> operands{x, w[next], w[next + 1], w[next + 2]};
    out = mlir::ds::AddOp::create(b, out, f.call(sharedMlp, operands));
  }

  // Training statistics: how many of the N·k choices went to each expert
  // (what auxiliary-loss-free balancing steers the bias with), and, with
  // seq_aux_alpha > 0, the sequence-wise balance loss of DeepSeek-V3:
  // α · mean over sequences of Σ_e f_e · P_e, with f_e = E/(k·T) · (choices
  // of e in the sequence) and P_e the mean over the sequence of the
  // normalised scores s_e / Σ s.
  f.at("expert_load");
  int64_t E = moe.n_routed_experts();
  Type i32 = b.getI32Type();
  Value choices = f.reshape(route.getIndices(), {N, k, 1});
  Value experts = mlir::ds::IotaOp::create(b, f.tensor({E}, i32), f.i64(0));
  Value chosen = mlir::ds::CastOp::create(
      b, f.tensor({N, k, E}, element),
      mlir::ds::CompareOp::create(b, mlir::ds::CompareDirection::eq, choices,
                                  experts));
  Value load = mlir::ds::ReduceSumOp::create(b, chosen, ArrayRef<int64_t>{0, 1},
                                             false);
  SmallVector<Value> results = {out, load};
  if (double alpha = moe.seq_aux_alpha(); alpha > 0.0) {
    f.at("balance_loss");
    Value scores =
        moe.scoring_func() == ::ds::config::SIGMOID
            ? Value(mlir::ds::SigmoidOp::create(b, logits))
            : Value(mlir::ds::SoftmaxOp::create(b, logits, f.i64(1)));
    scores = f.reshape(scores, {B(), T(), E});
    Value total = mlir::ds::ReduceSumOp::create(b, scores,
                                                ArrayRef<int64_t>{2}, true);
    Value share = mlir::ds::ReduceMeanOp::create(
        b, mlir::ds::DivOp::create(b, scores, total), ArrayRef<int64_t>{1},
        false);                                                   // P [B, E]
    Value counts = mlir::ds::ReduceSumOp::create(
        b, f.reshape(chosen, {B(), T() * k, E}), ArrayRef<int64_t>{1},
        false);                                                   // [B, E]
    Value fraction = mlir::ds::MulOp::create(
        b, counts, f.scalar(element, double(E) / double(k * T())));
    Value perSequence = mlir::ds::ReduceSumOp::create(
        b, mlir::ds::MulOp::create(b, fraction, share), ArrayRef<int64_t>{0, 1},
        false);
    results.push_back(mlir::ds::MulOp::create(
        b, perSequence, f.scalar(element, alpha / double(B()))));
  }
  return f.finish(results);
}

func::FuncOp DeepSeekBuilder::buildLayer(StringRef name, func::FuncOp attention,
                                         ArrayRef<WeightSpec> attentionWeights,
                                         func::FuncOp feedForward,
                                         ArrayRef<WeightSpec> feedForwardWeights) {
  FunctionBuilder f(module, name);
  auto &b = f.b();
  Value h = f.input(f.tensor({B(), T(), D}, element));
  Value positions = f.input(f.tensor({T()}, b.getI32Type()));
  Value inputNorm = f.input(f.tensor({D}, element));
  SmallVector<Value> attentionInputs = addLayerInputs(f, attentionWeights, element);
  Value postNorm = f.input(f.tensor({D}, element));
  SmallVector<Value> ffInputs = addLayerInputs(f, feedForwardWeights, element);
  FloatAttr eps = f.f64(config.norm_eps());

  f.at("attention");
  SmallVector<Value> operands{mlir::ds::RmsNormOp::create(b, h, inputNorm, eps),
                              positions};
  llvm::append_range(operands, attentionInputs);
  h = mlir::ds::AddOp::create(b, h, f.call(attention, operands));

  f.at("mlp");
  operands = {mlir::ds::RmsNormOp::create(b, h, postNorm, eps)};
  llvm::append_range(operands, ffInputs);
  auto call = func::CallOp::create(f.b(), feedForward, operands);
  // The feed-forward's statistics (MoE load, balance loss) are the layer's
  // per-layer outputs.
  SmallVector<Value> results = {
      mlir::ds::AddOp::create(b, h, call.getResult(0)).getResult()};
  llvm::append_range(results, call.getResults().drop_front());
  return f.finish(results);
}

void DeepSeekBuilder::build() {
  const auto &moe = config.moe();
  func::FuncOp mla = buildMla();
  std::vector<WeightSpec> attention = attentionSpecs();

  // The weights of one layer, in the order its function takes them.
  auto layerSpecs = [&](ArrayRef<WeightSpec> feedForward) {
    std::vector<WeightSpec> specs{{"input_layernorm.weight", {D}, Init::ones()}};
    specs.insert(specs.end(), attention.begin(), attention.end());
    specs.push_back({"post_attention_layernorm.weight", {D}, Init::ones()});
    specs.insert(specs.end(), feedForward.begin(), feedForward.end());
    return specs;
  };

  func::FuncOp denseLayer, moeLayer;
  std::vector<WeightSpec> denseSpecs, moeLayerSpecs;
  if (firstMoe > 0) {
    std::vector<WeightSpec> mlp = mlpSpecs("mlp", config.intermediate_size());
    func::FuncOp dense = buildMlp("mlp", config.intermediate_size());
    denseLayer = buildLayer("dense_layer", mla, attention, dense, mlp);
    denseSpecs = layerSpecs(mlp);
  }
  if (firstMoe < numLayers) {
    func::FuncOp shared;
    if (moe.n_shared_experts() > 0)
      shared = buildMlp("shared_experts",
                        moe.moe_intermediate_size() * moe.n_shared_experts());
    func::FuncOp moeBlock = buildMoe(shared);
    std::vector<WeightSpec> ff = moeSpecs();
    moeLayer = buildLayer("moe_layer", mla, attention, moeBlock, ff);
    moeLayerSpecs = layerSpecs(ff);
  }

  FunctionBuilder f(module, kForwardEntry);
  auto &b = f.b();
  int64_t V = config.vocab_size();
  Value tokens = f.input(f.tensor({B(), T()}, b.getI32Type()), "tokens");
  f.at("embed");
  Value embed = f.param("model.embed_tokens.weight", {V, D}, element,
                        Init::normal(config.initializer_range()));
  Value h = mlir::ds::GatherOp::create(b, embed, tokens, f.i64(0));
  Value positions = mlir::ds::IotaOp::create(
      b, f.tensor({T()}, b.getI32Type()), f.i64(0));
  if (denseLayer)
    h = scanLayers(f, denseLayer, denseSpecs, "model.layers.", 0, firstMoe, h,
                   positions, element)[0];
  SmallVector<Value> statistics;
  if (moeLayer) {
    SmallVector<Value> scanned =
        scanLayers(f, moeLayer, moeLayerSpecs, "model.layers.", firstMoe,
                   numLayers, h, positions, element);
    h = scanned[0];
    statistics.push_back(scanned[1]); // expert load [layers, E]
    if (scanned.size() > 2)           // balance loss per layer
      statistics.push_back(mlir::ds::ReduceSumOp::create(
          b, scanned[2], ArrayRef<int64_t>{0}, false));
  }
  f.at("norm");
  Value norm = f.param("model.norm.weight", {D}, element, Init::ones());
  h = mlir::ds::RmsNormOp::create(b, h, norm, f.f64(config.norm_eps()));
  f.at("lm_head");
  Value head = config.tie_word_embeddings()
                   ? embed
                   : f.param("lm_head.weight", {V, D}, element,
                             Init::normal(config.initializer_range()));
  SmallVector<Value> results = {f.linear(h, head)};
  llvm::append_range(results, statistics);
  StringRef names[] = {"logits", "expert_load", "balance_loss"};
  func::FuncOp forward =
      f.finish(results, ArrayRef<StringRef>(names).take_front(results.size()));
  // The load balances the selection bias of the same layers.
  if (moeLayer && moe.topk_method() == ::ds::config::NOAUX_TC)
    forward.setResultAttr(
        1, mlir::ds::kBalancesAttrName,
        b.getStringAttr(stackedName("model.layers.", firstMoe, numLayers,
                                    ".mlp.gate.e_score_correction_bias")));
}

} // namespace

void ::ds::frontend::buildDeepSeekForward(ModuleOp module,
                                        const ModelConfig &config) {
  DeepSeekBuilder(module, config).build();
}
