//===- Tokenizer.h - SentencePiece tokenization -----------------*- C++ -*-===//
//
// Text to token ids and back through a SentencePiece model (BPE), and the
// training of such a model on a corpus. SentencePiece stays behind this
// interface (and in its own library, DSTokenizer): Debian's libsentencepiece
// carries its own protobuf, which aborts any process that also links the
// compiler's protobuf, so only runtime tools link it.
//
// Lines: the corpus is tokenized one line at a time and every line ends
// with the end-of-sentence id (`eos`), which decode() turns back into a
// newline. That keeps verse and paragraph structure visible to the model
// without a newline piece SentencePiece's normalizer would drop.
//
//===----------------------------------------------------------------------===//

#ifndef DS_RUNTIME_DATA_TOKENIZER_H
#define DS_RUNTIME_DATA_TOKENIZER_H

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ds::rt {

struct TokenizerTrainingOptions {
  int vocabSize = 2048;
  /// Sentences (lines) sampled for training; 0 = all.
  int64_t sampleLines = 0;
  int threads = 2;
};

class Tokenizer {
public:
  /// Byte fallback (any text encodes, nothing maps to unknown) takes 256
  /// pieces; with the control pieces and each distinct character of the
  /// corpus, smaller vocabularies cannot be trained.
  static constexpr int kMinVocabSize = 260;

  /// Loads a SentencePiece model file. On failure returns null and sets
  /// `error`.
  static std::unique_ptr<Tokenizer> load(const std::string &path,
                                         std::string &error);

  /// Trains a BPE model on the text files `inputs` and writes it to
  /// `modelPath` atomically (a failed run leaves no file behind and any old
  /// one untouched). Returns false and sets `error` on failure.
  static bool train(const std::vector<std::string> &inputs,
                    const std::string &modelPath,
                    const TokenizerTrainingOptions &options,
                    std::string &error);

  ~Tokenizer();
  Tokenizer(const Tokenizer &) = delete;
  Tokenizer &operator=(const Tokenizer &) = delete;

  int vocabSize() const;
  int eosId() const;
  /// Appends the ids of one line of text (without the eos).
  void encodeLine(std::string_view line, std::vector<uint32_t> &ids) const;
  /// The text of `ids`; eos becomes a newline, other control ids vanish.
  std::string decode(std::span<const int32_t> ids) const;
  /// The text one more id adds after `previous` (for printing tokens as they
  /// are generated: pieces that start a word carry its leading space).
  std::string decodeNext(std::span<const int32_t> previous, int32_t id) const;

private:
  struct Impl;
  explicit Tokenizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

} // namespace ds::rt

#endif // DS_RUNTIME_DATA_TOKENIZER_H
