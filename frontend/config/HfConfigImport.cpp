//===- HfConfigImport.cpp - Hugging Face config.json -> ModelConfig -------===//
//
// Maps the keys of Hugging Face DeepSeek-V2/V3 (model_type deepseek_v2,
// deepseek_v3) and GPT-2 (gpt2) config.json files onto ModelConfig, in the
// layout transformers 5 writes (`rope_parameters`) and in the older one
// (`rope_theta` + `rope_scaling`). Only JSON syntax, value types and the
// keys' meaning are checked here; finalizeModelConfig applies the defaults
// and range rules afterwards. A JSON null means "absent" (the Hugging Face
// convention for None), with the documented special cases (q_lora_rank null
// = no query compression, n_routed_experts null = no MoE, ...).
//
// Every key is accounted for. A key is either used; or checked to hold the
// one value DS implements (attention_bias false, hidden_act silu, ...); or
// known not to change what the model computes (token ids, generation
// defaults, bookkeeping), listed once in the import notes; anything else is
// an error naming the key, because a key DS does not understand may change
// the computation, and running a different model than the checkpoint
// describes, without a word, is the worst outcome.
//
//===----------------------------------------------------------------------===//

#include "frontend/config/ModelConfig.h"
#include "frontend/config/ErrorLines.h"
#include "frontend/config/YarnScale.h"
#include "runtime/io/JsonReader.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <string_view>
#include <vector>

namespace ds::config {
namespace {

using nlohmann::json;

/// Keys that do not change what the model computes: token ids, generation
/// defaults (older configs kept them at the top level), labels for other
/// heads, and bookkeeping of transformers and of DeepSeek's code.
constexpr std::string_view kNoEffectKeys[] = {
    // transformers' PretrainedConfig: bookkeeping and Python API switches.
    "_name_or_path", "_commit_hash", "_attn_implementation",
    "_attn_implementation_internal", "_experts_implementation",
    "architectures", "auto_map", "transformers_version", "return_dict",
    "output_hidden_states", "output_attentions", "torchscript",
    "use_bfloat16", "tf_legacy_loss", "chunk_size_feed_forward",
    "gradient_checkpointing", "use_cache", "tie_encoder_decoder",
    "cross_attention_hidden_size",
    // Labels and task heads other than the language model.
    "id2label", "label2id", "num_labels", "problem_type", "finetuning_task",
    "task_specific_params", "tokenizer_class", "prefix",
    // Token ids (the tokenizer's business).
    "bos_token_id", "eos_token_id", "pad_token_id", "sep_token_id",
    "decoder_start_token_id",
    // Generation defaults.
    "max_length", "min_length", "do_sample", "early_stopping", "num_beams",
    "num_beam_groups", "diversity_penalty", "temperature", "top_k", "top_p",
    "typical_p", "repetition_penalty", "length_penalty",
    "no_repeat_ngram_size", "encoder_no_repeat_ngram_size", "bad_words_ids",
    "num_return_sequences", "output_scores", "return_dict_in_generate",
    "forced_bos_token_id", "forced_eos_token_id", "remove_invalid_values",
    "exponential_decay_length_penalty", "suppress_tokens",
    "begin_suppress_tokens",
    // DeepSeek: expert-parallel degree (where experts live, not what they
    // compute); multi-token-prediction modules, which transformers does not
    // build either; a tensor-parallel pretraining detail with the same
    // mathematics; router logits as an extra output.
    "ep_size", "num_nextn_predict_layers", "pretraining_tp",
    "output_router_logits",
    // GPT-2: the sequence-summary head of GPT2DoubleHeadsModel, and the
    // context size of very old configs (n_positions is the one used).
    "summary_type", "summary_use_proj", "summary_activation",
    "summary_proj_to_labels", "summary_first_dropout", "n_ctx",
    // GPT-2: upcasts attention to f32 for fp16 training; DS computes scores
    // and softmax in at least f32 anyway.
    "reorder_and_upcast_attn",
};

bool hasNoEffect(const std::string &key) {
  return std::find(std::begin(kNoEffectKeys), std::end(kNoEffectKeys), key) !=
         std::end(kNoEffectKeys);
}

/// The state of one import: the config being filled, errors and notes.
class Import {
public:
  Import(const json &object, std::string source, ModelConfig &config)
      : source(std::move(source)), config(config),
        root(object, this->source, "", errors) {}

  bool ok() const { return errors.empty(); }
  void fail(const std::string &message) { root.report(message); }

  /// Keys nobody consumed: no-effect keys become one note, the rest errors.
  void accountForKeys();

  void importGpt2();
  void importDeepseek(bool v3);

  std::string source;
  ModelConfig &config;
  std::vector<std::string> errors, notes;
  ds::rt::JsonReader root;

private:
  void importDtype();
  void importRope();
  void importMla();
  void importMoe(bool v3);
  void importAttentionPattern();
  void noteDropout(const char *key);
  /// `key`, when present, must equal `expected` (what DS implements).
  void expectBool(const char *key, bool expected, const char *what);
  void expectString(const char *key, std::initializer_list<const char *> allowed,
                    const char *what);
  /// `key`, when present, must equal `expected`, which other keys define.
  void expectDerived(const char *key, int64_t expected, const char *from);
};

void Import::accountForKeys() {
  std::vector<std::string> ignored;
  for (const std::string &key : root.unconsumed()) {
    if (hasNoEffect(key))
      ignored.push_back(key);
    else
      fail("unknown key '" + key +
           "': DS does not implement it and cannot tell whether it changes "
           "the computation (remove it from the config if it does not)");
  }
  if (ignored.empty())
    return;
  std::string list;
  for (const std::string &key : ignored)
    list += (list.empty() ? "" : ", ") + key;
  notes.push_back(source + ": ignored (they do not change the computation): " +
                  list);
}

void Import::noteDropout(const char *key) {
  if (std::optional<double> p = root.number(key); p && *p != 0.0)
    notes.push_back(source + ": '" + key + "' is " + formatNumber(*p) +
                    ": DS does not apply dropout, so training differs from "
                    "transformers' (inference does not)");
}

void Import::expectBool(const char *key, bool expected, const char *what) {
  if (std::optional<bool> value = root.boolean(key); value && *value != expected)
    fail("'" + std::string(key) + "' is " + (*value ? "true" : "false") +
         ", which is not supported (" + what + ")");
}

void Import::expectString(const char *key,
                          std::initializer_list<const char *> allowed,
                          const char *what) {
  std::optional<std::string> value = root.string(key);
  if (!value)
    return;
  for (const char *ok : allowed)
    if (*value == ok)
      return;
  fail("'" + std::string(key) + "' is '" + *value +
       "', which is not supported (" + what + ")");
}

void Import::expectDerived(const char *key, int64_t expected, const char *from) {
  if (std::optional<int64_t> value = root.integer(key); value && *value != expected)
    fail("'" + std::string(key) + "' (" + std::to_string(*value) +
         ") must equal " + from + " (" + std::to_string(expected) + ")");
}

void Import::importDtype() {
  // Newer transformers write "dtype" instead of "torch_dtype".
  std::optional<std::string> dtype = root.string("torch_dtype");
  std::optional<std::string> newer = root.string("dtype");
  if (dtype && newer && *dtype != *newer)
    fail("'torch_dtype' (" + *dtype + ") and 'dtype' (" + *newer +
         ") disagree");
  if (!dtype)
    dtype = newer;
  if (!dtype)
    return;
  if (*dtype == "float32")
    config.set_dtype(F32);
  else if (*dtype == "bfloat16")
    config.set_dtype(BF16);
  else if (*dtype == "float16")
    config.set_dtype(F16);
  else if (*dtype == "float64")
    config.set_dtype(F64);
  else
    fail("torch_dtype '" + *dtype +
         "' is not supported (supported: float32, bfloat16, float16, "
         "float64)");
}

/// Checks shared by both architectures: an encoder-decoder or pruned model
/// computes something else.
void checkDecoderOnly(Import &im) {
  im.root.consume("is_decoder"); // true or false: a causal LM either way
  if (std::optional<bool> v = im.root.boolean("is_encoder_decoder"); v && *v)
    im.fail("'is_encoder_decoder' is true: only decoder-only models are "
            "supported");
  if (std::optional<bool> v = im.root.boolean("add_cross_attention"); v && *v)
    im.fail("'add_cross_attention' is true: cross-attention is not supported");
  if (const json *pruned = im.root.find("pruned_heads");
      pruned && !(pruned->is_object() && pruned->empty()))
    im.fail("'pruned_heads' is not empty: pruned attention heads are not "
            "supported");
}

void Import::importGpt2() {
  config.set_architecture(GPT2);
  if (auto v = root.integer("vocab_size"))
    config.set_vocab_size(*v);
  if (auto v = root.integer("n_embd"))
    config.set_hidden_size(*v);
  if (auto v = root.integer("n_layer"))
    config.set_num_hidden_layers(*v);
  if (auto v = root.integer("n_head"))
    config.set_num_attention_heads(*v);
  if (auto v = root.integer("n_positions"))
    config.set_max_position_embeddings(*v);
  else if (!root.contains("n_positions"))
    if (auto v = root.integer("n_ctx")) // very old GPT-2 configs
      config.set_max_position_embeddings(*v);
  if (auto v = root.integer("n_inner")) // null: 4 * n_embd
    config.set_intermediate_size(*v);
  if (auto v = root.number("layer_norm_epsilon"))
    config.set_norm_eps(*v);
  expectString("activation_function", {"gelu_new", "gelu_pytorch_tanh"},
               "supported: gelu_new, gelu_pytorch_tanh");
  if (auto v = root.boolean("tie_word_embeddings"))
    config.set_tie_word_embeddings(*v);
  if (auto v = root.number("initializer_range"))
    config.set_initializer_range(*v);
  expectBool("scale_attn_weights", true,
             "DS always scales attention scores by 1/sqrt(head dim)");
  expectBool("scale_attn_by_inverse_layer_idx", false,
             "DS does not scale attention by the layer index");
  for (const char *key : {"resid_pdrop", "embd_pdrop", "attn_pdrop"})
    noteDropout(key);
  checkDecoderOnly(*this);
  importAttentionPattern();
  importDtype();
}

//===----------------------------------------------------------------------===//
// Rotary embedding: rope_parameters (transformers 5) or rope_theta +
// rope_scaling (older configs)
//===----------------------------------------------------------------------===//

/// What one of the two layouts says about RoPE; `origin` maps each field to
/// the key it came from, for messages.
struct RopeFields {
  std::optional<double> theta, factor, betaFast, betaSlow, mscale,
      mscaleAllDim, attentionFactor, partialRotary;
  std::optional<int64_t> originalMax;
  std::optional<std::string> type;
  std::optional<bool> truncate;
  std::map<std::string, std::string> origin;
};

/// Reads a rope_parameters or rope_scaling object.
RopeFields readRopeObject(ds::rt::JsonReader &r) {
  RopeFields f;
  auto note = [&](const char *field, const char *key) {
    if (r.has(key))
      f.origin[field] = r.field(key);
  };
  note("theta", "rope_theta");
  note("factor", "factor");
  note("originalMax", "original_max_position_embeddings");
  note("betaFast", "beta_fast");
  note("betaSlow", "beta_slow");
  note("mscale", "mscale");
  note("mscaleAllDim", "mscale_all_dim");
  f.theta = r.number("rope_theta");
  // transformers 5 writes both "rope_type" and the older "type".
  std::optional<std::string> type = r.string("rope_type");
  std::optional<std::string> legacyType = r.string("type");
  if (type && legacyType && *type != *legacyType)
    r.report("'" + r.field("rope_type") + "' (" + *type + ") and '" +
             r.field("type") + "' (" + *legacyType + ") disagree");
  f.type = type ? type : legacyType;
  if (f.type)
    f.origin["type"] = r.field(type ? "rope_type" : "type");
  f.factor = r.number("factor");
  f.originalMax = r.integer("original_max_position_embeddings");
  f.betaFast = r.number("beta_fast");
  f.betaSlow = r.number("beta_slow");
  f.mscale = r.number("mscale");
  f.mscaleAllDim = r.number("mscale_all_dim");
  f.attentionFactor = r.number("attention_factor");
  f.partialRotary = r.number("partial_rotary_factor");
  f.truncate = r.boolean("truncate");
  for (const std::string &key : r.unconsumed())
    r.report("unknown key '" + r.field(key) +
           "' (DS implements rope types default and yarn with rope_theta, "
           "factor, original_max_position_embeddings, beta_fast, beta_slow, "
           "mscale and mscale_all_dim)");
  return f;
}

/// Merges `from` into `into`: a field both give must agree.
template <typename T>
void mergeField(std::optional<T> &into, const std::optional<T> &from,
                const std::string &intoKey, const std::string &fromKey,
                Import &im) {
  if (!from)
    return;
  if (into && *into != *from) {
    std::string a, b;
    if constexpr (std::is_same_v<T, std::string>) {
      a = *into;
      b = *from;
    } else {
      a = formatNumber(double(*into));
      b = formatNumber(double(*from));
    }
    im.fail("'" + intoKey + "' (" + a + ") and '" + fromKey + "' (" + b +
            ") disagree");
    return;
  }
  into = from;
}

void Import::importRope() {
  RopeFields rope;
  const std::string paramsKey = "rope_parameters", scalingKey = "rope_scaling";
  if (const json *params = root.object(paramsKey)) {
    if (std::any_of(params->begin(), params->end(),
                    [](const json &value) { return value.is_object(); })) {
      fail("'rope_parameters' holds one set per layer type; DS supports one "
           "rotary embedding for all layers");
      return;
    }
    ds::rt::JsonReader r = root.child(*params, paramsKey);
    rope = readRopeObject(r);
  }
  RopeFields legacy;
  if (const json *scaling = root.object(scalingKey)) {
    ds::rt::JsonReader r = root.child(*scaling, scalingKey);
    legacy = readRopeObject(r);
  }
  RopeFields top;
  top.theta = root.number("rope_theta");
  if (top.theta)
    top.origin["theta"] = "rope_theta";
  // Both layouts may be present (a config converted by hand); they must
  // say the same.
  auto key = [](const RopeFields &f, const char *field, const char *fallback) {
    auto it = f.origin.find(field);
    return it == f.origin.end() ? std::string(fallback) : it->second;
  };
  auto mergeFrom = [&](RopeFields &from, auto member, const char *field) {
    mergeField(rope.*member, from.*member, key(rope, field, field),
               key(from, field, field), *this);
    if (!rope.origin.count(field) && from.origin.count(field))
      rope.origin[field] = from.origin[field];
  };
  auto merge = [&](auto member, const char *field) {
    mergeFrom(legacy, member, field);
  };
  mergeFrom(top, &RopeFields::theta, "theta");
  merge(&RopeFields::theta, "theta");
  merge(&RopeFields::type, "type");
  merge(&RopeFields::factor, "factor");
  merge(&RopeFields::originalMax, "originalMax");
  merge(&RopeFields::betaFast, "betaFast");
  merge(&RopeFields::betaSlow, "betaSlow");
  merge(&RopeFields::mscale, "mscale");
  merge(&RopeFields::mscaleAllDim, "mscaleAllDim");
  merge(&RopeFields::attentionFactor, "attentionFactor");
  merge(&RopeFields::partialRotary, "partialRotary");
  merge(&RopeFields::truncate, "truncate");

  if (rope.theta)
    config.set_rope_theta(*rope.theta);
  if (rope.partialRotary && *rope.partialRotary != 1.0)
    fail("'partial_rotary_factor' (" + formatNumber(*rope.partialRotary) +
         ") is not supported: DeepSeek rotates all qk_rope_head_dim channels");
  const bool scalingGiven = rope.factor || rope.originalMax || rope.betaFast ||
                            rope.betaSlow || rope.mscale || rope.mscaleAllDim ||
                            rope.attentionFactor || rope.truncate;
  if (!rope.type) {
    if (scalingGiven)
      fail("the rope scaling type is missing ('rope_parameters.rope_type' or "
           "'rope_scaling.type'; supported: default, yarn)");
    return;
  }
  const std::string &typeKey = key(rope, "type", "rope_type");
  if (*rope.type == "default") {
    if (scalingGiven)
      fail("'" + typeKey + "' is 'default', but scaling keys are given "
           "(factor, beta_fast, ...): they apply only to rope type yarn");
    return;
  }
  if (*rope.type != "yarn") {
    fail("'" + typeKey + "' is '" + *rope.type +
         "', which is not supported (supported: default, yarn)");
    return;
  }
  if (rope.attentionFactor)
    fail("'attention_factor' is not supported: DS derives YaRN's magnitude "
         "from factor, mscale and mscale_all_dim");
  if (rope.truncate && !*rope.truncate)
    fail("'truncate' is false, which is not supported: DS truncates YaRN's "
         "correction range as DeepSeek does");
  Yarn &yarn = *config.mutable_rope_scaling();
  if (rope.originalMax)
    yarn.set_original_max_position_embeddings(*rope.originalMax);
  // Hugging Face's rule for a missing factor: the ratio of the context
  // lengths after and before the extension.
  if (rope.factor)
    yarn.set_factor(*rope.factor);
  else if (rope.originalMax && *rope.originalMax > 0 &&
           config.has_max_position_embeddings())
    yarn.set_factor(double(config.max_position_embeddings()) /
                    double(*rope.originalMax));
  if (rope.betaFast)
    yarn.set_beta_fast(*rope.betaFast);
  if (rope.betaSlow)
    yarn.set_beta_slow(*rope.betaSlow);
  if (rope.mscale)
    yarn.set_mscale(*rope.mscale);
  if (rope.mscaleAllDim)
    yarn.set_mscale_all_dim(*rope.mscaleAllDim);
  // Where DeepSeek's code and transformers scale cos/sin differently
  // (YarnScale.h) the checkpoint's meaning is ambiguous.
  if (yarn.has_factor() && std::isfinite(yarn.factor())) {
    const double f = yarn.factor();
    const double all = rope.mscaleAllDim.value_or(0.0);
    const double deepseek =
        deepseekYarnScale(f, rope.mscale.value_or(1.0), all);
    const double transformers = transformersYarnScale(f, rope.mscale, all);
    if (!yarnScalesAgree(deepseek, transformers))
      fail("YaRN with mscale " +
           (rope.mscale ? formatNumber(*rope.mscale) : std::string("absent")) +
           " and mscale_all_dim " +
           (rope.mscaleAllDim ? formatNumber(*rope.mscaleAllDim) : std::string("absent")) +
           ": transformers and DeepSeek's reference code scale the rotary "
           "embedding differently for this combination (" + formatNumber(transformers) +
           " vs " + formatNumber(deepseek) +
           "); give both, or mscale 1 without mscale_all_dim");
  }
}

//===----------------------------------------------------------------------===//
// DeepSeek
//===----------------------------------------------------------------------===//

void Import::importMoe(bool v3) {
  // n_routed_experts null or absent: every layer is dense.
  std::optional<int64_t> experts = root.integer("n_routed_experts");
  if (!experts) {
    for (const char *key :
         {"moe_intermediate_size", "n_shared_experts", "num_experts_per_tok",
          "n_group", "topk_group", "scoring_func", "topk_method",
          "routed_scaling_factor", "norm_topk_prob", "first_k_dense_replace",
          "moe_layer_freq", "aux_loss_alpha", "seq_aux"})
      root.consume(key); // they describe experts the model does not have
    return;
  }
  Moe &moe = *config.mutable_moe();
  moe.set_n_routed_experts(*experts);
  if (auto v = root.integer("moe_intermediate_size"))
    moe.set_moe_intermediate_size(*v);
  if (root.isNull("n_shared_experts"))
    moe.set_n_shared_experts(0);
  else if (auto v = root.integer("n_shared_experts"))
    moe.set_n_shared_experts(*v);
  if (auto v = root.integer("num_experts_per_tok"))
    moe.set_num_experts_per_tok(*v);
  if (auto v = root.integer("n_group"))
    moe.set_n_group(*v);
  if (auto v = root.integer("topk_group"))
    moe.set_topk_group(*v);
  // transformers' deepseek_v3 always scores with a sigmoid and selects with
  // noaux_tc (its config has neither key); DeepSeek's own V3 config.json
  // spells them out.
  if (v3) {
    moe.set_scoring_func(SIGMOID);
    moe.set_topk_method(NOAUX_TC);
  }
  if (auto v = root.string("scoring_func")) {
    if (*v == "softmax" && !v3)
      moe.set_scoring_func(SOFTMAX);
    else if (*v == "sigmoid")
      moe.set_scoring_func(SIGMOID);
    else
      fail("scoring_func '" + *v + "' is not supported (supported: " +
           (v3 ? "sigmoid for deepseek_v3" : "softmax, sigmoid") + ")");
  }
  if (auto v = root.string("topk_method")) {
    if (*v == "noaux_tc")
      moe.set_topk_method(NOAUX_TC);
    else if (*v == "greedy" && !v3)
      moe.set_topk_method(GREEDY);
    else if (*v == "group_limited_greedy" && !v3)
      moe.set_topk_method(GROUP_LIMITED_GREEDY);
    else
      fail("topk_method '" + *v + "' is not supported (supported: " +
           (v3 ? "noaux_tc for deepseek_v3"
               : "greedy, group_limited_greedy, noaux_tc") +
           ")");
  }
  if (auto v = root.number("routed_scaling_factor"))
    moe.set_routed_scaling_factor(*v);
  if (auto v = root.boolean("norm_topk_prob"))
    moe.set_norm_topk_prob(*v);
  if (auto v = root.integer("first_k_dense_replace"))
    moe.set_first_k_dense_replace(*v);
  if (auto v = root.integer("moe_layer_freq"))
    moe.set_moe_layer_freq(*v);
  // DeepSeek-V2's modeling code trains with the sequence-wise balance loss
  // (aux_loss_alpha, seq_aux); V3's (noaux_tc) carries the keys but uses the
  // bias instead, so they are not imported for it.
  std::optional<bool> seqAux = root.boolean("seq_aux");
  std::optional<double> alpha = root.number("aux_loss_alpha");
  if (moe.topk_method() != NOAUX_TC && seqAux && *seqAux && alpha)
    moe.set_seq_aux_alpha(*alpha);
}

void Import::importMla() {
  Mla &mla = *config.mutable_mla();
  if (root.isNull("q_lora_rank"))
    mla.set_q_lora_rank(0);
  else if (auto v = root.integer("q_lora_rank"))
    mla.set_q_lora_rank(*v);
  if (auto v = root.integer("kv_lora_rank"))
    mla.set_kv_lora_rank(*v);
  if (auto v = root.integer("qk_nope_head_dim"))
    mla.set_qk_nope_head_dim(*v);
  if (auto v = root.integer("qk_rope_head_dim"))
    mla.set_qk_rope_head_dim(*v);
  if (auto v = root.integer("v_head_dim"))
    mla.set_v_head_dim(*v);
  // Keys transformers derives from the others: they must agree.
  if (mla.has_qk_rope_head_dim())
    expectDerived("head_dim", mla.qk_rope_head_dim(), "qk_rope_head_dim");
  if (mla.has_qk_rope_head_dim() && mla.has_qk_nope_head_dim())
    expectDerived("qk_head_dim",
                  mla.qk_nope_head_dim() + mla.qk_rope_head_dim(),
                  "qk_nope_head_dim + qk_rope_head_dim");
  // MLA has as many key/value heads as query heads (they come from one
  // latent); another value is a different architecture.
  if (config.has_num_attention_heads())
    expectDerived("num_key_value_heads", config.num_attention_heads(),
                  "num_attention_heads (MLA has no grouped key/value heads)");
}

void Import::importDeepseek(bool v3) {
  config.set_architecture(DEEPSEEK);
  if (auto v = root.integer("vocab_size"))
    config.set_vocab_size(*v);
  if (auto v = root.integer("hidden_size"))
    config.set_hidden_size(*v);
  if (auto v = root.integer("intermediate_size"))
    config.set_intermediate_size(*v);
  if (auto v = root.integer("num_hidden_layers"))
    config.set_num_hidden_layers(*v);
  if (auto v = root.integer("num_attention_heads"))
    config.set_num_attention_heads(*v);
  if (auto v = root.integer("max_position_embeddings"))
    config.set_max_position_embeddings(*v);
  if (auto v = root.number("rms_norm_eps"))
    config.set_norm_eps(*v);
  if (auto v = root.boolean("tie_word_embeddings"))
    config.set_tie_word_embeddings(*v);
  if (auto v = root.number("initializer_range"))
    config.set_initializer_range(*v);
  if (auto v = root.boolean("rope_interleave"))
    config.set_rope_interleave(*v);
  expectString("hidden_act", {"silu"}, "DeepSeek's MLPs are SwiGLU: silu");
  expectBool("attention_bias", false, "DeepSeek's projections have no bias");
  expectBool("mlp_bias", false, "DeepSeek's MLPs have no bias");
  noteDropout("attention_dropout");
  checkDecoderOnly(*this);
  if (root.has("quantization_config"))
    fail("'quantization_config' is set: quantized checkpoints (DeepSeek-V3's "
         "FP8 blocks) are not supported; dequantize the weights to bf16 and "
         "remove the key");
  root.consume("quantization_config");
  importRope();
  importAttentionPattern();
  importDtype();
  importMla();
  importMoe(v3);
}

/// sliding_window and layer_types (and Qwen2's use_sliding_window switch).
void Import::importAttentionPattern() {
  std::optional<int64_t> window = root.integer("sliding_window");
  if (std::optional<bool> use = root.boolean("use_sliding_window");
      use && !*use)
    window.reset(); // the window is defined but switched off
  if (root.has("max_window_layers"))
    fail("'max_window_layers' is not supported: give the layers' kinds with "
         "'layer_types'");
  root.consume("max_window_layers");
  if (window)
    config.set_sliding_window(*window);
  const json *types = root.find("layer_types");
  if (!types)
    return;
  if (!types->is_array()) {
    fail(std::string("'layer_types' must be a list of strings, got ") +
         types->type_name());
    return;
  }
  for (size_t i = 0; i < types->size(); ++i) {
    const json &entry = (*types)[i];
    std::string kind = entry.is_string() ? entry.get<std::string>() : "";
    if (kind == "full_attention")
      config.add_layer_types(FULL_ATTENTION);
    else if (kind == "sliding_attention")
      config.add_layer_types(SLIDING_ATTENTION);
    else
      fail("'layer_types[" + std::to_string(i) + "]' is " + entry.dump() +
           " (supported: \"full_attention\", \"sliding_attention\")");
  }
}

/// The model name: the directory holding the config file, else "model".
std::string nameFromSource(const std::string &sourceName) {
  namespace fs = std::filesystem;
  fs::path parent = fs::path(sourceName).parent_path();
  std::string name = parent.filename().string();
  if (name == "." || name == "..") {
    std::error_code ec;
    fs::path absolute = fs::absolute(parent, ec);
    name = ec ? std::string() : absolute.lexically_normal().filename().string();
    if (name.empty()) // "/a/b/" normalizes to a trailing empty filename
      name = absolute.lexically_normal().parent_path().filename().string();
  }
  return name.empty() ? std::string("model") : name;
}

} // namespace

bool importHfConfigJson(std::string_view text, const std::string &sourceName,
                        ModelConfig &config, std::string &error,
                        std::vector<std::string> *notes) {
  if (notes)
    notes->clear();
  config.Clear();
  const std::string source =
      sourceName.empty() ? std::string("config.json") : sourceName;
  std::optional<json> root = ds::rt::parseJson(text, source, error);
  if (!root)
    return false;
  if (!root->is_object()) {
    error = source + ": expected a JSON object at the top level, got " +
            root->type_name();
    return false;
  }
  Import im(*root, source, config);
  const char *supported = "supported: deepseek_v2, deepseek_v3, gpt2";
  std::optional<std::string> modelType = im.root.string("model_type");
  if (!modelType) {
    if (im.ok())
      im.fail(std::string("missing 'model_type' (") + supported + ")");
  } else if (*modelType == "deepseek_v2" || *modelType == "deepseek_v3") {
    im.importDeepseek(*modelType == "deepseek_v3");
    im.accountForKeys();
  } else if (*modelType == "gpt2") {
    im.importGpt2();
    im.accountForKeys();
  } else {
    im.fail("model_type '" + *modelType + "' is not supported (" + supported +
            ")");
  }
  if (!im.ok()) {
    error = joinLines(im.errors);
    return false;
  }
  if (notes)
    notes->insert(notes->end(), im.notes.begin(), im.notes.end());
  config.set_name(nameFromSource(source));
  return true;
}

} // namespace ds::config
