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
//   @decode     one token per sequence against a KV cache (the same
//               functions with a `_decode` suffix, built for one position)
//   @prefill    the same for T tokens per sequence at once (`_prefill`):
//               a prompt in one call
//
// Decoding caches what DeepSeek-V2 caches: per layer and position the
// normalised compressed latent c_kv (kv_lora_rank) and the rotated shared
// key k_rope (qk_rope_head_dim), side by side in one tensor
// [B, Tc, kv_lora_rank + qk_rope_head_dim]. kv_b_proj is absorbed into the
// query and the output (W_UK, W_UV), so attention runs as multi-query
// attention over the cache itself: keys are the whole cache row, values its
// latent part, and nothing is decompressed per position.
//
//===----------------------------------------------------------------------===//

#include "frontend/builder/Builders.h"
#include "frontend/builder/GraphBuilder.h"

#include "frontend/config/ModelConfig.h"

#include <cmath>
#include <map>

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
  /// Queries, the normalised latent and the rotated shared key of MLA for
  /// the tokens in `x`, and the weights the caller still needs.
  struct MlaProjections {
    Value q;        // [B, T, H, qkNope + qkRope], RoPE applied
    Value latent;   // [B, T, kv_lora_rank], normalised
    Value kRope;    // [B, T, 1, qkRope], RoPE applied
    Value kvBProj;  // [H * (qkNope + vDim), kv_lora_rank]
    Value oProj;    // [D, H * vDim]
  };

  Init linearInit() const { return Init::normal(config.initializer_range()); }
  /// The function name for what this pass builds: `base`, or `base_decode`.
  std::string functionName(StringRef base) const {
    switch (graph) {
    case Graph::forward:
      return base.str();
    case Graph::decode:
      return (base + "_decode").str();
    case Graph::prefill:
      return (base + "_prefill").str();
    }
    return base.str();
  }
  /// The YaRN attribute (null without rope_scaling).
  mlir::ds::YarnAttr yarn(FunctionBuilder &f) const;
  /// 1/sqrt(qk head dim), times YaRN's mscale² with mscale_all_dim.
  double attentionScale() const;
  MlaProjections projectMla(FunctionBuilder &f, Value x, Value positions,
                            ArrayRef<Value> weights);
  /// The per-layer cache row width: kv_lora_rank + qk_rope_head_dim.
  int64_t cacheWidth() const {
    return config.mla().kv_lora_rank() + qkRope;
  }
  void buildGraph();

  std::vector<WeightSpec> attentionSpecs() const;
  std::vector<WeightSpec> mlpSpecs(StringRef prefix, int64_t width) const;
  std::vector<WeightSpec> moeSpecs() const;

  func::FuncOp buildMla();
  func::FuncOp buildMlaDecode();
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
  /// What the functions being built compute: the whole sequence (@forward),
  /// or positions against a KV cache, one (@decode) or T (@prefill).
  enum class Graph { forward, decode, prefill };
  Graph graph = Graph::forward;
  bool decoding() const { return graph != Graph::forward; }
  /// The attention window of the MLA function being built (0: full).
  int64_t window = 0;
  IntegerAttr windowAttr(FunctionBuilder &f) const {
    return window > 0 ? f.i64(window) : IntegerAttr();
  }
  int64_t B() const { return config.shape().batch_size(); }
  /// Positions per call: the sequence, or one for @decode.
  int64_t T() const {
    return graph == Graph::decode ? 1 : config.shape().seq_len();
  }
  /// Positions the KV cache holds: the sequence length trained on.
  int64_t cacheLength() const { return config.shape().seq_len(); }
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

double DeepSeekBuilder::attentionScale() const {
  double scale = 1.0 / std::sqrt(static_cast<double>(qkNope + qkRope));
  if (config.has_rope_scaling() && config.rope_scaling().mscale_all_dim() != 0.0) {
    const auto &y = config.rope_scaling();
    double m = yarnMscale(y.factor(), y.mscale_all_dim());
    scale *= m * m;
  }
  return scale;
}

mlir::ds::YarnAttr DeepSeekBuilder::yarn(FunctionBuilder &f) const {
  if (!config.has_rope_scaling())
    return {};
  const auto &y = config.rope_scaling();
  return mlir::ds::YarnAttr::get(
      f.context(), APFloat(y.factor()), y.original_max_position_embeddings(),
      APFloat(y.beta_fast()), APFloat(y.beta_slow()), APFloat(y.mscale()),
      APFloat(y.mscale_all_dim()));
}

DeepSeekBuilder::MlaProjections
DeepSeekBuilder::projectMla(FunctionBuilder &f, Value x, Value positions,
                            ArrayRef<Value> w) {
  const auto &mla = config.mla();
  auto &b = f.b();
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

  // The compressed latent and the RoPE key shared by all heads.
  f.at("kv");
  Value kva = f.linear(x, w[next++]);
  SmallVector<Value> parts = f.split(kva, 2, {mla.kv_lora_rank(), qkRope});
  MlaProjections p;
  p.latent = mlir::ds::RmsNormOp::create(b, parts[0], w[next++], f.f64(eps));
  p.kvBProj = w[next++];
  p.oProj = w[next++];

  // Decoupled rotary embedding on the last qk_rope_head_dim channels.
  f.at("rope");
  mlir::ds::YarnAttr yarnAttr = yarn(f);
  auto style = mlir::ds::RopeStyleAttr::get(
      f.context(), config.rope_interleave() ? mlir::ds::RopeStyle::interleaved
                                            : mlir::ds::RopeStyle::half);
  FloatAttr theta = f.f64(config.rope_theta());
  p.q = mlir::ds::RopeOp::create(b, q, positions, style, theta, f.i64(qkNope),
                                 f.i64(qkRope), yarnAttr);
  p.kRope = mlir::ds::RopeOp::create(b, f.reshape(parts[1], {B(), T(), 1, qkRope}),
                                     positions, style, theta, f.i64(0),
                                     f.i64(qkRope), yarnAttr);
  return p;
}

func::FuncOp DeepSeekBuilder::buildMla() {
  FunctionBuilder f(module, window > 0 ? "mla_sliding" : "mla");
  auto &b = f.b();
  Value x = f.input(f.tensor({B(), T(), D}, element));
  Value positions = f.input(f.tensor({T()}, b.getI32Type()));
  SmallVector<Value> w = addLayerInputs(f, attentionSpecs(), element);
  MlaProjections p = projectMla(f, x, positions, w);

  // Keys and values decompressed from the latent.
  f.at("kv");
  Value kv = f.reshape(f.linear(p.latent, p.kvBProj),
                       {B(), T(), H, qkNope + vDim});
  SmallVector<Value> kvParts = f.split(kv, 3, {qkNope, vDim});
  Value kNope = kvParts[0], value = kvParts[1];
  Value kRope = mlir::ds::BroadcastOp::create(
      b, f.tensor({B(), T(), H, qkRope}, element), p.kRope);
  Value k = mlir::ds::ConcatOp::create(b, ValueRange{kNope, kRope}, f.i64(3));

  f.at("attention");
  const double scale = attentionScale();
  Value o = mlir::ds::AttentionOp::create(b, p.q, k, value,
                                          /*key_length=*/Value(),
                                          /*causal=*/true, f.f64(scale),
                                          windowAttr(f));
  o = f.reshape(o, {B(), T(), H * vDim});
  f.at("o_proj");
  return f.finish(f.linear(o, p.oProj));
}

/// T() positions per sequence against the cache, with kv_b_proj absorbed:
/// q_nope·k_nope = (q_nope·W_UK)·c_kv, and the output of the heads is
/// (Σ_j p_j c_kv[j])·W_UVᵀ, so the cache stays compressed.
func::FuncOp DeepSeekBuilder::buildMlaDecode() {
  const int64_t rank = config.mla().kv_lora_rank(), Tc = cacheLength();
  const int64_t N = B() * T();
  FunctionBuilder f(module,
                    functionName(window > 0 ? "mla_sliding" : "mla"));
  auto &b = f.b();
  Type i32 = b.getI32Type();
  Value x = f.input(f.tensor({B(), T(), D}, element));
  Value positions = f.input(f.tensor({T()}, i32));
  Value position = f.input(f.tensor({}, i32));
  Value cache = f.input(f.tensor({B(), Tc, cacheWidth()}, element));
  SmallVector<Value> w = addLayerInputs(f, attentionSpecs(), element);
  MlaProjections p = projectMla(f, x, positions, w);

  f.at("kv_cache");
  Value row = mlir::ds::ConcatOp::create(
      b, ValueRange{p.latent, f.reshape(p.kRope, {B(), T(), qkRope})},
      f.i64(2));
  cache = mlir::ds::DynamicUpdateSliceOp::create(b, cache, row, position,
                                                 f.i64(1));

  // W_UK and W_UV, per head, from kv_b_proj [H·(qkNope + vDim), rank].
  f.at("absorb");
  SmallVector<Value> wkv = f.split(
      f.reshape(p.kvBProj, {H, qkNope + vDim, rank}), 1, {qkNope, vDim});
  SmallVector<Value> q = f.split(p.q, 3, {qkNope, qkRope});
  Value qNope = f.transpose(f.reshape(q[0], {N, H, qkNope}), {1, 0, 2});
  Value qLatent = mlir::ds::MatmulOp::create(
      b, f.tensor({H, N, rank}, element), qNope, wkv[0], nullptr, nullptr);
  qLatent = f.reshape(f.transpose(qLatent, {1, 0, 2}), {B(), T(), H, rank});
  Value query =
      mlir::ds::ConcatOp::create(b, ValueRange{qLatent, q[1]}, f.i64(3));

  f.at("attention");
  const double scale = attentionScale();
  Value keys = f.reshape(cache, {B(), Tc, 1, cacheWidth()});
  Value length = mlir::ds::AddOp::create(b, position, f.scalar(i32, T()));
  // The values are the cache rows too; their rope part is dropped after.
  Value o = mlir::ds::AttentionOp::create(b, query, keys, keys, length,
                                          /*causal=*/true, f.f64(scale),
                                          windowAttr(f));
  o = mlir::ds::SliceOp::create(
      b, o, b.getDenseI64ArrayAttr({0, 0, 0, 0}),
      b.getDenseI64ArrayAttr({B(), T(), H, rank}), DenseI64ArrayAttr());
  o = f.transpose(f.reshape(o, {N, H, rank}), {1, 0, 2});
  o = mlir::ds::MatmulOp::create(b, f.tensor({H, N, vDim}, element), o,
                                 wkv[1], nullptr, b.getUnitAttr());
  o = f.reshape(f.transpose(o, {1, 0, 2}), {B(), T(), H * vDim});
  f.at("o_proj");
  return f.finish({f.linear(o, p.oProj), cache});
}

func::FuncOp DeepSeekBuilder::buildMlp(StringRef name, int64_t width) {
  FunctionBuilder f(module, functionName(name));
  Value x = f.input(f.tensor({B(), T(), D}, element));
  SmallVector<Value> w = addLayerInputs(f, mlpSpecs("mlp", width), element);
  Value gate = mlir::ds::SiluOp::create(f.b(), f.linear(x, w[0]));
  Value hidden = mlir::ds::MulOp::create(f.b(), gate, f.linear(x, w[1]));
  return f.finish(f.linear(hidden, w[2]));
}

func::FuncOp DeepSeekBuilder::buildMoe(func::FuncOp sharedMlp) {
  const auto &moe = config.moe();
  FunctionBuilder f(module, functionName("moe"));
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
  if (decoding())
    return f.finish(out);

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
  FunctionBuilder f(module, functionName(name));
  auto &b = f.b();
  Value h = f.input(f.tensor({B(), T(), D}, element));
  Value positions = f.input(f.tensor({T()}, b.getI32Type()));
  // Decoding also takes the position and this layer's cache rows.
  SmallVector<Value> cacheInputs;
  if (decoding()) {
    cacheInputs.push_back(f.input(f.tensor({}, b.getI32Type())));
    cacheInputs.push_back(
        f.input(f.tensor({B(), cacheLength(), cacheWidth()}, element)));
  }
  Value inputNorm = f.input(f.tensor({D}, element));
  SmallVector<Value> attentionInputs = addLayerInputs(f, attentionWeights, element);
  Value postNorm = f.input(f.tensor({D}, element));
  SmallVector<Value> ffInputs = addLayerInputs(f, feedForwardWeights, element);
  FloatAttr eps = f.f64(config.norm_eps());

  f.at("attention");
  SmallVector<Value> operands{mlir::ds::RmsNormOp::create(b, h, inputNorm, eps),
                              positions};
  llvm::append_range(operands, cacheInputs);
  llvm::append_range(operands, attentionInputs);
  auto attended = func::CallOp::create(b, attention, operands);
  h = mlir::ds::AddOp::create(b, h, attended.getResult(0));

  f.at("mlp");
  operands = {mlir::ds::RmsNormOp::create(b, h, postNorm, eps)};
  llvm::append_range(operands, ffInputs);
  auto call = func::CallOp::create(f.b(), feedForward, operands);
  // The updated cache and the feed-forward's statistics (MoE load, balance
  // loss) are the layer's per-layer outputs.
  SmallVector<Value> results = {
      mlir::ds::AddOp::create(b, h, call.getResult(0)).getResult()};
  llvm::append_range(results, attended.getResults().drop_front());
  llvm::append_range(results, call.getResults().drop_front());
  return f.finish(results);
}

void DeepSeekBuilder::build() {
  for (Graph kind : {Graph::forward, Graph::decode, Graph::prefill}) {
    // With one position, @decode is @prefill.
    if (kind == Graph::prefill && config.shape().seq_len() == 1)
      continue;
    graph = kind;
    buildGraph();
  }
}

/// @forward, or with a cache:
///   @decode(tokens [B, 1], position, caches..., parameters...)
///       -> (logits [B, 1, V], caches...)
/// writes position `position` of every sequence: its cache rows, then
/// attention over positions [0, position]. @prefill is the same for T
/// tokens at positions [position, position + T), which must fit in the
/// cache: from position 0, a whole prompt in one call. One cache argument per ds.scan,
/// `cache.model.layers.[a:b].kv` [b − a, B, Tc, kv_lora_rank + rope dims],
/// returned updated under the same name.
void DeepSeekBuilder::buildGraph() {
  const auto &moe = config.moe();
  std::vector<WeightSpec> attention = attentionSpecs();
  // The MLA function of each attention window (0: full), built on first use.
  std::map<int64_t, func::FuncOp> mlaByWindow;
  auto mlaFor = [&](int64_t w) {
    func::FuncOp &mla = mlaByWindow[w];
    if (!mla) {
      window = w;
      mla = decoding() ? buildMlaDecode() : buildMla();
    }
    return mla;
  };

  // The weights of one layer, in the order its function takes them.
  auto layerSpecs = [&](ArrayRef<WeightSpec> feedForward) {
    std::vector<WeightSpec> specs{{"input_layernorm.weight", {D}, Init::ones()}};
    specs.insert(specs.end(), attention.begin(), attention.end());
    specs.push_back({"post_attention_layernorm.weight", {D}, Init::ones()});
    specs.insert(specs.end(), feedForward.begin(), feedForward.end());
    return specs;
  };

  // The layers of one feed-forward kind (dense, then MoE): one layer
  // function per attention window, each layer range scanned in segments
  // (one segment unless sliding-window and global layers alternate).
  struct LayerRange {
    std::string name;
    bool moe = false;
    func::FuncOp feedForward;
    std::vector<WeightSpec> feedForwardSpecs, specs;
    int64_t begin = 0, end = 0;
    SmallVector<LayerSegment> segments;
    Value cache;
    std::string cacheName;
  };
  SmallVector<LayerRange> ranges;
  // The layer function of each of the range's layers, and its segments.
  auto addLayers = [&](LayerRange range) {
    range.specs = layerSpecs(range.feedForwardSpecs);
    std::map<int64_t, func::FuncOp> byWindow;
    SmallVector<func::FuncOp> perLayer;
    for (int64_t layer = range.begin; layer < range.end; ++layer) {
      const int64_t w = ::ds::config::attentionWindow(config, layer);
      func::FuncOp &function = byWindow[w];
      if (!function)
        function = buildLayer(w > 0 ? range.name + "_sliding" : range.name,
                              mlaFor(w), attention, range.feedForward,
                              range.feedForwardSpecs);
      perLayer.push_back(function);
    }
    range.segments = segmentLayers(perLayer, range.begin);
    ranges.push_back(std::move(range));
  };
  mlaFor(::ds::config::attentionWindow(config, 0));
  if (firstMoe > 0) {
    LayerRange dense;
    dense.name = "dense_layer";
    dense.feedForwardSpecs = mlpSpecs("mlp", config.intermediate_size());
    dense.feedForward = buildMlp("mlp", config.intermediate_size());
    dense.begin = 0;
    dense.end = firstMoe;
    addLayers(std::move(dense));
  }
  if (firstMoe < numLayers) {
    func::FuncOp shared;
    if (moe.n_shared_experts() > 0)
      shared = buildMlp("shared_experts",
                        moe.moe_intermediate_size() * moe.n_shared_experts());
    LayerRange routed;
    routed.name = "moe_layer";
    routed.moe = true;
    routed.feedForward = buildMoe(shared);
    routed.feedForwardSpecs = moeSpecs();
    routed.begin = firstMoe;
    routed.end = numLayers;
    addLayers(std::move(routed));
  }

  FunctionBuilder f(module, graph == Graph::forward ? kForwardEntry
                            : graph == Graph::decode ? kDecodeEntry
                                                     : kPrefillEntry);
  auto &b = f.b();
  Type i32 = b.getI32Type();
  int64_t V = config.vocab_size();
  Value tokens = f.input(f.tensor({B(), T()}, i32), "tokens");
  Value position, positions;
  if (decoding()) {
    // Positions position .. position + T − 1.
    position = f.input(f.tensor({}, i32), "position");
    positions = mlir::ds::AddOp::create(
        b, mlir::ds::IotaOp::create(b, f.tensor({T()}, i32), f.i64(0)),
        position);
    // One cache per layer range, named after it.
    for (LayerRange &range : ranges) {
      range.cacheName = stackedName("cache.model.layers.", range.begin,
                                    range.end, ".kv");
      range.cache = f.input(f.tensor({range.end - range.begin, B(),
                                      cacheLength(), cacheWidth()},
                                     element),
                            range.cacheName);
    }
  }
  f.at("embed");
  Value embed = f.param("model.embed_tokens.weight", {V, D}, element,
                        Init::normal(config.initializer_range()));
  Value h = mlir::ds::GatherOp::create(b, embed, tokens, f.i64(0));
  if (!decoding())
    positions = mlir::ds::IotaOp::create(b, f.tensor({T()}, i32), f.i64(0));
  SmallVector<Value> invariants{positions};
  if (decoding())
    invariants.push_back(position);

  SmallVector<Value> statistics, caches;
  for (LayerRange &range : ranges) {
    SmallVector<Value> stacked;
    if (range.cache)
      stacked.push_back(range.cache);
    llvm::append_range(stacked,
                       addStackedParams(f, range.specs, "model.layers.",
                                        range.begin, range.end, element));
    SmallVector<Value> scanned = scanSegments(
        f, range.segments, range.begin, range.end,
        functionName(range.name + "_block"), h, invariants, stacked);
    h = scanned[0];
    if (decoding()) {
      caches.push_back(scanned[1]);
    } else if (range.moe) {
      statistics.push_back(scanned[1]); // expert load [layers, E]
      if (scanned.size() > 2)           // balance loss per layer
        statistics.push_back(mlir::ds::ReduceSumOp::create(
            b, scanned[2], ArrayRef<int64_t>{0}, false));
    }
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
  if (decoding()) {
    llvm::append_range(results, caches);
    SmallVector<StringRef> names = {"logits"};
    for (const LayerRange &range : ranges)
      names.push_back(range.cacheName);
    f.finish(results, names);
    return;
  }
  llvm::append_range(results, statistics);
  StringRef names[] = {"logits", "expert_load", "balance_loss"};
  func::FuncOp forward =
      f.finish(results, ArrayRef<StringRef>(names).take_front(results.size()));
  // The load balances the selection bias of the same layers.
  if (firstMoe < numLayers && moe.topk_method() == ::ds::config::NOAUX_TC)
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
