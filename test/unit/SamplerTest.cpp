//===- SamplerTest.cpp - Greedy, temperature, top-k, top-p ----------------===//

#include "runtime/infer/Sampler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <vector>

namespace {

using namespace ds::rt;

std::map<int32_t, int> histogram(const std::vector<float> &logits,
                                 const SamplingOptions &options, int draws) {
  RandomStream random(42);
  std::map<int32_t, int> counts;
  for (int i = 0; i < draws; ++i)
    ++counts[sampleToken(logits, options, random)];
  return counts;
}

TEST(Sampler, GreedyTakesTheArgmaxAndTiesTheLowerId) {
  RandomStream random(1);
  EXPECT_EQ(sampleToken(std::vector<float>{0.1f, 2.0f, -1.0f, 2.0f},
                        {.greedy = true}, random),
            1);
  EXPECT_EQ(sampleToken(std::vector<float>{NAN, -5.0f, -7.0f}, {.greedy = true},
                        random),
            1);
}

TEST(Sampler, FrequenciesFollowTheSoftmax) {
  const std::vector<float> logits = {std::log(1.0f), std::log(2.0f),
                                     std::log(7.0f)};
  const auto counts = histogram(logits, {}, 20000);
  EXPECT_NEAR(counts.at(0) / 20000.0, 0.1, 0.01);
  EXPECT_NEAR(counts.at(1) / 20000.0, 0.2, 0.01);
  EXPECT_NEAR(counts.at(2) / 20000.0, 0.7, 0.01);
  // Temperature 0.5 squares the odds: 1 : 4 : 49.
  const auto cooler = histogram(logits, {.temperature = 0.5}, 20000);
  EXPECT_NEAR(cooler.at(2) / 20000.0, 49.0 / 54.0, 0.01);
}

TEST(Sampler, TopKAndTopPCutTheTail) {
  const std::vector<float> logits = {std::log(0.5f), std::log(0.3f),
                                     std::log(0.15f), std::log(0.05f)};
  const auto topK = histogram(logits, {.topK = 2}, 5000);
  EXPECT_EQ(topK.size(), 2u);
  EXPECT_NEAR(topK.at(0) / 5000.0, 0.5 / 0.8, 0.02);
  // p = 0.8 keeps 0.5 + 0.3 exactly; p = 0.81 needs the third token too.
  EXPECT_EQ(histogram(logits, {.topP = 0.8}, 5000).size(), 2u);
  EXPECT_EQ(histogram(logits, {.topP = 0.81}, 5000).size(), 3u);
  EXPECT_EQ(histogram(logits, {.topP = 0.01}, 100).size(), 1u);
}

TEST(Sampler, SameSeedSameTokens) {
  std::vector<float> logits(100);
  for (size_t i = 0; i < logits.size(); ++i)
    logits[i] = float(std::sin(double(i)));
  RandomStream a(7), b(7), c(8);
  std::vector<int32_t> x, y, z;
  for (int i = 0; i < 50; ++i) {
    x.push_back(sampleToken(logits, {}, a));
    y.push_back(sampleToken(logits, {}, b));
    z.push_back(sampleToken(logits, {}, c));
  }
  EXPECT_EQ(x, y);
  EXPECT_NE(x, z);
}

TEST(Sampler, OptionsAreChecked) {
  std::string error;
  EXPECT_TRUE(checkSamplingOptions({}, error));
  EXPECT_FALSE(checkSamplingOptions({.temperature = 0.0}, error));
  EXPECT_FALSE(checkSamplingOptions({.topK = -1}, error));
  EXPECT_FALSE(checkSamplingOptions({.topP = 1.5}, error));
  EXPECT_NE(error.find("top-p must be in (0, 1]"), std::string::npos);
}

} // namespace
