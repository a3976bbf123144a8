//===- ModelConfig.h - Loading and validating model configs -----*- C++ -*-===//
//
// The model configuration (frontend/config/model_config.proto) comes from a
// textproto file written by hand (models/*.textproto) or from a Hugging Face
// config.json (DeepSeek-V2/V3, GPT-2). Both are loaded into one `ModelConfig`,
// completed with defaults and validated by finalizeModelConfig, so that a
// builder never sees a missing or inconsistent field.
//
// Errors: every function returns false on failure and sets `error` to one line
// per problem, lines separated by '\n' (no trailing newline), each starting
// with the source path, e.g.
//   models/x.textproto: moe.n_group (3) does not divide moe.n_routed_experts (16)
//   models/x.textproto:4:3: Unknown enumeration value of "SIGMOD" for field "scoring_func".
// No function throws, exits or keeps global mutable state.
//
//===----------------------------------------------------------------------===//

#ifndef DS_FRONTEND_CONFIG_MODELCONFIG_H
#define DS_FRONTEND_CONFIG_MODELCONFIG_H

#include "frontend/config/model_config.pb.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ds::config {

/// Loads a model config from a textproto file (*.textproto, *.txtpb, *.pbtxt),
/// a Hugging Face config.json (any *.json), or a directory holding config.json.
/// Applies defaults and validates (finalizeModelConfig). On failure returns
/// false and `error` holds one line per problem, each starting with the path.
/// `notes`, when given, receives what a user should know but is not an error
/// (config.json keys ignored because they do not change the computation,
/// dropout DS does not apply), one line each.
bool loadModelConfig(const std::string &path, ModelConfig &config,
                     std::string &error,
                     std::vector<std::string> *notes = nullptr);

/// Parses textproto text into `config` (cleared first). Errors read
/// "sourceName:line:col: message" (1-based). Does not apply defaults.
bool parseTextprotoConfig(std::string_view text, const std::string &sourceName,
                          ModelConfig &config, std::string &error);

/// Imports a Hugging Face config.json (model_type deepseek_v2, deepseek_v3 or
/// gpt2) into `config` (cleared first), in the layout of transformers 5
/// (`rope_parameters`) or the older one (`rope_theta`, `rope_scaling`).
/// Checks JSON syntax, value types and that every key is understood: a key
/// that changes the computation in a way DS does not implement (an
/// unsupported rope type, attention_bias true, ...) or that DS does not know
/// is an error naming it; keys that do not affect the computation are listed
/// in one line of `notes`. Ranges and consistency are finalizeModelConfig's
/// job. `name` is the name of sourceName's parent directory ("model" when
/// there is none).
bool importHfConfigJson(std::string_view json, const std::string &sourceName,
                        ModelConfig &config, std::string &error,
                        std::vector<std::string> *notes = nullptr);

/// The Hugging Face config.json that imports back to `config` (a finalized
/// config): model_type deepseek_v3 (noaux_tc routing), deepseek_v2 or gpt2,
/// in the older RoPE layout (top-level rope_theta and rope_scaling), which
/// transformers 4 and 5 both read. Returns false when transformers could
/// not run the model as DS does (sliding windows on DeepSeek, which
/// transformers' DeepSeek classes do not implement), with `error` saying why.
bool exportHfConfigJson(const ModelConfig &config, std::string &json,
                        std::string &error);

/// Fills defaults and checks every rule of the schema; reports all violations,
/// each naming the proto field path (e.g. "moe.num_experts_per_tok") and the
/// values involved. After it returns true, every field a builder reads is set:
///  - all: name, architecture, dtype, vocab_size, hidden_size,
///    num_hidden_layers, num_attention_heads, max_position_embeddings,
///    norm_eps, tie_word_embeddings, initializer_range, shape.batch_size,
///    shape.seq_len;
///  - GPT2: intermediate_size (mla, moe, rope_* are absent);
///  - DEEPSEEK: rope_theta, every mla field, every rope_scaling field when
///    has_rope_scaling(), moe.n_routed_experts (0 = all layers dense, and then
///    intermediate_size); when moe.n_routed_experts > 0 every moe field, and
///    intermediate_size when moe.first_k_dense_replace > 0.
/// With topk_method GREEDY, n_group and topk_group are set to 1.
bool finalizeModelConfig(ModelConfig &config, const std::string &sourceName,
                         std::string &error);

/// The config as textproto (for `--print-config`; on one line with
/// `singleLine`); parseTextprotoConfig reads it back to an equal message.
std::string toTextproto(const ModelConfig &config, bool singleLine = false);

/// Whether decoder layer `layer` (0-based) has a DeepSeekMoE block rather than
/// a dense MLP. Valid on a finalized config; always false for GPT2.
bool isMoeLayer(const ModelConfig &config, int64_t layer);

/// The attention window of decoder layer `layer` (0-based): sliding_window
/// for a SLIDING_ATTENTION layer, 0 (unlimited) for a full one. Valid on a
/// finalized config.
int64_t attentionWindow(const ModelConfig &config, int64_t layer);

} // namespace ds::config

#endif // DS_FRONTEND_CONFIG_MODELCONFIG_H
