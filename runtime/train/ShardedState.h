//===- ShardedState.h - Training state split over ranks ---------*- C++ -*-===//
//
// With ZeRO, tensor or expert parallelism (docs/distributed.md) each rank
// holds one block of some state tensors (the manifest's `split_dim`),
// split evenly along one dimension over some axes of the grid
// (EntrySpec::blockIndex says which block a rank holds). Checkpoints hold whole tensors, so that a run on any
// number of ranks can resume them: a rank cuts its block out of the whole
// tensor on load, and the ranks gather their blocks into the whole tensor
// to save.
//
//===----------------------------------------------------------------------===//

#ifndef DS_RUNTIME_TRAIN_SHARDEDSTATE_H
#define DS_RUNTIME_TRAIN_SHARDEDSTATE_H

#include "runtime/HostTensor.h"

#include <cstdint>
#include <optional>
#include <string>

namespace ds::rt {

class Communicator;

/// Block `index` of `blocks` of `whole` along `dim` (which `blocks`
/// divides).
std::optional<HostTensor> blockOf(const HostTensor &whole, int64_t dim,
                                  int64_t index, int64_t blocks,
                                  std::string &error);

/// The whole tensor from every rank's block laid rank-major in `blocks`
/// (what an all-gather of the blocks gives), split along `dim`; `block` is
/// one block's shape, and rank r holds block `blockOfRank[r]` (on a grid
/// of several axes, ranks along the other axes hold the same blocks).
std::optional<HostTensor> assembleBlocks(const uint8_t *blocks, DType dtype,
                                         const std::vector<int64_t> &block,
                                         int64_t dim,
                                         const std::vector<int64_t> &blockOfRank,
                                         std::string &error);

/// Collective: every rank passes its block (rank r block `blockOfRank[r]`);
/// every rank gets the whole tensor.
std::optional<HostTensor> gatherWhole(Communicator &communicator,
                                      const HostTensor &block, int64_t dim,
                                      const std::vector<int64_t> &blockOfRank,
                                      std::string &error);

} // namespace ds::rt

#endif // DS_RUNTIME_TRAIN_SHARDEDSTATE_H
