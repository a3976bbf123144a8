//===- Partitioner.h - Per-rank programs across calls and scans -*- C++ -*-===//
//
// Upstream's sharding-propagation and shard-partition work inside one
// function of one block (docs/distributed.md); a DS training step is a
// chain of calls and layer scans. The Partitioner walks a function forward
// from its arguments' shardings and writes its per-rank version:
//
// - An op with ShardingInterface (every ds compute op: DsSharding.h) gets
//   its sharding from its operands' (getShardingOption), operands that it
//   needs otherwise are resharded (all_gather / all_slice), and the op's own
//   partition writes the local op and its collectives.
// - ds.reshape carries a split through the dimensions it merges or splits
//   when the split dimension leads its group (a batch dimension merged with
//   the sequence stays split).
// - func.call and ds.scan partition their callee for the operands'
//   shardings: one specialization per distinct sharding, named after the
//   callee (`block_bwd.part0`); a scan's carries must keep their sharding
//   through a layer.
// - Any other op (constants, iota, ...) runs on whole tensors: its split
//   operands are gathered first.
// - Storage values (ZeRO-3's parameters) travel split through calls and
//   scans and are gathered over the storage axes (whole, or to the block a
//   tensor-parallel op computes on), once per function, before their first
//   other use.
//
// The original functions are left as they were (other entry points call
// them on whole tensors).
//
//===----------------------------------------------------------------------===//

#ifndef DS_PASSES_SHARD_PARTITIONER_H
#define DS_PASSES_SHARD_PARTITIONER_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Shard/IR/ShardOps.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace mlir::ds {

/// How an entry point's values are split beyond what propagation chooses.
/// Each sharding comes with the reason its collective will carry.
struct EntryShardings {
  struct Wanted {
    shard::Sharding sharding;
    std::string why;
  };
  /// One per result: the sharding it is returned with (gathered or sliced
  /// to it). Empty: every result whole.
  std::vector<Wanted> results;
  /// Values of the function resharded as soon as they are defined (ZeRO: a
  /// gradient split like the optimizer state it updates).
  DenseMap<Value, Wanted> values;
  /// Split values that the functions this one calls hold as storage only
  /// (ZeRO-3's parameters, by name): every use there other than passing
  /// them on to a call or scan gathers them whole first, once per
  /// function, just before the first use. In this function they are
  /// ordinary split values (the optimizer updates their blocks).
  DenseMap<Value, std::string> storage;
};

/// Per argument of a function to partition: empty, or the name of the
/// parameter it stores split (see EntryShardings::storage).
using StorageNames = std::vector<std::string>;

/// A function partitioned for one set of argument shardings.
struct PartitionedFunction {
  func::FuncOp function;
  std::vector<shard::Sharding> resultShardings;
};

/// How an expert-parallel MoE layer moves its tokens (ExpertParallel.h).
enum class ExpertDispatch {
  /// ds.expert_plan / expert_dispatch / expert_combine: each token to the
  /// ranks of its experts only (all-to-all-v).
  AllToAll,
  /// shard.all_gather of every peer's tokens, shard.reduce_scatter back.
  AllGather,
};

class Partitioner {
public:
  Partitioner(ModuleOp module, shard::GridOp grid,
              ExpertDispatch expertDispatch = ExpertDispatch::AllToAll);
  ~Partitioner();

  /// The per-rank version of `function` when its arguments arrive with
  /// `argShardings` (one per argument). `name` names the new function (a
  /// fresh name when empty); an entry point's (`entry` given) returns its
  /// results as `entry` says and reshards the values it names. Failure is
  /// reported at the op that caused it.
  FailureOr<PartitionedFunction>
  partition(func::FuncOp function, ArrayRef<shard::Sharding> argShardings,
            StringRef name = "", const EntryShardings *entry = nullptr,
            const StorageNames &storage = {});

  /// The grid axes storage values are split over at rest and gathered
  /// over before use (ZeRO-3's); their other axes stay split in use.
  void setStorageAxes(ArrayRef<shard::GridAxis> axes) {
    storageAxes.assign(axes.begin(), axes.end());
  }

  /// A sharding of `grid` that splits nothing.
  shard::Sharding replicated();
  /// A sharding that splits dimension `dim` of a rank-`rank` tensor over
  /// `axes`.
  shard::Sharding split(int64_t rank, int64_t dim,
                        ArrayRef<shard::GridAxis> axes);

private:
  class FunctionPartitioner;

  ModuleOp module;
  shard::GridOp grid;
  ExpertDispatch expertDispatch;
  SmallVector<shard::GridAxis> storageAxes;
  SymbolTableCollection symbols;
  /// Specializations done, by function and argument shardings.
  std::map<std::pair<Operation *, std::string>, PartitionedFunction> done;
  unsigned nameCounter = 0;
};

} // namespace mlir::ds

#endif // DS_PASSES_SHARD_PARTITIONER_H
