//===- ds-data.cpp - Corpus to tokenizer and token shards -----------------===//
//
//   ds-data prepare CORPUS... -o DIR [--vocab-size=N] [--val-fraction=F]
//                   [--seed=S] [--tokenizer=MODEL]
//   ds-data info DIR
//
// `prepare` reads text files (a directory means every file under it, in
// name order), splits the lines into training and validation sets in blocks
// of 64 lines chosen by the seed, trains a SentencePiece BPE tokenizer on
// the training lines (or reuses --tokenizer), and writes DIR/tokenizer.model,
// DIR/train.tokens, DIR/val.tokens (runtime/data/TokenShard.h) and
// DIR/data.json, each atomically. data.json also records the unigram
// baseline: the validation loss (nats per token) of predicting every token
// by its training frequency, the number a trained model must beat.
// `info` validates a prepared directory and prints its summary.
//
//===----------------------------------------------------------------------===//

#include "runtime/data/AtomicFile.h"
#include "runtime/data/DataSummary.h"
#include "runtime/data/TokenShard.h"
#include "runtime/data/Tokenizer.h"
#include "tools/ToolArgs.h"


#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace ds::rt;
namespace fs = std::filesystem;

constexpr const char *kUsage =
    "usage: ds-data prepare CORPUS... -o DIR [options]\n"
    "       ds-data info DIR\n"
    "prepare options:\n"
    "  -o DIR, --output=DIR   where the tokenizer, shards and data.json go\n"
    "  --vocab-size=N         tokenizer vocabulary (default 2048, 260..65536)\n"
    "  --val-fraction=F       share of lines held out for validation\n"
    "                         (default 0.02, in (0, 0.5])\n"
    "  --seed=S               chooses the validation blocks (default 0)\n"
    "  --tokenizer=MODEL      use this SentencePiece model instead of "
    "training one\n";

constexpr int64_t kBlockLines = 64;

struct Options {
  std::vector<std::string> corpus;
  std::string output;
  int64_t vocabSize = 2048;
  double valFraction = 0.02;
  uint64_t seed = 0;
  std::string tokenizer;
};

int fail(const std::string &message) {
  std::fprintf(stderr, "ds-data: %s\n", message.c_str());
  return 1;
}

/// Every regular file `path` names, in a stable order.
bool listFiles(const std::string &path, std::vector<std::string> &files,
               std::string &error) {
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (ec || !fs::exists(status)) {
    error = path + ": no such file or directory";
    return false;
  }
  if (fs::is_regular_file(status)) {
    files.push_back(path);
    return true;
  }
  if (!fs::is_directory(status)) {
    error = path + ": not a file or directory";
    return false;
  }
  std::vector<std::string> found;
  for (auto it = fs::recursive_directory_iterator(path, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
    if (it->is_regular_file())
      found.push_back(it->path().string());
  if (ec) {
    error = path + ": cannot list: " + ec.message();
    return false;
  }
  std::sort(found.begin(), found.end());
  files.insert(files.end(), found.begin(), found.end());
  return true;
}

/// The non-blank lines of `files`, trimmed.
bool readLines(const std::vector<std::string> &files,
               std::vector<std::string> &lines, std::string &error) {
  for (const std::string &file : files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      error = file + ": cannot read";
      return false;
    }
    std::string line;
    int64_t number = 0;
    while (std::getline(in, line)) {
      ++number;
      if (line.find('\0') != std::string::npos) {
        error = file + ":" + std::to_string(number) +
                ": a NUL byte; this is not a text file";
        return false;
      }
      const size_t first = line.find_first_not_of(" \t\r\f\v");
      if (first == std::string::npos)
        continue;
      const size_t last = line.find_last_not_of(" \t\r\f\v");
      lines.push_back(line.substr(first, last - first + 1));
    }
  }
  return true;
}

uint64_t mix(uint64_t x) {
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

/// Unigram baseline: validation cross-entropy (nats per token) of the
/// training set's token frequencies, add-one smoothed.
double unigramLoss(const std::vector<uint32_t> &train,
                   const std::vector<uint32_t> &val, int vocabSize) {
  std::vector<double> counts(size_t(vocabSize), 1.0);
  for (uint32_t token : train)
    counts[token] += 1.0;
  const double total = double(train.size()) + double(vocabSize);
  double loss = 0.0;
  for (uint32_t token : val)
    loss -= std::log(counts[token] / total);
  return val.empty() ? 0.0 : loss / double(val.size());
}

int prepare(const Options &options) {
  if (options.corpus.empty())
    return fail("prepare: no corpus given\n" + std::string(kUsage));
  if (options.output.empty())
    return fail("prepare: no output directory (-o DIR)");
  if (options.vocabSize < Tokenizer::kMinVocabSize ||
      options.vocabSize > 65536)
    return fail("--vocab-size=" + std::to_string(options.vocabSize) +
                " is out of range [" +
                std::to_string(Tokenizer::kMinVocabSize) + ", 65536]");
  if (!(options.valFraction > 0.0 && options.valFraction <= 0.5))
    return fail("--val-fraction must be in (0, 0.5]");
  std::string error;
  std::vector<std::string> files;
  for (const std::string &path : options.corpus)
    if (!listFiles(path, files, error))
      return fail(error);
  std::vector<std::string> lines;
  if (!readLines(files, lines, error))
    return fail(error);
  if (lines.empty())
    return fail("the corpus (" + options.corpus.front() +
                (options.corpus.size() > 1 ? ", ..." : "") +
                ") holds no text: every line is blank");
  const int64_t blocks = (int64_t(lines.size()) + kBlockLines - 1) / kBlockLines;
  if (blocks < 2)
    return fail("the corpus is too small: " + std::to_string(lines.size()) +
                " lines, at least " + std::to_string(kBlockLines + 1) +
                " are needed to hold some out for validation");
  // Validation blocks: those whose hash falls under the fraction, and at
  // least one; never all.
  std::vector<bool> isVal(size_t(blocks), false);
  int64_t valBlocks = 0;
  for (int64_t b = 0; b < blocks; ++b) {
    const double u = double(mix(options.seed * 0x9e3779b97f4a7c15ull + uint64_t(b)) >> 11) *
                     0x1.0p-53;
    if (u < options.valFraction && valBlocks + 1 < blocks) {
      isVal[size_t(b)] = true;
      ++valBlocks;
    }
  }
  if (valBlocks == 0)
    isVal[size_t(mix(options.seed) % uint64_t(blocks))] = true;

  std::error_code ec;
  fs::create_directories(options.output, ec);
  if (ec)
    return fail(options.output + ": cannot create: " + ec.message());
  const std::string modelPath = options.output + "/tokenizer.model";
  if (options.tokenizer.empty()) {
    // The tokenizer learns from the training lines only.
    const std::string input = options.output + "/.tokenizer-input.txt";
    std::string text;
    for (size_t i = 0; i < lines.size(); ++i)
      if (!isVal[i / kBlockLines])
        text += lines[i] + "\n";
    if (!writeFileAtomically(input, text, error))
      return fail(error);
    TokenizerTrainingOptions training;
    training.vocabSize = int(options.vocabSize);
    const bool trained = Tokenizer::train({input}, modelPath, training, error);
    std::remove(input.c_str());
    if (!trained)
      return fail(error);
  } else {
    std::ifstream in(options.tokenizer, std::ios::binary);
    std::stringstream model;
    model << in.rdbuf();
    if (!in)
      return fail(options.tokenizer + ": cannot read the tokenizer model");
    if (!writeFileAtomically(modelPath, model.str(), error))
      return fail(error);
  }
  auto tokenizer = Tokenizer::load(modelPath, error);
  if (!tokenizer)
    return fail(error);
  std::vector<uint32_t> train, val;
  size_t valLines = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    valLines += isVal[i / kBlockLines] ? 1 : 0;
    std::vector<uint32_t> &out = isVal[i / kBlockLines] ? val : train;
    tokenizer->encodeLine(lines[i], out);
    out.push_back(uint32_t(tokenizer->eosId()));
  }
  const uint32_t vocab = uint32_t(tokenizer->vocabSize());
  if (!TokenShard::write(options.output + "/train.tokens", train, vocab, error) ||
      !TokenShard::write(options.output + "/val.tokens", val, vocab, error))
    return fail(error);
  const double baseline = unigramLoss(train, val, int(vocab));
  DataSummary summary;
  summary.vocabSize = vocab;
  summary.eosId = tokenizer->eosId();
  summary.trainTokens = int64_t(train.size());
  summary.valTokens = int64_t(val.size());
  summary.lines = int64_t(lines.size());
  summary.valFraction = options.valFraction;
  summary.seed = options.seed;
  summary.unigramValLoss = baseline;
  summary.corpus = files;
  if (!summary.write(options.output, error))
    return fail(error);
  std::printf("ds-data: %zu lines from %zu file(s) -> %s\n"
              "  tokenizer: %u pieces (BPE)%s\n"
              "  train: %zu tokens, val: %zu tokens (%.1f %% of lines)\n"
              "  unigram baseline: %.4f nats/token on val\n",
              lines.size(), files.size(), options.output.c_str(), vocab,
              options.tokenizer.empty() ? "" : ", reused",
              train.size(), val.size(),
              100.0 * double(valLines) / double(lines.size()),
              baseline);
  return 0;
}

int info(const std::string &directory) {
  DataSummary summary;
  std::string error;
  if (!DataSummary::read(directory, summary, error))
    return fail(error);
  auto tokenizer = Tokenizer::load(directory + "/tokenizer.model", error);
  if (!tokenizer)
    return fail(error);
  for (const char *split : {"train", "val"}) {
    auto shard = TokenShard::open(directory + "/" + split + ".tokens", error);
    if (!shard)
      return fail(error);
    if (shard->vocabSize() != uint32_t(tokenizer->vocabSize()))
      return fail(shard->path() + ": vocabulary " +
                  std::to_string(shard->vocabSize()) +
                  " differs from the tokenizer's " +
                  std::to_string(tokenizer->vocabSize()));
    std::printf("%s: %llu tokens\n", split,
                static_cast<unsigned long long>(shard->size()));
  }
  std::printf("tokenizer: %d pieces\nunigram baseline: %.4f nats/token\n",
              tokenizer->vocabSize(),
              summary.unigramValLoss);
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 2 || std::string_view(argv[1]) == "--help" ||
      std::string_view(argv[1]) == "-h") {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 1 : 0;
  }
  const std::string command = argv[1];
  if (command == "info") {
    if (argc != 3)
      return fail("info takes one directory\n" + std::string(kUsage));
    return info(argv[2]);
  }
  if (command != "prepare")
    return fail("unknown command '" + command + "'\n" + kUsage);
  Options options;
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](std::string_view flag) -> std::string {
      return arg.substr(flag.size());
    };
    if (arg == "-o" && i + 1 < argc)
      options.output = argv[++i];
    else if (arg.rfind("--output=", 0) == 0)
      options.output = value("--output=");
    else if (arg.rfind("--vocab-size=", 0) == 0) {
      if (!ds::tools::parseInteger(value("--vocab-size="), options.vocabSize))
        return fail("--vocab-size needs an integer, got '" +
                    value("--vocab-size=") + "'");
    } else if (arg.rfind("--val-fraction=", 0) == 0) {
      if (!ds::tools::parseReal(value("--val-fraction="), options.valFraction))
        return fail("--val-fraction needs a number, got '" +
                    value("--val-fraction=") + "'");
    } else if (arg.rfind("--seed=", 0) == 0) {
      if (!ds::tools::parseInteger(value("--seed="), options.seed))
        return fail("--seed needs a non-negative integer, got '" +
                    value("--seed=") + "'");
    } else if (arg.rfind("--tokenizer=", 0) == 0)
      options.tokenizer = value("--tokenizer=");
    else if (!arg.empty() && arg[0] == '-')
      return fail("unknown option '" + arg + "'\n" + kUsage);
    else
      options.corpus.push_back(arg);
  }
  return prepare(options);
}
