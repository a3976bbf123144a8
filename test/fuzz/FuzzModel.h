//===- FuzzModel.h - What a config that passed validation must do -*- C++ -*-===//
//
// The config targets (textproto, Hugging Face config.json) share the checks
// that follow validation: a config finalizeModelConfig accepted must build
// into IR that verifies, and must survive DS's own conversions.
//
//===----------------------------------------------------------------------===//

#ifndef DS_TEST_FUZZ_FUZZMODEL_H
#define DS_TEST_FUZZ_FUZZMODEL_H

namespace ds::config {
class ModelConfig;
} // namespace ds::config

namespace ds::fuzz {

/// Aborts (propertyFailed) unless, for a config finalizeModelConfig accepted:
///  - its textproto (toTextproto) parses and finalizes back to the same
///    textproto;
///  - its Hugging Face config.json, when exportHfConfigJson makes one,
///    imports and finalizes, and exports again to the same JSON;
///  - buildModel builds a module that verifies (for configs of at most
///    kMaxBuiltLayers layers: the builder's work grows with the layer count
///    and the layers beyond a few exercise no other code).
void checkFinalizedConfig(const config::ModelConfig &config);

inline constexpr long kMaxBuiltLayers = 8;

} // namespace ds::fuzz

#endif // DS_TEST_FUZZ_FUZZMODEL_H
