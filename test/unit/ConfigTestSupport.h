//===- ConfigTestSupport.h - Helpers of the config tests --------*- C++ -*-===//

#ifndef DS_TEST_UNIT_CONFIGTESTSUPPORT_H
#define DS_TEST_UNIT_CONFIGTESTSUPPORT_H

#include "frontend/config/ModelConfig.h"

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <string>

#ifndef DS_SOURCE_DIR
#error "DS_SOURCE_DIR must be defined to the repository root"
#endif

namespace ds::config::testing {

inline const std::string kModels = DS_SOURCE_DIR "/models/";
inline const std::string kInputs = DS_SOURCE_DIR "/test/frontend/Inputs/";


inline ModelConfig load(const std::string &path) {
  ModelConfig config;
  std::string error;
  EXPECT_TRUE(loadModelConfig(path, config, error)) << error;
  return config;
}

/// Finalizes `config`, expecting failure; returns the error text.
inline std::string finalizeError(ModelConfig config) {
  std::string error;
  EXPECT_FALSE(finalizeModelConfig(config, "x.textproto", error));
  return error;
}

/// Differences between two configs, empty when equal.
inline std::string diff(const ModelConfig &a, const ModelConfig &b) {
  std::string report;
  google::protobuf::util::MessageDifferencer differencer;
  differencer.ReportDifferencesToString(&report);
  differencer.Compare(a, b);
  return report;
}

/// The finalized config a Hugging Face config.json imports to.
inline ModelConfig importJson(const std::string &json, const std::string &source) {
  ModelConfig config;
  std::string error;
  EXPECT_TRUE(importHfConfigJson(json, source, config, error)) << error;
  EXPECT_TRUE(finalizeModelConfig(config, source, error)) << error;
  return config;
}

inline std::string importError(const std::string &json) {
  ModelConfig config;
  std::string error;
  EXPECT_FALSE(importHfConfigJson(json, "config.json", config, error));
  return error;
}

inline ModelConfig tinyMoe() { return load(kModels + "tiny-moe.textproto"); }
inline ModelConfig tinyDense() {
  return load(kModels + "tiny-dense.textproto");
}

} // namespace ds::config::testing

#endif // DS_TEST_UNIT_CONFIGTESTSUPPORT_H
