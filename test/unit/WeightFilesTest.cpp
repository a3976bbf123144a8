//===- WeightFilesTest.cpp - checkpoints by name, stacked or per layer ----===//
//
// runtime/io/WeightFiles.h and runtime/TensorFiles.h: a stacked parameter
// read by its own name or gathered from per-layer tensors, in any float
// type; sharded Hugging Face checkpoints with an index, and every way an
// index or a set of files can be inconsistent; writing per-layer names.
//
//===----------------------------------------------------------------------===//

#include "runtime/TensorFiles.h"
#include "runtime/io/WeightFiles.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <tuple>
#include <string>
#include <vector>

using namespace ds::rt;
namespace fs = std::filesystem;

namespace {

class WeightFilesTest : public ::testing::Test {
protected:
  void SetUp() override {
    std::string pattern =
        (fs::temp_directory_path() / "ds-weightfiles-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    directory = pattern;
  }
  void TearDown() override { fs::remove_all(directory); }

  std::string pathOf(const std::string &name) const {
    return (directory / name).string();
  }

  /// Writes `tensors` (name, dtype, shape, values) to `file`.
  void write(const std::string &file,
             const std::vector<std::tuple<std::string, DType,
                                          std::vector<int64_t>,
                                          std::vector<double>>> &tensors) {
    std::vector<TensorToWrite> list;
    for (const auto &[name, dtype, shape, values] : tensors)
      list.push_back({name, dtype, shape, values.data()});
    std::string error;
    ASSERT_TRUE(writeSafetensors(pathOf(file), list, {}, error)) << error;
  }

  /// Layer l, expert e of a [2 layers, 3 experts, 2] parameter: values
  /// 100 l + 10 e + {0, 1}, the per-layer tensors under Hugging Face names.
  void writePerLayer(const std::string &file, DType dtype) {
    std::vector<std::tuple<std::string, DType, std::vector<int64_t>,
                           std::vector<double>>>
        tensors;
    for (int l = 0; l < 2; ++l)
      for (int e = 0; e < 3; ++e)
        tensors.push_back({"model.layers." + std::to_string(1 + l) +
                               ".mlp.experts." + std::to_string(e) + ".w",
                           dtype,
                           {2},
                           {100.0 * l + 10 * e, 100.0 * l + 10 * e + 1}});
    write(file, tensors);
  }

  static std::vector<float> floats(const std::vector<uint8_t> &bytes) {
    std::vector<float> values(bytes.size() / 4);
    std::memcpy(values.data(), bytes.data(), bytes.size());
    return values;
  }

  static void writeText(const std::string &path, const std::string &text) {
    std::ofstream(path) << text;
  }

  fs::path directory;
  const std::string stacked = "model.layers.[1:3].mlp.experts.[0:3].w";
};

TEST_F(WeightFilesTest, GathersPerLayerTensorsInAnyFloatType) {
  for (DType stored : {DType::F32, DType::BF16, DType::F16, DType::F64}) {
    SCOPED_TRACE(dtypeName(stored));
    writePerLayer("model.safetensors", stored);
    WeightFiles files;
    std::string error;
    ASSERT_TRUE(files.add(directory.string(), error)) << error;
    EXPECT_TRUE(files.provides(stacked));
    std::vector<uint8_t> bytes(2 * 3 * 2 * 4);
    ASSERT_TRUE(files.read(stacked, DType::F32, {2, 3, 2}, bytes.data(), error))
        << error;
    // Small integers are exact in every float type: row-major layers then
    // experts.
    EXPECT_EQ(floats(bytes), (std::vector<float>{0, 1, 10, 11, 20, 21, 100,
                                                 101, 110, 111, 120, 121}));
  }
}

TEST_F(WeightFilesTest, TheStackedNameItselfWins) {
  write("state.safetensors",
        {{stacked, DType::F32, {2, 3, 2}, std::vector<double>(12, 7.0)}});
  WeightFiles files;
  std::string error;
  ASSERT_TRUE(files.add(pathOf("state.safetensors"), error)) << error;
  std::vector<uint8_t> bytes(48);
  ASSERT_TRUE(files.read(stacked, DType::F32, {2, 3, 2}, bytes.data(), error));
  EXPECT_EQ(floats(bytes), std::vector<float>(12, 7.0f));
}

TEST_F(WeightFilesTest, ErrorsNameTheTensor) {
  writePerLayer("model.safetensors", DType::F32);
  WeightFiles files;
  std::string error;
  ASSERT_TRUE(files.add(directory.string(), error)) << error;
  std::vector<uint8_t> bytes(4 * 4 * 3 * 2);
  // A slice that is not there.
  EXPECT_FALSE(files.read("model.layers.[1:4].mlp.experts.[0:3].w",
                          DType::F32, {3, 3, 2}, bytes.data(), error));
  EXPECT_EQ(error, "missing tensor 'model.layers.3.mlp.experts.0.w' (a slice "
                   "of 'model.layers.[1:4].mlp.experts.[0:3].w') in the "
                   "weight files");
  // A per-layer shape that differs.
  EXPECT_FALSE(files.read(stacked, DType::F32, {2, 3, 4}, bytes.data(), error));
  EXPECT_NE(error.find("tensor 'model.layers.1.mlp.experts.0.w' (a slice of "
                       "'model.layers.[1:3].mlp.experts.[0:3].w') has shape "
                       "[2], but the model expects [4]"),
            std::string::npos)
      << error;
  // A stacked dimension that disagrees with the name.
  EXPECT_FALSE(files.read(stacked, DType::F32, {3, 3, 2}, bytes.data(), error));
  EXPECT_NE(error.find("dimension 0 is 3, but the name stacks 2"),
            std::string::npos)
      << error;
  // Floats for an integer argument.
  EXPECT_FALSE(files.read(stacked, DType::I32, {2, 3, 2}, bytes.data(), error));
  EXPECT_NE(error.find("has dtype F32, but the model expects I32"),
            std::string::npos)
      << error;
  EXPECT_FALSE(files.provides("model.norm.weight"));
}

TEST_F(WeightFilesTest, BlockQuantizedWeightsAreRefused) {
  write("model.safetensors",
        {{"w", DType::F32, {2}, {1, 2}}, {"w_scale_inv", DType::F32, {1}, {1}}});
  WeightFiles files;
  std::string error;
  ASSERT_TRUE(files.add(directory.string(), error)) << error;
  std::vector<uint8_t> bytes(8);
  EXPECT_FALSE(files.read("w", DType::F32, {2}, bytes.data(), error));
  EXPECT_NE(error.find("is block-quantized"), std::string::npos) << error;
}

TEST_F(WeightFilesTest, ShardedCheckpointWithIndex) {
  write("model-00001-of-00002.safetensors", {{"a", DType::F32, {2}, {1, 2}}});
  write("model-00002-of-00002.safetensors", {{"b", DType::F32, {1}, {3}}});
  const std::string index = pathOf("model.safetensors.index.json");
  writeText(index, R"({"metadata": {"total_size": 12}, "weight_map": {
      "a": "model-00001-of-00002.safetensors",
      "b": "model-00002-of-00002.safetensors"}})");
  WeightFiles files;
  std::string error;
  ASSERT_TRUE(files.add(directory.string(), error)) << error;
  EXPECT_EQ(files.numTensors(), 2u);
  EXPECT_EQ(files.paths().size(), 2u);

  // Every way the index and the shards can disagree is an error.
  struct Case {
    const char *index, *expected;
  } cases[] = {
      {R"({"weight_map": {"a": "model-00002-of-00002.safetensors",
                          "b": "model-00002-of-00002.safetensors"}})",
       "tensor 'a' is listed in model-00002-of-00002.safetensors, which does "
       "not hold it"},
      {R"({"weight_map": {"a": "model-00001-of-00002.safetensors",
                          "b": "model-00002-of-00002.safetensors",
                          "c": "model-00002-of-00002.safetensors"}})",
       "tensor 'c' is listed in model-00002-of-00002.safetensors, which does "
       "not hold it"},
      {R"({"weight_map": {"a": "model-00003-of-00002.safetensors"}})",
       "model-00003-of-00002.safetensors: "},
      {R"({"weight_map": {"a": "../elsewhere.safetensors"}})",
       "must be a file name in the directory"},
      {R"({"weight_map": {}})", "weight_map: lists no tensors"},
      {R"({"weights": {}})", "weight_map: missing"},
      {R"({"weight_map": [1]})", "weight_map: expected an object, got an array"},
      {"not json", "invalid JSON"},
  };
  for (const Case &c : cases) {
    writeText(index, c.index);
    WeightFiles broken;
    EXPECT_FALSE(broken.add(directory.string(), error)) << c.index;
    EXPECT_NE(error.find(c.expected), std::string::npos)
        << c.index << "\n" << error;
  }
  // A shard the index names that holds a tensor the index does not list.
  write("model-00002-of-00002.safetensors",
        {{"b", DType::F32, {1}, {3}}, {"stray", DType::F32, {1}, {4}}});
  writeText(index, R"({"weight_map": {
      "a": "model-00001-of-00002.safetensors",
      "b": "model-00002-of-00002.safetensors"}})");
  WeightFiles stray;
  EXPECT_FALSE(stray.add(directory.string(), error));
  EXPECT_NE(error.find("tensor 'stray' is not in the index"), std::string::npos)
      << error;
}

TEST_F(WeightFilesTest, DuplicateTensorsAcrossFiles) {
  write("model-1.safetensors", {{"a", DType::F32, {1}, {1}}});
  write("model-2.safetensors", {{"a", DType::F32, {1}, {2}}});
  WeightFiles files;
  std::string error;
  EXPECT_FALSE(files.add(directory.string(), error));
  EXPECT_NE(error.find("tensor 'a' is also in"), std::string::npos) << error;
}

TEST_F(WeightFilesTest, WriteTensorsPerLayer) {
  std::string error;
  std::vector<double> values = {0, 1, 10, 11, 20, 21, 100, 101, 110, 111, 120, 121};
  std::optional<HostTensor> tensor =
      HostTensor::fromDoubles(DType::F32, {2, 3, 2}, values, error);
  ASSERT_TRUE(tensor) << error;
  std::optional<HostTensor> plain =
      HostTensor::fromDoubles(DType::F32, {1}, std::vector<double>{5}, error);
  ASSERT_TRUE(plain) << error;
  ASSERT_TRUE(writeTensors(pathOf("out.safetensors"),
                           {{stacked, &*tensor}, {"loss", &*plain}},
                           /*unstack=*/true, {}, error))
      << error;
  std::unique_ptr<SafetensorsReader> reader =
      SafetensorsReader::open(pathOf("out.safetensors"), error);
  ASSERT_TRUE(reader) << error;
  EXPECT_EQ(reader->tensors().size(), 7u);
  const TensorEntry *slice = reader->find("model.layers.2.mlp.experts.1.w");
  ASSERT_TRUE(slice);
  EXPECT_EQ(slice->shape, std::vector<int64_t>{2});
  EXPECT_EQ(reader->readAsDoubles(*slice), (std::vector<double>{110, 111}));
  EXPECT_TRUE(reader->find("loss"));
  // And back: read as the stacked parameter.
  WeightFiles files;
  ASSERT_TRUE(files.add(pathOf("out.safetensors"), error)) << error;
  TensorSpec spec;
  spec.name = stacked;
  spec.shape = {2, 3, 2};
  std::optional<HostTensor> back = readTensor(files, spec, error);
  ASSERT_TRUE(back) << error;
  EXPECT_EQ(back->toDoubles(), values);
}

} // namespace
