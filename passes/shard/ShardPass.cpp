//===- ShardPass.cpp - --ds-shard: @train_step per rank --------------------===//
//
// Chooses the shardings of @train_step's arguments from the strategy and
// hands the rest to the Partitioner (see the pass description in
// Passes.td).
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/shard/GradientBuckets.h"
#include "passes/shard/Partitioner.h"

#include "dialects/ds/DsDialect.h"
#include "dialects/ds/DsSharding.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Shard/IR/ShardDialect.h"
#include "mlir/Dialect/Shard/IR/ShardOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"

namespace mlir::ds {
#define GEN_PASS_DEF_DSSHARDPASS
#include "passes/Passes.h.inc"

namespace {

constexpr llvm::StringLiteral kGridName = "ds_grid";
constexpr llvm::StringLiteral kEntry = "train_step";

/// The `ds.name` of argument `index` ("" when it has none).
StringRef argumentName(func::FuncOp function, unsigned index) {
  if (auto name = function.getArgAttrOfType<StringAttr>(index, "ds.name"))
    return name.getValue();
  return "";
}

struct ShardPass : impl::DsShardPassBase<ShardPass> {
  using DsShardPassBase::DsShardPassBase;

  void getDependentDialects(DialectRegistry &registry) const override {
    DsShardPassBase::getDependentDialects(registry);
    registerShardingInterfaceModels(registry);
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (dp < 1) {
      module.emitError("--ds-shard: dp must be at least 1, got ")
          << int64_t(dp);
      return signalPassFailure();
    }
    if (bucketBytes < 0) {
      module.emitError("--ds-shard: bucket-bytes must be at least 0, got ")
          << int64_t(bucketBytes);
      return signalPassFailure();
    }
    if (dp == 1)
      return;
    auto entry = module.lookupSymbol<func::FuncOp>(kEntry);
    if (!entry || entry.isExternal()) {
      module.emitError("--ds-shard: no @train_step to partition (run "
                       "--ds-autodiff and --ds-optimizer first)");
      return signalPassFailure();
    }
    if (module.lookupSymbol(kGridName)) {
      module.emitError("--ds-shard: the module already has a symbol @")
          << kGridName << " (was it sharded already?)";
      return signalPassFailure();
    }
    OpBuilder b(module.getBodyRegion());
    auto grid = shard::GridOp::create(b, module.getLoc(),
                                      b.getStringAttr(kGridName),
                                      b.getDenseI64ArrayAttr({dp}));
    grid->setAttr(kAxisNamesAttrName, b.getStrArrayAttr({"dp"}));
    Partitioner partitioner(module, grid);

    std::vector<shard::Sharding> argShardings;
    for (auto [index, arg] : llvm::enumerate(entry.getArguments())) {
      auto type = dyn_cast<RankedTensorType>(arg.getType());
      StringRef name = argumentName(entry, unsigned(index));
      if (!type || (name != "tokens" && name != "targets")) {
        argShardings.push_back(partitioner.replicated());
        continue;
      }
      // [B, T], or [A, B, T] with micro-batches: the batch is second last.
      const int64_t batchDim = type.getRank() - 2;
      const int64_t batch = batchDim >= 0 ? type.getDimSize(batchDim) : -1;
      if (batchDim < 0 || ShapedType::isDynamic(batch) || batch % dp != 0) {
        entry.emitError("--ds-shard: dp=")
            << int64_t(dp) << " does not divide the batch: argument '" << name
            << "' has type " << type << ", whose batch dimension "
            << batchDim << " has size " << batch;
        return signalPassFailure();
      }
      argShardings.push_back(
          partitioner.split(type.getRank(), batchDim, {shard::GridAxis(0)}));
    }

    std::string partitionedName = (kEntry + ".partitioned").str();
    FailureOr<PartitionedFunction> partitioned =
        partitioner.partition(entry, argShardings, partitionedName,
                              /*wholeResults=*/true);
    if (failed(partitioned))
      return signalPassFailure();
    // The per-rank step takes the entry's place and name.
    func::FuncOp step = partitioned->function;
    step.setVisibility(entry.getVisibility());
    step->setAttr(kRanksAttrName, b.getI64IntegerAttr(dp));
    entry.erase();
    step.setSymName(kEntry);
    bucketGradientSums(module, step, bucketBytes);
  }
};

} // namespace
} // namespace mlir::ds
