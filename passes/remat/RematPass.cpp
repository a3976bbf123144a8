//===- RematPass.cpp - --ds-remat -----------------------------------------===//
//
// Which values a backward pass saves is decided while it is built: the
// sweep reads a forward value either as a residual or through a clone of
// its defining op. So the pass builds the gradient functions again, from
// the functions they differentiate, with the chosen policy (as JAX applies
// checkpoint policies while differentiating). The old gradient functions
// and the helpers only they reached are erased first; the new ones keep
// their names and signatures, so @train_step and other callers are
// untouched.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/autodiff/Autodiff.h"
#include "passes/remat/Budget.h"
#include "passes/remat/Policies.h"

#include "dialects/ds/DsDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/SetVector.h"

namespace mlir::ds {
#define GEN_PASS_DEF_DSREMATPASS
#include "passes/Passes.h.inc"

namespace {

/// A gradient function to build again.
struct GradientToRebuild {
  std::string name;
  func::FuncOp of;
  AutodiffOptions options;
  FunctionType type;
  Location loc;
};

/// The private functions `roots` call or scan over, transitively.
llvm::SetVector<Operation *> helpersOf(ModuleOp module,
                                       ArrayRef<func::FuncOp> roots) {
  llvm::SetVector<Operation *> found;
  SmallVector<Operation *> worklist(roots.begin(), roots.end());
  while (!worklist.empty()) {
    Operation *function = worklist.pop_back_val();
    function->walk([&](Operation *op) {
      FlatSymbolRefAttr callee;
      if (auto call = dyn_cast<func::CallOp>(op))
        callee = call.getCalleeAttr();
      else if (auto scan = dyn_cast<ScanOp>(op))
        callee = scan.getCalleeAttr();
      auto target = callee ? module.lookupSymbol<func::FuncOp>(callee)
                           : func::FuncOp();
      if (target && target.isPrivate() && found.insert(target))
        worklist.push_back(target);
    });
  }
  return found;
}

struct DsRematPass : impl::DsRematPassBase<DsRematPass> {
  using DsRematPassBase::DsRematPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    FailureOr<SmallVector<GradientToRebuild>> gradients = collect(module);
    if (failed(gradients))
      return signalPassFailure();
    auto rebuild = [&](const RematPolicy &remat) {
      return rebuildGradients(module, *gradients, remat);
    };

    if (!budget.empty() || policy == "budget") {
      FailureOr<BudgetOptions> options = budgetOptions(module, *gradients);
      if (failed(options) || failed(fitMemoryBudget(module, *options, rebuild)))
        return signalPassFailure();
      return;
    }
    std::unique_ptr<RematPolicy> remat = makeRematPolicy(policy);
    if (!remat) {
      emitError(module.getLoc(), "--ds-remat: unknown policy '")
          << policy << "' (expected none, full, selective or budget)";
      return signalPassFailure();
    }
    if (failed(rebuild(*remat)))
      signalPassFailure();
  }

  FailureOr<BudgetOptions>
  budgetOptions(ModuleOp module, ArrayRef<GradientToRebuild> gradients) {
    Location loc = module.getLoc();
    if (policy != "budget" && policy != "selective")
      return emitError(loc, "--ds-remat: budget= goes with policy=budget, not "
                            "policy=")
             << policy;
    BudgetOptions options;
    std::optional<int64_t> bytes = parseBytes(budget);
    if (!bytes)
      return emitError(loc, "--ds-remat: budget='")
             << budget
             << "' is not a positive byte count (a number, optionally with "
                "K, M, G, T, KiB, MiB, GiB or TiB)";
    options.budget = *bytes;
    if (peak != "plan" && peak != "estimate")
      return emitError(loc, "--ds-remat: peak='")
             << peak << "' (expected plan or estimate)";
    options.usePlan = peak == "plan";
    // The step when there is one, else the (first) gradient function.
    options.entry = module.lookupSymbol<func::FuncOp>("train_step")
                        ? std::string("train_step")
                        : gradients.front().name;
    return options;
  }

  /// Erases the gradient functions and the helpers only they used, and
  /// builds them again with `remat`.
  LogicalResult rebuildGradients(ModuleOp module,
                                 ArrayRef<GradientToRebuild> gradients,
                                 const RematPolicy &remat) {
    SmallVector<func::FuncOp> old;
    for (const GradientToRebuild &gradient : gradients)
      if (auto function = module.lookupSymbol<func::FuncOp>(gradient.name))
        old.push_back(function);
    SmallVector<Operation *> helpers = helpersOf(module, old).takeVector();
    for (func::FuncOp function : old)
      function.erase();
    for (bool erased = true; erased;) {
      erased = false;
      for (Operation *&helper : helpers)
        if (helper && SymbolTable::symbolKnownUseEmpty(helper, module)) {
          helper->erase();
          helper = nullptr;
          erased = true;
        }
    }
    for (const GradientToRebuild &gradient : gradients) {
      AutodiffOptions options = gradient.options;
      options.remat = &remat;
      options.gradientName = gradient.name;
      FailureOr<func::FuncOp> rebuilt =
          differentiateFunction(gradient.of, options);
      if (failed(rebuilt))
        return failure();
      if (rebuilt->getFunctionType() != gradient.type)
        return rebuilt->emitError("internal error: --ds-remat changed the "
                                  "signature of @")
               << gradient.name << " from " << gradient.type << " to "
               << rebuilt->getFunctionType();
    }
    return success();
  }

  /// The gradient functions, with what they were built from; errors when
  /// there are none or the step is already sharded.
  FailureOr<SmallVector<GradientToRebuild>> collect(ModuleOp module) {
    SmallVector<GradientToRebuild> gradients;
    for (auto function : module.getOps<func::FuncOp>()) {
      if (auto ranks = function->getAttrOfType<IntegerAttr>(kRanksAttrName))
        return function.emitError("--ds-remat must run before --ds-shard: @")
               << function.getSymName() << " is already a program for "
               << ranks.getInt() << " ranks";
      auto how = function->getAttrOfType<DictionaryAttr>(kGradientAttrName);
      if (!how)
        continue;
      auto of = how.getAs<FlatSymbolRefAttr>("of");
      auto source = of ? module.lookupSymbol<func::FuncOp>(of)
                       : func::FuncOp();
      if (!source)
        return function.emitError("--ds-remat: the function @")
               << function.getSymName()
               << " differentiates (ds.gradient's 'of') is missing";
      AutodiffOptions options;
      if (auto flag = how.getAs<BoolAttr>("all_float_arguments"))
        options.allFloatArguments = flag.getValue();
      if (auto flag = how.getAs<BoolAttr>("seed_argument"))
        options.seedArgument = flag.getValue();
      gradients.push_back({function.getSymName().str(), source, options,
                           function.getFunctionType(), function.getLoc()});
    }
    if (gradients.empty()) {
      emitError(module.getLoc(), "--ds-remat: no gradient function to rebuild (run "
                       "--ds-autodiff first)");
      return failure();
    }
    return gradients;
  }
};

} // namespace
} // namespace mlir::ds
