//===- Communication.cpp - What a sharded step sends, per rank ------------===//

#include "passes/shard/Communication.h"

#include "dialects/ds/DsDialect.h"

#include "mlir/Dialect/Shard/IR/ShardDialect.h"
#include "mlir/Dialect/Shard/IR/ShardOps.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <map>
#include <tuple>

namespace mlir::ds {
namespace {

/// The bytes of a static tensor type, or -1.
int64_t bytesOf(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || !tensor.hasStaticShape())
    return -1;
  const int64_t bits = tensor.getElementTypeBitWidth();
  return tensor.getNumElements() * ((bits + 7) / 8);
}

/// What one op moves: Ψ, the bytes each of its N ranks sends (see the
/// header), and how many collectives it runs; -1 bytes when a type is not
/// static. `expected`: the bytes depend on the data (expert parallelism's
/// all-to-all-v) and are those of uniform routing.
struct Volume {
  int64_t psi = -1, sent = -1, collectives = 1;
  bool expected = false;
};

/// The probability that a token's `chosen` distinct experts, drawn
/// uniformly from `experts`, include one of the `held` a given rank holds.
double reachOf(int64_t experts, int64_t held, int64_t chosen) {
  double none = 1;
  for (int64_t i = 0; i < chosen && i < experts; ++i)
    none *= double(std::max<int64_t>(experts - held - i, 0)) /
            double(experts - i);
  return 1 - none;
}

/// ds.expert_dispatch and expert_combine: one all-to-all-v per row tensor
/// (and the dispatch's indices). Ψ: the rank's own rows; each goes to
/// every other rank that holds one of its token's experts.
Volume expertExchangeVolume(Operation *op, int64_t ranks,
                            int64_t expertsPerRank) {
  auto indices = cast<RankedTensorType>(op->getOperand(1).getType());
  Volume volume{0, 0, 0, true};
  auto add = [&](Type rows) {
    const int64_t bytes = bytesOf(rows);
    if (bytes < 0 || volume.psi < 0) {
      volume.psi = volume.sent = -1;
      return;
    }
    volume.psi += bytes;
    ++volume.collectives;
  };
  if (auto dispatch = dyn_cast<ExpertDispatchOp>(op)) {
    for (Value input : dispatch.getInputs())
      add(input.getType());
    add(indices);
  } else {
    for (Value output : cast<ExpertCombineOp>(op).getOutputs())
      add(output.getType());
  }
  if (volume.psi < 0)
    return volume;
  const double reach = reachOf(ranks * expertsPerRank, expertsPerRank,
                               indices.getDimSize(1));
  volume.sent = int64_t(double(volume.psi) * double(ranks - 1) * reach + 0.5);
  return volume;
}

Volume volumeOf(Operation *op, int64_t ranks) {
  if (isa<ExpertDispatchOp, ExpertCombineOp>(op))
    return expertExchangeVolume(
        op, ranks, op->getAttrOfType<IntegerAttr>("experts_per_rank").getInt());
  StringRef name = op->getName().stripDialect();
  Type input = op->getNumOperands() ? op->getOperand(0).getType() : Type();
  Type output = op->getNumResults() ? op->getResult(0).getType() : Type();
  if (name == "all_reduce") {
    const int64_t psi = bytesOf(input);
    return {psi, psi < 0 ? -1 : 2 * psi * (ranks - 1) / ranks};
  }
  if (name == "reduce_scatter" || name == "all_to_all") {
    const int64_t psi = bytesOf(input);
    return {psi, psi < 0 ? -1 : psi * (ranks - 1) / ranks};
  }
  // all_gather, and expert_plan (an all-gather of the counts).
  if (name == "all_gather" || name == "expert_plan") {
    const int64_t psi = bytesOf(output);
    return {psi, psi < 0 ? -1 : psi * (ranks - 1) / ranks};
  }
  if (name == "all_slice")
    return {bytesOf(input), 0};
  // broadcast, and the point-to-point and rooted collectives: the payload
  // once.
  const int64_t psi = bytesOf(input ? input : output);
  return {psi, psi};
}

/// The name of the collective `op` runs, for the table.
std::string collectiveName(Operation *op) {
  if (isa<ExpertDispatchOp, ExpertCombineOp>(op))
    return "all_to_all_v";
  if (isa<ExpertPlanOp>(op))
    return "all_gather";
  return op->getName().stripDialect().str();
}

/// The `<what>` of an op's `ds.reason` ("" when it has none).
std::string purposeOf(Operation *op) {
  auto reason = op->getAttrOfType<StringAttr>(kReasonAttrName);
  if (!reason)
    return "(no reason recorded)";
  return reason.getValue().split(':').first.str();
}

struct Counter {
  ModuleOp module;
  SymbolTableCollection symbols;
  using Key = std::tuple<std::string, std::string, std::string>;
  std::map<Key, size_t> rowOf;
  std::vector<CommunicationRow> rows;

  LogicalResult add(Operation *op, int64_t times) {
    auto grid = op->getAttrOfType<FlatSymbolRefAttr>("grid");
    auto axes = op->getAttrOfType<DenseI16ArrayAttr>("grid_axes");
    auto gridOp = grid ? shard::getGridOrNull(op, grid, symbols) : nullptr;
    if (!gridOp || !axes)
      return op->emitOpError("has no grid the communication table can size");
    const int64_t ranks =
        shard::collectiveProcessGroupSize(axes.asArrayRef(), gridOp);
    if (ranks <= 0)
      return op->emitOpError("runs on a grid of unknown size");
    const Volume volume = volumeOf(op, ranks);
    if (volume.psi < 0)
      return op->emitOpError("moves a tensor of dynamic shape: the "
                             "communication table needs static shapes");
    Key key{collectiveName(op),
            gridAxesName(op, grid.getValue(), axes.asArrayRef()),
            purposeOf(op)};
    auto [it, inserted] = rowOf.try_emplace(key, rows.size());
    if (inserted)
      rows.push_back({std::get<0>(key), std::get<1>(key), std::get<2>(key),
                      ranks, 0, 0, 0});
    CommunicationRow &row = rows[it->second];
    row.count += volume.collectives * times;
    row.payloadBytes += volume.psi * times;
    row.sentBytes += volume.sent * times;
    row.expected |= volume.expected;
    return success();
  }

  /// Counts `function`'s collectives, each running `times` per entry call.
  LogicalResult count(func::FuncOp function, int64_t times, int depth) {
    if (depth > 64)
      return function.emitOpError("calls itself (recursion depth over 64): "
                                  "the communication table cannot count it");
    auto result = function.walk([&](Operation *op) -> WalkResult {
      if (op->hasAttr("grid_axes") &&
          (isa<ExpertPlanOp, ExpertDispatchOp, ExpertCombineOp>(op) ||
           (op->getDialect() &&
            op->getDialect()->getNamespace() ==
                shard::ShardDialect::getDialectNamespace())))
        return WalkResult(add(op, times));
      auto call = dyn_cast<CallOpInterface>(op);
      if (!call && !isa<ScanOp>(op))
        return WalkResult::advance();
      int64_t calls = times;
      FlatSymbolRefAttr callee;
      if (auto scan = dyn_cast<ScanOp>(op)) {
        const int64_t layers = scan.getNumLayers();
        if (ShapedType::isDynamic(layers))
          return WalkResult(scan.emitOpError(
              "has a dynamic number of layers: the communication table "
              "cannot count its collectives"));
        calls *= layers;
        callee = scan.getCalleeAttr();
      } else {
        callee = dyn_cast_if_present<FlatSymbolRefAttr>(
            dyn_cast_if_present<SymbolRefAttr>(call.getCallableForCallee()));
      }
      auto target =
          callee ? symbols.lookupNearestSymbolFrom<func::FuncOp>(op, callee)
                 : func::FuncOp();
      if (!target || target.isExternal())
        return WalkResult::advance();
      return WalkResult(count(target, calls, depth + 1));
    });
    return failure(result.wasInterrupted());
  }
};

} // namespace

StateBytes stateBytesPerRank(func::FuncOp entry) {
  StateBytes state;
  for (unsigned i = 0; i < entry.getNumArguments(); ++i) {
    const int64_t bytes = std::max<int64_t>(
        bytesOf(entry.getArgument(i).getType()), 0);
    auto name = entry.getArgAttrOfType<StringAttr>(i, kNameAttrName);
    if (entry.getArgAttr(i, kParamAttrName))
      state.parameters += bytes;
    else if (name && (name.getValue().starts_with("exp_avg.") ||
                      name.getValue().starts_with("exp_avg_sq.")))
      state.optimizerState += bytes;
  }
  return state;
}

std::string gridAxesName(Operation *from, StringRef gridName,
                         ArrayRef<int16_t> axes) {
  SymbolTableCollection symbols;
  auto grid = shard::getGridOrNull(
      from, FlatSymbolRefAttr::get(from->getContext(), gridName), symbols);
  auto names = grid ? grid->getAttrOfType<ArrayAttr>(kAxisNamesAttrName)
                    : ArrayAttr();
  std::string text;
  llvm::raw_string_ostream os(text);
  bool named = names && llvm::all_of(axes, [&](int16_t axis) {
    return axis >= 0 && size_t(axis) < names.size() &&
           isa<StringAttr>(names[size_t(axis)]);
  });
  if (!named) {
    os << "axes [";
    llvm::interleaveComma(axes, os);
    os << "]";
    return text;
  }
  llvm::interleave(
      axes, os,
      [&](int16_t axis) {
        os << cast<StringAttr>(names[size_t(axis)]).getValue();
      },
      "+");
  return text;
}

FailureOr<std::vector<CommunicationRow>> communicationOf(ModuleOp module,
                                                         func::FuncOp entry) {
  Counter counter{module, {}, {}, {}};
  if (failed(counter.count(entry, 1, 0)))
    return failure();
  return std::move(counter.rows);
}

void printCommunicationTable(llvm::raw_ostream &os, StringRef entry,
                             ArrayRef<CommunicationRow> rows) {
  os << "communication per call of @" << entry
     << " (bytes each rank sends, ring algorithms)\n";
  if (rows.empty()) {
    os << "  none\n";
    return;
  }
  os << llvm::format("  %-15s %-8s %-25s %5s %7s %16s %16s\n", "collective",
                     "axes", "for", "ranks", "count", "payload (B)",
                     "sent/rank (B)");
  int64_t count = 0, payload = 0, sent = 0;
  bool expected = false;
  for (const CommunicationRow &row : rows) {
    os << llvm::format("  %-15s %-8s %-25s %5lld %7lld %16lld %16lld%s\n",
                       row.collective.c_str(), row.axes.c_str(),
                       row.purpose.c_str(), (long long)row.ranks,
                       (long long)row.count, (long long)row.payloadBytes,
                       (long long)row.sentBytes, row.expected ? " *" : "");
    expected |= row.expected;
    count += row.count;
    payload += row.payloadBytes;
    sent += row.sentBytes;
  }
  os << llvm::format("  %-15s %-8s %-25s %5s %7lld %16lld %16lld%s\n",
                     "total", "", "", "", (long long)count,
                     (long long)payload, (long long)sent,
                     expected ? " *" : "");
  if (expected)
    os << "  * all_to_all_v: what uniform routing sends (each token to the "
          "ranks holding one of its experts); at most payload × (ranks − 1)\n";
}

} // namespace mlir::ds
