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

/// Ψ of one collective and the bytes each of its N ranks sends (see the
/// header), or {-1, -1} when a type is not static.
std::pair<int64_t, int64_t> volumeOf(Operation *op, int64_t ranks) {
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
  if (name == "all_gather") {
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
    auto [psi, sent] = volumeOf(op, ranks);
    if (psi < 0)
      return op->emitOpError("moves a tensor of dynamic shape: the "
                             "communication table needs static shapes");
    Key key{op->getName().stripDialect().str(),
            gridAxesName(op, grid.getValue(), axes.asArrayRef()),
            purposeOf(op)};
    auto [it, inserted] = rowOf.try_emplace(key, rows.size());
    if (inserted)
      rows.push_back({std::get<0>(key), std::get<1>(key), std::get<2>(key),
                      ranks, 0, 0, 0});
    CommunicationRow &row = rows[it->second];
    row.count += times;
    row.payloadBytes += psi * times;
    row.sentBytes += sent * times;
    return success();
  }

  /// Counts `function`'s collectives, each running `times` per entry call.
  LogicalResult count(func::FuncOp function, int64_t times, int depth) {
    if (depth > 64)
      return function.emitOpError("calls itself (recursion depth over 64): "
                                  "the communication table cannot count it");
    auto result = function.walk([&](Operation *op) -> WalkResult {
      if (op->getDialect() &&
          op->getDialect()->getNamespace() ==
              shard::ShardDialect::getDialectNamespace() &&
          op->hasAttr("grid_axes"))
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
  for (const CommunicationRow &row : rows) {
    os << llvm::format("  %-15s %-8s %-25s %5lld %7lld %16lld %16lld\n",
                       row.collective.c_str(), row.axes.c_str(),
                       row.purpose.c_str(), (long long)row.ranks,
                       (long long)row.count, (long long)row.payloadBytes,
                       (long long)row.sentBytes);
    count += row.count;
    payload += row.payloadBytes;
    sent += row.sentBytes;
  }
  os << llvm::format("  %-15s %-8s %-25s %5s %7lld %16lld %16lld\n", "total",
                     "", "", "", (long long)count, (long long)payload,
                     (long long)sent);
}

} // namespace mlir::ds
