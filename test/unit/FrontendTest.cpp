//===- FrontendTest.cpp - parameter names, initialisation, the builder ----===//

#include "dialects/ds/DsDialect.h"
#include "runtime/io/ParamNamePattern.h"
#include "dialects/ds/reference/Interpreter.h"
#include "frontend/builder/ModelBuilder.h"
#include "frontend/config/ModelConfig.h"
#include "frontend/weights/Weights.h"
#include "test/unit/TestPaths.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>

using ds::rt::ParamNamePattern;

namespace {

TEST(ParamNamePattern, ExpandsRangesInRowMajorOrder) {
  ParamNamePattern pattern;
  std::string error;
  ASSERT_TRUE(ParamNamePattern::parse(
      "model.layers.[1:4].mlp.experts.[0:16].up_proj.weight", pattern, error));
  EXPECT_EQ(pattern.numStackedDims(), 2u);
  EXPECT_EQ(pattern.extent(0), 3);
  EXPECT_EQ(pattern.extent(1), 16);
  EXPECT_EQ(pattern.numSlices(), 48);
  EXPECT_EQ(pattern.expandFlat(0), "model.layers.1.mlp.experts.0.up_proj.weight");
  EXPECT_EQ(pattern.expandFlat(17), "model.layers.2.mlp.experts.1.up_proj.weight");
  EXPECT_EQ(pattern.expand({2, 15}), "model.layers.3.mlp.experts.15.up_proj.weight");
}

TEST(ParamNamePattern, PlainNamesHaveOneSlice) {
  ParamNamePattern pattern;
  std::string error;
  ASSERT_TRUE(ParamNamePattern::parse("model.norm.weight", pattern, error));
  EXPECT_EQ(pattern.numStackedDims(), 0u);
  EXPECT_EQ(pattern.numSlices(), 1);
  EXPECT_EQ(pattern.expandFlat(0), "model.norm.weight");
}

TEST(ParamNamePattern, RejectsMalformedRanges) {
  ParamNamePattern pattern;
  std::string error;
  for (const char *bad : {"a.[1:1].b", "a.[2:1].b", "a.[1].b", "a.[x:2].b",
                          "a.[1:2.b", "a.]"}) {
    EXPECT_FALSE(ParamNamePattern::parse(bad, pattern, error)) << bad;
    EXPECT_FALSE(error.empty()) << bad;
  }
}

class BuiltModel : public ::testing::Test {
protected:
  void build(const std::string &configPath) {
    std::string error;
    ASSERT_TRUE(ds::config::loadModelConfig(configPath, config, error)) << error;
    module = ds::frontend::buildModel(context, config);
    ASSERT_TRUE(module);
    ASSERT_TRUE(mlir::succeeded(mlir::verify(*module)));
    forward = module->lookupSymbol<mlir::func::FuncOp>("forward");
    ASSERT_TRUE(forward);
  }

  mlir::MLIRContext context;
  ds::config::ModelConfig config;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  mlir::func::FuncOp forward;
};

TEST_F(BuiltModel, InitialisationIsDeterministicAndPerSlice) {
  build(DS_SOURCE_DIR "/models/tiny-moe.textproto");
  std::vector<ds::frontend::ParameterInfo> parameters =
      ds::frontend::listParameters(forward);
  ASSERT_FALSE(parameters.empty());
  const ds::frontend::ParameterInfo *experts = nullptr;
  for (const auto &parameter : parameters)
    if (parameter.name.find("experts.[0:16].up_proj") != std::string::npos)
      experts = &parameter;
  ASSERT_TRUE(experts);
  ds::frontend::Tensor a = ds::frontend::initializeParameter(*experts, 7);
  ds::frontend::Tensor b = ds::frontend::initializeParameter(*experts, 7);
  ds::frontend::Tensor c = ds::frontend::initializeParameter(*experts, 8);
  EXPECT_EQ(a.values, b.values);
  EXPECT_NE(a.values, c.values);
  // normal(0, 0.02): the sample statistics are close.
  double sum = 0, squares = 0;
  for (double v : a.values) {
    sum += v;
    squares += v * v;
  }
  double n = static_cast<double>(a.values.size());
  EXPECT_NEAR(sum / n, 0.0, 1e-3);
  EXPECT_NEAR(std::sqrt(squares / n), 0.02, 1e-3);
  // Slices draw from their own streams: two experts differ.
  size_t slice = a.values.size() / 48;
  EXPECT_NE(std::vector<double>(a.values.begin(), a.values.begin() + slice),
            std::vector<double>(a.values.begin() + slice,
                                a.values.begin() + 2 * slice));
}

TEST_F(BuiltModel, DepthDoesNotChangeTheFunctions) {
  build(DS_SOURCE_DIR "/models/tiny-moe.textproto");
  size_t opsAt4 = 0;
  module->walk([&](mlir::Operation *) { ++opsAt4; });
  config.set_num_hidden_layers(40);
  module = ds::frontend::buildModel(context, config);
  ASSERT_TRUE(mlir::succeeded(mlir::verify(*module)));
  size_t opsAt40 = 0;
  module->walk([&](mlir::Operation *) { ++opsAt40; });
  EXPECT_EQ(opsAt4, opsAt40);
}

TEST_F(BuiltModel, InitialisedTinyDenseLossIsNearUniform) {
  build(DS_SOURCE_DIR "/models/tiny-dense.textproto");
  auto loss = module->lookupSymbol<mlir::func::FuncOp>("loss");
  ASSERT_TRUE(loss);
  std::vector<ds::frontend::Tensor> arguments(loss.getNumArguments());
  for (const auto &parameter : ds::frontend::listParameters(loss))
    arguments[parameter.argIndex] =
        ds::frontend::initializeParameter(parameter, 1);
  int64_t batch = config.shape().batch_size(), seq = config.shape().seq_len();
  ds::frontend::Tensor tokens(ds::frontend::ElementKind::I32, {batch, seq});
  for (size_t i = 0; i < tokens.values.size(); ++i)
    tokens.values[i] = static_cast<double>((i * 37 + 11) % config.vocab_size());
  ds::frontend::Tensor targets = tokens;
  for (double &t : targets.values)
    t = std::fmod(t + 1, static_cast<double>(config.vocab_size()));
  arguments[0] = tokens;
  arguments[1] = targets;
  auto results = mlir::ds::reference::interpret(loss, arguments);
  ASSERT_TRUE(mlir::succeeded(results));
  // Small random weights give nearly uniform predictions: ln(vocab).
  EXPECT_NEAR((*results)[0].values[0], std::log(512.0), 0.1);
}

/// Runs @decode position by position over the tokens @forward sees at once,
/// threading the caches through, in f64 in the reference interpreter: the
/// logits at every position must be @forward's (the KV cache, the absorbed
/// MLA projections and the key-length mask change only the order of the
/// arithmetic). Then @prefill, whole and for a padded half prompt followed
/// by decoding.
void expectDecodeMatchesForward(mlir::ModuleOp module,
                                const ds::config::ModelConfig &config) {
  using ds::frontend::ElementKind;
  using ds::frontend::Tensor;
  auto forward = module.lookupSymbol<mlir::func::FuncOp>("forward");
  auto decode = module.lookupSymbol<mlir::func::FuncOp>("decode");
  ASSERT_TRUE(forward && decode);
  const int64_t B = config.shape().batch_size(), T = config.shape().seq_len(),
                V = config.vocab_size();

  // Weights 4x their initial scale, so attention is far from uniform.
  std::map<std::string, Tensor> weights;
  for (const auto &parameter : ds::frontend::listParameters(forward)) {
    Tensor value = ds::frontend::initializeParameter(parameter, 3);
    for (double &x : value.values)
      x *= 4.0;
    weights[parameter.name] = value;
  }
  Tensor tokens(ElementKind::I32, {B, T});
  for (size_t i = 0; i < tokens.values.size(); ++i)
    tokens.values[i] = double((i * 7919 + 13) % uint64_t(V));

  std::vector<Tensor> arguments(forward.getNumArguments());
  arguments[0] = tokens;
  for (const auto &parameter : ds::frontend::listParameters(forward))
    arguments[parameter.argIndex] = weights.at(parameter.name);
  auto full = mlir::ds::reference::interpret(forward, arguments);
  ASSERT_TRUE(mlir::succeeded(full));
  const Tensor &logits = (*full)[0];

  // @decode's arguments: tokens, position, caches (zeros), parameters.
  std::vector<Tensor> state(decode.getNumArguments());
  for (const auto &parameter : ds::frontend::listParameters(decode))
    state[parameter.argIndex] = weights.at(parameter.name);
  std::vector<unsigned> cacheArguments;
  for (unsigned i = 0; i < decode.getNumArguments(); ++i) {
    auto name = decode.getArgAttrOfType<mlir::StringAttr>(
        i, mlir::ds::kNameAttrName);
    if (!name || !name.getValue().starts_with("cache."))
      continue;
    auto type = llvm::cast<mlir::RankedTensorType>(decode.getArgumentTypes()[i]);
    state[i] = Tensor(ElementKind::F64, std::vector<int64_t>(type.getShape()));
    cacheArguments.push_back(i);
  }
  ASSERT_EQ(decode.getNumResults(), 1 + cacheArguments.size());
  // Decodes positions [from, T) from the caches in `state`, checking each
  // step's logits against @forward's at that position.
  auto decodeFrom = [&](int64_t from) {
    for (int64_t position = from; position < T; ++position) {
      SCOPED_TRACE("position " + std::to_string(position));
      state[0] = Tensor(ElementKind::I32, {B, 1});
      for (int64_t b = 0; b < B; ++b)
        state[0].values[b] = tokens.values[b * T + position];
      state[1] = Tensor(ElementKind::I32, {}, {double(position)});
      auto step = mlir::ds::reference::interpret(decode, state);
      ASSERT_TRUE(mlir::succeeded(step));
      Tensor want(ElementKind::F64, {B, 1, V});
      for (int64_t b = 0; b < B; ++b)
        std::copy_n(&logits.values[(b * T + position) * V], V,
                    &want.values[b * V]);
      EXPECT_LT(mlir::ds::reference::relativeError((*step)[0], want), 1e-10);
      for (size_t c = 0; c < cacheArguments.size(); ++c)
        state[cacheArguments[c]] = (*step)[1 + c];
    }
  };
  decodeFrom(0);

  // @prefill from position 0: all T positions in one call give @forward's
  // logits and the caches T decoding steps leave.
  auto prefill = module.lookupSymbol<mlir::func::FuncOp>("prefill");
  ASSERT_TRUE(prefill);
  ASSERT_EQ(prefill.getNumArguments(), decode.getNumArguments());
  std::vector<Tensor> prefillArguments = state;
  prefillArguments[0] = tokens;
  prefillArguments[1] = Tensor(ElementKind::I32, {}, {0.0});
  for (unsigned index : cacheArguments)
    prefillArguments[index] = Tensor(ElementKind::F64, state[index].shape);
  auto all = mlir::ds::reference::interpret(prefill, prefillArguments);
  ASSERT_TRUE(mlir::succeeded(all));
  EXPECT_LT(mlir::ds::reference::relativeError((*all)[0], logits), 1e-10);
  for (size_t c = 0; c < cacheArguments.size(); ++c)
    EXPECT_LT(mlir::ds::reference::relativeError((*all)[1 + c],
                                                 state[cacheArguments[c]]),
              1e-10);

  // A prompt of T/2 tokens padded to T, then decoding: the padding's cache
  // rows are overwritten before any query sees them.
  const int64_t prompt = T / 2;
  for (int64_t b = 0; b < B; ++b)
    for (int64_t t = prompt; t < T; ++t)
      prefillArguments[0].values[b * T + t] = 1.0;
  for (unsigned index : cacheArguments)
    prefillArguments[index] = Tensor(ElementKind::F64, state[index].shape);
  all = mlir::ds::reference::interpret(prefill, prefillArguments);
  ASSERT_TRUE(mlir::succeeded(all));
  for (size_t c = 0; c < cacheArguments.size(); ++c)
    state[cacheArguments[c]] = (*all)[1 + c];
  SCOPED_TRACE("after a padded prefill");
  decodeFrom(prompt);
}

TEST_F(BuiltModel, DeepSeekDecodeMatchesForward) {
  for (const char *model : {"tiny-moe", "tiny-dense"}) {
    SCOPED_TRACE(model);
    build(std::string(DS_SOURCE_DIR "/models/") + model + ".textproto");
    config.set_dtype(ds::config::F64);
    config.mutable_shape()->set_seq_len(12);
    module = ds::frontend::buildModel(context, config);
    ASSERT_TRUE(mlir::succeeded(mlir::verify(*module)));
    expectDecodeMatchesForward(*module, config);
  }
}

/// gpt-10m's config at a size the interpreter runs quickly, in f64.
void shrinkGpt2(ds::config::ModelConfig &config, int64_t layers,
                int64_t seqLen) {
  config.set_dtype(ds::config::F64);
  config.set_vocab_size(256);
  config.set_hidden_size(64);
  config.set_intermediate_size(256);
  config.set_num_hidden_layers(layers);
  config.set_num_attention_heads(4);
  config.mutable_shape()->set_batch_size(2);
  config.mutable_shape()->set_seq_len(seqLen);
}

TEST_F(BuiltModel, Gpt2DecodeMatchesForward) {
  build(DS_SOURCE_DIR "/models/gpt-10m.textproto");
  shrinkGpt2(config, /*layers=*/2, /*seqLen=*/12);
  module = ds::frontend::buildModel(context, config);
  ASSERT_TRUE(mlir::succeeded(mlir::verify(*module)));
  expectDecodeMatchesForward(*module, config);
}

} // namespace

/// The forward logits of `module` in f64 for fixed tokens and weights 4x
/// their initial scale (so attention is far from uniform).
std::vector<double> forwardLogits(mlir::ModuleOp module) {
  using ds::frontend::ElementKind;
  using ds::frontend::Tensor;
  auto forward = module.lookupSymbol<mlir::func::FuncOp>("forward");
  std::vector<Tensor> arguments(forward.getNumArguments());
  auto tokensType =
      llvm::cast<mlir::RankedTensorType>(forward.getArgumentTypes()[0]);
  Tensor tokens(ElementKind::I32, std::vector<int64_t>(tokensType.getShape()));
  for (size_t i = 0; i < tokens.values.size(); ++i)
    tokens.values[i] = double((i * 7919 + 13) % 64);
  arguments[0] = tokens;
  for (const auto &parameter : ds::frontend::listParameters(forward)) {
    Tensor value = ds::frontend::initializeParameter(parameter, 3);
    for (double &x : value.values)
      x *= 4.0;
    arguments[parameter.argIndex] = value;
  }
  auto results = mlir::ds::reference::interpret(forward, arguments);
  EXPECT_TRUE(mlir::succeeded(results));
  return mlir::succeeded(results) ? (*results)[0].values
                                  : std::vector<double>();
}

/// Hybrid attention: sliding-window and global layers. One function per
/// layer kind, a block function for the repeating pattern, IR independent
/// of depth; the window changes exactly the positions it should; decoding
/// with the KV cache honours it.
TEST_F(BuiltModel, HybridAttentionDeepSeek) {
  build(DS_SOURCE_DIR "/models/tiny-hybrid.textproto");
  for (const char *name : {"mla", "mla_sliding", "dense_layer_sliding",
                           "moe_layer", "moe_layer_sliding", "moe_layer_block"})
    EXPECT_TRUE(module->lookupSymbol<mlir::func::FuncOp>(name)) << name;
  EXPECT_FALSE(module->lookupSymbol<mlir::func::FuncOp>("dense_layer"));
  size_t ops = 0, scans = 0;
  module->walk([&](mlir::Operation *op) {
    ++ops;
    scans += llvm::isa<mlir::ds::ScanOp>(op);
  });
  // Four times the depth, the same pattern: the same IR.
  ds::config::ModelConfig deeper = config;
  deeper.set_num_hidden_layers(1 + 24);
  deeper.clear_layer_types();
  deeper.add_layer_types(ds::config::SLIDING_ATTENTION);
  for (int block = 0; block < 8; ++block)
    for (auto kind : {ds::config::SLIDING_ATTENTION,
                      ds::config::SLIDING_ATTENTION,
                      ds::config::FULL_ATTENTION})
      deeper.add_layer_types(kind);
  auto deep = ds::frontend::buildModel(context, deeper);
  ASSERT_TRUE(mlir::succeeded(mlir::verify(*deep)));
  size_t deepOps = 0, deepScans = 0;
  deep->walk([&](mlir::Operation *op) {
    ++deepOps;
    deepScans += llvm::isa<mlir::ds::ScanOp>(op);
  });
  EXPECT_EQ(ops, deepOps);
  EXPECT_EQ(scans, deepScans);

  // In f64 with 12 positions and a window of 8: the windowed model's logits
  // are the full-attention model's at positions 0-7 and differ after.
  config.set_dtype(ds::config::F64);
  config.mutable_shape()->set_seq_len(12);
  module = ds::frontend::buildModel(context, config);
  ASSERT_TRUE(mlir::succeeded(mlir::verify(*module)));
  ds::config::ModelConfig full = config;
  full.clear_sliding_window();
  full.clear_layer_types();
  auto fullModule = ds::frontend::buildModel(context, full);
  std::vector<double> windowed = forwardLogits(*module),
                      global = forwardLogits(*fullModule);
  ASSERT_EQ(windowed.size(), global.size());
  const int64_t B = config.shape().batch_size(), T = 12, V = config.vocab_size();
  for (int64_t b = 0; b < B; ++b)
    for (int64_t t = 0; t < T; ++t) {
      double difference = 0, norm = 0;
      for (int64_t v = 0; v < V; ++v) {
        size_t i = size_t((b * T + t) * V + v);
        difference += std::abs(windowed[i] - global[i]);
        norm += std::abs(global[i]);
      }
      if (t < 8)
        EXPECT_LT(difference, 1e-12 * norm) << "position " << t;
      else
        EXPECT_GT(difference, 1e-3 * norm) << "position " << t;
    }
  expectDecodeMatchesForward(*module, config);
}

TEST_F(BuiltModel, HybridAttentionGpt2) {
  build(DS_SOURCE_DIR "/models/gpt-10m.textproto");
  shrinkGpt2(config, /*layers=*/4, /*seqLen=*/10);
  config.set_sliding_window(4);
  for (auto kind : {ds::config::SLIDING_ATTENTION, ds::config::FULL_ATTENTION,
                    ds::config::SLIDING_ATTENTION, ds::config::FULL_ATTENTION})
    config.add_layer_types(kind);
  module = ds::frontend::buildModel(context, config);
  ASSERT_TRUE(mlir::succeeded(mlir::verify(*module)));
  for (const char *name : {"attention", "attention_sliding", "block",
                           "block_sliding", "layers_block"})
    EXPECT_TRUE(module->lookupSymbol<mlir::func::FuncOp>(name)) << name;
  expectDecodeMatchesForward(*module, config);
}
