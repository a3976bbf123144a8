//===- Tokenizer.cpp - SentencePiece tokenization -------------------------===//

#include "runtime/data/Tokenizer.h"

#include "runtime/data/AtomicFile.h"

#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace ds::rt {

struct Tokenizer::Impl {
  sentencepiece::SentencePieceProcessor processor;
};

Tokenizer::Tokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Tokenizer::~Tokenizer() = default;

std::unique_ptr<Tokenizer> Tokenizer::load(const std::string &path,
                                           std::string &error) {
  std::ifstream probe(path, std::ios::binary);
  if (!probe) {
    error = path + ": cannot open the tokenizer model";
    return nullptr;
  }
  auto impl = std::make_unique<Impl>();
  const auto status = impl->processor.Load(path);
  if (!status.ok()) {
    error = path + ": not a SentencePiece model: " + status.ToString();
    return nullptr;
  }
  if (impl->processor.eos_id() < 0) {
    error = path + ": the tokenizer model has no end-of-sentence piece";
    return nullptr;
  }
  return std::unique_ptr<Tokenizer>(new Tokenizer(std::move(impl)));
}

bool Tokenizer::train(const std::vector<std::string> &inputs,
                      const std::string &modelPath,
                      const TokenizerTrainingOptions &options,
                      std::string &error) {
  if (inputs.empty()) {
    error = "no text to train the tokenizer on";
    return false;
  }
  if (options.vocabSize < kMinVocabSize) {
    error = "vocabulary size " + std::to_string(options.vocabSize) +
            " is too small (at least " + std::to_string(kMinVocabSize) +
            ": 256 byte pieces, 3 control pieces, and each character)";
    return false;
  }
  std::string inputList;
  for (const std::string &input : inputs)
    inputList += (inputList.empty() ? "" : ",") + input;
  // Trained under a temporary prefix, then renamed: SentencePiece writes
  // its files in place.
  const std::string prefix =
      modelPath + ".training." + std::to_string(static_cast<long>(getpid()));
  std::ostringstream args;
  args << "--input=" << inputList << " --model_prefix=" << prefix
       << " --model_type=bpe --vocab_size=" << options.vocabSize
       << " --character_coverage=1.0 --byte_fallback=true"
       << " --num_threads=" << options.threads
       << " --minloglevel=2 --unk_id=0 --bos_id=1 --eos_id=2 --pad_id=-1";
  if (options.sampleLines > 0)
    args << " --input_sentence_size=" << options.sampleLines
         << " --shuffle_input_sentence=true";
  const auto status = sentencepiece::SentencePieceTrainer::Train(args.str());
  auto cleanUp = [&] {
    std::remove((prefix + ".model").c_str());
    std::remove((prefix + ".vocab").c_str());
  };
  if (!status.ok()) {
    cleanUp();
    error = "training the tokenizer failed: " + status.ToString();
    return false;
  }
  std::remove((prefix + ".vocab").c_str());
  if (std::rename((prefix + ".model").c_str(), modelPath.c_str()) != 0) {
    cleanUp();
    error = modelPath + ": cannot move the trained tokenizer into place";
    return false;
  }
  return syncParentDirectory(modelPath, error);
}

int Tokenizer::vocabSize() const { return impl_->processor.GetPieceSize(); }

int Tokenizer::eosId() const { return impl_->processor.eos_id(); }

void Tokenizer::encodeLine(std::string_view line,
                           std::vector<uint32_t> &ids) const {
  std::vector<int> pieces;
  // Encoding a loaded model cannot fail on any byte string (byte fallback).
  (void)impl_->processor.Encode(line, &pieces);
  for (int id : pieces)
    ids.push_back(uint32_t(id));
}

std::string Tokenizer::decode(std::span<const int32_t> ids) const {
  std::string text;
  std::vector<int> line;
  auto flush = [&] {
    std::string piece;
    (void)impl_->processor.Decode(line, &piece);
    text += piece;
    line.clear();
  };
  for (int32_t id : ids) {
    if (id == eosId()) {
      flush();
      text += '\n';
    } else if (id >= 0 && id < vocabSize()) {
      line.push_back(id);
    }
  }
  flush();
  return text;
}

std::string Tokenizer::decodeNext(std::span<const int32_t> previous,
                                  int32_t id) const {
  // The text of the current line before and after the new id: decoding a
  // piece alone would lose the space SentencePiece marks at word starts.
  size_t lineStart = previous.size();
  while (lineStart > 0 && previous[lineStart - 1] != eosId())
    --lineStart;
  std::span<const int32_t> line = previous.subspan(lineStart);
  if (id == eosId())
    return "\n";
  std::vector<int32_t> extended(line.begin(), line.end());
  const std::string before = decode(extended);
  extended.push_back(id);
  const std::string after = decode(extended);
  return after.size() >= before.size() &&
                 after.compare(0, before.size(), before) == 0
             ? after.substr(before.size())
             : after;
}

} // namespace ds::rt
