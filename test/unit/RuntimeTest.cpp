//===- RuntimeTest.cpp - libdsrt: manifests, artifacts, running -----------===//
//
// Uses the stand-in artifact of test/unit/runtime (fake_model.c built as
// model.so beside fake-manifest.json), so the runtime is tested without the
// compiler.
//
//===----------------------------------------------------------------------===//

#include "runtime/Artifact.h"
#include "runtime/Executable.h"
#include "runtime/HostTensor.h"
#include "runtime/Manifest.h"
#include "runtime/capi/dsrt.h"
#include "runtime/io/Safetensors.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>
#include <random>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

using namespace ds::rt;
using nlohmann::json;

namespace {

const std::string kFakeArtifact = DS_FAKE_ARTIFACT_DIR;

std::string readText(const std::string &path) {
  std::ifstream file(path, std::ios::binary);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

void writeText(const std::string &path, const std::string &text) {
  std::ofstream(path, std::ios::binary) << text;
}

HostTensor tensor(DType dtype, std::vector<int64_t> shape,
                  std::vector<double> values) {
  std::string error;
  std::optional<HostTensor> made =
      HostTensor::fromDoubles(dtype, std::move(shape), values, error);
  EXPECT_TRUE(made) << error;
  return made ? std::move(*made) : HostTensor();
}

bool contains(const std::string &text, const std::string &part) {
  return text.find(part) != std::string::npos;
}

class RuntimeTest : public ::testing::Test {
protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "ds-runtime-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    directory_ = pattern;
  }
  void TearDown() override {
    std::string command = "rm -rf '" + directory_ + "'";
    EXPECT_EQ(std::system(command.c_str()), 0);
  }

  /// The fake manifest, parsed, with `library` pointing at the fake model.so
  /// by absolute path so that a copy works from any directory.
  json fakeManifest() const {
    json manifest = json::parse(readText(kFakeArtifact + "/manifest.json"));
    manifest["library"] = kFakeArtifact + "/model.so";
    return manifest;
  }

  /// A new artifact directory holding `manifest`.
  std::string artifactWith(const std::string &manifest,
                           const std::string &name) {
    std::string dir = directory_ + "/" + name;
    EXPECT_EQ(::mkdir(dir.c_str(), 0755), 0);
    writeText(dir + "/manifest.json", manifest);
    return dir;
  }

  std::shared_ptr<const Artifact> loadFake() {
    std::string error;
    std::shared_ptr<const Artifact> artifact =
        Artifact::load(kFakeArtifact, error);
    EXPECT_TRUE(artifact) << error;
    return artifact;
  }

  std::string directory_;
};

TEST_F(RuntimeTest, LoadsTheFakeArtifact) {
  auto artifact = loadFake();
  ASSERT_TRUE(artifact);
  const Manifest &manifest = artifact->manifest();
  EXPECT_EQ(manifest.target, "cpu");
  EXPECT_EQ(manifest.triple, "x86_64-pc-linux-gnu");
  EXPECT_EQ(manifest.cacheKey, "0123456789abcdef");
  ASSERT_EQ(artifact->entries().size(), 5u);
  EXPECT_EQ(artifact->entries()[0].spec->name, "add");
  EXPECT_NE(artifact->entries()[0].function, nullptr);
  EXPECT_EQ(artifact->findEntry("nowhere"), nullptr);

  const Artifact::Entry *add = artifact->findEntry("add");
  ASSERT_NE(add, nullptr);
  EXPECT_EQ(add->spec->workspaceBytes, 16u);
  ASSERT_TRUE(add->spec->memory);
  EXPECT_EQ(add->spec->memory->unplannedBytes, 16u);
  ASSERT_EQ(add->spec->arguments.size(), 2u);
  EXPECT_EQ(add->spec->arguments[1].name, "b");
  EXPECT_EQ(add->spec->arguments[1].role, ArgumentRole::Param);
  EXPECT_EQ(add->spec->arguments[1].byteSize, 16u);

  const EntrySpec *gather = manifest.findEntry("gather");
  ASSERT_NE(gather, nullptr);
  EXPECT_FALSE(gather->memory);
  const ResultSpec *hits = gather->findResult("hits");
  ASSERT_NE(hits, nullptr);
  EXPECT_EQ(hits->dtype, DType::I32);
  EXPECT_EQ(hits->balances, std::optional<std::string>("table"));
  EXPECT_FALSE(gather->findResult("out")->balances);

  const EntrySpec *step = manifest.findEntry("train_step");
  ASSERT_NE(step, nullptr);
  EXPECT_EQ(step->findArgument("exp_avg.w")->role, ArgumentRole::State);
  EXPECT_TRUE(step->findArgument("step")->shape.empty());
  EXPECT_EQ(step->findArgument("step")->numElements, 1);
  EXPECT_EQ(manifest.findEntry("shift")->arguments[0].byteSize, 0u);
  EXPECT_EQ(manifest.siteName(1), "fake.mlir:7:9: ds.div");
  EXPECT_TRUE(contains(manifest.siteName(7), "site #7"));
}

TEST_F(RuntimeTest, RunsAndReusesOutputs) {
  Executable executable(loadFake());
  std::vector<HostTensor> inputs;
  inputs.push_back(tensor(DType::F32, {4}, {1, 2, 3, 4}));
  inputs.push_back(tensor(DType::F32, {4}, {10, 20, 30, 40.5}));
  std::vector<HostTensor> outputs;
  std::string error;
  ASSERT_TRUE(executable.run("add", inputs, outputs, error)) << error;
  ASSERT_EQ(outputs.size(), 1u);
  EXPECT_EQ(outputs[0].dtype(), DType::F32);
  EXPECT_EQ(outputs[0].shape(), std::vector<int64_t>{4});
  EXPECT_EQ(outputs[0].toDoubles(), (std::vector<double>{11, 22, 33, 44.5}));
  EXPECT_EQ(executable.lastStatus().code, 0);

  // A second run writes into the same result buffer.
  const uint8_t *first = outputs[0].data();
  inputs[0] = tensor(DType::F32, {4}, {0, 0, 0, 1});
  ASSERT_TRUE(executable.run("add", inputs, outputs, error)) << error;
  EXPECT_EQ(outputs[0].data(), first);
  EXPECT_EQ(outputs[0].toDoubles(), (std::vector<double>{10, 20, 30, 41.5}));

  // An output passed back in as an input gets fresh memory, not itself.
  std::vector<const HostTensor *> aliased = {&outputs[0], &inputs[1]};
  ASSERT_TRUE(executable.run("add", aliased, outputs, error)) << error;
  EXPECT_NE(outputs[0].data(), first);
}

TEST_F(RuntimeTest, RunsByNameAndListsMissingNames) {
  Executable executable(loadFake());
  NamedTensors inputs;
  inputs.emplace("table", tensor(DType::F32, {5}, {0.5, 1.5, 2.5, 3.5, 4.5}));
  inputs.emplace("unrelated", tensor(DType::I8, {1}, {1}));
  std::vector<HostTensor> outputs;
  std::string error;
  EXPECT_FALSE(executable.runNamed("gather", inputs, outputs, error));
  EXPECT_EQ(error, "entry 'gather': missing arguments: indices");
  EXPECT_FALSE(executable.runNamed("divide", inputs, outputs, error));
  EXPECT_EQ(error, "entry 'divide': missing arguments: n, d");

  inputs.emplace("indices", tensor(DType::I64, {3}, {4, 0, 4}));
  ASSERT_TRUE(executable.runNamed("gather", inputs, outputs, error)) << error;
  ASSERT_EQ(outputs.size(), 2u);
  EXPECT_EQ(outputs[0].toDoubles(), (std::vector<double>{4.5, 0.5, 4.5}));
  EXPECT_EQ(outputs[1].toDoubles(), (std::vector<double>{1, 0, 0, 0, 2}));
}

TEST_F(RuntimeTest, RejectsBadCalls) {
  Executable executable(loadFake());
  std::vector<HostTensor> outputs;
  std::string error;
  std::vector<HostTensor> one;
  one.push_back(tensor(DType::F32, {4}, {1, 2, 3, 4}));
  EXPECT_FALSE(executable.run("add", one, outputs, error));
  EXPECT_EQ(error, "entry 'add' takes 2 arguments (a, b), got 1");

  std::vector<HostTensor> wrongDtype;
  wrongDtype.push_back(tensor(DType::F32, {4}, {1, 2, 3, 4}));
  wrongDtype.push_back(tensor(DType::F64, {4}, {1, 2, 3, 4}));
  EXPECT_FALSE(executable.run("add", wrongDtype, outputs, error));
  EXPECT_EQ(error,
            "entry 'add': argument 'b' (#1) expects F32 [4], got F64 [4]");

  std::vector<HostTensor> wrongShape;
  wrongShape.push_back(tensor(DType::F32, {2, 2}, {1, 2, 3, 4}));
  wrongShape.push_back(tensor(DType::F32, {4}, {1, 2, 3, 4}));
  EXPECT_FALSE(executable.run("add", wrongShape, outputs, error));
  EXPECT_EQ(error,
            "entry 'add': argument 'a' (#0) expects F32 [4], got F32 [2, 2]");

  std::vector<HostTensor> empty(2);
  EXPECT_FALSE(executable.run("add", empty, outputs, error));
  EXPECT_TRUE(contains(error, "argument 'a' (#0) is missing")) << error;

  EXPECT_FALSE(executable.run("nowhere", wrongShape, outputs, error));
  EXPECT_TRUE(contains(error, "no entry 'nowhere' (entries: add, gather, "
                              "divide, train_step, shift)"))
      << error;
  EXPECT_EQ(executable.lastStatus().code, 0);
}

TEST_F(RuntimeTest, ReportsRunTimeErrorsWithTheirSite) {
  Executable executable(loadFake());
  NamedTensors inputs;
  inputs.emplace("table", tensor(DType::F32, {5}, {0, 1, 2, 3, 4}));
  inputs.emplace("indices", tensor(DType::I64, {3}, {1, 1005, -3}));
  std::vector<HostTensor> outputs;
  std::string error;
  EXPECT_FALSE(executable.runNamed("gather", inputs, outputs, error));
  // The first failure wins.
  EXPECT_EQ(error, "run-time error in entry 'gather' at fake.mlir:3:5: "
                   "ds.gather: index 1005 out of range [0, 5)");
  EXPECT_EQ(executable.lastStatus().code, DS_STATUS_INDEX_OUT_OF_RANGE);
  EXPECT_EQ(executable.lastStatus().site, 0);
  EXPECT_EQ(executable.lastStatus().value, 1005);
  EXPECT_EQ(executable.lastStatus().bound, 5);

  // The status is zeroed before every run: a good run after a bad one passes.
  inputs.insert_or_assign("indices", tensor(DType::I64, {3}, {0, 1, 2}));
  EXPECT_TRUE(executable.runNamed("gather", inputs, outputs, error)) << error;
  EXPECT_EQ(executable.lastStatus().code, 0);

  std::vector<HostTensor> division;
  division.push_back(tensor(DType::I32, {2}, {7, 9}));
  division.push_back(tensor(DType::I32, {2}, {2, 0}));
  EXPECT_FALSE(executable.run("divide", division, outputs, error));
  EXPECT_EQ(error, "run-time error in entry 'divide' at fake.mlir:7:9: ds.div: "
                   "integer division by zero");

  ds_status unknown{42, 9, 3, 4};
  EXPECT_EQ(describeStatus(unknown, executable.artifact().manifest(), "e"),
            "run-time error in entry 'e' at site #9 (not in the manifest's 3 "
            "sites): error code 42 (value 3, bound 4)");
}

TEST_F(RuntimeTest, IteratesATrainStep) {
  Executable executable(loadFake());
  NamedTensors state;
  state.emplace("step", tensor(DType::I64, {}, {0}));
  state.emplace("w", tensor(DType::F32, {2}, {0, 0}));
  state.emplace("exp_avg.w", tensor(DType::F32, {2}, {0, 0}));
  state.emplace("x", tensor(DType::F32, {2}, {1, 2}));
  const EntrySpec &spec =
      *executable.artifact().manifest().findEntry("train_step");
  std::vector<HostTensor> outputs;
  std::string error;
  double expectedLoss = 5;
  for (int step = 1; step <= 3; ++step) {
    ASSERT_TRUE(executable.runNamed("train_step", state, outputs, error))
        << error;
    EXPECT_NEAR(outputs[0].at(0), expectedLoss, 1e-5 * expectedLoss);
    expectedLoss *= 0.64; // each step moves w 20% of the way to x
    for (size_t i = 1; i < outputs.size(); ++i)
      std::swap(outputs[i], state.find(spec.results[i].name)->second);
  }
  EXPECT_EQ(*state.at("step").dataAs<int64_t>(), 3);
  EXPECT_NEAR(state.at("w").at(1), 2 * (1 - 0.8 * 0.8 * 0.8), 1e-6);
}

TEST_F(RuntimeTest, HandlesEmptyTensorsAndScalars) {
  Executable executable(loadFake());
  std::vector<HostTensor> inputs;
  inputs.push_back(tensor(DType::F64, {0, 3}, {}));
  inputs.push_back(tensor(DType::F64, {}, {2.25}));
  std::vector<HostTensor> outputs;
  std::string error;
  ASSERT_TRUE(executable.run("shift", inputs, outputs, error)) << error;
  EXPECT_EQ(outputs[0].numElements(), 0);
  EXPECT_EQ(outputs[0].shape(), (std::vector<int64_t>{0, 3}));
  EXPECT_EQ(outputs[1].at(0), 3.25);
}

TEST_F(RuntimeTest, HostTensorsAreAlignedAndRoundTripExactly) {
  std::string error;
  for (int64_t size : {0, 1, 3, 100}) {
    std::optional<HostTensor> zeros =
        HostTensor::zeros(DType::BF16, {size}, error);
    ASSERT_TRUE(zeros) << error;
    EXPECT_EQ(reinterpret_cast<uintptr_t>(zeros->data()) % kBufferAlignment,
              0u);
    EXPECT_EQ(zeros->byteSize(), size_t(size) * 2);
  }
  EXPECT_FALSE(HostTensor::zeros(DType::F32, {2, -1}, error));
  EXPECT_EQ(error, "shape [2, -1] has a negative dimension");
  EXPECT_FALSE(HostTensor::zeros(DType::F32, {int64_t(1) << 62, 16}, error));
  EXPECT_TRUE(contains(error, "too many")) << error;
  EXPECT_TRUE(HostTensor::zeros(DType::F32, {int64_t(1) << 62, 16, 0}, error));
  float four[4] = {};
  EXPECT_FALSE(
      HostTensor::fromBytes(DType::F32, {3}, four, sizeof four, error));
  EXPECT_EQ(error, "F32 [3] needs 12 bytes, got 16");

  // Values double cannot hold (I64 beyond 2^53, a NaN payload) survive a
  // write and read through safetensors, because nothing decodes them.
  int64_t big[2] = {(int64_t(1) << 60) + 1, -7};
  uint32_t payload = 0x7fc12345u;
  std::optional<HostTensor> bigTensor =
      HostTensor::fromBytes(DType::I64, {2}, big, sizeof big, error);
  std::optional<HostTensor> nanTensor =
      HostTensor::fromBytes(DType::F32, {}, &payload, sizeof payload, error);
  ASSERT_TRUE(bigTensor && nanTensor) << error;
  std::string path = directory_ + "/raw.safetensors";
  ASSERT_TRUE(writeSafetensorsRaw(
      path, {bigTensor->toWrite("big"), nanTensor->toWrite("nan")}, {}, error))
      << error;
  auto reader = SafetensorsReader::open(path, error);
  ASSERT_TRUE(reader) << error;
  std::optional<HostTensor> bigBack =
      HostTensor::fromSafetensors(*reader, *reader->find("big"), error);
  std::optional<HostTensor> nanBack =
      HostTensor::fromSafetensors(*reader, *reader->find("nan"), error);
  ASSERT_TRUE(bigBack && nanBack) << error;
  EXPECT_TRUE(bigBack->sameTypeAs(*bigTensor));
  EXPECT_EQ(std::memcmp(bigBack->data(), big, sizeof big), 0);
  EXPECT_EQ(std::memcmp(nanBack->data(), &payload, sizeof payload), 0);
  std::optional<HostTensor> copy = bigBack->clone(error);
  ASSERT_TRUE(copy);
  EXPECT_NE(copy->data(), bigBack->data());
  EXPECT_EQ(copy->dataAs<int64_t>()[0], big[0]);
  HostTensor moved = std::move(*copy);
  EXPECT_TRUE(moved.valid());
  EXPECT_FALSE(copy->valid());
  EXPECT_EQ(copy->numElements(), 0);
  EXPECT_TRUE(copy->shape().empty());

  // The raw writer keeps the writer's checks.
  EXPECT_FALSE(writeSafetensorsRaw(
      path, {bigTensor->toWrite("x"), nanTensor->toWrite("x")}, {}, error));
  EXPECT_TRUE(contains(error, "duplicate tensor name 'x'")) << error;
  EXPECT_FALSE(
      writeSafetensorsRaw(path, {{"w", DType::F32, {2}, nullptr}}, {}, error));
}

TEST_F(RuntimeTest, LoadErrorsNameTheProblem) {
  std::string error;
  EXPECT_FALSE(Artifact::load(directory_ + "/absent", error));
  EXPECT_EQ(error, directory_ + "/absent: No such file or directory");
  writeText(directory_ + "/file", "x");
  EXPECT_FALSE(Artifact::load(directory_ + "/file", error));
  EXPECT_TRUE(contains(error, "not a directory")) << error;
  EXPECT_FALSE(Artifact::load(directory_, error));
  EXPECT_TRUE(contains(error, "no manifest.json")) << error;

  // A manifest that does not describe its library is refused before any
  // entry can run with buffers of the wrong sizes (the library's ds_abi).
  json manifest = fakeManifest();
  manifest["entries"][2]["symbol"] = "ds_entry_nowhere";
  EXPECT_FALSE(Artifact::load(artifactWith(manifest.dump(), "symbol"), error));
  EXPECT_TRUE(contains(error, "line 10 of the entry points' description: the "
                              "manifest has 'entry divide ds_entry_nowhere 0', "
                              "the library was compiled with 'entry divide "
                              "ds_entry_divide 0'"))
      << error;
  manifest = fakeManifest();
  manifest["entries"][0]["arguments"][1]["shape"] = {8};
  EXPECT_FALSE(Artifact::load(artifactWith(manifest.dump(), "shape"), error));
  EXPECT_TRUE(contains(error, "the manifest has 'arg b F32[8]', the library "
                              "was compiled with 'arg b F32[4]'"))
      << error;
  manifest = fakeManifest();
  manifest["entries"][0]["arguments"].erase(0);
  EXPECT_FALSE(Artifact::load(artifactWith(manifest.dump(), "dropped"), error));
  EXPECT_TRUE(contains(error, "does not describe")) << error;
  manifest = fakeManifest();
  manifest["entries"][3]["workspace_bytes"] = 8;
  EXPECT_FALSE(Artifact::load(artifactWith(manifest.dump(), "workspace"), error));
  EXPECT_TRUE(contains(error, "'entry train_step ds_entry_train_step 8'"))
      << error;
  manifest = fakeManifest();
  manifest["entries"].erase(4);
  EXPECT_FALSE(Artifact::load(artifactWith(manifest.dump(), "fewer"), error));
  EXPECT_TRUE(contains(error, "the manifest has '(nothing)', the library was "
                              "compiled with 'entry shift ds_entry_shift 0'"))
      << error;

  manifest = fakeManifest();
  manifest["library"] = "absent.so";
  std::string dir = artifactWith(manifest.dump(), "library");
  EXPECT_FALSE(Artifact::load(dir, error));
  EXPECT_EQ(error.rfind(dir + "/manifest.json: cannot load library: ", 0), 0u)
      << error;

  // A CUDA artifact without a GPU is refused with the reason (no driver,
  // no device, or a build without the CUDA backend). With a GPU, this
  // stand-in's CPU library is what fails.
  manifest = fakeManifest();
  manifest["target"] = "cuda";
  manifest["gpu"] = {{"chip", "sm_90"}};
  EXPECT_FALSE(Artifact::load(artifactWith(manifest.dump(), "cuda"), error));
  EXPECT_TRUE((contains(error, "a CUDA artifact (sm_90)") &&
               (contains(error, "needs a GPU: ") ||
                contains(error, "no CUDA backend"))) ||
              contains(error, "cannot load library") ||
              contains(error, "does not describe"))
      << error;

  manifest = fakeManifest();
  manifest["target"] = "tpu";
  EXPECT_FALSE(Artifact::load(artifactWith(manifest.dump(), "tpu"), error));
  EXPECT_TRUE(contains(error, "target: this runtime runs \"cpu\" and "
                              "\"cuda\" artifacts, got \"tpu\""))
      << error;

  // A copied manifest with the library by absolute path loads.
  EXPECT_TRUE(
      Artifact::load(artifactWith(fakeManifest().dump(), "good"), error))
      << error;
}

TEST_F(RuntimeTest, MalformedManifestsNameFileAndField) {
  const std::string path = "dir/manifest.json";
  std::string error;
  auto expectError = [&](const std::string &text, const std::string &expected) {
    error.clear();
    EXPECT_FALSE(Manifest::parse(text, path, error)) << expected;
    EXPECT_EQ(error.rfind(path + ": ", 0), 0u) << error;
    EXPECT_TRUE(contains(error, expected))
        << "expected '" << expected << "' in: " << error;
  };
  auto mutated = [&](const std::function<void(json &)> &change) {
    json manifest = fakeManifest();
    change(manifest);
    return manifest.dump();
  };

  expectError("", "not valid JSON");
  expectError("{\"format\": ", "not valid JSON");
  expectError("[1, 2]", "(top level): expected an object, got an array");
  expectError(mutated([](json &m) { m.erase("format"); }), ": format: missing");
  expectError(mutated([](json &m) { m["format"] = "onnx"; }),
              "format: expected \"ds-artifact\", got \"onnx\"");
  expectError(mutated([](json &m) { m["version"] = 2; }),
              "version: this runtime reads version 1, got 2");
  expectError(mutated([](json &m) { m["version"] = "1"; }),
              "version: expected a non-negative integer, got \"1\"");
  expectError(mutated([](json &m) { m["library"] = ""; }),
              "library: must not be empty");
  expectError(mutated([](json &m) { m["triple"] = 5; }),
              "triple: expected a string, got 5");
  expectError(mutated([](json &m) { m.erase("entries"); }), "entries: missing");
  expectError(mutated([](json &m) { m["entries"] = json::object(); }),
              "entries: expected an array, got an object");
  expectError(mutated([](json &m) { m["entries"] = json::array(); }),
              "entries: the artifact has no entry points");
  expectError(mutated([](json &m) { m["entries"][1] = 3; }),
              "entries[1]: expected an object, got 3");
  expectError(mutated([](json &m) { m["entries"][0].erase("name"); }),
              "entries[0].name: missing");
  expectError(mutated([](json &m) { m["entries"][0]["symbol"] = 12; }),
              "entries[0].symbol: expected a string, got 12");
  expectError(mutated([](json &m) { m["entries"][0]["symbol"] = "a b"; }),
              "entries[0].symbol: 'a b' is not a C identifier");
  expectError(
      mutated([](json &m) { m["entries"][0]["workspace_bytes"] = -16; }),
      "entries[0].workspace_bytes: must not be negative, got -16");
  expectError(
      mutated([](json &m) { m["entries"][0]["workspace_bytes"] = 1.5; }),
      "entries[0].workspace_bytes: expected a non-negative integer, "
      "got 1.5");
  expectError(
      mutated([](json &m) { m["entries"][0].erase("workspace_bytes"); }),
      "entries[0].workspace_bytes: missing");
  expectError(
      mutated([](json &m) { m["entries"][0]["memory"].erase("peak_bytes"); }),
      "entries[0].memory.peak_bytes: missing");
  expectError(mutated([](json &m) { m["entries"][0]["memory"] = "big"; }),
              "entries[0].memory: expected an object");
  expectError(mutated([](json &m) { m["entries"][1].erase("arguments"); }),
              "entries[1].arguments: missing");
  // JSON null reads as absent (runtime/io/JsonReader.h).
  expectError(mutated([](json &m) { m["entries"][1]["results"] = nullptr; }),
              "entries[1].results: missing");
  expectError(
      mutated([](json &m) { m["entries"][0]["arguments"][1]["shape"] = {-4}; }),
      "entries[0].arguments[1].shape[0]: must not be negative, got -4");
  expectError(
      mutated([](json &m) { m["entries"][0]["arguments"][1]["shape"] = "4"; }),
      "entries[0].arguments[1].shape: expected an array, got \"4\"");
  expectError(mutated([](json &m) {
                m["entries"][0]["arguments"][0]["shape"] = {2, "x"};
              }),
              "entries[0].arguments[0].shape[1]: expected a non-negative "
              "integer, got \"x\"");
  expectError(mutated([](json &m) {
                m["entries"][0]["arguments"][0]["shape"] = {int64_t(1) << 62,
                                                            int64_t(1) << 62};
              }),
              "entries[0].arguments[0].shape: shape [4611686018427387904, "
              "4611686018427387904] has too many elements");
  expectError(mutated([](json &m) {
                m["entries"][0]["arguments"][0]["shape"] = {
                    std::numeric_limits<uint64_t>::max()};
              }),
              "entries[0].arguments[0].shape[0]: value 18446744073709551615 "
              "is too large");
  expectError(mutated([](json &m) {
                m["entries"][0]["arguments"][0]["dtype"] = "F33";
              }),
              "entries[0].arguments[0].dtype: unknown dtype 'F33'");
  expectError(
      mutated([](json &m) { m["entries"][0]["arguments"][0].erase("dtype"); }),
      "entries[0].arguments[0].dtype: missing");
  expectError(mutated([](json &m) {
                m["entries"][0]["arguments"][0]["role"] = "weights";
              }),
              "entries[0].arguments[0].role: expected \"input\", \"param\" or "
              "\"state\", got \"weights\"");
  expectError(
      mutated([](json &m) { m["entries"][0]["arguments"][1]["name"] = "a"; }),
      "entries[0].arguments[1].name: duplicate name 'a'");
  expectError(
      mutated([](json &m) { m["entries"][1]["results"][1]["balances"] = 3; }),
      "entries[1].results[1].balances: expected a string, got 3");
  expectError(mutated([](json &m) { m["entries"][1]["name"] = "add"; }),
              "entries[1].name: duplicate name 'add'");
  expectError(
      mutated([](json &m) { m["entries"][1]["symbol"] = "ds_entry_add"; }),
      "entries[1].symbol: duplicate symbol 'ds_entry_add'");
  expectError(mutated([](json &m) {
                m["sites"] = {"a", 1};
              }),
              "sites[1]: expected a string, got 1");
  // A split tensor (ZeRO's blocks) needs ranks, and a dimension it has.
  expectError(mutated([](json &m) {
                m["entries"][0]["arguments"][0]["split_dim"] = 0;
              }),
              "entries[0].arguments[0].split_dim: a split tensor in an entry "
              "of one rank");
  expectError(mutated([](json &m) {
                m["entries"][0]["ranks"] = 2;
                m["entries"][0]["arguments"][0]["split_dim"] = 7;
              }),
              "entries[0].arguments[0].split_dim: dimension 7 of a rank-");
  expectError(mutated([](json &m) {
                m["entries"][0]["ranks"] = 2;
                m["entries"][0]["arguments"][0]["split_dim"] = -1;
              }),
              "entries[0].arguments[0].split_dim: must not be negative");

  // Optional fields may be absent; unknown ones are ignored.
  std::string minimal = mutated([](json &m) {
    for (const char *key : {"triple", "cpu", "cache_key", "source", "sites"})
      m.erase(key);
    m["entries"][0].erase("memory");
    m["future_field"] = {1, 2};
  });
  EXPECT_TRUE(Manifest::parse(minimal, path, error)) << error;
}

TEST_F(RuntimeTest, SplitTensorsKnowTheirWholeShape) {
  json manifest = fakeManifest();
  manifest["entries"][0]["ranks"] = 4;
  manifest["entries"][0]["arguments"][0]["split_dim"] = 0;
  std::string error;
  std::optional<Manifest> parsed =
      Manifest::parse(manifest.dump(), "m.json", error);
  ASSERT_TRUE(parsed) << error;
  const ArgumentSpec &split = parsed->entries[0].arguments[0];
  ASSERT_TRUE(split.splitDim);
  std::vector<int64_t> whole = split.shape;
  whole[0] *= 4;
  EXPECT_EQ(split.wholeShape(4), whole);
  EXPECT_EQ(parsed->entries[0].arguments[1].wholeShape(4),
            parsed->entries[0].arguments[1].shape);
  // The split is part of what the compiled code relies on.
  EXPECT_TRUE(contains(parsed->abiText(), " split 0\n"));
}

TEST_F(RuntimeTest, SplitAxesAreListedMajorToMinor) {
  // ZeRO's blocks of a tensor-parallel block on a [dp, tp] = [2, 2] grid:
  // split over [tp, dp] = [1, 0], rank (dp i, tp t) holds block 2 t + i.
  json manifest = fakeManifest();
  manifest["entries"][0]["ranks"] = 4;
  manifest["entries"][0]["grid"] = {2, 2};
  manifest["entries"][0]["arguments"][0]["split_dim"] = 0;
  manifest["entries"][0]["arguments"][0]["split_axes"] = {1, 0};
  std::string error;
  std::optional<Manifest> parsed =
      Manifest::parse(manifest.dump(), "m.json", error);
  ASSERT_TRUE(parsed) << error;
  const EntrySpec &entry = parsed->entries[0];
  const TensorSpec &split = entry.arguments[0];
  EXPECT_EQ(entry.blocks(split), 4);
  // Rank r is (r / 2, r % 2) = (dp, tp).
  EXPECT_EQ(entry.blockIndex(split, 0), 0);
  EXPECT_EQ(entry.blockIndex(split, 1), 2);
  EXPECT_EQ(entry.blockIndex(split, 2), 1);
  EXPECT_EQ(entry.blockIndex(split, 3), 3);
  manifest["entries"][0]["arguments"][0]["split_axes"] = {1, 1};
  EXPECT_FALSE(Manifest::parse(manifest.dump(), "m.json", error));
  EXPECT_TRUE(contains(error, "split_axes: grid axes must be distinct"))
      << error;
}

TEST_F(RuntimeTest, CorruptManifestsNeverCrash) {
  const std::string good = fakeManifest().dump(1);
  std::string error;
  for (size_t length = 0; length < good.size(); length += 7) {
    error.clear();
    EXPECT_FALSE(Manifest::parse(good.substr(0, length), "m.json", error));
    EXPECT_EQ(error.rfind("m.json: ", 0), 0u) << error;
  }
  std::mt19937 random(5);
  for (int trial = 0; trial < 500; ++trial) {
    std::string text = good;
    text[random() % text.size()] = char(random() % 128);
    error.clear();
    if (!Manifest::parse(text, "m.json", error))
      EXPECT_EQ(error.rfind("m.json: ", 0), 0u) << error;
  }
}

TEST_F(RuntimeTest, CApiLoadsListsAndRuns) {
  dsrt_artifact *artifact = dsrt_artifact_load(kFakeArtifact.c_str());
  ASSERT_NE(artifact, nullptr);
  ASSERT_EQ(dsrt_artifact_error(artifact), nullptr)
      << dsrt_artifact_error(artifact);
  ASSERT_EQ(dsrt_entry_count(artifact), 5u);
  EXPECT_STREQ(dsrt_entry_name(artifact, 3), "train_step");
  EXPECT_EQ(dsrt_entry_name(artifact, 5), nullptr);
  EXPECT_EQ(dsrt_entry_find(artifact, "gather"), 1);
  EXPECT_EQ(dsrt_entry_find(artifact, "nowhere"), -1);
  EXPECT_EQ(dsrt_entry_workspace_bytes(artifact, 0), 16u);
  EXPECT_EQ(dsrt_entry_argument_count(artifact, 1), 2u);
  EXPECT_EQ(dsrt_entry_result_count(artifact, 1), 2u);

  dsrt_tensor_info info;
  ASSERT_EQ(dsrt_entry_argument(artifact, 1, 1, &info), 0);
  EXPECT_STREQ(info.name, "indices");
  EXPECT_STREQ(info.dtype, "I64");
  EXPECT_STREQ(info.role, "input");
  EXPECT_EQ(info.balances, nullptr);
  ASSERT_EQ(info.rank, 1u);
  EXPECT_EQ(info.shape[0], 3);
  EXPECT_EQ(info.byte_size, 24u);
  ASSERT_EQ(dsrt_entry_result(artifact, 1, 1, &info), 0);
  EXPECT_STREQ(info.balances, "table");
  EXPECT_EQ(info.role, nullptr);
  EXPECT_EQ(dsrt_entry_result(artifact, 1, 2, &info), -1);
  ASSERT_EQ(dsrt_entry_argument(artifact, 3, 0, &info), 0);
  EXPECT_EQ(info.rank, 0u);
  EXPECT_EQ(info.shape, nullptr);
  EXPECT_EQ(info.num_elements, 1u);

  dsrt_executable *executable = dsrt_executable_create(artifact);
  ASSERT_NE(executable, nullptr);
  // The executable keeps the code loaded after the artifact handle is gone.
  dsrt_artifact_free(artifact);

  // Deliberately misaligned buffers: the runtime stages them, and the fake
  // model would report code 99 if it ever saw a misaligned pointer.
  alignas(64) float storage[3][8];
  float *a = storage[0] + 1, *b = storage[1] + 1, *c = storage[2] + 1;
  for (int i = 0; i < 4; ++i) {
    a[i] = float(i);
    b[i] = 0.5f;
  }
  const void *arguments[] = {a, b};
  void *results[] = {c};
  ASSERT_EQ(dsrt_run(executable, 0, arguments, 2, results, 1), DSRT_OK)
      << dsrt_last_error(executable);
  EXPECT_EQ(dsrt_last_error(executable), nullptr);
  EXPECT_EQ(c[3], 3.5f);

  EXPECT_EQ(dsrt_run(executable, 0, arguments, 1, results, 1), DSRT_ERROR_CALL);
  EXPECT_TRUE(contains(dsrt_last_error(executable),
                       "takes 2 arguments and 1 results, got 1 and 1"));
  EXPECT_EQ(dsrt_run(executable, 9, arguments, 2, results, 1), DSRT_ERROR_CALL);
  void *overlapping[] = {const_cast<float *>(a + 2)};
  EXPECT_EQ(dsrt_run(executable, 0, arguments, 2, overlapping, 1),
            DSRT_ERROR_CALL);
  EXPECT_TRUE(contains(dsrt_last_error(executable),
                       "result 'c' (#0) overlaps argument 'a' (#0)"))
      << dsrt_last_error(executable);
  const void *nullArgument[] = {a, nullptr};
  EXPECT_EQ(dsrt_run(executable, 0, nullArgument, 2, results, 1),
            DSRT_ERROR_CALL);

  float table[5] = {1, 2, 3, 4, 5};
  int64_t indices[3] = {0, 5, 1};
  float out[3];
  int32_t hits[5];
  const void *gatherArguments[] = {table, indices};
  void *gatherResults[] = {out, hits};
  EXPECT_EQ(dsrt_run(executable, 1, gatherArguments, 2, gatherResults, 2),
            DS_STATUS_INDEX_OUT_OF_RANGE);
  EXPECT_STREQ(dsrt_last_error(executable),
               "run-time error in entry 'gather' at fake.mlir:3:5: ds.gather: "
               "index 5 out of range [0, 5)");

  // Empty tensors may come as null pointers.
  double s = 1.0, t = 0.0;
  const void *shiftArguments[] = {nullptr, &s};
  void *shiftResults[] = {nullptr, &t};
  EXPECT_EQ(dsrt_run(executable, 4, shiftArguments, 2, shiftResults, 2),
            DSRT_OK)
      << dsrt_last_error(executable);
  EXPECT_EQ(t, 2.0);
  dsrt_executable_free(executable);

  dsrt_artifact *failed = dsrt_artifact_load((directory_ + "/absent").c_str());
  ASSERT_NE(failed, nullptr);
  ASSERT_NE(dsrt_artifact_error(failed), nullptr);
  EXPECT_TRUE(contains(dsrt_artifact_error(failed), "No such file"));
  EXPECT_EQ(dsrt_entry_count(failed), 0u);
  EXPECT_EQ(dsrt_executable_create(failed), nullptr);
  dsrt_artifact_free(failed);
  dsrt_artifact_free(nullptr);
  dsrt_executable_free(nullptr);
}

} // namespace
