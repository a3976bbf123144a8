//===- ParamInitTest.cpp - Initial values of parameters -------------------===//

#include "runtime/io/ParamInit.h"

#include <gtest/gtest.h>

#include <cmath>

namespace {

using namespace ds::rt;

TEST(ParamInit, StackedSlicesEqualTheirUnstackedNames) {
  const ParamInit init{InitKind::Normal, 0.0, 0.02};
  std::vector<double> stacked, one;
  std::string error;
  ASSERT_TRUE(initialValues("model.layers.[1:4].mlp.experts.[0:2].w",
                            {3, 2, 5, 4}, init, 7, stacked, error))
      << error;
  ASSERT_EQ(stacked.size(), 120u);
  // Slice [2, 1] is layer 3, expert 1.
  ASSERT_TRUE(initialValues("model.layers.3.mlp.experts.1.w", {5, 4}, init, 7,
                            one, error));
  for (size_t i = 0; i < 20; ++i)
    EXPECT_EQ(stacked[(2 * 2 + 1) * 20 + i], one[i]);
  // Another seed, other values; never all zero.
  std::vector<double> other;
  ASSERT_TRUE(initialValues("model.layers.3.mlp.experts.1.w", {5, 4}, init, 8,
                            other, error));
  EXPECT_NE(one, other);
}

TEST(ParamInit, KindsHaveTheirDistributions) {
  std::string error;
  std::vector<double> values;
  ASSERT_TRUE(initialValues("w", {20000}, {InitKind::TruncatedNormal, 1.0, 0.5},
                            3, values, error));
  double mean = 0, var = 0;
  for (double v : values) {
    EXPECT_LE(std::fabs(v - 1.0), 1.0 + 1e-12);
    mean += v;
  }
  mean /= double(values.size());
  for (double v : values)
    var += (v - mean) * (v - mean);
  EXPECT_NEAR(mean, 1.0, 0.01);
  EXPECT_NEAR(std::sqrt(var / double(values.size())), 0.5 * 0.88, 0.02);
  ASSERT_TRUE(initialValues("u", {1000}, {InitKind::Uniform, -2.0, 3.0}, 3,
                            values, error));
  for (double v : values) {
    EXPECT_GE(v, -2.0);
    EXPECT_LT(v, 3.0);
  }
  ASSERT_TRUE(initialValues("c", {3}, {InitKind::Constant, 2.5, 0.0}, 3,
                            values, error));
  EXPECT_EQ(values, (std::vector<double>{2.5, 2.5, 2.5}));
  InitKind kind;
  EXPECT_TRUE(parseInitKind("truncated_normal", kind));
  EXPECT_EQ(kind, InitKind::TruncatedNormal);
  EXPECT_STREQ(initKindName(InitKind::Ones), "ones");
  EXPECT_FALSE(parseInitKind("xavier", kind));
}

TEST(ParamInit, RangesMustMatchTheShape) {
  std::string error;
  std::vector<double> values;
  EXPECT_FALSE(initialValues("layers.[0:3].w", {4, 2}, {}, 0, values, error));
  EXPECT_NE(error.find("range 0 has 3 entries but the dimension has size 4"),
            std::string::npos)
      << error;
  EXPECT_FALSE(initialValues("layers.[0:3].w", {}, {}, 0, values, error));
  EXPECT_FALSE(initialValues("layers.[3:1].w", {2}, {}, 0, values, error));
}

} // namespace
