//===- TokenShard.cpp - Memory-mapped token streams -----------------------===//

#include "runtime/data/TokenShard.h"

#include "runtime/data/AtomicFile.h"

#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ds::rt {

namespace {

constexpr char kMagic[8] = {'D', 'S', 'T', 'O', 'K', 'E', 'N', 'S'};

template <typename T> T readLittle(const unsigned char *bytes) {
  T value = 0;
  for (size_t i = 0; i < sizeof(T); ++i)
    value |= T(bytes[i]) << (8 * i);
  return value;
}

template <typename T> void appendLittle(std::string &out, T value) {
  for (size_t i = 0; i < sizeof(T); ++i)
    out.push_back(char((value >> (8 * i)) & 0xff));
}

} // namespace

TokenShard::~TokenShard() {
  if (mapping_)
    munmap(mapping_, mappedBytes_);
}

std::unique_ptr<TokenShard> TokenShard::open(const std::string &path,
                                             std::string &error) {
  auto fail = [&](const std::string &message) {
    error = path + ": " + message;
    return nullptr;
  };
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return fail(std::string("cannot open: ") + std::strerror(errno));
  struct stat info;
  if (fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    ::close(fd);
    return fail("not a regular file");
  }
  const uint64_t fileBytes = uint64_t(info.st_size);
  if (fileBytes < kHeaderBytes) {
    ::close(fd);
    return fail("truncated: " + std::to_string(fileBytes) +
                " bytes, shorter than the 32-byte header");
  }
  void *mapping = mmap(nullptr, fileBytes, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (mapping == MAP_FAILED)
    return fail(std::string("cannot map: ") + std::strerror(errno));
  std::unique_ptr<TokenShard> shard(new TokenShard());
  shard->path_ = path;
  shard->mapping_ = mapping;
  shard->mappedBytes_ = fileBytes;
  const auto *bytes = static_cast<const unsigned char *>(mapping);
  if (std::memcmp(bytes, kMagic, sizeof(kMagic)) != 0)
    return fail("not a token shard (no DSTOKENS magic)");
  const uint32_t version = readLittle<uint32_t>(bytes + 8);
  if (version != kVersion)
    return fail("token shard format version " + std::to_string(version) +
                ", this build reads version " + std::to_string(kVersion));
  shard->width_ = readLittle<uint32_t>(bytes + 12);
  if (shard->width_ != 2 && shard->width_ != 4)
    return fail("bad token width " + std::to_string(shard->width_) +
                " (2 or 4 bytes)");
  shard->vocabSize_ = readLittle<uint32_t>(bytes + 16);
  if (shard->vocabSize_ == 0)
    return fail("vocabulary size 0");
  shard->count_ = readLittle<uint64_t>(bytes + 24);
  const uint64_t payload = fileBytes - kHeaderBytes;
  const bool truncated = shard->count_ > payload / shard->width_;
  if (truncated || shard->count_ * shard->width_ != payload)
    return fail("size mismatch: the header promises " +
                std::to_string(shard->count_) + " tokens of " +
                std::to_string(shard->width_) + " bytes, the file holds " +
                std::to_string(payload) + " bytes after the header" +
                (truncated ? " (truncated)" : ""));
  shard->tokens_ = bytes + kHeaderBytes;
  for (uint64_t i = 0; i < shard->count_; ++i)
    if ((*shard)[i] >= shard->vocabSize_)
      return fail("token " + std::to_string(i) + " is " +
                  std::to_string((*shard)[i]) +
                  ", outside the vocabulary of " +
                  std::to_string(shard->vocabSize_));
  return shard;
}

void TokenShard::copy(uint64_t begin, std::span<int32_t> out) const {
  for (size_t i = 0; i < out.size(); ++i)
    out[i] = int32_t((*this)[begin + i]);
}

bool TokenShard::write(const std::string &path,
                       std::span<const uint32_t> tokens, uint32_t vocabSize,
                       std::string &error) {
  if (vocabSize == 0) {
    error = path + ": vocabulary size 0";
    return false;
  }
  for (size_t i = 0; i < tokens.size(); ++i)
    if (tokens[i] >= vocabSize) {
      error = path + ": token " + std::to_string(i) + " is " +
              std::to_string(tokens[i]) + ", outside the vocabulary of " +
              std::to_string(vocabSize);
      return false;
    }
  const uint32_t width = vocabSize <= 65536 ? 2 : 4;
  std::string bytes(kMagic, sizeof(kMagic));
  appendLittle<uint32_t>(bytes, kVersion);
  appendLittle<uint32_t>(bytes, width);
  appendLittle<uint32_t>(bytes, vocabSize);
  appendLittle<uint32_t>(bytes, 0);
  appendLittle<uint64_t>(bytes, tokens.size());
  bytes.reserve(bytes.size() + tokens.size() * width);
  for (uint32_t token : tokens) {
    if (width == 2)
      appendLittle<uint16_t>(bytes, uint16_t(token));
    else
      appendLittle<uint32_t>(bytes, token);
  }
  return writeFileAtomically(path, bytes, error);
}

} // namespace ds::rt
