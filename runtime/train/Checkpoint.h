//===- Checkpoint.h - Training checkpoints that never load wrong -*- C++ -*-===//
//
// A checkpoint is a directory `step-<8 digits>` under a run's checkpoint
// directory, holding
//
//   state.safetensors   every tensor of the training state (parameters,
//                       optimizer moments, the step counter) by name
//   checkpoint.json     format, step, data position, seed, free-form notes
//                       (the artifact's cache key, the data directory), and
//                       each file's size and FNV-1a 64-bit checksum
//
//   shard-<rank>.safetensors   (a checkpoint of several ranks) the blocks of
//                       split tensors (ZeRO, tensor and expert parallelism)
//                       that rank holds, each rank writing its own file in
//                       parallel; checkpoint.json records, per file and
//                       tensor, the whole tensor's shape and the slice held
//                       (dimension and first index), so the checkpoint loads
//                       as whole tensors on any grid
//
// Writing: everything goes into `step-N.partial-<pid>`, each file flushed to
// disk, checkpoint.json last; then the directory is renamed to `step-N` and
// its parent flushed. With several ranks, rank 0 names the directory,
// every rank writes and checksums its file, and rank 0 writes
// checkpoint.json and renames only when every rank succeeded. A process killed at any moment leaves either no
// `step-N` or a complete one; partial directories are never read and are
// removed by the next save. Loading checks the checksums too, so a
// checkpoint damaged later (a disk error, a truncated copy) is skipped with
// a message, and the newest intact one is used.
//
//===----------------------------------------------------------------------===//

#ifndef DS_RUNTIME_TRAIN_CHECKPOINT_H
#define DS_RUNTIME_TRAIN_CHECKPOINT_H

#include "runtime/Executable.h"
#include "runtime/data/Batcher.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ds::rt {

struct CheckpointInfo {
  int64_t step = 0;
  BatchPosition data;
  uint64_t seed = 0;
  /// Free-form facts a resumed run checks (e.g. "artifact" = cache key).
  std::map<std::string, std::string> notes;
};

struct Checkpoint {
  CheckpointInfo info;
  NamedTensors tensors;
  std::string path; // the step-N directory it was loaded from
};

/// Saves `tensors` and `info` as `<directory>/step-<info.step>` (creating
/// `directory` if needed), then deletes all but the newest `keep` complete
/// checkpoints and any partial ones. Returns false and sets `error` on
/// failure; earlier checkpoints are then untouched.
bool saveCheckpoint(const std::string &directory, const CheckpointInfo &info,
                    const NamedTensors &tensors, int keep, std::string &error);

/// Where one block of a split tensor lies in the whole tensor: along `dim`,
/// from index `start` (the block's own size along it), in a whole of
/// `wholeShape`.
struct SliceInfo {
  std::string name;
  int64_t dim = 0;
  int64_t start = 0;
  std::vector<int64_t> wholeShape;
};

/// Collective: every rank of `communicator` calls it with the same `info`,
/// `slices` (by rank: the blocks each rank writes, so that rank 0 can record
/// them) and its own `blocks` (one per entry of slices[its rank], in that
/// order). Rank 0 also writes `tensors` (the whole ones). Every rank returns
/// the same result; on failure no checkpoint of that step is left.
bool saveShardedCheckpoint(Communicator &communicator,
                           const std::string &directory,
                           const CheckpointInfo &info,
                           const NamedTensors &tensors,
                           const std::vector<std::vector<SliceInfo>> &slices,
                           const std::vector<const HostTensor *> &blocks,
                           int keep, std::string &error);

/// Loads the newest intact checkpoint in `directory`. Damaged ones are
/// skipped and described in `skipped`. Returns nullopt and sets `error` when
/// there is none (naming the directory and why each candidate failed).
std::optional<Checkpoint> loadLatestCheckpoint(const std::string &directory,
                                               std::vector<std::string> &skipped,
                                               std::string &error);

/// Loads the checkpoint directory `path` itself (a `step-N` directory),
/// assembling split tensors whole from their ranks' blocks.
std::optional<Checkpoint> loadCheckpoint(const std::string &path,
                                         std::string &error);

/// The FNV-1a 64 checksum and the size of the file at `path`, as
/// checkpoint.json records them for each file (formatChecksum: 16 lowercase
/// hex digits). Returns false and sets `error` when it cannot be read.
bool checksumFile(const std::string &path, uint64_t &hash, uint64_t &bytes,
                  std::string &error);
std::string formatChecksum(uint64_t hash);

/// The complete checkpoints in `directory`, oldest first, as step-N paths.
std::vector<std::string> listCheckpoints(const std::string &directory);

} // namespace ds::rt

#endif // DS_RUNTIME_TRAIN_CHECKPOINT_H
