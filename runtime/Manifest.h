//===- Manifest.h - An artifact's manifest.json -----------------*- C++ -*-===//
//
// The description of a compiled artifact (docs/artifact.md): its entry
// points, their arguments and results, memory plans and the sites that can
// report run-time errors. Parsing validates everything the runtime later
// relies on (types, non-negative sizes, unique names), so the rest of the
// runtime never re-checks the manifest and a corrupt one fails at load with a
// message that names the file and the field ("entries[0].arguments[2].shape").
//
// Unknown fields are ignored: a newer compiler may add information an older
// runtime does not need.
//
//===----------------------------------------------------------------------===//

#ifndef DS_RUNTIME_MANIFEST_H
#define DS_RUNTIME_MANIFEST_H

#include "runtime/io/DType.h"
#include "runtime/io/ParamInit.h"

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ds::rt {

/// The symbol of model.so holding its ABI text (Manifest::abiText), a
/// NUL-terminated string.
constexpr const char *kAbiSymbol = "ds_abi";

/// The manifest "format" and "version" this runtime reads.
constexpr std::string_view kManifestFormat = "ds-artifact";
constexpr int64_t kManifestVersion = 1;
/// The most ranks an entry may be compiled for.
constexpr int64_t kMaxRanks = 1 << 20;

/// What an argument holds: trained weights, optimizer state (exp_avg.*, ...)
/// or data for this call.
enum class ArgumentRole { Input, Param, State };

const char *roleName(ArgumentRole role);

/// One argument or result of an entry.
struct TensorSpec {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  /// Derived from dtype and shape when the manifest is parsed.
  size_t byteSize = 0;
  int64_t numElements = 0;
  /// In an entry sharded over several ranks, a tensor each rank holds one
  /// block of: `shape` is the block, split evenly along this dimension of
  /// the whole tensor. Absent: the whole tensor.
  std::optional<int64_t> splitDim;
  /// The grid axes the split runs over (major to minor; runtime/comm/Grid.h
  /// says which block a rank holds): every axis of the entry's grid when
  /// the manifest does not say.
  std::vector<int64_t> splitAxes;

  /// The whole tensor's shape when it is split in `blocks` blocks.
  std::vector<int64_t> wholeShape(int64_t blocks) const;
};

struct ArgumentSpec : TensorSpec {
  ArgumentRole role = ArgumentRole::Input;
  /// How a parameter's starting value is made from a seed (params only;
  /// absent in manifests written before it was recorded).
  std::optional<ParamInit> init;
};

struct ResultSpec : TensorSpec {
  /// The parameter whose expert load this result reports (`ds.balances`).
  std::optional<std::string> balances;
};

/// The static memory plan's statistics, for reports; the runtime itself only
/// needs workspace_bytes.
struct MemoryStats {
  uint64_t peakBytes = 0;
  uint64_t buffers = 0;
  uint64_t unplannedBytes = 0;
};

struct EntrySpec {
  std::string name;
  std::string symbol;
  size_t workspaceBytes = 0;
  /// The ranks the entry's code is sharded over (ds-compile with
  /// --ds-shard): every one of them runs it at once, with a communicator of
  /// that size. Optional in the file; 1 when absent.
  int64_t ranks = 1;
  /// The shape of the grid the ranks form (runtime/comm/Grid.h), whose
  /// product is `ranks`. Optional in the file; [ranks] when absent.
  std::vector<int64_t> grid{1};
  std::optional<MemoryStats> memory;
  std::vector<ArgumentSpec> arguments;
  std::vector<ResultSpec> results;

  /// Bytes one run needs: its arguments, results and workspace (saturating
  /// at 2^64 - 1), for runtime/io/Memory.h's check before allocating.
  uint64_t memoryBytes() const;

  /// The number of blocks `tensor` is split in (1 when it is whole), and
  /// the block that `rank` holds.
  int64_t blocks(const TensorSpec &tensor) const;
  int64_t blockIndex(const TensorSpec &tensor, int64_t rank) const;

  /// Null when there is none of that name.
  const ArgumentSpec *findArgument(std::string_view name) const;
  const ResultSpec *findResult(std::string_view name) const;
};

struct Manifest {
  std::string format;
  int64_t version = 0;
  std::string target;
  std::string triple;   // optional in the file; empty when absent
  std::string cpu;      // optional
  std::string gpuChip;  // "gpu": {"chip"}: a cuda artifact's GPU (sm_90)
  /// "gpu": {"kernels": {name: site}}: where each generated kernel of a
  /// cuda artifact came from ("model.mlir:12:5: rms_norm"); optional.
  std::map<std::string, std::string> gpuKernelSites;
  std::string library;  // relative to the artifact directory, or absolute
  std::string cacheKey; // optional
  /// Optional: equal in artifacts of one model and training program
  /// compiled for different grids (their checkpoints resume in each other).
  std::string trainingKey;
  std::string source;   // optional
  std::vector<EntrySpec> entries;
  std::vector<std::string> sites;

  /// Parses and validates `text`; `path` only prefixes error messages.
  /// On failure returns nullopt and sets `error` to "<path>: <field>: <what>".
  static std::optional<Manifest>
  parse(std::string_view text, const std::string &path, std::string &error);
  /// Reads `path` and parses it.
  static std::optional<Manifest> load(const std::string &path,
                                      std::string &error);

  const EntrySpec *findEntry(std::string_view name) const;

  /// What the compiled code relies on, one line per entry, argument and
  /// result: every entry's name, symbol and workspace size (and `ranks N`
  /// when sharded over N > 1 ranks), and the name, dtype and shape of each
  /// argument and result, in order:
  ///
  ///   entry add ds_entry_add 16
  ///   arg a F32[4]
  ///   result c F32[2x3]
  ///
  /// ds-compile embeds the same text in model.so (kAbiSymbol), and
  /// Artifact::load refuses a manifest whose text differs from its
  /// library's: the library would read and write buffers of the sizes it
  /// was compiled for, whatever the manifest says.
  std::string abiText() const;
  /// sites[site], or a placeholder naming the index when the manifest has no
  /// such site (the code and the manifest disagree; say so, do not crash).
  std::string siteName(int32_t site) const;
};

} // namespace ds::rt

#endif // DS_RUNTIME_MANIFEST_H
