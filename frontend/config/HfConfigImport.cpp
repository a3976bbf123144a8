//===- HfConfigImport.cpp - Hugging Face config.json -> ModelConfig -------===//
//
// Maps the keys of Hugging Face DeepSeek-V2/V3 (model_type deepseek_v2,
// deepseek_v3) and GPT-2 (gpt2) config.json files onto ModelConfig. Only JSON
// syntax and value types are checked here; finalizeModelConfig applies the
// defaults and range rules afterwards. A JSON null means "absent" (the Hugging
// Face convention for None), with the documented special cases (q_lora_rank
// null = no query compression, n_routed_experts null = no MoE, ...). Keys this
// importer does not know are ignored.
//
//===----------------------------------------------------------------------===//

#include "frontend/config/ModelConfig.h"
#include "frontend/config/ErrorLines.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <limits>
#include <optional>
#include <vector>

namespace ds::config {
namespace {

using nlohmann::json;

/// Reads typed keys from JSON objects, recording one error per bad key.
class Reader {
public:
  explicit Reader(const std::string &source) : source(source) {}

  void fail(const std::string &message) {
    errors.push_back(source + ": " + message);
  }

  /// The value of `key`, or null when it is absent or JSON null.
  static const json *find(const json &object, const char *key) {
    auto it = object.find(key);
    if (it == object.end() || it->is_null())
      return nullptr;
    return &*it;
  }

  static bool isNull(const json &object, const char *key) {
    auto it = object.find(key);
    return it != object.end() && it->is_null();
  }

  std::optional<int64_t> integer(const json &object, const char *key,
                                 const std::string &prefix = "") {
    const json *value = find(object, key);
    if (!value)
      return std::nullopt;
    const std::string name = prefix + key;
    if (value->is_number_unsigned()) {
      uint64_t v = value->get<uint64_t>();
      if (v > uint64_t(std::numeric_limits<int64_t>::max())) {
        fail("'" + name + "' (" + value->dump() + ") is out of range");
        return std::nullopt;
      }
      return int64_t(v);
    }
    if (value->is_number_integer())
      return value->get<int64_t>();
    if (value->is_number_float()) {
      // Accept 4096.0 for 4096; reject 1.5.
      double v = value->get<double>();
      if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 9e18)
        return int64_t(v);
      fail("'" + name + "' must be an integer, got " + value->dump());
      return std::nullopt;
    }
    typeError(name, "an integer", *value);
    return std::nullopt;
  }

  std::optional<double> number(const json &object, const char *key,
                               const std::string &prefix = "") {
    const json *value = find(object, key);
    if (!value)
      return std::nullopt;
    if (value->is_number())
      return value->get<double>();
    typeError(prefix + key, "a number", *value);
    return std::nullopt;
  }

  std::optional<bool> boolean(const json &object, const char *key,
                              const std::string &prefix = "") {
    const json *value = find(object, key);
    if (!value)
      return std::nullopt;
    if (value->is_boolean())
      return value->get<bool>();
    typeError(prefix + key, "a boolean", *value);
    return std::nullopt;
  }

  std::optional<std::string> string(const json &object, const char *key,
                                    const std::string &prefix = "") {
    const json *value = find(object, key);
    if (!value)
      return std::nullopt;
    if (value->is_string())
      return value->get<std::string>();
    typeError(prefix + key, "a string", *value);
    return std::nullopt;
  }

  bool ok() const { return errors.empty(); }

  std::string joined() const { return joinLines(errors); }

private:
  void typeError(const std::string &name, const char *expected,
                 const json &value) {
    fail("'" + name + "' must be " + expected + ", got " + value.type_name());
  }

  std::string source;
  std::vector<std::string> errors;
};

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

void importDtype(Reader &r, const json &root, ModelConfig &config) {
  // Newer transformers write "dtype" instead of "torch_dtype".
  std::optional<std::string> dtype = r.string(root, "torch_dtype");
  if (!dtype && !root.contains("torch_dtype"))
    dtype = r.string(root, "dtype");
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
    r.fail("torch_dtype '" + *dtype +
           "' is not supported (supported: float32, bfloat16, float16, "
           "float64)");
}

void importGpt2(Reader &r, const json &root, ModelConfig &config) {
  config.set_architecture(GPT2);
  if (auto v = r.integer(root, "vocab_size"))
    config.set_vocab_size(*v);
  if (auto v = r.integer(root, "n_embd"))
    config.set_hidden_size(*v);
  if (auto v = r.integer(root, "n_layer"))
    config.set_num_hidden_layers(*v);
  if (auto v = r.integer(root, "n_head"))
    config.set_num_attention_heads(*v);
  if (auto v = r.integer(root, "n_positions"))
    config.set_max_position_embeddings(*v);
  else if (!root.contains("n_positions"))
    if (auto v = r.integer(root, "n_ctx")) // very old GPT-2 configs
      config.set_max_position_embeddings(*v);
  if (auto v = r.integer(root, "n_inner")) // null: 4 * n_embd
    config.set_intermediate_size(*v);
  if (auto v = r.number(root, "layer_norm_epsilon"))
    config.set_norm_eps(*v);
  if (auto v = r.string(root, "activation_function"))
    if (*v != "gelu_new" && *v != "gelu_pytorch_tanh")
      r.fail("activation_function '" + *v +
             "' is not supported (supported: gelu_new, gelu_pytorch_tanh)");
  if (auto v = r.boolean(root, "tie_word_embeddings"))
    config.set_tie_word_embeddings(*v);
  if (auto v = r.number(root, "initializer_range"))
    config.set_initializer_range(*v);
  importDtype(r, root, config);
}

void importRopeScaling(Reader &r, const json &root, ModelConfig &config) {
  const json *scaling = Reader::find(root, "rope_scaling");
  if (!scaling)
    return;
  if (!scaling->is_object()) {
    r.fail(std::string("'rope_scaling' must be an object or null, got ") +
           scaling->type_name());
    return;
  }
  const char *typeKey = scaling->contains("type") ? "type" : "rope_type";
  std::optional<std::string> type = r.string(*scaling, typeKey, "rope_scaling.");
  if (!type) {
    if (!scaling->contains(typeKey) || (*scaling)[typeKey].is_null())
      r.fail("rope_scaling.type is missing (supported: yarn)");
    return;
  }
  if (*type != "yarn") {
    r.fail("rope_scaling.type '" + *type + "' is not supported (supported: yarn)");
    return;
  }
  const std::string p = "rope_scaling.";
  Yarn &yarn = *config.mutable_rope_scaling();
  if (auto v = r.number(*scaling, "factor", p))
    yarn.set_factor(*v);
  if (auto v = r.integer(*scaling, "original_max_position_embeddings", p))
    yarn.set_original_max_position_embeddings(*v);
  if (auto v = r.number(*scaling, "beta_fast", p))
    yarn.set_beta_fast(*v);
  if (auto v = r.number(*scaling, "beta_slow", p))
    yarn.set_beta_slow(*v);
  if (auto v = r.number(*scaling, "mscale", p))
    yarn.set_mscale(*v);
  if (auto v = r.number(*scaling, "mscale_all_dim", p))
    yarn.set_mscale_all_dim(*v);
}

void importMoe(Reader &r, const json &root, ModelConfig &config) {
  // n_routed_experts null or absent: every layer is dense.
  std::optional<int64_t> experts = r.integer(root, "n_routed_experts");
  if (!experts)
    return;
  Moe &moe = *config.mutable_moe();
  moe.set_n_routed_experts(*experts);
  if (auto v = r.integer(root, "moe_intermediate_size"))
    moe.set_moe_intermediate_size(*v);
  if (Reader::isNull(root, "n_shared_experts"))
    moe.set_n_shared_experts(0);
  else if (auto v = r.integer(root, "n_shared_experts"))
    moe.set_n_shared_experts(*v);
  if (auto v = r.integer(root, "num_experts_per_tok"))
    moe.set_num_experts_per_tok(*v);
  if (auto v = r.integer(root, "n_group"))
    moe.set_n_group(*v);
  if (auto v = r.integer(root, "topk_group"))
    moe.set_topk_group(*v);
  if (auto v = r.string(root, "scoring_func")) {
    if (*v == "softmax")
      moe.set_scoring_func(SOFTMAX);
    else if (*v == "sigmoid")
      moe.set_scoring_func(SIGMOID);
    else
      r.fail("scoring_func '" + *v +
             "' is not supported (supported: softmax, sigmoid)");
  }
  if (auto v = r.string(root, "topk_method")) {
    if (*v == "greedy")
      moe.set_topk_method(GREEDY);
    else if (*v == "group_limited_greedy")
      moe.set_topk_method(GROUP_LIMITED_GREEDY);
    else if (*v == "noaux_tc")
      moe.set_topk_method(NOAUX_TC);
    else
      r.fail("topk_method '" + *v +
             "' is not supported (supported: greedy, group_limited_greedy, "
             "noaux_tc)");
  }
  if (auto v = r.number(root, "routed_scaling_factor"))
    moe.set_routed_scaling_factor(*v);
  if (auto v = r.boolean(root, "norm_topk_prob"))
    moe.set_norm_topk_prob(*v);
  if (auto v = r.integer(root, "first_k_dense_replace"))
    moe.set_first_k_dense_replace(*v);
  if (auto v = r.integer(root, "moe_layer_freq"))
    moe.set_moe_layer_freq(*v);
  // DeepSeek-V2's modeling code trains with the sequence-wise balance loss
  // (aux_loss_alpha, seq_aux); V3's (noaux_tc) carries the keys but uses the
  // bias instead, so they are not imported for it.
  if (moe.topk_method() != NOAUX_TC)
    if (auto seqAux = r.boolean(root, "seq_aux"); seqAux && *seqAux)
      if (auto v = r.number(root, "aux_loss_alpha"))
        moe.set_seq_aux_alpha(*v);
}

void importDeepseek(Reader &r, const json &root, ModelConfig &config) {
  config.set_architecture(DEEPSEEK);
  if (auto v = r.integer(root, "vocab_size"))
    config.set_vocab_size(*v);
  if (auto v = r.integer(root, "hidden_size"))
    config.set_hidden_size(*v);
  if (auto v = r.integer(root, "intermediate_size"))
    config.set_intermediate_size(*v);
  if (auto v = r.integer(root, "num_hidden_layers"))
    config.set_num_hidden_layers(*v);
  if (auto v = r.integer(root, "num_attention_heads"))
    config.set_num_attention_heads(*v);
  // num_key_value_heads is ignored: MLA has no grouped KV heads.
  if (auto v = r.integer(root, "max_position_embeddings"))
    config.set_max_position_embeddings(*v);
  if (auto v = r.number(root, "rms_norm_eps"))
    config.set_norm_eps(*v);
  if (auto v = r.boolean(root, "tie_word_embeddings"))
    config.set_tie_word_embeddings(*v);
  if (auto v = r.number(root, "initializer_range"))
    config.set_initializer_range(*v);
  if (auto v = r.number(root, "rope_theta"))
    config.set_rope_theta(*v);
  importRopeScaling(r, root, config);
  importDtype(r, root, config);

  Mla &mla = *config.mutable_mla();
  if (Reader::isNull(root, "q_lora_rank"))
    mla.set_q_lora_rank(0);
  else if (auto v = r.integer(root, "q_lora_rank"))
    mla.set_q_lora_rank(*v);
  if (auto v = r.integer(root, "kv_lora_rank"))
    mla.set_kv_lora_rank(*v);
  if (auto v = r.integer(root, "qk_nope_head_dim"))
    mla.set_qk_nope_head_dim(*v);
  if (auto v = r.integer(root, "qk_rope_head_dim"))
    mla.set_qk_rope_head_dim(*v);
  if (auto v = r.integer(root, "v_head_dim"))
    mla.set_v_head_dim(*v);

  importMoe(r, root, config);
}

/// nlohmann's messages start with "[json.exception.parse_error.101] ".
std::string stripExceptionId(const std::string &what) {
  if (!what.empty() && what[0] == '[') {
    size_t close = what.find("] ");
    if (close != std::string::npos)
      return what.substr(close + 2);
  }
  return what;
}

} // namespace

bool importHfConfigJson(std::string_view text, const std::string &sourceName,
                        ModelConfig &config, std::string &error) {
  config.Clear();
  const std::string source =
      sourceName.empty() ? std::string("config.json") : sourceName;
  try {
    json root = json::parse(text.begin(), text.end());
    if (!root.is_object()) {
      error = source + ": expected a JSON object at the top level, got " +
              root.type_name();
      return false;
    }
    Reader r(source);
    const char *supported = "supported: deepseek_v2, deepseek_v3, gpt2";
    std::optional<std::string> modelType = r.string(root, "model_type");
    if (!modelType) {
      if (r.ok())
        r.fail(std::string("missing 'model_type' (") + supported + ")");
    } else if (*modelType == "deepseek_v2" || *modelType == "deepseek_v3") {
      importDeepseek(r, root, config);
    } else if (*modelType == "gpt2") {
      importGpt2(r, root, config);
    } else {
      r.fail("model_type '" + *modelType + "' is not supported (" + supported +
             ")");
    }
    if (!r.ok()) {
      error = r.joined();
      return false;
    }
    config.set_name(nameFromSource(source));
    return true;
  } catch (const json::parse_error &e) {
    error = source + ": invalid JSON: " + stripExceptionId(e.what()) +
            " (byte " + std::to_string(e.byte) + ")";
  } catch (const std::exception &e) {
    error = source + ": cannot import config: " + stripExceptionId(e.what());
  } catch (...) {
    error = source + ": cannot import config: unknown error";
  }
  return false;
}

} // namespace ds::config
