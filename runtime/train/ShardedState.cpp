//===- ShardedState.cpp - Training state split over ranks -----------------===//

#include "runtime/train/ShardedState.h"

#include "runtime/comm/Communicator.h"

#include <algorithm>
#include <cstring>
#include <vector>

namespace ds::rt {
namespace {

/// A tensor of `shape` as [outer, size of `dim`, inner] with `inner`
/// counted in bytes.
struct Around {
  int64_t outer = 1, size = 0, innerBytes = 0;
};

Around around(const std::vector<int64_t> &shape, int64_t dim, DType dtype) {
  Around a;
  a.size = shape[size_t(dim)];
  int64_t inner = 1;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (int64_t(d) < dim)
      a.outer *= shape[d];
    else if (int64_t(d) > dim)
      inner *= shape[d];
  }
  a.innerBytes = inner * int64_t(dtypeSize(dtype));
  return a;
}

} // namespace

std::optional<HostTensor> blockOf(const HostTensor &whole, int64_t dim,
                                  int64_t rank, int64_t ranks,
                                  std::string &error) {
  const std::vector<int64_t> &shape = whole.shape();
  if (dim < 0 || size_t(dim) >= shape.size() || ranks < 1 || rank < 0 ||
      rank >= ranks || shape[size_t(dim)] % ranks != 0) {
    error = "cannot cut block " + std::to_string(rank) + " of " +
            std::to_string(ranks) + " along dimension " + std::to_string(dim) +
            " of a tensor of " + std::to_string(shape.size()) + " dimensions";
    return std::nullopt;
  }
  std::vector<int64_t> blockShape = shape;
  blockShape[size_t(dim)] /= ranks;
  std::optional<HostTensor> block =
      HostTensor::zeros(whole.dtype(), blockShape, error);
  if (!block)
    return std::nullopt;
  const Around w = around(shape, dim, whole.dtype());
  const size_t rowBytes = size_t(blockShape[size_t(dim)] * w.innerBytes);
  for (int64_t o = 0; o < w.outer; ++o)
    std::memcpy(block->data() + size_t(o) * rowBytes,
                whole.data() + size_t(o * w.size * w.innerBytes) +
                    size_t(rank) * rowBytes,
                rowBytes);
  return block;
}

std::optional<HostTensor> assembleBlocks(const uint8_t *blocks, DType dtype,
                                         const std::vector<int64_t> &block,
                                         int64_t dim,
                                         const std::vector<int64_t> &blockOfRank,
                                         std::string &error) {
  // Block b comes from the first rank that holds it; every block must be
  // held by some rank.
  const int64_t count =
      blockOfRank.empty()
          ? 0
          : *std::max_element(blockOfRank.begin(), blockOfRank.end()) + 1;
  std::vector<int64_t> source(size_t(count), -1);
  for (size_t r = 0; r < blockOfRank.size(); ++r)
    if (blockOfRank[r] >= 0 && source[size_t(blockOfRank[r])] < 0)
      source[size_t(blockOfRank[r])] = int64_t(r);
  if (count == 0 || std::find(source.begin(), source.end(), -1) != source.end()) {
    error = "the ranks' blocks do not cover the whole tensor";
    return std::nullopt;
  }
  std::vector<int64_t> wholeShape = block;
  wholeShape[size_t(dim)] *= count;
  std::optional<HostTensor> whole = HostTensor::zeros(dtype, wholeShape, error);
  if (!whole)
    return std::nullopt;
  const Around b = around(block, dim, dtype);
  const size_t rowBytes = size_t(b.size * b.innerBytes);
  const size_t blockBytes = size_t(b.outer) * rowBytes;
  for (int64_t index = 0; index < count; ++index)
    for (int64_t o = 0; o < b.outer; ++o)
      std::memcpy(whole->data() + size_t(o * count + index) * rowBytes,
                  blocks + size_t(source[size_t(index)]) * blockBytes +
                      size_t(o) * rowBytes,
                  rowBytes);
  return whole;
}

std::optional<HostTensor> gatherWhole(Communicator &communicator,
                                      const HostTensor &block, int64_t dim,
                                      const std::vector<int64_t> &blockOfRank,
                                      std::string &error) {
  const int64_t ranks = communicator.size();
  if (int64_t(blockOfRank.size()) != ranks) {
    error = "gathering a tensor of " + std::to_string(blockOfRank.size()) +
            " ranks' blocks on " + std::to_string(ranks) + " ranks";
    return std::nullopt;
  }
  std::vector<uint8_t> blocks(block.byteSize() * size_t(ranks));
  if (!communicator.allGather(block.data(), blocks.data(), block.byteSize(),
                              DType::U8, error))
    return std::nullopt;
  return assembleBlocks(blocks.data(), block.dtype(), block.shape(), dim,
                        blockOfRank, error);
}

} // namespace ds::rt
