//===- Budget.cpp - --ds-remat's memory budget ----------------------------===//

#include "passes/remat/Budget.h"
#include "passes/autodiff/Autodiff.h"
#include "passes/lower/Pipeline.h"
#include "passes/remat/PeakMemory.h"

#include "dialects/ds/DsDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/StringExtras.h"

#include <cmath>
#include <map>
#include <set>

namespace mlir::ds {
namespace {

/// A value of a forward function that survives rebuilding the gradients:
/// "<op>:<result>", the position of its defining op in the body and the
/// result number; a residual that a call returns is named by what it is in
/// the callee ("<op>:r<key in the callee>"), since which residuals a callee
/// returns, and so the call's result numbers, change with its choice.
using ValueKey = std::string;

ValueKey keyOf(Value value) {
  Operation *definer = value.getDefiningOp();
  unsigned index = 0;
  for (Operation &op : *definer->getBlock()) {
    if (&op == definer)
      break;
    ++index;
  }
  unsigned number = cast<OpResult>(value).getResultNumber();
  if (auto call = dyn_cast<func::CallOp>(definer)) {
    auto callee = SymbolTable::lookupNearestSymbolFrom<func::FuncOp>(
        call, call.getCalleeAttr());
    auto residuals =
        callee ? callee->getAttrOfType<IntegerAttr>(kResidualsAttrName)
               : IntegerAttr();
    unsigned own = call.getNumResults() - (residuals ? residuals.getInt() : 0);
    if (residuals && number >= own && !callee.isExternal()) {
      Value returned =
          callee.getBody().front().getTerminator()->getOperand(number);
      if (returned.getDefiningOp())
        return std::to_string(index) + ":r" + keyOf(returned);
    }
  }
  return std::to_string(index) + ":" + std::to_string(number);
}

/// The value `key` names in `block`, or null.
Value valueOf(Block &block, StringRef key) {
  auto [opText, rest] = key.split(':');
  unsigned index = 0;
  if (opText.getAsInteger(10, index))
    return {};
  Operation *op = nullptr;
  for (Operation &candidate : block)
    if (index-- == 0) {
      op = &candidate;
      break;
    }
  if (!op)
    return {};
  if (rest.consume_front("r")) {
    auto call = dyn_cast<func::CallOp>(op);
    auto callee = call ? SymbolTable::lookupNearestSymbolFrom<func::FuncOp>(
                             call, call.getCalleeAttr())
                       : func::FuncOp();
    if (!callee || callee.isExternal())
      return {};
    Operation *terminator = callee.getBody().front().getTerminator();
    Value inner = valueOf(callee.getBody().front(), rest);
    for (OpOperand &operand : terminator->getOpOperands())
      if (operand.get() == inner)
        return call.getResult(operand.getOperandNumber());
    return {};
  }
  unsigned number = 0;
  if (rest.getAsInteger(10, number) || number >= op->getNumResults())
    return {};
  return op->getResult(number);
}

StringRef functionOf(Block &block) {
  return cast<func::FuncOp>(block.getParentOp()).getSymName();
}

/// What a layer function keeps and recomputes, by key.
struct LayerChoice {
  std::set<ValueKey> saved, recomputed;
  /// Of `recomputed`, what policy none recomputes too.
  std::set<ValueKey> free;
  /// The body of a scan (not a function it calls).
  bool isLayer = false;
};

/// Policy none, noting each layer function's saved values.
class RecordingPolicy final : public RematPolicy {
public:
  explicit RecordingPolicy(std::map<std::string, LayerChoice> &layers)
      : layers(layers) {}
  StringRef name() const override { return "none"; }
  void choose(Block &forward, ArrayRef<Value> needed, RematRole role,
              RematPlan &plan) const override {
    addFreeValues(forward, needed, plan);
    LayerChoice &layer = layers[functionOf(forward).str()];
    layer.isLayer = role == RematRole::Layer;
    for (Value value : needed)
      (plan.contains(value) ? layer.recomputed : layer.saved)
          .insert(keyOf(value));
    for (auto &entry : plan)
      layer.free.insert(keyOf(entry.first));
  }

private:
  std::map<std::string, LayerChoice> &layers;
};

/// Recomputes the chosen values of each layer function.
class ChosenPolicy final : public RematPolicy {
public:
  explicit ChosenPolicy(const std::map<std::string, LayerChoice> &layers)
      : layers(layers) {}
  StringRef name() const override { return "budget"; }
  void choose(Block &forward, ArrayRef<Value> needed, RematRole role,
              RematPlan &plan) const override {
    addFreeValues(forward, needed, plan);
    auto found = layers.find(functionOf(forward).str());
    if (found == layers.end())
      return;
    // All results of a recomputed op: a call's residuals may have changed
    // since its keys were taken, but cloning it yields every one.
    for (const ValueKey &key : found->second.recomputed)
      if (Value value = valueOf(forward, key))
        for (Value result : value.getDefiningOp()->getResults())
          plan.insert({result, "budget: most bytes freed per FLOP first"});
  }

private:
  const std::map<std::string, LayerChoice> &layers;
};

/// How many times each function runs per call of `entry`.
llvm::DenseMap<Operation *, int64_t> executionsOf(ModuleOp module,
                                                  func::FuncOp entry) {
  llvm::DenseMap<Operation *, int64_t> executions;
  std::function<void(func::FuncOp, int64_t)> visit = [&](func::FuncOp f,
                                                         int64_t times) {
    executions[f] += times;
    if (f.isExternal())
      return;
    for (Operation &op : f.getBody().front()) {
      if (auto call = dyn_cast<func::CallOp>(op)) {
        if (auto callee = module.lookupSymbol<func::FuncOp>(call.getCalleeAttr()))
          visit(callee, times);
      } else if (auto scan = dyn_cast<ScanOp>(op)) {
        if (auto callee = module.lookupSymbol<func::FuncOp>(scan.getCalleeAttr()))
          visit(callee, times * std::max<int64_t>(scan.getNumLayers(), 0));
      }
    }
  };
  visit(entry, 1);
  return executions;
}

/// The greedy choice over the differentiated functions of the module as
/// built now (their `@f_fwd` bodies).
class Greedy {
public:
  Greedy(ModuleOp module, func::FuncOp entry,
         std::map<std::string, LayerChoice> &choices)
      : choices(choices) {
    llvm::DenseMap<Operation *, int64_t> executions =
        executionsOf(module, entry);
    for (auto &[name, choice] : choices) {
      auto function = module.lookupSymbol<func::FuncOp>(name);
      if (!function || function.isExternal())
        continue;
      auto layer = std::make_unique<Layer>();
      layer->name = name;
      layer->function = function;
      layer->block = &function.getBody().front();
      layer->times = executions.lookup(function);
      auto resolve = [&](const std::set<ValueKey> &keys,
                         llvm::DenseSet<Value> &values) {
        for (const ValueKey &key : keys)
          if (Value value = valueOf(*layer->block, key))
            values.insert(value);
      };
      resolve(choice.saved, layer->saved);
      resolve(choice.recomputed, layer->recomputed);
      resolve(choice.free, layer->free);
      layer->isLayer = choice.isLayer;
      layers.push_back(std::move(layer));
    }
  }

  /// Recomputes the candidates that free at least `bytes` at the least
  /// FLOPs. When no choice frees that much, recomputes everything a layer
  /// computes (policy full) and returns false.
  bool free(int64_t bytes) {
    SmallVector<Candidate> candidates;
    for (auto &layer : layers) {
      if (layer->times == 0 || !inLayer(*layer))
        continue;
      // In the body's order, so that the choice is deterministic.
      for (Operation &op : layer->block->without_terminator()) {
        auto saved = llvm::find_if(op.getResults(), [&](Value result) {
          return layer->saved.contains(result);
        });
        if (saved != op.getResults().end())
          if (Candidate candidate = evaluate(*layer, *saved); candidate.layer) {
            candidate.order = candidates.size();
            candidates.push_back(std::move(candidate));
          }
      }
    }
    std::optional<SmallVector<Candidate>> chosen =
        cheapestCover(candidates, bytes);
    if (chosen) {
      // Most bytes per FLOP first; each chain is evaluated again, as one
      // chosen before may have made it shorter.
      llvm::sort(*chosen, [](const Candidate &a, const Candidate &b) {
        return a.better(b) || (!b.better(a) && a.order < b.order);
      });
      for (Candidate &candidate : *chosen)
        apply(*candidate.layer, candidate.value);
    } else {
      // Policy full: every layer runs again from its input.
      for (auto &layer : layers) {
        if (!layer->isLayer)
          continue;
        for (Operation &op : layer->block->without_terminator())
          for (Value result : op.getResults()) {
            layer->saved.erase(result);
            layer->recomputed.insert(result);
          }
      }
    }
    keepWhatCallersRecompute();
    for (auto &layer : layers) {
      LayerChoice &choice = choices[layer->name];
      choice.saved.clear();
      choice.recomputed.clear();
      for (Value value : layer->saved)
        choice.saved.insert(keyOf(value));
      for (Value value : layer->recomputed)
        choice.recomputed.insert(keyOf(value));
    }
    return chosen.has_value();
  }

private:
  struct Layer {
    std::string name;
    func::FuncOp function;
    Block *block = nullptr;
    int64_t times = 0;
    bool isLayer = false;
    llvm::DenseSet<Value> saved, recomputed, free;
  };
  struct Candidate {
    Layer *layer = nullptr;
    Value value;
    /// The position among the candidates: ties are broken by it.
    size_t order = 0;
    SmallVector<Operation *> chain;
    int64_t gain = 0, cost = 0;
    /// More bytes per FLOP (cross-multiplied; ties: more bytes).
    bool better(const Candidate &other) const {
      __int128 mine = (__int128)gain * (other.cost + 1);
      __int128 theirs = (__int128)other.gain * (cost + 1);
      return mine != theirs ? mine > theirs : gain > other.gain;
    }
  };

  /// The calls of `layer`'s function in the other functions, with the
  /// caller.
  SmallVector<std::pair<Layer *, func::CallOp>> callsOf(Layer &layer) {
    SmallVector<std::pair<Layer *, func::CallOp>> calls;
    for (auto &caller : layers)
      for (Operation &op : *caller->block)
        if (auto call = dyn_cast<func::CallOp>(op);
            call && call.getCallee() == layer.name)
          calls.push_back({caller.get(), call});
    return calls;
  }

  /// `value` of `layer` is no longer a residual: neither are the call
  /// results that return it in its callers.
  void forgetInCallers(Layer &layer, Value value) {
    Operation *terminator = layer.block->getTerminator();
    for (OpOperand &returned : terminator->getOpOperands()) {
      if (returned.get() != value)
        continue;
      for (auto [caller, call] : callsOf(layer)) {
        Value result = call.getResult(returned.getOperandNumber());
        if (caller->saved.erase(result))
          forgetInCallers(*caller, result);
      }
    }
  }

  /// A function whose every call is recomputed by its callers keeps its
  /// residuals only for the moment its caller's backward pass runs:
  /// recomputing inside it would only add FLOPs.
  void keepWhatCallersRecompute() {
    for (auto &layer : layers) {
      auto calls = callsOf(*layer);
      if (calls.empty() || !llvm::all_of(calls, [](auto &entry) {
            return entry.first->recomputed.contains(
                entry.second.getResult(0));
          }))
        continue;
      for (Value value : llvm::make_early_inc_range(layer->recomputed))
        if (!layer->free.contains(value)) {
          layer->recomputed.erase(value);
          layer->saved.insert(value);
        }
    }
  }

  Candidate evaluate(Layer &layer, Value value) {
    Candidate candidate;
    llvm::DenseSet<Operation *> inChain;
    bool ok = true;
    std::function<void(Operation *)> add = [&](Operation *op) {
      if (!ok || !inChain.insert(op).second)
        return;
      if (isa<ScanOp>(op)) {
        ok = false;
        return;
      }
      for (Value operand : op->getOperands()) {
        if (auto argument = dyn_cast<BlockArgument>(operand)) {
          ok &= argument.getOwner() == layer.block;
          continue;
        }
        Operation *definer = operand.getDefiningOp();
        if (layer.saved.contains(operand) ||
            layer.recomputed.contains(operand) ||
            isa<ConstantOp, IotaOp>(definer))
          continue;
        add(definer);
      }
      candidate.chain.push_back(op);
    };
    Operation *definer = value.getDefiningOp();
    add(definer);
    if (!ok)
      return {};
    for (Value result : definer->getResults())
      if (layer.saved.contains(result))
        candidate.gain += tensorBytes(result.getType());
    for (Operation *op : candidate.chain)
      candidate.cost += flopsOf(op);
    candidate.gain *= layer.times;
    candidate.cost *= layer.times;
    candidate.layer = &layer;
    candidate.value = value;
    return candidate;
  }

  /// Whether `layer` runs inside a layer (a scan's body or a function it
  /// calls): its saved values are kept per layer, all through the backward
  /// scan, where the step's peak is. Those of the functions around the
  /// scans are dead by then, and freeing them rarely lowers the peak.
  bool inLayer(Layer &layer) {
    if (layer.isLayer)
      return true;
    return llvm::any_of(callsOf(layer), [&](auto &entry) {
      return entry.first != &layer && inLayer(*entry.first);
    });
  }

  /// Recomputes `value` (if still saved) and what it needs.
  void apply(Layer &layer, Value value) {
    if (!layer.saved.contains(value))
      return;
    Candidate now = evaluate(layer, value);
    if (!now.layer)
      return;
    for (Operation *op : now.chain)
      for (Value result : op->getResults()) {
        if (layer.saved.erase(result))
          forgetInCallers(layer, result);
        layer.recomputed.insert(result);
      }
  }

  /// The 0/1 knapsack "least FLOPs freeing at least `bytes`", by dynamic
  /// programming over the bytes freed in 1/kSteps of `bytes` (rounded
  /// down, so a cover found frees enough); none when no choice does.
  static std::optional<SmallVector<Candidate>>
  cheapestCover(ArrayRef<Candidate> candidates, int64_t bytes) {
    int64_t total = 0;
    for (const Candidate &candidate : candidates)
      total += candidate.gain;
    if (total < bytes)
      return std::nullopt;
    constexpr int64_t kSteps = 2048;
    const int64_t unit = std::max<int64_t>(bytes / kSteps, 1);
    const int64_t need = (bytes + unit - 1) / unit;
    constexpr int64_t kNone = INT64_MAX;
    // cost[i][b]: the least FLOPs of candidates [0, i) freeing b units
    // (b = need: at least need).
    const size_t n = candidates.size();
    std::vector<std::vector<int64_t>> cost(
        n + 1, std::vector<int64_t>(need + 1, kNone));
    cost[0][0] = 0;
    for (size_t i = 0; i < n; ++i) {
      const int64_t units = candidates[i].gain / unit;
      for (int64_t b = 0; b <= need; ++b) {
        if (cost[i][b] == kNone)
          continue;
        cost[i + 1][b] = std::min(cost[i + 1][b], cost[i][b]);
        int64_t to = std::min(need, b + units);
        cost[i + 1][to] =
            std::min(cost[i + 1][to], cost[i][b] + candidates[i].cost);
      }
    }
    if (cost[n][need] == kNone)
      return std::nullopt;
    SmallVector<Candidate> chosen;
    for (int64_t i = n, b = need; i > 0; --i) {
      if (cost[i - 1][b] == cost[i][b])
        continue;
      // Candidate i-1 was taken: find the state it came from.
      const int64_t units = candidates[i - 1].gain / unit;
      for (int64_t from = 0; from <= b; ++from)
        if (cost[i - 1][from] != kNone &&
            std::min(need, from + units) == b &&
            cost[i - 1][from] + candidates[i - 1].cost == cost[i][b]) {
          chosen.push_back(candidates[i - 1]);
          b = from;
          break;
        }
    }
    return chosen;
  }

  std::map<std::string, LayerChoice> &choices;
  std::vector<std::unique_ptr<Layer>> layers;
};

FailureOr<int64_t> measurePeak(ModuleOp module, func::FuncOp entry,
                               bool usePlan) {
  if (!usePlan)
    return estimatePeakMemory(module, entry);
  OwningOpRef<ModuleOp> copy = module.clone();
  CpuPipelineOptions options;
  options.entries = std::vector<std::string>{entry.getSymName().str()};
  PassManager lower(module.getContext());
  buildCpuLoweringPipeline(lower, options);
  if (failed(lower.run(*copy)))
    return failure();
  auto lowered = copy->lookupSymbol<func::FuncOp>(entry.getSymName());
  auto bytes = lowered ? lowered->getAttrOfType<IntegerAttr>(
                             "ds.workspace_bytes")
                       : IntegerAttr();
  if (!bytes)
    return failure();
  return bytes.getInt();
}

} // namespace

std::optional<int64_t> parseBytes(StringRef text) {
  text = text.trim();
  int64_t scale = 1;
  struct Suffix {
    const char *text;
    int64_t scale;
  } suffixes[] = {{"KiB", 1LL << 10},     {"MiB", 1LL << 20},
                  {"GiB", 1LL << 30},     {"TiB", 1LL << 40},
                  {"K", 1000},            {"M", 1000000},
                  {"G", 1000000000},      {"T", 1000000000000}};
  for (const Suffix &suffix : suffixes)
    if (text.consume_back(suffix.text)) {
      scale = suffix.scale;
      break;
    }
  // Digits with at most one decimal point ("62.5M"); no sign, exponent,
  // inf or nan, which getAsDouble alone would take.
  text = text.trim();
  if (text.empty() || text.count('.') > 1 ||
      !llvm::all_of(text, [](char c) { return llvm::isDigit(c) || c == '.'; }))
    return std::nullopt;
  double value = 0;
  if (text.getAsDouble(value))
    return std::nullopt;
  const double bytes = std::round(value * double(scale));
  if (!(bytes >= 1) || bytes > 9.0e18)
    return std::nullopt;
  return int64_t(bytes);
}

LogicalResult fitMemoryBudget(ModuleOp module, const BudgetOptions &options,
                              RebuildGradients rebuild) {
  Location loc = module.getLoc();
  SmallVector<int64_t> measured;
  auto entryOf = [&]() { return module.lookupSymbol<func::FuncOp>(options.entry); };
  auto measure = [&]() -> FailureOr<int64_t> {
    FailureOr<int64_t> peak = measurePeak(module, entryOf(), options.usePlan);
    if (succeeded(peak))
      measured.push_back(*peak);
    if (failed(peak))
      emitError(loc, "--ds-remat: could not measure the peak memory of @")
          << options.entry << " (lowering it failed)";
    return peak;
  };

  std::map<std::string, LayerChoice> choices;
  RecordingPolicy recording(choices);
  if (failed(rebuild(recording)))
    return failure();
  FailureOr<int64_t> peak = measure();
  if (failed(peak))
    return failure();
  // Each round frees what the last measurement is over by; the freed bytes
  // do not always lower the peak one for one (they may not be alive at
  // the peak), so the next measurement decides.
  constexpr int kMaxRounds = 8;
  bool stalled = false;
  for (int round = 0; *peak > options.budget; ++round) {
    Greedy greedy(module, entryOf(), choices);
    // The last round recomputes all it can, which shows the smallest peak.
    int64_t wanted = round + 1 == kMaxRounds ? INT64_MAX
                                             : *peak - options.budget;
    const bool covered = greedy.free(stalled ? INT64_MAX : wanted);
    ChosenPolicy chosen(choices);
    if (failed(rebuild(chosen)))
      return failure();
    FailureOr<int64_t> next = measure();
    if (failed(next))
      return failure();
    // A round that did not lower the peak leaves only the last resort.
    stalled = *next >= *peak;
    if (*next > options.budget && !covered)
      return emitError(entryOf().getLoc(), "--ds-remat: the budget of ")
             << options.budget << " bytes is out of reach: the smallest peak "
             << "of @" << options.entry << " the policies reach is " << *next
             << " bytes, with every layer recomputed from its input (the rest "
                "is gradients, the values saved outside the layers and one "
                "layer's working set)";
    peak = next;
  }
  // The search, for whoever reads the IR: the budget and each peak
  // measured (policy none first, then after each round).
  MLIRContext *context = module.getContext();
  Builder b(context);
  NamedAttribute search[] = {
      {b.getStringAttr("budget"), b.getI64IntegerAttr(options.budget)},
      {b.getStringAttr("measured_by"),
       b.getStringAttr(options.usePlan ? "plan" : "estimate")},
      {b.getStringAttr("peaks"), b.getI64ArrayAttr(measured)}};
  entryOf()->setAttr("ds.remat_budget", DictionaryAttr::get(context, search));
  return success();
}

} // namespace mlir::ds
