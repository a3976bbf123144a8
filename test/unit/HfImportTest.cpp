//===- HfImportTest.cpp - Hugging Face config.json import and export ------===//
//
// Both RoPE layouts (transformers 5's rope_parameters, the older rope_theta +
// rope_scaling), every key accounted for (used, checked, listed as ignored,
// or an error naming it), and export back to config.json.
//
//===----------------------------------------------------------------------===//

#include "frontend/config/ModelConfig.h"

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

using namespace ds::config;
using nlohmann::json;

namespace {

/// A small DeepSeek-V3 config as transformers 5 saves it (save_pretrained of
/// DeepseekV3Config): rope_parameters with YaRN, no scoring_func /
/// topk_method, derived head_dim and qk_head_dim.
json v3Transformers5() {
  return json::parse(R"({
    "architectures": ["DeepseekV3ForCausalLM"],
    "attention_bias": false, "attention_dropout": 0.0,
    "bos_token_id": 0, "eos_token_id": 1, "dtype": "float32",
    "first_k_dense_replace": 1, "head_dim": 16, "hidden_act": "silu",
    "hidden_size": 128, "initializer_range": 0.02, "intermediate_size": 256,
    "kv_lora_rank": 32, "max_position_embeddings": 256,
    "model_type": "deepseek_v3", "moe_intermediate_size": 32, "n_group": 4,
    "n_routed_experts": 8, "n_shared_experts": 1, "norm_topk_prob": true,
    "num_attention_heads": 4, "num_experts_per_tok": 2,
    "num_hidden_layers": 3, "num_key_value_heads": 4,
    "num_nextn_predict_layers": 1, "output_router_logits": false,
    "pad_token_id": null, "pretraining_tp": 1, "q_lora_rank": 48,
    "qk_head_dim": 48, "qk_nope_head_dim": 32, "qk_rope_head_dim": 16,
    "rms_norm_eps": 1e-06, "rope_interleave": true,
    "rope_parameters": {"beta_fast": 32, "beta_slow": 1, "factor": 4.0,
      "mscale": 1.0, "mscale_all_dim": 0.8,
      "original_max_position_embeddings": 64, "rope_theta": 50000.0,
      "rope_type": "yarn", "type": "yarn"},
    "routed_scaling_factor": 2.5, "tie_word_embeddings": false,
    "topk_group": 2, "transformers_version": "5.25.0", "use_cache": true,
    "v_head_dim": 32, "vocab_size": 256
  })");
}

/// The same model in the older layout, as DeepSeek's own config.json spells
/// it (scoring_func, topk_method, top-level rope_theta, rope_scaling).
json v3Legacy() {
  json config = v3Transformers5();
  for (const char *key : {"rope_parameters", "head_dim", "qk_head_dim",
                          "rope_interleave", "output_router_logits"})
    config.erase(key);
  config["rope_theta"] = 50000;
  config["rope_scaling"] = {{"type", "yarn"},
                            {"factor", 4},
                            {"original_max_position_embeddings", 64},
                            {"beta_fast", 32},
                            {"beta_slow", 1},
                            {"mscale", 1.0},
                            {"mscale_all_dim", 0.8}};
  config["scoring_func"] = "sigmoid";
  config["topk_method"] = "noaux_tc";
  config["ep_size"] = 1;
  config["torch_dtype"] = "float32";
  config.erase("dtype");
  return config;
}

struct Imported {
  bool ok = false;
  ModelConfig config;
  std::string error;
  std::vector<std::string> notes;
};

Imported import(const json &config) {
  Imported result;
  result.ok = importHfConfigJson(config.dump(), "m/config.json", result.config,
                                 result.error, &result.notes) &&
              finalizeModelConfig(result.config, "m/config.json", result.error);
  return result;
}

std::string importError(const json &config) {
  Imported result = import(config);
  EXPECT_FALSE(result.ok) << "imported: " << toTextproto(result.config);
  return result.error;
}

std::string diff(const ModelConfig &a, const ModelConfig &b) {
  std::string report;
  google::protobuf::util::MessageDifferencer differencer;
  differencer.ReportDifferencesToString(&report);
  differencer.Compare(a, b);
  return report;
}

TEST(HfImportTest, BothLayoutsGiveTheSameConfig) {
  Imported fresh = import(v3Transformers5()), legacy = import(v3Legacy());
  ASSERT_TRUE(fresh.ok) << fresh.error;
  ASSERT_TRUE(legacy.ok) << legacy.error;
  EXPECT_EQ(diff(fresh.config, legacy.config), "");
  // What transformers 5 spells only in rope_parameters is used.
  EXPECT_EQ(fresh.config.rope_theta(), 50000);
  ASSERT_TRUE(fresh.config.has_rope_scaling());
  EXPECT_EQ(fresh.config.rope_scaling().factor(), 4);
  EXPECT_EQ(fresh.config.rope_scaling().mscale_all_dim(), 0.8);
  EXPECT_EQ(fresh.config.rope_scaling().original_max_position_embeddings(), 64);
  // deepseek_v3 without scoring_func / topk_method is V3's router.
  EXPECT_EQ(fresh.config.moe().scoring_func(), SIGMOID);
  EXPECT_EQ(fresh.config.moe().topk_method(), NOAUX_TC);
  EXPECT_TRUE(fresh.config.rope_interleave());
}

TEST(HfImportTest, RopeScalingWithRopeTypeKey) {
  json config = v3Legacy();
  config["rope_scaling"].erase("type");
  config["rope_scaling"]["rope_type"] = "yarn";
  Imported result = import(config);
  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_EQ(result.config.rope_scaling().factor(), 4);
}

TEST(HfImportTest, DefaultRopeType) {
  json config = v3Transformers5();
  config["rope_parameters"] = {{"rope_theta", 20000.0}, {"rope_type", "default"}};
  Imported result = import(config);
  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_EQ(result.config.rope_theta(), 20000);
  EXPECT_FALSE(result.config.has_rope_scaling());
}

TEST(HfImportTest, UnsupportedRopeTypeIsRejected) {
  for (const char *type : {"linear", "dynamic", "longrope", "llama3"}) {
    json config = v3Transformers5();
    config["rope_parameters"]["rope_type"] = type;
    config["rope_parameters"]["type"] = type;
    std::string error = importError(config);
    EXPECT_NE(error.find("'rope_parameters.rope_type' is '" + std::string(type) +
                         "', which is not supported"),
              std::string::npos)
        << error;
    json legacy = v3Legacy();
    legacy["rope_scaling"]["type"] = type;
    error = importError(legacy);
    EXPECT_NE(error.find("'rope_scaling.type' is '" + std::string(type) + "'"),
              std::string::npos)
        << error;
  }
}

TEST(HfImportTest, LayoutsThatDisagreeAreRejected) {
  json config = v3Transformers5();
  config["rope_theta"] = 10000;
  std::string error = importError(config);
  EXPECT_NE(error.find("'rope_parameters.rope_theta' (50000) and 'rope_theta' "
                       "(10000) disagree"),
            std::string::npos)
      << error;
  config = v3Transformers5();
  config["rope_scaling"] = {{"type", "yarn"}, {"factor", 8}};
  error = importError(config);
  EXPECT_NE(error.find("'rope_parameters.factor' (4) and 'rope_scaling.factor' "
                       "(8) disagree"),
            std::string::npos)
      << error;
  config = v3Transformers5();
  config["rope_parameters"]["type"] = "default";
  error = importError(config);
  EXPECT_NE(error.find("'rope_parameters.rope_type' (yarn) and "
                       "'rope_parameters.type' (default) disagree"),
            std::string::npos)
      << error;
}

TEST(HfImportTest, YarnKeysDsDoesNotImplement) {
  struct Case {
    const char *key;
    json value;
    const char *expected;
  } cases[] = {
      {"attention_factor", 1.2, "'attention_factor' is not supported"},
      {"truncate", false, "'truncate' is false"},
      {"partial_rotary_factor", 0.5, "'partial_rotary_factor' (0.5)"},
      {"low_freq_factor", 1.0, "unknown key 'rope_parameters.low_freq_factor'"},
  };
  for (const Case &c : cases) {
    json config = v3Transformers5();
    config["rope_parameters"][c.key] = c.value;
    std::string error = importError(config);
    EXPECT_NE(error.find(c.expected), std::string::npos) << c.key << ": " << error;
  }
  // Neutral values of the same keys are fine.
  json config = v3Transformers5();
  config["rope_parameters"]["truncate"] = true;
  config["rope_parameters"]["partial_rotary_factor"] = 1.0;
  config["rope_parameters"]["attention_factor"] = nullptr;
  Imported result = import(config);
  EXPECT_TRUE(result.ok) << result.error;
}

TEST(HfImportTest, PerLayerTypeRopeIsRejected) {
  json config = v3Transformers5();
  config["rope_parameters"] = {
      {"full_attention", {{"rope_type", "default"}, {"rope_theta", 1e6}}},
      {"sliding_attention", {{"rope_type", "default"}, {"rope_theta", 1e4}}}};
  EXPECT_NE(importError(config).find("one set per layer type"),
            std::string::npos);
}

TEST(HfImportTest, AmbiguousMscaleIsRejected) {
  // transformers ignores mscale unless mscale_all_dim is non-zero too;
  // DeepSeek's code does not.
  json config = v3Transformers5();
  config["rope_parameters"]["mscale"] = 0.707;
  config["rope_parameters"].erase("mscale_all_dim");
  EXPECT_NE(importError(config).find("scale the rotary embedding differently"),
            std::string::npos);
  // mscale 1 alone agrees in both.
  config["rope_parameters"]["mscale"] = 1.0;
  EXPECT_TRUE(import(config).ok);
}

TEST(HfImportTest, MissingFactorIsTheContextRatio) {
  json config = v3Transformers5();
  config["rope_parameters"].erase("factor");
  Imported result = import(config);
  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_EQ(result.config.rope_scaling().factor(), 256.0 / 64.0);
}

TEST(HfImportTest, UnknownKeysAreErrors) {
  json config = v3Transformers5();
  config["my_new_switch"] = true;
  config["another"] = 3;
  std::string error = importError(config);
  EXPECT_NE(error.find("unknown key 'my_new_switch'"), std::string::npos) << error;
  EXPECT_NE(error.find("unknown key 'another'"), std::string::npos) << error;
}

TEST(HfImportTest, IgnoredKeysAreListedOnce) {
  Imported result = import(v3Transformers5());
  ASSERT_TRUE(result.ok) << result.error;
  ASSERT_EQ(result.notes.size(), 1u);
  const std::string &note = result.notes[0];
  EXPECT_NE(note.find("ignored (they do not change the computation): "),
            std::string::npos);
  for (const char *key : {"architectures", "bos_token_id", "eos_token_id",
                          "num_nextn_predict_layers", "pad_token_id",
                          "transformers_version", "use_cache"})
    EXPECT_NE(note.find(key), std::string::npos) << key;
  // Used keys are not listed.
  for (const char *key : {"rope_parameters", "hidden_size", "head_dim"})
    EXPECT_EQ(note.find(std::string(key) + ","), std::string::npos) << key;
}

TEST(HfImportTest, KeysThatChangeTheComputation) {
  struct Case {
    const char *key;
    json value;
    const char *expected;
  } cases[] = {
      {"attention_bias", true, "'attention_bias' is true"},
      {"mlp_bias", true, "'mlp_bias' is true"},
      {"hidden_act", "gelu", "'hidden_act' is 'gelu'"},
      {"num_key_value_heads", 2, "'num_key_value_heads' (2) must equal"},
      {"head_dim", 64, "'head_dim' (64) must equal qk_rope_head_dim (16)"},
      {"qk_head_dim", 40, "'qk_head_dim' (40) must equal"},
      {"quantization_config", json{{"quant_method", "fp8"}},
       "'quantization_config' is set"},
      {"is_encoder_decoder", true, "'is_encoder_decoder' is true"},
      {"scoring_func", "softmax", "scoring_func 'softmax' is not supported"},
      {"topk_method", "greedy", "topk_method 'greedy' is not supported"},
      {"max_window_layers", 2, "'max_window_layers' is not supported"},
      {"dtype", "int8", "'dtype' (int8)"},
  };
  for (const Case &c : cases) {
    json config = v3Transformers5();
    config[c.key] = c.value;
    if (std::string(c.key) == "dtype")
      config["torch_dtype"] = "float32";
    std::string error = importError(config);
    EXPECT_NE(error.find(c.expected), std::string::npos) << c.key << ": " << error;
  }
}

TEST(HfImportTest, RopeInterleaveFalseRotatesHalves) {
  json config = v3Transformers5();
  config["rope_interleave"] = false;
  Imported result = import(config);
  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_FALSE(result.config.rope_interleave());
}

TEST(HfImportTest, DropoutIsANote) {
  json config = v3Transformers5();
  config["attention_dropout"] = 0.1;
  Imported result = import(config);
  ASSERT_TRUE(result.ok) << result.error;
  bool found = false;
  for (const std::string &note : result.notes)
    found |= note.find("'attention_dropout' is 0.1: DS does not apply dropout") !=
             std::string::npos;
  EXPECT_TRUE(found);
}

TEST(HfImportTest, SlidingWindowPattern) {
  json config = v3Transformers5();
  config["sliding_window"] = 8;
  config["layer_types"] = {"sliding_attention", "full_attention",
                           "sliding_attention"};
  Imported result = import(config);
  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_EQ(result.config.sliding_window(), 8);
  EXPECT_EQ(attentionWindow(result.config, 0), 8);
  EXPECT_EQ(attentionWindow(result.config, 1), 0);
  EXPECT_EQ(attentionWindow(result.config, 2), 8);

  // No layer_types: every layer slides (Mistral's convention).
  config.erase("layer_types");
  result = import(config);
  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_EQ(attentionWindow(result.config, 1), 8);

  // use_sliding_window false switches the window off (Qwen2's convention).
  config["use_sliding_window"] = false;
  result = import(config);
  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_EQ(attentionWindow(result.config, 1), 0);

  config = v3Transformers5();
  config["layer_types"] = {"sliding_attention", "full_attention",
                           "sliding_attention"};
  EXPECT_NE(importError(config).find(
                "layer_types[0] is SLIDING_ATTENTION, but sliding_window is not "
                "set"),
            std::string::npos);
  config["sliding_window"] = 8;
  config["layer_types"] = {"full_attention", "full_attention"};
  EXPECT_NE(importError(config).find("layer_types has 2 entries, but "
                                     "num_hidden_layers is 3"),
            std::string::npos);
  config["layer_types"] = {"full_attention", "chunked_attention",
                           "full_attention"};
  EXPECT_NE(importError(config).find("'layer_types[1]' is \"chunked_attention\""),
            std::string::npos);
  config["layer_types"] = {"full_attention", "full_attention", "full_attention"};
  config["sliding_window"] = 0;
  EXPECT_NE(importError(config).find("sliding_window (0) must be > 0"),
            std::string::npos);
}

TEST(HfImportTest, Gpt2Keys) {
  json gpt2 = json::parse(R"({
    "activation_function": "gelu_new", "architectures": ["GPT2LMHeadModel"],
    "attn_pdrop": 0.1, "bos_token_id": 50256, "embd_pdrop": 0.1,
    "eos_token_id": 50256, "initializer_range": 0.02,
    "layer_norm_epsilon": 1e-05, "model_type": "gpt2", "n_ctx": 1024,
    "n_embd": 768, "n_head": 12, "n_layer": 12, "n_positions": 1024,
    "resid_pdrop": 0.1, "summary_activation": null,
    "summary_first_dropout": 0.1, "summary_proj_to_labels": true,
    "summary_type": "cls_index", "summary_use_proj": true,
    "task_specific_params": {"text-generation": {"do_sample": true,
                                                 "max_length": 50}},
    "vocab_size": 50257
  })");
  Imported result = import(gpt2);
  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_EQ(result.notes.size(), 4u); // ignored keys + three dropouts
  gpt2["scale_attn_by_inverse_layer_idx"] = true;
  EXPECT_NE(importError(gpt2).find("'scale_attn_by_inverse_layer_idx' is true"),
            std::string::npos);
}

/// Export then import gives back the config, for every bundled model.
TEST(HfImportTest, ExportRoundTrip) {
  for (const char *model :
       {"tiny-moe", "tiny-dense", "gpt2-124m", "gpt-10m", "deepseek-v2-lite",
        "deepseek-v3"}) {
    ModelConfig original;
    std::string error;
    ASSERT_TRUE(loadModelConfig(std::string(DS_SOURCE_DIR "/models/") + model +
                                    ".textproto",
                                original, error))
        << error;
    std::string text;
    ASSERT_TRUE(exportHfConfigJson(original, text, error)) << model << ": " << error;
    ModelConfig back;
    std::vector<std::string> notes;
    ASSERT_TRUE(importHfConfigJson(text, std::string(model) + "/config.json",
                                   back, error, &notes))
        << model << ": " << error << "\n" << text;
    ASSERT_TRUE(finalizeModelConfig(back, model, error)) << error;
    // The shape (batch, sequence) is not part of a Hugging Face config.
    *back.mutable_shape() = original.shape();
    EXPECT_EQ(diff(original, back), "") << model << "\n" << text;
    for (const std::string &note : notes)
      EXPECT_EQ(note.find("dropout"), std::string::npos) << model << ": " << note;
  }
}

TEST(HfImportTest, ExportRefusesWhatTransformersCannotRun) {
  ModelConfig config;
  std::string error, text;
  ASSERT_TRUE(loadModelConfig(DS_SOURCE_DIR "/models/tiny-moe.textproto", config,
                              error))
      << error;
  ModelConfig windowed = config;
  windowed.set_sliding_window(8);
  EXPECT_FALSE(exportHfConfigJson(windowed, text, error));
  EXPECT_NE(error.find("no sliding-window attention"), std::string::npos);
  ModelConfig mixed = config;
  mixed.mutable_moe()->set_scoring_func(SOFTMAX);
  EXPECT_FALSE(exportHfConfigJson(mixed, text, error));
  EXPECT_NE(error.find("no DeepSeek class for this router"), std::string::npos);
}

} // namespace
