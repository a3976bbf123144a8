//===- ConfigValidation.cpp - Defaults and checks for ModelConfig ---------===//
//
// finalizeModelConfig: fills every default the schema documents and checks
// every rule, collecting all violations (one line each) instead of stopping at
// the first. Checks that depend on a field already reported as bad are
// skipped, so one mistake gives one error.
//
//===----------------------------------------------------------------------===//

#include "frontend/config/ModelConfig.h"
#include "frontend/config/ErrorLines.h"
#include "frontend/config/YarnScale.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <vector>

namespace ds::config {
namespace {

// Integers exactly, doubles as ErrorLines.h formats them.
std::string formatNumber(int64_t v) { return std::to_string(v); }
using ds::config::formatNumber;

/// The largest size any config field may hold (2^31 - 1, as Hugging Face's
/// configs and PyTorch's embedding indices allow).
constexpr int64_t kMaxSize = 2147483647;
/// The most elements one tensor of the model may have; beyond it element
/// counts (and the byte sizes of f64 tensors) no longer fit in 64 bits.
constexpr int64_t kMaxElements = int64_t(1) << 59;

class Checker {
public:
  explicit Checker(const std::string &source)
      : source(source.empty() ? std::string("<config>") : source) {}

  void fail(const std::string &message) {
    errors.push_back(source + ": " + message);
  }

  void missing(const std::string &field, const std::string &why = "") {
    fail("missing required field '" + field + "'" +
         (why.empty() ? std::string() : " (" + why + ")"));
  }

  /// A required integer > 0.
  bool requirePositive(bool has, int64_t value, const std::string &field,
                       const std::string &why = "") {
    if (!has) {
      missing(field, why);
      return false;
    }
    return checkPositive(value, field);
  }

  /// A size or count: > 0, and small enough that the builders' products of
  /// two sizes cannot overflow (checkTensorSizes bounds the tensors).
  bool checkPositive(int64_t value, const std::string &field) {
    if (value > 0 && value <= kMaxSize)
      return true;
    fail(field + " (" + formatNumber(value) + ") must be " +
         (value > 0 ? "at most " + formatNumber(kMaxSize) : std::string("> 0")));
    return false;
  }

  bool checkNonNegative(int64_t value, const std::string &field) {
    if (value > kMaxSize) {
      fail(field + " (" + formatNumber(value) + ") must be at most " + formatNumber(kMaxSize));
      return false;
    }
    if (value >= 0)
      return true;
    fail(field + " (" + formatNumber(value) + ") must be >= 0");
    return false;
  }

  bool checkPositive(double value, const std::string &field) {
    if (std::isfinite(value) && value > 0)
      return true;
    fail(field + " (" + formatNumber(value) + ") must be a finite number > 0");
    return false;
  }

  bool checkFinite(double value, const std::string &field) {
    if (std::isfinite(value))
      return true;
    fail(field + " (" + formatNumber(value) + ") must be a finite number");
    return false;
  }

  bool ok() const { return errors.empty(); }

  std::string joined() const { return joinLines(errors); }

private:
  std::string source;
  std::vector<std::string> errors;
};

/// The fields every config has, apart from architecture-specific ones.
struct CommonStatus {
  bool hidden = false, heads = false, layers = false, maxPos = false;
};

void finalizeGpt2(ModelConfig &config, const CommonStatus &common,
                  Checker &c) {
  const char *why = "GPT2 has learned positions, no MLA and no MoE; remove it";
  if (config.has_rope_theta())
    c.fail(std::string("rope_theta is set (") + why + ")");
  if (config.has_rope_scaling())
    c.fail(std::string("rope_scaling is set (") + why + ")");
  if (config.has_mla())
    c.fail(std::string("mla is set (") + why + ")");
  if (config.has_moe())
    c.fail(std::string("moe is set (") + why + ")");
  if (config.has_rope_interleave())
    c.fail(std::string("rope_interleave is set (") + why + ")");

  if (!config.has_intermediate_size()) {
    if (common.hidden && config.hidden_size() <= INT64_MAX / 4)
      config.set_intermediate_size(4 * config.hidden_size());
    else if (common.hidden)
      c.fail("hidden_size (" + formatNumber(config.hidden_size()) + ") is too large");
  } else {
    c.checkPositive(config.intermediate_size(), "intermediate_size");
  }
  if (common.hidden && common.heads &&
      config.hidden_size() % config.num_attention_heads() != 0)
    c.fail("hidden_size (" + formatNumber(config.hidden_size()) +
           ") is not divisible by num_attention_heads (" +
           formatNumber(config.num_attention_heads()) + ")");
  if (!config.has_tie_word_embeddings())
    config.set_tie_word_embeddings(true);
  const Shape &shape = config.shape();
  if (common.maxPos && shape.seq_len() > config.max_position_embeddings())
    c.fail("shape.seq_len (" + formatNumber(shape.seq_len()) +
           ") exceeds max_position_embeddings (" +
           formatNumber(config.max_position_embeddings()) +
           "), the size of GPT2's learned position table");
}

void finalizeMla(ModelConfig &config, Checker &c) {
  if (!config.has_mla()) {
    c.missing("mla", "DEEPSEEK needs mla { kv_lora_rank qk_nope_head_dim "
                     "qk_rope_head_dim v_head_dim }");
    return;
  }
  Mla &mla = *config.mutable_mla();
  if (!mla.has_q_lora_rank())
    mla.set_q_lora_rank(0);
  c.checkNonNegative(mla.q_lora_rank(), "mla.q_lora_rank");
  c.requirePositive(mla.has_kv_lora_rank(), mla.kv_lora_rank(),
                    "mla.kv_lora_rank");
  c.requirePositive(mla.has_qk_nope_head_dim(), mla.qk_nope_head_dim(),
                    "mla.qk_nope_head_dim");
  if (c.requirePositive(mla.has_qk_rope_head_dim(), mla.qk_rope_head_dim(),
                        "mla.qk_rope_head_dim") &&
      mla.qk_rope_head_dim() % 2 != 0)
    c.fail("mla.qk_rope_head_dim (" + formatNumber(mla.qk_rope_head_dim()) +
           ") must be even");
  c.requirePositive(mla.has_v_head_dim(), mla.v_head_dim(), "mla.v_head_dim");
}

void finalizeRopeScaling(ModelConfig &config, Checker &c) {
  if (!config.has_rope_scaling())
    return;
  Yarn &yarn = *config.mutable_rope_scaling();
  // The rules of #ds.yarn (dialects/ds/DsDialect.cpp), named by field.
  if (!yarn.has_factor())
    c.missing("rope_scaling.factor");
  else if (!std::isfinite(yarn.factor()) || !(yarn.factor() > 1))
    c.fail("rope_scaling.factor (" + formatNumber(yarn.factor()) +
           ") must be finite and > 1 (a factor of 1 is no scaling: remove "
           "rope_scaling)");
  c.requirePositive(yarn.has_original_max_position_embeddings(),
                    yarn.original_max_position_embeddings(),
                    "rope_scaling.original_max_position_embeddings");
  if (!yarn.has_beta_fast())
    yarn.set_beta_fast(32);
  if (!yarn.has_beta_slow())
    yarn.set_beta_slow(1);
  bool slowOk = c.checkPositive(yarn.beta_slow(), "rope_scaling.beta_slow");
  if (c.checkFinite(yarn.beta_fast(), "rope_scaling.beta_fast") && slowOk &&
      !(yarn.beta_fast() > yarn.beta_slow()))
    c.fail("rope_scaling.beta_fast (" + formatNumber(yarn.beta_fast()) +
           ") must be > rope_scaling.beta_slow (" + formatNumber(yarn.beta_slow()) +
           ")");
  if (!yarn.has_mscale())
    yarn.set_mscale(1);
  if (!yarn.has_mscale_all_dim())
    yarn.set_mscale_all_dim(0);
  for (auto [value, field] :
       {std::pair{yarn.mscale(), "rope_scaling.mscale"},
        std::pair{yarn.mscale_all_dim(), "rope_scaling.mscale_all_dim"}})
    if (!std::isfinite(value) || value < 0)
      c.fail(std::string(field) + " (" + formatNumber(value) +
             ") must be finite and >= 0");
}

/// YaRN's magnitude and MLA's attention scale (DeepSeekBuilder), which the
/// ops check to be finite and positive: huge mscale values overflow them.
void checkYarnScales(const ModelConfig &config, Checker &c) {
  if (!config.has_rope_scaling() || !c.ok())
    return;
  const Yarn &y = config.rope_scaling();
  const double magnitude =
      deepseekYarnScale(y.factor(), y.mscale(), y.mscale_all_dim());
  const double all = yarnMscale(y.factor(), y.mscale_all_dim());
  const double scale =
      all * all /
      std::sqrt(double(config.mla().qk_nope_head_dim() +
                       config.mla().qk_rope_head_dim()));
  if (!std::isfinite(magnitude) || !(magnitude > 0) || !std::isfinite(scale) ||
      !(scale > 0))
    c.fail("rope_scaling.mscale (" + formatNumber(y.mscale()) +
           ") and rope_scaling.mscale_all_dim (" + formatNumber(y.mscale_all_dim()) +
           ") give a rotary magnitude or attention scale that is not a "
           "finite positive number");
}

/// checked a * b (both >= 0); false on overflow.
bool multiply(int64_t a, int64_t b, int64_t &product) {
  return !__builtin_mul_overflow(a, b, &product);
}

/// Every tensor the builders make is bounded by one of these products of
/// config sizes; each must stay below kMaxElements, so that no element
/// count or byte size overflows anywhere downstream.
void checkTensorSizes(const ModelConfig &config, Checker &c) {
  if (!c.ok())
    return;
  const int64_t B = config.shape().batch_size(), T = config.shape().seq_len(),
                V = config.vocab_size(), D = config.hidden_size(),
                L = config.num_hidden_layers(), H = config.num_attention_heads(),
                P = config.max_position_embeddings();
  std::vector<std::pair<std::string, std::vector<int64_t>>> products = {
      {"shape.batch_size x shape.seq_len x vocab_size", {B, T, V}},
      {"shape.batch_size x shape.seq_len x hidden_size", {B, T, D}},
      {"vocab_size x hidden_size", {V, D}},
      {"max_position_embeddings x hidden_size", {P, D}},
      {"num_hidden_layers x hidden_size x intermediate_size",
       {L, D, config.has_intermediate_size() ? config.intermediate_size() : 1}},
      {"num_hidden_layers x hidden_size x 3 x hidden_size", {L, D, 3, D}},
      {"num_hidden_layers x shape.batch_size x shape.seq_len x hidden_size",
       {L, B, T, D}}};
  if (config.architecture() == DEEPSEEK) {
    const Mla &mla = config.mla();
    const int64_t head = mla.qk_nope_head_dim() +
                         std::max(mla.qk_rope_head_dim(), mla.v_head_dim());
    const int64_t rank = std::max(mla.q_lora_rank(), mla.kv_lora_rank());
    products.push_back({"num_hidden_layers x num_attention_heads x head dims x "
                        "max(hidden_size, lora ranks)",
                        {L, H, head, std::max(D, rank)}});
    products.push_back({"shape.batch_size x shape.seq_len x "
                        "num_attention_heads x head dims",
                        {B, T, H, head + mla.kv_lora_rank()}});
    products.push_back({"num_hidden_layers x shape.batch_size x shape.seq_len "
                        "x (kv_lora_rank + qk_rope_head_dim)",
                        {L, B, T, mla.kv_lora_rank() + mla.qk_rope_head_dim()}});
    if (config.has_moe() && config.moe().n_routed_experts() > 0) {
      const Moe &moe = config.moe();
      products.push_back({"num_hidden_layers x moe.n_routed_experts x "
                          "moe.moe_intermediate_size x hidden_size",
                          {L, moe.n_routed_experts(),
                           moe.moe_intermediate_size(), D}});
      products.push_back({"num_hidden_layers x moe.n_shared_experts x "
                          "moe.moe_intermediate_size x hidden_size",
                          {L, std::max<int64_t>(moe.n_shared_experts(), 1),
                           moe.moe_intermediate_size(), D}});
      products.push_back({"shape.batch_size x shape.seq_len x "
                          "moe.num_experts_per_tok x moe.n_routed_experts",
                          {B, T, moe.num_experts_per_tok(),
                           moe.n_routed_experts()}});
    }
  } else {
    products.push_back({"num_hidden_layers x shape.batch_size x shape.seq_len "
                        "x hidden_size (the KV caches)",
                        {L, B, T, D}});
  }
  for (const auto &[what, factors] : products) {
    int64_t product = 1;
    bool fits = true;
    for (int64_t factor : factors)
      fits = fits && multiply(product, factor, product) &&
             product <= kMaxElements;
    if (!fits)
      c.fail("the model is too large to describe: " + what +
             " exceeds 2^59 elements in one tensor");
  }
}

/// The MoE block of a DEEPSEEK config with n_routed_experts > 0.
void finalizeMoe(ModelConfig &config, const CommonStatus &common, Checker &c) {
  Moe &moe = *config.mutable_moe();
  const int64_t experts = moe.n_routed_experts();

  c.requirePositive(moe.has_moe_intermediate_size(),
                    moe.moe_intermediate_size(), "moe.moe_intermediate_size");

  bool topkOk = false;
  if (!moe.has_num_experts_per_tok())
    c.missing("moe.num_experts_per_tok");
  else if (moe.num_experts_per_tok() < 1)
    c.fail("moe.num_experts_per_tok (" + formatNumber(moe.num_experts_per_tok()) +
           ") must be >= 1");
  else if (moe.num_experts_per_tok() > experts)
    c.fail("moe.num_experts_per_tok (" + formatNumber(moe.num_experts_per_tok()) +
           ") exceeds moe.n_routed_experts (" + formatNumber(experts) + ")");
  else
    topkOk = true;

  if (!moe.has_n_shared_experts())
    moe.set_n_shared_experts(0);
  c.checkNonNegative(moe.n_shared_experts(), "moe.n_shared_experts");

  if (!moe.has_scoring_func() || moe.scoring_func() == SCORING_UNSPECIFIED)
    moe.set_scoring_func(SOFTMAX);
  else if (!ScoringFunc_IsValid(moe.scoring_func()))
    c.fail("moe.scoring_func (" + formatNumber(int64_t(moe.scoring_func())) +
           ") is not SOFTMAX or SIGMOID");

  if (!moe.has_topk_method() || moe.topk_method() == TOPK_METHOD_UNSPECIFIED)
    moe.set_topk_method(GREEDY);
  else if (!TopkMethod_IsValid(moe.topk_method()))
    c.fail("moe.topk_method (" + formatNumber(int64_t(moe.topk_method())) +
           ") is not GREEDY, GROUP_LIMITED_GREEDY or NOAUX_TC");

  if (!(moe.seq_aux_alpha() >= 0.0) || !std::isfinite(moe.seq_aux_alpha()))
    c.fail("moe.seq_aux_alpha (" + std::to_string(moe.seq_aux_alpha()) +
           ") must be finite and >= 0");

  if (moe.topk_method() == GREEDY) {
    // Plain top-k over all experts: groups play no part.
    moe.set_n_group(1);
    moe.set_topk_group(1);
  } else {
    bool groupOk = false;
    if (!moe.has_n_group())
      moe.set_n_group(1);
    if (moe.n_group() < 1)
      c.fail("moe.n_group (" + formatNumber(moe.n_group()) + ") must be >= 1");
    else if (experts % moe.n_group() != 0)
      c.fail("moe.n_group (" + formatNumber(moe.n_group()) +
             ") does not divide moe.n_routed_experts (" + formatNumber(experts) + ")");
    else
      groupOk = true;

    bool topkGroupOk = false;
    if (!moe.has_topk_group())
      moe.set_topk_group(moe.n_group());
    if (moe.topk_group() < 1)
      c.fail("moe.topk_group (" + formatNumber(moe.topk_group()) + ") must be >= 1");
    else if (moe.topk_group() > moe.n_group())
      c.fail("moe.topk_group (" + formatNumber(moe.topk_group()) +
             ") exceeds moe.n_group (" + formatNumber(moe.n_group()) + ")");
    else
      topkGroupOk = true;

    if (groupOk) {
      const int64_t perGroup = experts / moe.n_group();
      if (topkOk && topkGroupOk &&
          moe.num_experts_per_tok() > moe.topk_group() * perGroup)
        c.fail("moe.num_experts_per_tok (" + formatNumber(moe.num_experts_per_tok()) +
               ") exceeds the " + formatNumber(moe.topk_group() * perGroup) +
               " experts in moe.topk_group (" + formatNumber(moe.topk_group()) +
               ") groups of " + formatNumber(perGroup) + " (moe.n_routed_experts (" +
               formatNumber(experts) + ") / moe.n_group (" + formatNumber(moe.n_group()) + "))");
      if (moe.topk_method() == NOAUX_TC && perGroup < 2)
        c.fail("moe.topk_method NOAUX_TC ranks groups by their two best "
               "experts and needs at least 2 experts per group, got "
               "moe.n_routed_experts (" +
               formatNumber(experts) + ") / moe.n_group (" + formatNumber(moe.n_group()) +
               ") = " + formatNumber(perGroup));
    }
  }

  if (!moe.has_routed_scaling_factor())
    moe.set_routed_scaling_factor(1.0);
  c.checkPositive(moe.routed_scaling_factor(), "moe.routed_scaling_factor");

  if (!moe.has_norm_topk_prob())
    moe.set_norm_topk_prob(false);

  if (!moe.has_first_k_dense_replace())
    moe.set_first_k_dense_replace(0);
  bool firstKOk = true;
  if (moe.first_k_dense_replace() < 0 ||
      (common.layers &&
       moe.first_k_dense_replace() > config.num_hidden_layers())) {
    c.fail("moe.first_k_dense_replace (" + formatNumber(moe.first_k_dense_replace()) +
           ") must be in [0, num_hidden_layers (" +
           formatNumber(config.num_hidden_layers()) + ")]");
    firstKOk = false;
  }

  if (!moe.has_moe_layer_freq())
    moe.set_moe_layer_freq(1);
  if (moe.moe_layer_freq() != 1)
    c.fail("moe.moe_layer_freq (" + formatNumber(moe.moe_layer_freq()) +
           ") is not supported: only 1 (every layer from "
           "moe.first_k_dense_replace on is MoE)");

  if (firstKOk && moe.first_k_dense_replace() > 0)
    c.requirePositive(config.has_intermediate_size(),
                      config.intermediate_size(), "intermediate_size",
                      "the first moe.first_k_dense_replace (" +
                          formatNumber(moe.first_k_dense_replace()) +
                          ") layers are dense");
  else if (config.has_intermediate_size())
    c.checkPositive(config.intermediate_size(), "intermediate_size");
}

void finalizeDeepseek(ModelConfig &config, const CommonStatus &common,
                      Checker &c) {
  if (!config.has_tie_word_embeddings())
    config.set_tie_word_embeddings(false);
  if (!config.has_rope_theta())
    config.set_rope_theta(10000);
  if (!config.has_rope_interleave())
    config.set_rope_interleave(true);
  // ds.rope's rule: the frequencies are powers of theta.
  if (!std::isfinite(config.rope_theta()) || !(config.rope_theta() > 1))
    c.fail("rope_theta (" + formatNumber(config.rope_theta()) +
           ") must be finite and > 1");
  finalizeRopeScaling(config, c);
  finalizeMla(config, c);

  Moe &moe = *config.mutable_moe();
  if (!moe.has_n_routed_experts())
    moe.set_n_routed_experts(0);
  if (moe.n_routed_experts() < 0) {
    c.fail("moe.n_routed_experts (" + formatNumber(moe.n_routed_experts()) +
           ") must be >= 0 (0: all layers dense)");
  } else if (moe.n_routed_experts() == 0) {
    c.requirePositive(config.has_intermediate_size(),
                      config.intermediate_size(), "intermediate_size",
                      "without moe.n_routed_experts every layer is dense");
  } else {
    finalizeMoe(config, common, c);
  }
}

/// sliding_window and layer_types, for either architecture.
void finalizeAttentionPattern(const ModelConfig &config,
                              const CommonStatus &common, Checker &c) {
  if (config.has_sliding_window())
    c.checkPositive(config.sliding_window(), "sliding_window");
  if (config.layer_types_size() == 0)
    return;
  if (common.layers &&
      config.layer_types_size() != config.num_hidden_layers())
    c.fail("layer_types has " + formatNumber(int64_t(config.layer_types_size())) +
           " entries, but num_hidden_layers is " +
           formatNumber(config.num_hidden_layers()) + " (one entry per layer)");
  for (int i = 0; i < config.layer_types_size(); ++i) {
    AttentionKind kind = config.layer_types(i);
    if (kind != FULL_ATTENTION && kind != SLIDING_ATTENTION) {
      c.fail("layer_types[" + formatNumber(int64_t(i)) +
             "] must be FULL_ATTENTION or SLIDING_ATTENTION");
      return;
    }
    if (kind == SLIDING_ATTENTION && !config.has_sliding_window()) {
      c.fail("layer_types[" + formatNumber(int64_t(i)) +
             "] is SLIDING_ATTENTION, but sliding_window is not set");
      return;
    }
  }
}

} // namespace

bool finalizeModelConfig(ModelConfig &config, const std::string &sourceName,
                         std::string &error) {
  Checker c(sourceName);

  if (!config.has_name() || config.name().empty())
    config.set_name("model");

  Architecture arch = config.architecture();
  if (!config.has_architecture() || arch == ARCHITECTURE_UNSPECIFIED) {
    c.missing("architecture", "GPT2 or DEEPSEEK");
    arch = ARCHITECTURE_UNSPECIFIED;
  } else if (!Architecture_IsValid(arch)) {
    c.fail("architecture (" + formatNumber(int64_t(arch)) + ") is not GPT2 or DEEPSEEK");
    arch = ARCHITECTURE_UNSPECIFIED;
  }

  if (!config.has_dtype() || config.dtype() == DTYPE_UNSPECIFIED)
    config.set_dtype(F32);
  else if (!DType_IsValid(config.dtype()))
    c.fail("dtype (" + formatNumber(int64_t(config.dtype())) +
           ") is not F32, F64, BF16 or F16");

  CommonStatus common;
  c.requirePositive(config.has_vocab_size(), config.vocab_size(), "vocab_size");
  common.hidden = c.requirePositive(config.has_hidden_size(),
                                    config.hidden_size(), "hidden_size");
  common.layers =
      c.requirePositive(config.has_num_hidden_layers(),
                        config.num_hidden_layers(), "num_hidden_layers");
  common.heads =
      c.requirePositive(config.has_num_attention_heads(),
                        config.num_attention_heads(), "num_attention_heads");
  common.maxPos = c.requirePositive(config.has_max_position_embeddings(),
                                    config.max_position_embeddings(),
                                    "max_position_embeddings");

  if (!config.has_norm_eps() && arch != ARCHITECTURE_UNSPECIFIED)
    config.set_norm_eps(arch == GPT2 ? 1e-5 : 1e-6);
  if (config.has_norm_eps())
    c.checkPositive(config.norm_eps(), "norm_eps");

  if (!config.has_initializer_range())
    config.set_initializer_range(0.02);
  c.checkPositive(config.initializer_range(), "initializer_range");

  Shape &shape = *config.mutable_shape();
  if (!shape.has_batch_size())
    shape.set_batch_size(1);
  c.checkPositive(shape.batch_size(), "shape.batch_size");
  if (!shape.has_seq_len()) {
    if (common.maxPos)
      shape.set_seq_len(
          std::min<int64_t>(config.max_position_embeddings(), 4096));
  } else {
    c.checkPositive(shape.seq_len(), "shape.seq_len");
  }

  finalizeAttentionPattern(config, common, c);
  if (arch == GPT2)
    finalizeGpt2(config, common, c);
  else if (arch == DEEPSEEK)
    finalizeDeepseek(config, common, c);
  if (arch == DEEPSEEK)
    checkYarnScales(config, c);
  checkTensorSizes(config, c);

  if (c.ok())
    return true;
  error = c.joined();
  return false;
}

} // namespace ds::config
