//===- TokenShard.h - Memory-mapped token streams ---------------*- C++ -*-===//
//
// A tokenized corpus on disk: one flat stream of token ids, read through a
// read-only memory mapping so that a corpus larger than memory costs nothing
// to open. The format (little-endian):
//
//   offset  size  field
//        0     8  magic "DSTOKENS"
//        8     4  format version (1)
//       12     4  bytes per token (2 or 4)
//       16     4  vocabulary size (every token is below it)
//       20     4  reserved, zero
//       24     8  token count N
//       32  N·w   the tokens
//
// Opening validates everything a training run relies on: the magic, the
// version, the width, that the file holds exactly N tokens (a truncated or
// padded file is rejected), and that every token is inside the vocabulary.
// Writing goes to a temporary file that is flushed to disk and renamed over
// the destination, so a reader never sees half a shard.
//
// Nothing here throws; failures come back as a message that names the file.
//
//===----------------------------------------------------------------------===//

#ifndef DS_RUNTIME_DATA_TOKENSHARD_H
#define DS_RUNTIME_DATA_TOKENSHARD_H

#include <cstdint>
#include <memory>
#include <span>
#include <string>

namespace ds::rt {

class TokenShard {
public:
  static constexpr uint32_t kVersion = 1;
  static constexpr size_t kHeaderBytes = 32;

  /// Maps and validates `path`. On failure returns null and sets `error`.
  static std::unique_ptr<TokenShard> open(const std::string &path,
                                          std::string &error);

  /// Writes `tokens` to `path` atomically (temporary file, fsync, rename),
  /// two bytes per token when the vocabulary allows it. Fails, leaving any
  /// existing file untouched, when a token is not below `vocabSize` or the
  /// file cannot be written.
  static bool write(const std::string &path, std::span<const uint32_t> tokens,
                    uint32_t vocabSize, std::string &error);

  TokenShard(const TokenShard &) = delete;
  TokenShard &operator=(const TokenShard &) = delete;
  ~TokenShard();

  const std::string &path() const { return path_; }
  uint32_t vocabSize() const { return vocabSize_; }
  uint64_t size() const { return count_; }
  /// Token `i` (i < size()).
  uint32_t operator[](uint64_t i) const {
    return width_ == 2 ? reinterpret_cast<const uint16_t *>(tokens_)[i]
                       : reinterpret_cast<const uint32_t *>(tokens_)[i];
  }
  /// Copies tokens [begin, begin + out.size()) into `out` (in range).
  void copy(uint64_t begin, std::span<int32_t> out) const;

private:
  TokenShard() = default;

  std::string path_;
  void *mapping_ = nullptr;
  size_t mappedBytes_ = 0;
  const unsigned char *tokens_ = nullptr;
  uint32_t width_ = 0;
  uint32_t vocabSize_ = 0;
  uint64_t count_ = 0;
};

} // namespace ds::rt

#endif // DS_RUNTIME_DATA_TOKENSHARD_H
