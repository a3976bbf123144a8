//===- fuzz_textproto.cpp - model configs as textproto ---------------------===//
//
// Input: a model config in textproto (seeds: models/*.textproto and the
// test configs). Parsed and validated as every tool does; what validation
// accepts must then build and convert (FuzzModel.h).
//
//===----------------------------------------------------------------------===//

#include "frontend/config/ModelConfig.h"
#include "test/fuzz/FuzzModel.h"

#include <string_view>

using namespace ds;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string_view text(reinterpret_cast<const char *>(data), size);
  config::ModelConfig config;
  std::string error;
  if (!config::parseTextprotoConfig(text, "fuzz.textproto", config, error) ||
      !config::finalizeModelConfig(config, "fuzz.textproto", error))
    return 0;
  fuzz::checkFinalizedConfig(config);
  return 0;
}
