//===- ds-gradcheck.cpp - check VJPs against finite differences -----------===//
//
//   ds-gradcheck vjp_tests.mlir [--function=NAME] [--seed=N] [--rtol=1e-6]
//   ds-gradcheck --list-vjp-ops
//
// For every public function of the file: a random cotangent w_j for each
// float result y_j defines the scalar L = Σ_j Σ w_j ⊙ y_j; --ds-autodiff
// builds ∂L/∂x for every float argument x, the reference interpreter runs it,
// and central finite differences of L in f64, (L(x + h e_i) − L(x − h e_i)) /
// 2h, check it element by element (all elements, or a random sample of
// --max-elements). Inputs are random with magnitudes in [0.5, 2] and random
// signs, away from the kinks of abs, relu, max and the like; a function that
// needs positive inputs takes ds.abs of them. Integer inputs (indices) are
// constants inside the function.
//
//===----------------------------------------------------------------------===//

#include "dialects/ds/DsDialect.h"
#include "dialects/ds/SafeParse.h"
#include "dialects/ds/reference/Interpreter.h"
#include "passes/autodiff/Autodiff.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <random>

namespace cl = llvm::cl;
using namespace mlir;
using mlir::ds::reference::Tensor;

static cl::OptionCategory category("ds-gradcheck options");
static cl::opt<std::string> inputPath(cl::Positional, cl::desc("<file.mlir>"),
                                      cl::cat(category));
static cl::list<std::string> functions("function",
                                       cl::desc("Check only these functions (repeatable)"),
                                       cl::cat(category));
static cl::opt<uint64_t> seed("seed", cl::desc("Random seed"), cl::init(1),
                              cl::cat(category));
static cl::opt<double> step("step", cl::desc("Finite-difference step h"),
                            cl::init(1e-6), cl::cat(category));
static cl::opt<double> rtol("rtol",
                            cl::desc("Bound on ||analytic - numeric|| / ||numeric||"),
                            cl::init(1e-6), cl::cat(category));
static cl::opt<unsigned> maxElements("max-elements",
                                     cl::desc("Elements checked per argument (a random sample beyond)"),
                                     cl::init(64), cl::cat(category));
static cl::opt<bool> listVjpOps("list-vjp-ops",
                                cl::desc("Print the ds ops that implement VjpOpInterface and exit"),
                                cl::cat(category));

namespace {

RankedTensorType tensorType(Type type) { return cast<RankedTensorType>(type); }

/// Builds `@<name>_scalar(args) -> f64`: Σ_j Σ w_j ⊙ y_j over float results.
func::FuncOp buildScalarLoss(func::FuncOp function, std::mt19937_64 &rng) {
  OpBuilder b(function);
  Location loc = function.getLoc();
  Type f64 = b.getF64Type();
  auto scalarType = RankedTensorType::get({}, f64);
  auto loss = func::FuncOp::create(
      b, loc, (function.getSymName() + "_gradcheck").str(),
      b.getFunctionType(function.getArgumentTypes(), {scalarType}));
  Block *block = loss.addEntryBlock();
  b.setInsertionPointToEnd(block);
  auto call = func::CallOp::create(b, loc, function, block->getArguments());
  std::normal_distribution<double> normal;
  Value total;
  for (Value result : call.getResults()) {
    auto type = tensorType(result.getType());
    if (!isa<FloatType>(type.getElementType()))
      continue;
    SmallVector<Attribute> weights;
    for (int64_t i = 0; i < type.getNumElements(); ++i)
      weights.push_back(FloatAttr::get(type.getElementType(), normal(rng)));
    Value w = ds::ConstantOp::create(b, loc, DenseElementsAttr::get(type, weights));
    SmallVector<int64_t> axes;
    for (int64_t d = 0; d < type.getRank(); ++d)
      axes.push_back(d);
    Value product = ds::MulOp::create(b, loc, result, w);
    Value sum = axes.empty() ? product
                             : Value(ds::ReduceSumOp::create(b, loc, product,
                                                             axes, false));
    sum = ds::CastOp::create(b, loc, scalarType, sum);
    total = total ? Value(ds::AddOp::create(b, loc, total, sum)) : sum;
  }
  func::ReturnOp::create(b, loc, total);
  return loss;
}

double evaluate(func::FuncOp loss, const std::vector<Tensor> &arguments,
                bool &ok) {
  FailureOr<std::vector<Tensor>> out = ds::reference::interpret(loss, arguments);
  if (failed(out)) {
    ok = false;
    return 0.0;
  }
  return out->front().values.front();
}

/// Checks one function; prints a line per float argument.
bool check(func::FuncOp function, std::mt19937_64 &rng) {
  std::string name = function.getSymName().str();
  for (Type type : function.getArgumentTypes())
    if (!isa<FloatType>(tensorType(type).getElementType())) {
      llvm::outs() << "@" << name
                   << ": FAILED: integer arguments are not supported (make "
                      "indices constants inside the function)\n";
      return false;
    }
  if (llvm::none_of(function.getResultTypes(), [](Type type) {
        return isa<FloatType>(tensorType(type).getElementType());
      })) {
    llvm::outs() << "@" << name << ": FAILED: no float result\n";
    return false;
  }
  func::FuncOp loss = buildScalarLoss(function, rng);
  ds::AutodiffOptions options;
  options.allFloatArguments = true;
  FailureOr<func::FuncOp> gradient = ds::differentiateFunction(loss, options);
  if (failed(gradient) || failed(verify(function->getParentOp()))) {
    llvm::outs() << "@" << name << ": FAILED: could not differentiate\n";
    return false;
  }

  std::uniform_real_distribution<double> magnitude(0.5, 2.0);
  std::bernoulli_distribution negative(0.5);
  std::vector<Tensor> arguments;
  for (Type type : function.getArgumentTypes()) {
    auto tensor = tensorType(type);
    auto kind = ds::reference::elementKindOf(tensor.getElementType());
    Tensor value(*kind, std::vector<int64_t>(tensor.getShape().begin(),
                                             tensor.getShape().end()));
    for (double &element : value.values)
      element = (negative(rng) ? -1.0 : 1.0) * magnitude(rng);
    value.roundValues();
    arguments.push_back(std::move(value));
  }
  FailureOr<std::vector<Tensor>> analytic =
      ds::reference::interpret(*gradient, arguments);
  if (failed(analytic)) {
    llvm::outs() << "@" << name << ": FAILED: the gradient function failed to run\n";
    return false;
  }

  bool allOk = true;
  for (size_t arg = 0; arg < arguments.size(); ++arg) {
    const Tensor &grad = (*analytic)[1 + arg];
    size_t count = arguments[arg].values.size();
    std::vector<size_t> picks(count);
    for (size_t i = 0; i < count; ++i)
      picks[i] = i;
    if (count > maxElements) {
      std::shuffle(picks.begin(), picks.end(), rng);
      picks.resize(maxElements);
    }
    double diff2 = 0.0, ref2 = 0.0;
    bool ran = true;
    for (size_t i : picks) {
      std::vector<Tensor> shifted = arguments;
      double x = arguments[arg].values[i];
      shifted[arg].values[i] = x + step;
      double plus = evaluate(loss, shifted, ran);
      shifted[arg].values[i] = x - step;
      double minus = evaluate(loss, shifted, ran);
      double numeric = (plus - minus) / (2 * step);
      double d = grad.values[i] - numeric;
      diff2 += d * d;
      ref2 += numeric * numeric;
    }
    double relative = std::sqrt(diff2) / std::max(std::sqrt(ref2), 1e-30);
    if (ref2 == 0.0 && diff2 == 0.0)
      relative = 0.0;
    bool ok = ran && relative <= rtol;
    allOk &= ok;
    llvm::outs() << "@" << name << " arg" << arg << " ("
                 << ds::reference::formatShape(arguments[arg].shape) << ", "
                 << picks.size() << " of " << count << " elements): "
                 << "relative error " << llvm::format("%.2e", relative)
                 << (ok ? " ok" : " FAILED") << "\n";
  }
  return allOk;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "Checks the VJPs --ds-autodiff builds against finite differences\n");

  MLIRContext context;
  context.loadDialect<ds::DsDialect, func::FuncDialect>();
  if (listVjpOps) {
    for (RegisteredOperationName op : context.getRegisteredOperations())
      if (op.getDialectNamespace() == "ds" &&
          op.hasInterface<ds::VjpOpInterface>())
        llvm::outs() << op.getStringRef() << "\n";
    return 0;
  }
  if (inputPath.empty()) {
    llvm::errs() << "ds-gradcheck: error: no input file\n";
    return 1;
  }
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
  auto input = llvm::MemoryBuffer::getFileOrSTDIN(inputPath);
  if (!input) {
    llvm::errs() << "ds-gradcheck: error: " << inputPath << ": "
                 << input.getError().message() << "\n";
    return 1;
  }
  sourceMgr.AddNewSourceBuffer(std::move(*input), llvm::SMLoc());
  OwningOpRef<ModuleOp> module = ds::parseModuleSafely(sourceMgr, &context);
  if (!module)
    return 1;

  std::mt19937_64 rng(seed);
  SmallVector<func::FuncOp> targets;
  for (auto function : module->getOps<func::FuncOp>())
    if (function.isPublic() &&
        (functions.empty() || llvm::is_contained(functions, function.getSymName())))
      targets.push_back(function);
  if (targets.empty()) {
    llvm::errs() << "ds-gradcheck: error: no function to check\n";
    return 1;
  }
  unsigned failures = 0;
  for (func::FuncOp function : targets)
    failures += check(function, rng) ? 0 : 1;
  llvm::outs() << "gradcheck: " << targets.size() << " functions, "
               << failures << " failed (rtol " << llvm::format("%.0e", rtol.getValue())
               << ", h " << llvm::format("%.0e", step.getValue()) << ")\n";
  return failures ? 1 : 0;
}
