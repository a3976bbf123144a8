//===- ConfigValidationTest.cpp - Invalid configs ----------------------===//
//
// Each error names the field and the values; the rules mirror the ops'
// verifiers, and sizes are bounded.
//
//===----------------------------------------------------------------------===//

#include "frontend/config/ModelConfig.h"
#include "test/unit/ConfigTestSupport.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <vector>

using namespace ds::config;
using namespace ds::config::testing;

//===----------------------------------------------------------------------===//
// Invalid configs: each error names the field and the values.
//===----------------------------------------------------------------------===//

TEST(ConfigTest, MissingHiddenSize) {
  ModelConfig c = tinyMoe();
  c.clear_hidden_size();
  EXPECT_EQ(finalizeError(c),
            "x.textproto: missing required field 'hidden_size'");
}

TEST(ConfigTest, MissingMlaField) {
  ModelConfig c = tinyMoe();
  c.mutable_mla()->clear_kv_lora_rank();
  EXPECT_EQ(finalizeError(c),
            "x.textproto: missing required field 'mla.kv_lora_rank'");
  c.clear_mla();
  EXPECT_NE(finalizeError(c).find("missing required field 'mla'"),
            std::string::npos);
}

TEST(ConfigTest, OddRopeHeadDim) {
  ModelConfig c = tinyMoe();
  c.mutable_mla()->set_qk_rope_head_dim(15);
  EXPECT_EQ(finalizeError(c),
            "x.textproto: mla.qk_rope_head_dim (15) must be even");
}

TEST(ConfigTest, TopkExceedsExperts) {
  ModelConfig c = tinyMoe();
  c.mutable_moe()->set_num_experts_per_tok(20);
  EXPECT_EQ(finalizeError(c), "x.textproto: moe.num_experts_per_tok (20) "
                              "exceeds moe.n_routed_experts (16)");
}

TEST(ConfigTest, GroupDoesNotDivideExperts) {
  ModelConfig c = tinyMoe();
  c.mutable_moe()->set_n_group(3);
  EXPECT_EQ(finalizeError(c), "x.textproto: moe.n_group (3) does not divide "
                              "moe.n_routed_experts (16)");
}

TEST(ConfigTest, TopkGroupExceedsGroups) {
  ModelConfig c = tinyMoe();
  c.mutable_moe()->set_topk_group(5);
  EXPECT_EQ(finalizeError(c),
            "x.textproto: moe.topk_group (5) exceeds moe.n_group (4)");
}

TEST(ConfigTest, TopkExceedsKeptGroups) {
  ModelConfig c = tinyMoe();
  c.mutable_moe()->set_num_experts_per_tok(9); // 2 groups of 4 keep 8
  std::string error = finalizeError(c);
  EXPECT_NE(error.find("moe.num_experts_per_tok (9) exceeds the 8 experts"),
            std::string::npos)
      << error;
}

TEST(ConfigTest, NoauxNeedsTwoExpertsPerGroup) {
  ModelConfig c = tinyMoe();
  c.mutable_moe()->set_n_group(16);
  c.mutable_moe()->set_topk_group(8);
  std::string error = finalizeError(c);
  EXPECT_NE(error.find("moe.topk_method NOAUX_TC"), std::string::npos) << error;
  EXPECT_NE(error.find("moe.n_group (16)"), std::string::npos) << error;
}

TEST(ConfigTest, MoeLayerFreq) {
  ModelConfig c = tinyMoe();
  c.mutable_moe()->set_moe_layer_freq(2);
  std::string error = finalizeError(c);
  EXPECT_NE(error.find("moe.moe_layer_freq (2) is not supported: only 1"),
            std::string::npos)
      << error;
}

TEST(ConfigTest, FirstKDenseReplaceRange) {
  ModelConfig c = tinyMoe();
  c.mutable_moe()->set_first_k_dense_replace(5);
  EXPECT_NE(finalizeError(c).find("moe.first_k_dense_replace (5)"),
            std::string::npos);
  c.mutable_moe()->set_first_k_dense_replace(1);
  c.clear_intermediate_size();
  EXPECT_NE(finalizeError(c).find("missing required field 'intermediate_size'"),
            std::string::npos);
}

TEST(ConfigTest, RopeScalingRules) {
  ModelConfig c = tinyMoe();
  c.mutable_rope_scaling()->set_factor(0.5);
  c.mutable_rope_scaling()->set_beta_fast(1);
  c.mutable_rope_scaling()->clear_original_max_position_embeddings();
  std::string error = finalizeError(c);
  EXPECT_NE(error.find("rope_scaling.factor (0.5) must be finite and > 1"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("rope_scaling.beta_fast (1) must be > "
                       "rope_scaling.beta_slow (1)"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("missing required field "
                       "'rope_scaling.original_max_position_embeddings'"),
            std::string::npos)
      << error;
}

/// Every rule an op verifier enforces on a value the builder takes from the
/// config is checked on the config, naming the field (fuzzing found values
/// that passed validation and then aborted the builder, or built IR that
/// did not verify).
TEST(ConfigTest, VerifierRulesAreConfigRules) {
  struct Case {
    std::function<void(ModelConfig &)> change;
    const char *expected;
  } cases[] = {
      {[](ModelConfig &c) { c.set_rope_theta(1); },
       "rope_theta (1) must be finite and > 1"},
      {[](ModelConfig &c) { c.set_rope_theta(0.5); },
       "rope_theta (0.5) must be finite and > 1"},
      {[](ModelConfig &c) { c.mutable_rope_scaling()->set_factor(1); },
       "rope_scaling.factor (1) must be finite and > 1"},
      {[](ModelConfig &c) { c.mutable_rope_scaling()->set_mscale_all_dim(-1); },
       "rope_scaling.mscale_all_dim (-1) must be finite and >= 0"},
      {[](ModelConfig &c) { c.mutable_rope_scaling()->set_mscale(-1e308); },
       "rope_scaling.mscale (-1e+308) must be finite and >= 0"},
      {[](ModelConfig &c) { c.mutable_rope_scaling()->set_mscale_all_dim(1e308); },
       "give a rotary magnitude or attention scale that is not a finite "
       "positive number"},
      {[](ModelConfig &c) { c.mutable_rope_scaling()->set_beta_fast(NAN); },
       "rope_scaling.beta_fast (nan) must be a finite number"},
      {[](ModelConfig &c) { c.set_norm_eps(0); }, "norm_eps (0) must be"},
      {[](ModelConfig &c) { c.mutable_moe()->set_routed_scaling_factor(INFINITY); },
       "moe.routed_scaling_factor (inf) must be a finite number > 0"},
      {[](ModelConfig &c) { c.set_sliding_window(-3); },
       "sliding_window (-3) must be > 0"},
  };
  for (const Case &test : cases) {
    ModelConfig c = tinyMoe();
    test.change(c);
    std::string error = finalizeError(c);
    EXPECT_NE(error.find(test.expected), std::string::npos)
        << test.expected << "\n" << error;
  }
}

/// Sizes: every field at most 2^31 - 1, and no tensor of the model beyond
/// 2^59 elements, checked without overflow (fuzzing found
/// intermediate_size 2^63 - 1 accepted, then std::length_error).
TEST(ConfigTest, SizesAreBounded) {
  ModelConfig c = tinyMoe();
  c.set_intermediate_size(9223372036854775807);
  EXPECT_NE(finalizeError(c).find("intermediate_size (9223372036854775807) "
                                  "must be at most 2147483647"),
            std::string::npos);
  c = tinyMoe();
  c.mutable_moe()->set_n_routed_experts(1 << 20);
  c.mutable_moe()->set_moe_intermediate_size(1 << 20);
  c.set_hidden_size(1 << 20);
  std::string error = finalizeError(c);
  EXPECT_NE(error.find("the model is too large to describe: num_hidden_layers "
                       "x moe.n_routed_experts x moe.moe_intermediate_size x "
                       "hidden_size exceeds 2^59 elements in one tensor"),
            std::string::npos)
      << error;
  c = tinyDense();
  c.set_vocab_size(2147483647);
  c.mutable_shape()->set_batch_size(2147483647);
  error = finalizeError(c);
  EXPECT_NE(error.find("shape.batch_size x shape.seq_len x vocab_size exceeds"),
            std::string::npos)
      << error;
  // DeepSeek-V3 at full size is fine.
  ModelConfig v3;
  EXPECT_TRUE(loadModelConfig(kModels + "deepseek-v3.textproto", v3, error))
      << error;
}

TEST(ConfigTest, Gpt2HiddenNotDivisibleByHeads) {
  ModelConfig c = tinyDense();
  c.set_hidden_size(100);
  c.set_num_attention_heads(3);
  EXPECT_EQ(finalizeError(c), "x.textproto: hidden_size (100) is not divisible "
                              "by num_attention_heads (3)");
}

TEST(ConfigTest, Gpt2SeqLenExceedsPositions) {
  ModelConfig c = tinyDense();
  c.mutable_shape()->set_seq_len(128);
  std::string error = finalizeError(c);
  EXPECT_NE(error.find("shape.seq_len (128) exceeds max_position_embeddings "
                       "(64)"),
            std::string::npos)
      << error;
}

TEST(ConfigTest, Gpt2RejectsDeepseekFields) {
  ModelConfig c = tinyDense();
  c.set_rope_theta(10000);
  c.mutable_moe()->set_n_routed_experts(4);
  std::string error = finalizeError(c);
  EXPECT_NE(error.find("x.textproto: rope_theta is set"), std::string::npos);
  EXPECT_NE(error.find("x.textproto: moe is set"), std::string::npos);
}

TEST(ConfigTest, ReportsAllProblems) {
  ModelConfig c = tinyMoe();
  c.clear_vocab_size();
  c.mutable_mla()->set_qk_rope_head_dim(15);
  c.mutable_moe()->set_n_group(3);
  c.mutable_moe()->set_routed_scaling_factor(-1);
  std::string error = finalizeError(c);
  EXPECT_EQ(std::count(error.begin(), error.end(), '\n'), 3) << error;
  EXPECT_NE(error.find("'vocab_size'"), std::string::npos);
  EXPECT_NE(error.find("mla.qk_rope_head_dim (15)"), std::string::npos);
  EXPECT_NE(error.find("moe.n_group (3)"), std::string::npos);
  EXPECT_NE(error.find("moe.routed_scaling_factor (-1)"), std::string::npos);
}

TEST(ConfigTest, MissingArchitecture) {
  ModelConfig c = tinyDense();
  c.clear_architecture();
  EXPECT_NE(finalizeError(c).find("missing required field 'architecture'"),
            std::string::npos);
}

TEST(ConfigTest, TextprotoUnknownEnum) {
  ModelConfig c;
  std::string error;
  EXPECT_FALSE(parseTextprotoConfig("architecture: DEEPSEEK\n"
                                    "moe {\n  scoring_func: SIGMOD\n}\n",
                                    "e.textproto", c, error));
  EXPECT_EQ(error.rfind("e.textproto:3:17: ", 0), 0u) << error;
  EXPECT_NE(error.find("SIGMOD"), std::string::npos) << error;
  EXPECT_NE(error.find("scoring_func"), std::string::npos) << error;
}

TEST(ConfigTest, TextprotoSyntaxError) {
  ModelConfig c;
  std::string error;
  EXPECT_FALSE(parseTextprotoConfig("vocab_size: 5\nhidden_size 256\n",
                                    "s.textproto", c, error));
  EXPECT_EQ(error.rfind("s.textproto:2:13: ", 0), 0u) << error;
}

TEST(ConfigTest, TextprotoColumnsCountBytes) {
  ModelConfig c;
  std::string error;
  EXPECT_FALSE(parseTextprotoConfig("rope_scaling {\n\tfactor: abc\n}\n",
                                    "t.textproto", c, error));
  EXPECT_EQ(error.rfind("t.textproto:2:10: ", 0), 0u) << error;
  EXPECT_FALSE(parseTextprotoConfig("moe {\n\tscoring_func: SIGMOD\n}\n",
                                    "t.textproto", c, error));
  EXPECT_EQ(error.rfind("t.textproto:2:16: ", 0), 0u) << error;
  EXPECT_FALSE(parseTextprotoConfig("mla {\n", "t.textproto", c, error));
  EXPECT_NE(error.find("end of input"), std::string::npos) << error;
}

TEST(ConfigTest, TextprotoUnknownField) {
  ModelConfig c;
  std::string error;
  EXPECT_FALSE(
      parseTextprotoConfig("hiden_size: 256\n", "u.textproto", c, error));
  EXPECT_EQ(error.rfind("u.textproto:1:", 0), 0u) << error;
  EXPECT_NE(error.find("hiden_size"), std::string::npos) << error;
}

TEST(ConfigTest, JsonSyntaxError) {
  std::string error = importError("{\n  \"model_type\": \"gpt2\",\n  \"n_embd\" 768\n}");
  EXPECT_EQ(error.rfind("config.json: invalid JSON: ", 0), 0u) << error;
  EXPECT_NE(error.find("line 3, column"), std::string::npos) << error;
}

TEST(ConfigTest, JsonWrongType) {
  EXPECT_EQ(importError(R"({"model_type": "deepseek_v3", "hidden_size": "7168"})"),
            "config.json: hidden_size: expected an integer, got \"7168\"");
  EXPECT_EQ(importError(R"({"model_type": "deepseek_v3", "vocab_size": 1.5})"),
            "config.json: vocab_size: expected an integer, got 1.5");
  EXPECT_EQ(
      importError(R"({"model_type": "deepseek_v3", "norm_topk_prob": 1,
                      "n_routed_experts": 8})"),
      "config.json: norm_topk_prob: expected a boolean, got 1");
  EXPECT_EQ(importError(R"({"model_type": "gpt2", "layer_norm_epsilon": "x"})"),
            "config.json: layer_norm_epsilon: expected a number, got \"x\"");
  EXPECT_EQ(importError("[1, 2]"),
            "config.json: expected a JSON object at the top level, got array");
}

TEST(ConfigTest, UnsupportedModelType) {
  std::string error = importError(R"({"model_type": "llama"})");
  EXPECT_NE(error.find("model_type 'llama' is not supported"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("deepseek_v3"), std::string::npos) << error;
  error = importError(R"({"hidden_size": 5})");
  EXPECT_NE(error.find("missing 'model_type'"), std::string::npos) << error;
}

TEST(ConfigTest, UnsupportedRopeScaling) {
  std::string error = importError(
      R"({"model_type": "deepseek_v2", "rope_scaling": {"type": "linear", "factor": 2}})");
  EXPECT_EQ(error, "config.json: 'rope_scaling.type' is 'linear', which is not "
                   "supported (supported: default, yarn)");
  error = importError(
      R"({"model_type": "deepseek_v3", "rope_scaling": {"rope_type": "dynamic"}})");
  EXPECT_NE(error.find("'rope_scaling.rope_type' is 'dynamic'"),
            std::string::npos);
}

TEST(ConfigTest, UnsupportedEnumStrings) {
  std::string error = importError(R"({"model_type": "deepseek_v3",
      "n_routed_experts": 8, "scoring_func": "relu", "topk_method": "best"})");
  EXPECT_NE(error.find("scoring_func 'relu'"), std::string::npos) << error;
  EXPECT_NE(error.find("topk_method 'best'"), std::string::npos) << error;
  error = importError(R"({"model_type": "gpt2", "activation_function": "relu"})");
  EXPECT_NE(error.find("'activation_function' is 'relu'"), std::string::npos);
}

TEST(ConfigTest, MissingFile) {
  ModelConfig c;
  std::string error;
  std::string path = kInputs + "no-such-config.textproto";
  EXPECT_FALSE(loadModelConfig(path, c, error));
  EXPECT_EQ(error.rfind(path + ": ", 0), 0u) << error;
  EXPECT_EQ(error.find('\n'), std::string::npos);
}

TEST(ConfigTest, UnknownExtension) {
  ModelConfig c;
  std::string error;
  EXPECT_FALSE(loadModelConfig(DS_SOURCE_DIR "/models/README.md", c, error));
  EXPECT_NE(error.find("unknown config file type"), std::string::npos);
}

//===----------------------------------------------------------------------===//
// The bad-config inputs for the lit tests.
//===----------------------------------------------------------------------===//

TEST(ConfigTest, BadInputFiles) {
  struct Case {
    const char *file;
    std::vector<std::string> expected;
  } cases[] = {
      {"bad-topk.textproto",
       {"bad-topk.textproto: moe.num_experts_per_tok (20) exceeds "
        "moe.n_routed_experts (16)"}},
      {"bad-groups.textproto",
       {"bad-groups.textproto: moe.n_group (3) does not divide "
        "moe.n_routed_experts (16)",
        "bad-groups.textproto: moe.topk_group (4) exceeds moe.n_group (3)"}},
      {"inconsistent-heads.textproto",
       {"inconsistent-heads.textproto: hidden_size (100) is not divisible by "
        "num_attention_heads (3)"}},
      {"missing-field.textproto",
       {"missing-field.textproto: missing required field 'hidden_size'",
        "missing-field.textproto: missing required field "
        "'mla.kv_lora_rank'"}},
      {"bad-syntax.textproto",
       {"bad-syntax.textproto:6:13: Expected \":\", found \"256\"."}},
      {"bad-enum.textproto",
       {"bad-enum.textproto:6:17: Unknown enumeration value of \"SIGMOD\" for "
        "field \"scoring_func\"."}},
      {"unsupported-model-type",
       {"unsupported-model-type/config.json: model_type 'llama' is not "
        "supported (supported: deepseek_v2, deepseek_v3, gpt2)"}},
      {"bad-json/config.json",
       {"bad-json/config.json: invalid JSON: parse error at line 5, column 21"}},
  };
  for (const Case &test : cases) {
    SCOPED_TRACE(test.file);
    ModelConfig c;
    std::string error;
    EXPECT_FALSE(loadModelConfig(kInputs + test.file, c, error));
    size_t lines = std::count(error.begin(), error.end(), '\n') + 1;
    EXPECT_EQ(lines, test.expected.size()) << error;
    for (const std::string &line : test.expected)
      EXPECT_NE(error.find(line), std::string::npos) << error;
  }
}
