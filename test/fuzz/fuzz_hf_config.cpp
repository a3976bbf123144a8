//===- fuzz_hf_config.cpp - Hugging Face config.json -----------------------===//
//
// Input: a Hugging Face config.json (seeds: the test checkpoints' configs and
// the exports of models/*.textproto). Imported and validated as ds-model and
// ds-compile do for a checkpoint directory; what validation accepts must
// then build and convert (FuzzModel.h).
//
//===----------------------------------------------------------------------===//

#include "frontend/config/ModelConfig.h"
#include "test/fuzz/FuzzModel.h"

#include <string_view>

using namespace ds;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string_view json(reinterpret_cast<const char *>(data), size);
  config::ModelConfig config;
  std::string error;
  std::vector<std::string> notes;
  if (!config::importHfConfigJson(json, "checkpoint/config.json", config, error,
                                  &notes) ||
      !config::finalizeModelConfig(config, "checkpoint/config.json", error))
    return 0;
  fuzz::checkFinalizedConfig(config);
  return 0;
}
