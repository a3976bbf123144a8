//===- ConfigTest.cpp - Model config loading and import -------------------===//

#include "frontend/config/ModelConfig.h"
#include "test/unit/ConfigTestSupport.h"

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <vector>

#ifndef DS_SOURCE_DIR
#error "DS_SOURCE_DIR must be defined to the repository root"
#endif

using namespace ds::config;
using namespace ds::config::testing;

namespace {

// From https://huggingface.co/deepseek-ai/DeepSeek-V3/blob/main/config.json
// (auto_map and quantization_config left out).
const char *kDeepseekV3Json = R"({
  "architectures": ["DeepseekV3ForCausalLM"],
  "attention_bias": false,
  "attention_dropout": 0.0,
  "aux_loss_alpha": 0.001,
  "bos_token_id": 0,
  "eos_token_id": 1,
  "ep_size": 1,
  "first_k_dense_replace": 3,
  "hidden_act": "silu",
  "hidden_size": 7168,
  "initializer_range": 0.02,
  "intermediate_size": 18432,
  "kv_lora_rank": 512,
  "max_position_embeddings": 163840,
  "model_type": "deepseek_v3",
  "moe_intermediate_size": 2048,
  "moe_layer_freq": 1,
  "n_group": 8,
  "n_routed_experts": 256,
  "n_shared_experts": 1,
  "norm_topk_prob": true,
  "num_attention_heads": 128,
  "num_experts_per_tok": 8,
  "num_hidden_layers": 61,
  "num_key_value_heads": 128,
  "num_nextn_predict_layers": 1,
  "pretraining_tp": 1,
  "q_lora_rank": 1536,
  "qk_nope_head_dim": 128,
  "qk_rope_head_dim": 64,
  "rms_norm_eps": 1e-06,
  "rope_scaling": {
    "beta_fast": 32,
    "beta_slow": 1,
    "factor": 40,
    "mscale": 1.0,
    "mscale_all_dim": 1.0,
    "original_max_position_embeddings": 4096,
    "type": "yarn"
  },
  "rope_theta": 10000,
  "routed_scaling_factor": 2.5,
  "scoring_func": "sigmoid",
  "seq_aux": true,
  "tie_word_embeddings": false,
  "topk_group": 4,
  "topk_method": "noaux_tc",
  "torch_dtype": "bfloat16",
  "transformers_version": "4.33.1",
  "use_cache": true,
  "v_head_dim": 128,
  "vocab_size": 129280
})";

// From https://huggingface.co/deepseek-ai/DeepSeek-V2-Lite/blob/main/config.json
// (auto_map left out).
const char *kDeepseekV2LiteJson = R"({
  "architectures": ["DeepseekV2ForCausalLM"],
  "attention_bias": false,
  "attention_dropout": 0.0,
  "aux_loss_alpha": 0.001,
  "bos_token_id": 100000,
  "eos_token_id": 100001,
  "first_k_dense_replace": 1,
  "hidden_act": "silu",
  "hidden_size": 2048,
  "initializer_range": 0.02,
  "intermediate_size": 10944,
  "kv_lora_rank": 512,
  "max_position_embeddings": 163840,
  "model_type": "deepseek_v2",
  "moe_intermediate_size": 1408,
  "moe_layer_freq": 1,
  "n_group": 1,
  "n_routed_experts": 64,
  "n_shared_experts": 2,
  "norm_topk_prob": false,
  "num_attention_heads": 16,
  "num_experts_per_tok": 6,
  "num_hidden_layers": 27,
  "num_key_value_heads": 16,
  "pretraining_tp": 1,
  "q_lora_rank": null,
  "qk_nope_head_dim": 128,
  "qk_rope_head_dim": 64,
  "rms_norm_eps": 1e-06,
  "rope_scaling": {
    "beta_fast": 32,
    "beta_slow": 1,
    "factor": 40,
    "mscale": 0.707,
    "mscale_all_dim": 0.707,
    "original_max_position_embeddings": 4096,
    "type": "yarn"
  },
  "rope_theta": 10000,
  "routed_scaling_factor": 1.0,
  "scoring_func": "softmax",
  "seq_aux": true,
  "tie_word_embeddings": false,
  "topk_group": 1,
  "topk_method": "greedy",
  "torch_dtype": "bfloat16",
  "transformers_version": "4.33.1",
  "use_cache": true,
  "v_head_dim": 128,
  "vocab_size": 102400
})";

// From https://huggingface.co/openai-community/gpt2/blob/main/config.json
// (task_specific_params left out).
const char *kGpt2Json = R"({
  "activation_function": "gelu_new",
  "architectures": ["GPT2LMHeadModel"],
  "attn_pdrop": 0.1,
  "bos_token_id": 50256,
  "embd_pdrop": 0.1,
  "eos_token_id": 50256,
  "initializer_range": 0.02,
  "layer_norm_epsilon": 1e-05,
  "model_type": "gpt2",
  "n_ctx": 1024,
  "n_embd": 768,
  "n_head": 12,
  "n_layer": 12,
  "n_positions": 1024,
  "resid_pdrop": 0.1,
  "summary_activation": null,
  "summary_first_dropout": 0.1,
  "summary_proj_to_labels": true,
  "summary_type": "cls_index",
  "summary_use_proj": true,
  "vocab_size": 50257
})";


} // namespace

//===----------------------------------------------------------------------===//
// Bundled configs
//===----------------------------------------------------------------------===//

TEST(ConfigTest, BundledModelsLoad) {
  struct Expected {
    const char *name;
    Architecture arch;
  } models[] = {{"tiny-dense", GPT2},
                {"tiny-moe", DEEPSEEK},
                {"gpt2-124m", GPT2},
                {"deepseek-v2-lite", DEEPSEEK},
                {"deepseek-v3", DEEPSEEK}};
  for (const Expected &m : models) {
    SCOPED_TRACE(m.name);
    ModelConfig config = load(kModels + m.name + ".textproto");
    EXPECT_EQ(config.name(), m.name);
    EXPECT_EQ(config.architecture(), m.arch);
    // Finalizing twice changes nothing.
    ModelConfig again = config;
    std::string error;
    EXPECT_TRUE(finalizeModelConfig(again, m.name, error)) << error;
    EXPECT_EQ(diff(config, again), "");
  }
}

TEST(ConfigTest, TinyMoeFields) {
  ModelConfig c = tinyMoe();
  EXPECT_EQ(c.dtype(), F32);
  EXPECT_EQ(c.hidden_size(), 256);
  EXPECT_EQ(c.intermediate_size(), 512);
  EXPECT_DOUBLE_EQ(c.norm_eps(), 1e-6);
  EXPECT_FALSE(c.tie_word_embeddings());
  EXPECT_DOUBLE_EQ(c.initializer_range(), 0.02); // default
  EXPECT_DOUBLE_EQ(c.rope_theta(), 10000);
  EXPECT_DOUBLE_EQ(c.rope_scaling().factor(), 4);
  EXPECT_EQ(c.rope_scaling().original_max_position_embeddings(), 64);
  EXPECT_DOUBLE_EQ(c.rope_scaling().mscale_all_dim(), 1);
  EXPECT_EQ(c.mla().q_lora_rank(), 64);
  EXPECT_EQ(c.mla().qk_rope_head_dim(), 16);
  EXPECT_EQ(c.moe().n_routed_experts(), 16);
  EXPECT_EQ(c.moe().num_experts_per_tok(), 4);
  EXPECT_EQ(c.moe().n_group(), 4);
  EXPECT_EQ(c.moe().topk_group(), 2);
  EXPECT_EQ(c.moe().scoring_func(), SIGMOID);
  EXPECT_EQ(c.moe().topk_method(), NOAUX_TC);
  EXPECT_DOUBLE_EQ(c.moe().routed_scaling_factor(), 2.5);
  EXPECT_TRUE(c.moe().norm_topk_prob());
  EXPECT_EQ(c.shape().batch_size(), 2);
  EXPECT_EQ(c.shape().seq_len(), 32);
  EXPECT_FALSE(isMoeLayer(c, 0));
  EXPECT_TRUE(isMoeLayer(c, 1));
  EXPECT_TRUE(isMoeLayer(c, 3));
  EXPECT_FALSE(isMoeLayer(c, 4));
}

TEST(ConfigTest, TinyDenseFields) {
  ModelConfig c = tinyDense();
  EXPECT_EQ(c.vocab_size(), 512);
  EXPECT_EQ(c.intermediate_size(), 512);
  EXPECT_TRUE(c.tie_word_embeddings());
  EXPECT_DOUBLE_EQ(c.norm_eps(), 1e-5);
  EXPECT_FALSE(c.has_mla());
  EXPECT_FALSE(c.has_moe());
  EXPECT_FALSE(c.has_rope_theta());
  EXPECT_FALSE(isMoeLayer(c, 1));
}

TEST(ConfigTest, Defaults) {
  ModelConfig c;
  std::string error;
  ASSERT_TRUE(parseTextprotoConfig(R"(
    architecture: DEEPSEEK
    vocab_size: 1000 hidden_size: 64 intermediate_size: 128
    num_hidden_layers: 2 num_attention_heads: 2 max_position_embeddings: 8192
    mla { kv_lora_rank: 16 qk_nope_head_dim: 8 qk_rope_head_dim: 8 v_head_dim: 8 }
    rope_scaling { factor: 2 original_max_position_embeddings: 4096 }
    moe { moe_intermediate_size: 16 n_routed_experts: 8 num_experts_per_tok: 2
          topk_method: GROUP_LIMITED_GREEDY n_group: 4 }
  )",
                                   "d.textproto", c, error))
      << error;
  ASSERT_TRUE(finalizeModelConfig(c, "d.textproto", error)) << error;
  EXPECT_EQ(c.name(), "model");
  EXPECT_EQ(c.dtype(), F32);
  EXPECT_DOUBLE_EQ(c.norm_eps(), 1e-6);
  EXPECT_DOUBLE_EQ(c.initializer_range(), 0.02);
  EXPECT_FALSE(c.tie_word_embeddings());
  EXPECT_TRUE(c.has_tie_word_embeddings());
  EXPECT_DOUBLE_EQ(c.rope_theta(), 10000);
  EXPECT_EQ(c.shape().batch_size(), 1);
  EXPECT_EQ(c.shape().seq_len(), 4096); // min(8192, 4096)
  EXPECT_EQ(c.mla().q_lora_rank(), 0);
  EXPECT_TRUE(c.mla().has_q_lora_rank());
  EXPECT_DOUBLE_EQ(c.rope_scaling().beta_fast(), 32);
  EXPECT_DOUBLE_EQ(c.rope_scaling().beta_slow(), 1);
  EXPECT_DOUBLE_EQ(c.rope_scaling().mscale(), 1);
  EXPECT_DOUBLE_EQ(c.rope_scaling().mscale_all_dim(), 0);
  EXPECT_TRUE(c.rope_scaling().has_mscale_all_dim());
  EXPECT_EQ(c.moe().n_shared_experts(), 0);
  EXPECT_EQ(c.moe().scoring_func(), SOFTMAX);
  EXPECT_EQ(c.moe().topk_group(), 4); // = n_group
  EXPECT_DOUBLE_EQ(c.moe().routed_scaling_factor(), 1.0);
  EXPECT_TRUE(c.moe().has_norm_topk_prob());
  EXPECT_FALSE(c.moe().norm_topk_prob());
  EXPECT_EQ(c.moe().first_k_dense_replace(), 0);
  EXPECT_EQ(c.moe().moe_layer_freq(), 1);
  EXPECT_TRUE(isMoeLayer(c, 0));
}

TEST(ConfigTest, Gpt2Defaults) {
  ModelConfig c;
  std::string error;
  ASSERT_TRUE(parseTextprotoConfig(
      "architecture: GPT2 vocab_size: 100 hidden_size: 64 "
      "num_hidden_layers: 2 num_attention_heads: 4 "
      "max_position_embeddings: 16",
      "g.textproto", c, error))
      << error;
  ASSERT_TRUE(finalizeModelConfig(c, "g.textproto", error)) << error;
  EXPECT_EQ(c.intermediate_size(), 256);
  EXPECT_DOUBLE_EQ(c.norm_eps(), 1e-5);
  EXPECT_TRUE(c.tie_word_embeddings());
  EXPECT_EQ(c.shape().seq_len(), 16);
}

TEST(ConfigTest, GreedyIgnoresGroups) {
  ModelConfig c = tinyMoe();
  c.mutable_moe()->set_topk_method(GREEDY);
  c.mutable_moe()->set_n_group(3); // would not divide 16
  std::string error;
  ASSERT_TRUE(finalizeModelConfig(c, "x", error)) << error;
  EXPECT_EQ(c.moe().n_group(), 1);
  EXPECT_EQ(c.moe().topk_group(), 1);
}

TEST(ConfigTest, DenseDeepseek) {
  ModelConfig c = tinyMoe();
  c.clear_moe();
  std::string error;
  ASSERT_TRUE(finalizeModelConfig(c, "x", error)) << error;
  EXPECT_EQ(c.moe().n_routed_experts(), 0);
  EXPECT_FALSE(isMoeLayer(c, 1));

  c.clear_intermediate_size();
  EXPECT_NE(finalizeError(c).find("missing required field 'intermediate_size'"),
            std::string::npos);
}

TEST(ConfigTest, TextprotoRoundTrip) {
  for (const char *name : {"tiny-moe", "deepseek-v2-lite", "gpt2-124m"}) {
    SCOPED_TRACE(name);
    ModelConfig c = load(kModels + name + ".textproto");
    std::string text = toTextproto(c);
    ModelConfig back;
    std::string error;
    ASSERT_TRUE(parseTextprotoConfig(text, "printed", back, error)) << error;
    EXPECT_EQ(diff(c, back), "");
  }
  EXPECT_NE(toTextproto(tinyMoe()).find("topk_method: NOAUX_TC"),
            std::string::npos);
}

TEST(ConfigTest, LoadDirectory) {
  namespace fs = std::filesystem;
  fs::path dir = fs::path(::testing::TempDir()) / "DeepSeek-V3-dir-test";
  fs::create_directories(dir);
  {
    std::ofstream out(dir / "config.json");
    out << kDeepseekV3Json;
  }
  ModelConfig c = load(dir.string());
  EXPECT_EQ(c.name(), "DeepSeek-V3-dir-test");
  EXPECT_EQ(c.moe().n_routed_experts(), 256);
  fs::remove_all(dir);
}

//===----------------------------------------------------------------------===//
// Hugging Face config.json import
//===----------------------------------------------------------------------===//

TEST(ConfigTest, ImportDeepseekV3) {
  ModelConfig imported =
      importJson(kDeepseekV3Json, "hf/deepseek-v3/config.json");
  ModelConfig expected = load(kModels + "deepseek-v3.textproto");
  EXPECT_EQ(diff(imported, expected), "");
}

TEST(ConfigTest, ImportDeepseekV2Lite) {
  ModelConfig imported =
      importJson(kDeepseekV2LiteJson, "deepseek-v2-lite/config.json");
  ModelConfig expected = load(kModels + "deepseek-v2-lite.textproto");
  EXPECT_EQ(diff(imported, expected), "");
  EXPECT_EQ(imported.mla().q_lora_rank(), 0);
}

TEST(ConfigTest, ImportGpt2) {
  ModelConfig imported = importJson(kGpt2Json, "gpt2-124m/config.json");
  ModelConfig expected = load(kModels + "gpt2-124m.textproto");
  // config.json has no shape: the default is batch 1 x 1024.
  EXPECT_EQ(imported.shape().batch_size(), 1);
  EXPECT_EQ(imported.shape().seq_len(), 1024);
  *imported.mutable_shape() = expected.shape();
  EXPECT_EQ(diff(imported, expected), "");
}

TEST(ConfigTest, ImportNameWithoutDirectory) {
  ModelConfig c = importJson(kGpt2Json, "config.json");
  EXPECT_EQ(c.name(), "model");
}

TEST(ConfigTest, ImportNulls) {
  ModelConfig c = importJson(R"({"model_type": "deepseek_v2",
    "vocab_size": 100, "hidden_size": 64, "intermediate_size": 128,
    "num_hidden_layers": 2, "num_attention_heads": 2,
    "max_position_embeddings": 128, "q_lora_rank": null,
    "kv_lora_rank": 16, "qk_nope_head_dim": 8, "qk_rope_head_dim": 8,
    "v_head_dim": 8, "n_routed_experts": null, "n_shared_experts": null,
    "rope_scaling": null})",
                             "m/config.json");
  EXPECT_EQ(c.moe().n_routed_experts(), 0);
  EXPECT_FALSE(c.has_rope_scaling());
  EXPECT_EQ(c.mla().q_lora_rank(), 0);
}
