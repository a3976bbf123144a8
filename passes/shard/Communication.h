//===- Communication.h - What a sharded step sends, per rank ----*- C++ -*-===//
//
// The communication table of an entry point: every `shard` collective it
// runs per call, counted through calls and layer scans (a collective in a
// layer function runs once per layer), grouped by collective, grid axes and
// what it is for (the `<what>` of its `ds.reason`), with the bytes each
// rank sends by the textbook ring algorithms (Ψ: the full tensor's bytes,
// N: the ranks in the group):
//
//   all_reduce      2Ψ(N−1)/N     (reduce-scatter, then all-gather)
//   reduce_scatter   Ψ(N−1)/N     (Ψ: the input, before scattering)
//   all_gather       Ψ(N−1)/N     (Ψ: the result, after gathering)
//   all_to_all       Ψ(N−1)/N     (Ψ: the local input)
//   broadcast        Ψ            (the root's bytes, forwarded once)
//   all_slice        0            (each rank keeps its own piece)
//   all_to_all_v     Ψ(N−1)p      (expert parallelism's ds.expert_dispatch
//                                 and expert_combine; Ψ: the rank's own
//                                 rows; p: the probability that a token's
//                                 experts, chosen uniformly, include one of
//                                 another rank's: the bytes depend on the
//                                 routing, at most Ψ(N−1))
//
//===----------------------------------------------------------------------===//

#ifndef DS_PASSES_SHARD_COMMUNICATION_H
#define DS_PASSES_SHARD_COMMUNICATION_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

#include <string>
#include <vector>

namespace llvm {
class raw_ostream;
} // namespace llvm

namespace mlir::ds {

/// One line of the table: collectives of one kind, over the same grid axes
/// and for the same purpose.
struct CommunicationRow {
  std::string collective; ///< "all_reduce", "all_gather", ...
  std::string axes;       ///< the grid axes' names: "dp"
  std::string purpose;    ///< the `<what>` of the reasons: "gradient bucket"
  int64_t ranks = 1;      ///< N: the ranks in each collective's group
  int64_t count = 0;      ///< collectives per call of the entry
  int64_t payloadBytes = 0; ///< Σ Ψ over those collectives
  int64_t sentBytes = 0;    ///< Σ bytes each rank sends (formulas above)
  bool expected = false;    ///< sentBytes depends on the data: uniform routing
};

/// The table of `entry` (one row per collective, axes and purpose, in the
/// order they first run). Fails, with a diagnostic at the op, on a
/// collective on a grid or tensor the table cannot size (dynamic shapes, a
/// missing grid) or a scan whose layer count is not static.
FailureOr<std::vector<CommunicationRow>> communicationOf(ModuleOp module,
                                                         func::FuncOp entry);

/// Prints `rows` as an aligned table under a title naming `entry`, with a
/// total line.
void printCommunicationTable(llvm::raw_ostream &os, StringRef entry,
                             ArrayRef<CommunicationRow> rows);

/// What one rank holds of an entry's training state, from its signature:
/// parameters (`ds.param`) and optimizer state (AdamW's `exp_avg.*` and
/// `exp_avg_sq.*`), in bytes.
struct StateBytes {
  int64_t parameters = 0, optimizerState = 0;
};
StateBytes stateBytesPerRank(func::FuncOp entry);

/// The names of `axes` of the grid `gridName` in `module` ("dp", "dp+ep"),
/// from its `ds.axis_names`, or "axes [0, 1]" when it has none.
std::string gridAxesName(Operation *from, StringRef gridName,
                         ArrayRef<int16_t> axes);

} // namespace mlir::ds

#endif // DS_PASSES_SHARD_COMMUNICATION_H
