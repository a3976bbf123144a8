//===- Gpt2Builder.cpp - GPT-2 forward graphs -----------------------------===//
//
// Follows Hugging Face's GPT2LMHeadModel with its tensor names and Conv1D
// [in, out] weight layouts, so GPT-2 checkpoints load without conversion:
//
//   @attention  fused QKV projection, causal multi-head attention, c_proj
//   @mlp        c_fc, GELU (tanh), c_proj
//   @block      pre-LayerNorm residual block around them
//   @forward    token + position embeddings, one ds.scan, ln_f, tied head
//   @decode     one token per sequence against a KV cache (the functions
//               again, `_decode`, for one position); keys and values are
//               cached per layer as `cache.transformer.h.[0:L].k` and `.v`,
//               [L, B, seq_len, H, D/H] each
//   @prefill    the same for T tokens per sequence at once (`_prefill`)
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

class Gpt2Builder {
public:
  Gpt2Builder(ModuleOp module, const ModelConfig &config)
      : module(module), config(config),
        element(elementTypeFor(module.getContext(), config.dtype())),
        D(config.hidden_size()), H(config.num_attention_heads()),
        I(config.intermediate_size()), B(config.shape().batch_size()),
        T(config.shape().seq_len()), Tc(config.shape().seq_len()) {}

  void build();

private:
  void buildGraph();
  std::string functionName(StringRef base) const {
    if (!decoding)
      return base.str();
    return (base + (T == 1 ? "_decode" : "_prefill")).str();
  }
  std::vector<WeightSpec> attentionSpecs() const;
  std::vector<WeightSpec> mlpSpecs() const;
  /// The attention function for a window (0: full attention).
  func::FuncOp buildAttention(int64_t window);
  func::FuncOp buildMlp();
  func::FuncOp buildBlock(StringRef name, func::FuncOp attention,
                          func::FuncOp mlp);
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
  /// T: positions per call (the sequence, or 1 for @decode); Tc: the
  /// positions a KV cache holds; `decoding`: @decode or @prefill.
  int64_t D, H, I, B, T, Tc;
  bool decoding = false;
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

func::FuncOp Gpt2Builder::buildAttention(int64_t window) {
  FunctionBuilder f(module, functionName(window > 0 ? "attention_sliding"
                                                    : "attention"));
  auto &b = f.b();
  Value x = f.input(f.tensor({B, T, D}, element));
  // Decoding: the position, then this layer's key and value caches.
  Value position, keys, values;
  if (decoding) {
    position = f.input(f.tensor({}, b.getI32Type()));
    keys = f.input(f.tensor({B, Tc, H, D / H}, element));
    values = f.input(f.tensor({B, Tc, H, D / H}, element));
  }
  SmallVector<Value> w = addLayerInputs(f, attentionSpecs(), element);
  f.at("c_attn");
  Value qkv = f.conv1d(x, w[0], w[1]);
  SmallVector<Value> parts = f.split(qkv, 2, {D, D, D});
  for (Value &part : parts)
    part = f.reshape(part, {B, T, H, D / H});
  Value length;
  if (decoding) {
    f.at("kv_cache");
    keys = mlir::ds::DynamicUpdateSliceOp::create(b, keys, parts[1], position,
                                                  f.i64(1));
    values = mlir::ds::DynamicUpdateSliceOp::create(b, values, parts[2],
                                                    position, f.i64(1));
    parts[1] = keys;
    parts[2] = values;
    length = mlir::ds::AddOp::create(b, position, f.scalar(b.getI32Type(), T));
  }
  f.at("attention");
  Value o = mlir::ds::AttentionOp::create(
      b, parts[0], parts[1], parts[2], length, /*causal=*/true, FloatAttr(),
      window > 0 ? f.i64(window) : IntegerAttr());
  o = f.reshape(o, {B, T, D});
  f.at("c_proj");
  Value out = f.conv1d(o, w[2], w[3]);
  if (decoding)
    return f.finish({out, keys, values});
  return f.finish(out);
}

func::FuncOp Gpt2Builder::buildMlp() {
  FunctionBuilder f(module, functionName("mlp"));
  Value x = f.input(f.tensor({B, T, D}, element));
  SmallVector<Value> w = addLayerInputs(f, mlpSpecs(), element);
  Value hidden = f.conv1d(x, w[0], w[1]);
  hidden = mlir::ds::GeluOp::create(
      f.b(), hidden,
      mlir::ds::GeluApproximationAttr::get(f.context(), mlir::ds::GeluApproximation::tanh));
  return f.finish(f.conv1d(hidden, w[2], w[3]));
}

func::FuncOp Gpt2Builder::buildBlock(StringRef name, func::FuncOp attention,
                                     func::FuncOp mlp) {
  FunctionBuilder f(module, functionName(name));
  auto &b = f.b();
  Value h = f.input(f.tensor({B, T, D}, element));
  SmallVector<Value> cacheInputs; // decoding: position, key and value caches
  if (decoding) {
    cacheInputs.push_back(f.input(f.tensor({}, b.getI32Type())));
    for (int i = 0; i < 2; ++i)
      cacheInputs.push_back(f.input(f.tensor({B, Tc, H, D / H}, element)));
  }
  Value ln1w = f.input(f.tensor({D}, element));
  Value ln1b = f.input(f.tensor({D}, element));
  SmallVector<Value> attentionInputs = addLayerInputs(f, attentionSpecs(), element);
  Value ln2w = f.input(f.tensor({D}, element));
  Value ln2b = f.input(f.tensor({D}, element));
  SmallVector<Value> mlpInputs = addLayerInputs(f, mlpSpecs(), element);
  FloatAttr eps = f.f64(config.norm_eps());

  f.at("attention");
  SmallVector<Value> operands{mlir::ds::LayerNormOp::create(b, h, ln1w, ln1b, eps)};
  llvm::append_range(operands, cacheInputs);
  llvm::append_range(operands, attentionInputs);
  auto attended = func::CallOp::create(b, attention, operands);
  h = mlir::ds::AddOp::create(b, h, attended.getResult(0));
  f.at("mlp");
  operands = {mlir::ds::LayerNormOp::create(b, h, ln2w, ln2b, eps)};
  llvm::append_range(operands, mlpInputs);
  h = mlir::ds::AddOp::create(b, h, f.call(mlp, operands));
  SmallVector<Value> results{h};
  llvm::append_range(results, attended.getResults().drop_front()); // caches
  return f.finish(results);
}

void Gpt2Builder::build() {
  buildGraph();
  decoding = true;
  T = 1;
  buildGraph(); // @decode
  T = Tc;
  if (T > 1) // (with one position @decode is @prefill)
    buildGraph(); // @prefill
}

/// @forward, or when decoding (@prefill the same with T tokens)
///   @decode(tokens [B, 1], position, key cache, value cache, parameters...)
///       -> (logits [B, 1, V], key cache, value cache).
void Gpt2Builder::buildGraph() {
  const int64_t L = config.num_hidden_layers();
  // One block function per attention window (0: full), built on first use,
  // and the segments the layers are scanned in.
  std::map<int64_t, func::FuncOp> blockByWindow;
  func::FuncOp mlp;
  SmallVector<func::FuncOp> perLayer;
  for (int64_t layer = 0; layer < L; ++layer) {
    const int64_t window = ::ds::config::attentionWindow(config, layer);
    func::FuncOp &block = blockByWindow[window];
    if (!block) {
      func::FuncOp attention = buildAttention(window);
      if (!mlp)
        mlp = buildMlp();
      block = buildBlock(window > 0 ? "block_sliding" : "block", attention, mlp);
    }
    perLayer.push_back(block);
  }
  SmallVector<LayerSegment> segments = segmentLayers(perLayer, 0);

  std::vector<WeightSpec> blockSpecs{{"ln_1.weight", {D}, Init::ones()},
                                     {"ln_1.bias", {D}, Init::zeros()}};
  for (WeightSpec &spec : attentionSpecs())
    blockSpecs.push_back(std::move(spec));
  blockSpecs.push_back({"ln_2.weight", {D}, Init::ones()});
  blockSpecs.push_back({"ln_2.bias", {D}, Init::zeros()});
  for (WeightSpec &spec : mlpSpecs())
    blockSpecs.push_back(std::move(spec));

  FunctionBuilder f(module, !decoding ? ::ds::frontend::kForwardEntry
                            : T == 1  ? ::ds::frontend::kDecodeEntry
                                      : ::ds::frontend::kPrefillEntry);
  auto &b = f.b();
  int64_t V = config.vocab_size();
  Type i32 = b.getI32Type();
  Value tokens = f.input(f.tensor({B, T}, i32), "tokens");
  Value position, positions;
  SmallVector<Value> caches;
  SmallVector<std::string> cacheNames;
  if (decoding) {
    position = f.input(f.tensor({}, i32), "position");
    positions = mlir::ds::AddOp::create(
        b, mlir::ds::IotaOp::create(b, f.tensor({T}, i32), f.i64(0)),
        position);
    for (const char *what : {".k", ".v"}) {
      cacheNames.push_back(stackedName("cache.transformer.h.", 0, L, what));
      caches.push_back(f.input(f.tensor({L, B, Tc, H, D / H}, element),
                               cacheNames.back()));
    }
  } else {
    positions = mlir::ds::IotaOp::create(b, f.tensor({T}, i32), f.i64(0));
  }
  f.at("embed");
  Value wte = f.param("transformer.wte.weight", {V, D}, element, weightInit());
  Value wpe = f.param("transformer.wpe.weight",
                      {config.max_position_embeddings(), D}, element,
                      Init::normal(0.01));
  Value h = mlir::ds::AddOp::create(
      b, mlir::ds::GatherOp::create(b, wte, tokens, f.i64(0)),
      mlir::ds::GatherOp::create(b, wpe, positions, f.i64(0)));
  SmallVector<Value> stacked(caches);
  llvm::append_range(stacked, addStackedParams(f, blockSpecs, "transformer.h.",
                                               0, L, element));
  SmallVector<Value> scanned = scanSegments(
      f, segments, 0, L, functionName("layers_block"), h,
      decoding ? ValueRange(position) : ValueRange(), stacked);
  h = scanned[0];
  f.at("ln_f");
  Value lnfw = f.param("transformer.ln_f.weight", {D}, element, Init::ones());
  Value lnfb = f.param("transformer.ln_f.bias", {D}, element, Init::zeros());
  h = mlir::ds::LayerNormOp::create(b, h, lnfw, lnfb, f.f64(config.norm_eps()));
  f.at("lm_head");
  Value head = config.tie_word_embeddings()
                   ? wte
                   : f.param("lm_head.weight", {V, D}, element, weightInit());
  SmallVector<Value> results{f.linear(h, head)};
  SmallVector<StringRef> names{"logits"};
  llvm::append_range(results, ArrayRef<Value>(scanned).drop_front());
  for (const std::string &name : cacheNames)
    names.push_back(name);
  f.finish(results, names);
}

} // namespace

void ::ds::frontend::buildGpt2Forward(ModuleOp module, const ModelConfig &config) {
  Gpt2Builder(module, config).build();
}
