//===- HfConfigExport.cpp - ModelConfig -> Hugging Face config.json -------===//
//
// The inverse of HfConfigImport.cpp, so that a model DS trained loads in
// transformers (`AutoModelForCausalLM.from_pretrained`) and imports back into
// the same ModelConfig. Only configs transformers can run as DS does are
// exported; the others are refused with the reason.
//
//===----------------------------------------------------------------------===//

#include "frontend/config/ModelConfig.h"
#include "frontend/config/ErrorLines.h"
#include "frontend/config/YarnScale.h"

#include <nlohmann/json.hpp>

namespace ds::config {
namespace {

using ordered_json = nlohmann::ordered_json;

const char *dtypeName(DType dtype) {
  switch (dtype) {
  case F64:
    return "float64";
  case BF16:
    return "bfloat16";
  case F16:
    return "float16";
  default:
    return "float32";
  }
}

bool exportGpt2(const ModelConfig &config, ordered_json &out,
                std::string &error) {
  if (config.has_sliding_window() || config.layer_types_size() > 0) {
    error = "transformers' GPT-2 has no sliding-window attention: a model "
            "with sliding_window or layer_types cannot be exported as gpt2";
    return false;
  }
  out["architectures"] = {"GPT2LMHeadModel"};
  out["model_type"] = "gpt2";
  out["vocab_size"] = config.vocab_size();
  out["n_positions"] = config.max_position_embeddings();
  out["n_embd"] = config.hidden_size();
  out["n_layer"] = config.num_hidden_layers();
  out["n_head"] = config.num_attention_heads();
  out["n_inner"] = config.intermediate_size();
  out["activation_function"] = "gelu_new";
  out["layer_norm_epsilon"] = config.norm_eps();
  // DS trains without dropout; transformers' defaults are 0.1.
  out["resid_pdrop"] = 0.0;
  out["embd_pdrop"] = 0.0;
  out["attn_pdrop"] = 0.0;
  out["scale_attn_weights"] = true;
  out["initializer_range"] = config.initializer_range();
  out["tie_word_embeddings"] = config.tie_word_embeddings();
  return true;
}

bool exportMoe(const ModelConfig &config, bool v3, ordered_json &out,
               std::string &error) {
  const Moe &moe = config.moe();
  if (v3 && moe.seq_aux_alpha() > 0) {
    error = "seq_aux_alpha with noaux_tc routing: transformers' deepseek_v3 "
            "has no sequence-wise balance loss (it ignores aux_loss_alpha and "
            "seq_aux, and so does DS's import of deepseek_v3), so the export "
            "would train something else";
    return false;
  }
  if (!v3 && moe.norm_topk_prob() && moe.num_experts_per_tok() > 1) {
    error = "norm_topk_prob with a softmax router: transformers' deepseek_v2 "
            "scales the weights instead of normalising them (DeepSeek's own "
            "code normalises), so the export would compute something else";
    return false;
  }
  out["n_routed_experts"] = moe.n_routed_experts();
  out["n_shared_experts"] = moe.n_shared_experts();
  out["moe_intermediate_size"] = moe.moe_intermediate_size();
  out["num_experts_per_tok"] = moe.num_experts_per_tok();
  out["n_group"] = moe.n_group();
  out["topk_group"] = moe.topk_group();
  out["scoring_func"] = moe.scoring_func() == SIGMOID ? "sigmoid" : "softmax";
  out["topk_method"] = moe.topk_method() == NOAUX_TC ? "noaux_tc"
                       : moe.topk_method() == GROUP_LIMITED_GREEDY
                           ? "group_limited_greedy"
                           : "greedy";
  out["routed_scaling_factor"] = moe.routed_scaling_factor();
  out["norm_topk_prob"] = moe.norm_topk_prob();
  out["first_k_dense_replace"] = moe.first_k_dense_replace();
  out["moe_layer_freq"] = moe.moe_layer_freq();
  if (moe.seq_aux_alpha() > 0) {
    out["aux_loss_alpha"] = moe.seq_aux_alpha();
    out["seq_aux"] = true;
  }
  return true;
}

bool exportDeepseek(const ModelConfig &config, ordered_json &out,
                    std::string &error) {
  if (config.has_sliding_window() || config.layer_types_size() > 0) {
    error = "transformers' DeepSeek classes have no sliding-window attention: "
            "a model with sliding_window or layer_types would run with full "
            "attention there";
    return false;
  }
  const bool hasMoe = config.has_moe() && config.moe().n_routed_experts() > 0;
  const Moe &moe = config.moe();
  // transformers' deepseek_v3 is sigmoid scores with noaux_tc selection;
  // deepseek_v2 is softmax with greedy or group-limited selection.
  const bool v3 = hasMoe && moe.scoring_func() == SIGMOID &&
                  moe.topk_method() == NOAUX_TC;
  if (hasMoe && !v3 && (moe.scoring_func() == SIGMOID ||
                        moe.topk_method() == NOAUX_TC)) {
    error = "transformers has no DeepSeek class for this router (a sigmoid "
            "router needs noaux_tc selection and the reverse)";
    return false;
  }
  if (!v3 && !config.rope_interleave()) {
    error = "transformers' deepseek_v2 pairs rotary channels as neighbours "
            "only (rope_interleave true)";
    return false;
  }
  out["architectures"] = {v3 ? "DeepseekV3ForCausalLM"
                             : "DeepseekV2ForCausalLM"};
  out["model_type"] = v3 ? "deepseek_v3" : "deepseek_v2";
  out["vocab_size"] = config.vocab_size();
  out["hidden_size"] = config.hidden_size();
  if (config.has_intermediate_size())
    out["intermediate_size"] = config.intermediate_size();
  out["num_hidden_layers"] = config.num_hidden_layers();
  out["num_attention_heads"] = config.num_attention_heads();
  out["num_key_value_heads"] = config.num_attention_heads();
  out["max_position_embeddings"] = config.max_position_embeddings();
  out["rms_norm_eps"] = config.norm_eps();
  out["initializer_range"] = config.initializer_range();
  out["tie_word_embeddings"] = config.tie_word_embeddings();
  out["hidden_act"] = "silu";
  out["attention_bias"] = false;
  const Mla &mla = config.mla();
  if (mla.q_lora_rank() > 0)
    out["q_lora_rank"] = mla.q_lora_rank();
  else
    out["q_lora_rank"] = nullptr;
  out["kv_lora_rank"] = mla.kv_lora_rank();
  out["qk_nope_head_dim"] = mla.qk_nope_head_dim();
  out["qk_rope_head_dim"] = mla.qk_rope_head_dim();
  out["v_head_dim"] = mla.v_head_dim();
  out["rope_theta"] = config.rope_theta();
  if (config.has_rope_scaling()) {
    const Yarn &y = config.rope_scaling();
    const double deepseek =
        deepseekYarnScale(y.factor(), y.mscale(), y.mscale_all_dim());
    const double transformers =
        transformersYarnScale(y.factor(), y.mscale(), y.mscale_all_dim());
    if (!yarnScalesAgree(deepseek, transformers)) {
      error = "rope_scaling.mscale " + formatNumber(y.mscale()) +
              " with mscale_all_dim " + formatNumber(y.mscale_all_dim()) +
              ": transformers scales the rotary embedding by " +
              formatNumber(transformers) + " for these values, DS by " +
              formatNumber(deepseek) +
              " (transformers uses the ratio only when both are non-zero)";
      return false;
    }
    out["rope_scaling"] = {
        {"type", "yarn"},
        {"factor", y.factor()},
        {"original_max_position_embeddings",
         y.original_max_position_embeddings()},
        {"beta_fast", y.beta_fast()},
        {"beta_slow", y.beta_slow()},
        {"mscale", y.mscale()},
        {"mscale_all_dim", y.mscale_all_dim()}};
  } else {
    out["rope_scaling"] = nullptr;
  }
  if (v3)
    out["rope_interleave"] = config.rope_interleave();
  if (hasMoe)
    return exportMoe(config, v3, out, error);
  // All layers dense: no experts, and none of the layers is a MoE layer.
  out["n_routed_experts"] = nullptr;
  out["first_k_dense_replace"] = config.num_hidden_layers();
  return true;
}

} // namespace

bool exportHfConfigJson(const ModelConfig &config, std::string &json,
                        std::string &error) {
  ordered_json out;
  bool ok = config.architecture() == GPT2 ? exportGpt2(config, out, error)
            : config.architecture() == DEEPSEEK
                ? exportDeepseek(config, out, error)
                : (error = "the config has no architecture", false);
  if (!ok)
    return false;
  out["torch_dtype"] = dtypeName(config.dtype());
  json = out.dump(2) + "\n";
  return true;
}

} // namespace ds::config
