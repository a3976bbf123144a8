//===- LowerToLinalgPass.cpp - --ds-lower-to-linalg -----------------------===//
//
// Prepares functions for code generation (the status argument, entry points,
// scans as loops) and runs the ds op lowering patterns of ElementwiseLowering,
// ShapeLowering and ModelLowering as a partial conversion, so any ds op left
// over is reported with its location.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/lower/Pipeline.h"

#include "dialects/ds/DsDialect.h"
#include "passes/lower/LoweringUtils.h"

#include "mlir/Dialect/Shard/IR/ShardDialect.h"
#include "mlir/Dialect/Shard/IR/ShardOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/Transforms/DialectConversion.h"
#include "mlir/Transforms/Passes.h"

#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringSet.h"

namespace mlir::ds {
#define GEN_PASS_DEF_DSLOWERTOLINALGPASS
#include "passes/Passes.h.inc"

namespace {

/// ds.scan → scf.for: layer i (L-1-i with `reverse`) calls the layer
/// function on the carries, the invariants and slice i of every stacked
/// operand, and inserts its per-layer results at index i.
void lowerScan(ScanOp scan) {
  OpBuilder b(scan);
  Location loc = scan.getLoc();
  int64_t layers = scan.getNumLayers();
  Value status = lowering::statusOf(scan);
  auto callee = SymbolTable::lookupNearestSymbolFrom<func::FuncOp>(
      scan, scan.getCalleeAttr());
  size_t numCarries = scan.getCarries().size();

  SmallVector<Value> inits(scan.getCarries().begin(), scan.getCarries().end());
  for (Value result : scan.getResults().drop_front(numCarries)) {
    auto type = cast<RankedTensorType>(result.getType());
    inits.push_back(tensor::EmptyOp::create(b, loc, type.getShape(),
                                            type.getElementType()));
  }
  Value lower = arith::ConstantIndexOp::create(b, loc, 0);
  Value upper = arith::ConstantIndexOp::create(b, loc, layers);
  Value step = arith::ConstantIndexOp::create(b, loc, 1);
  bool reverse = scan.getReverse();
  auto loop = scf::ForOp::create(
      b, loc, lower, upper, step, inits,
      [&](OpBuilder &nb, Location nl, Value iv, ValueRange iterArgs) {
        Value layer = iv;
        if (reverse)
          layer = arith::SubIOp::create(
              nb, nl, arith::ConstantIndexOp::create(nb, nl, layers - 1), iv);
        SmallVector<Value> arguments{status};
        arguments.append(iterArgs.begin(), iterArgs.begin() + numCarries);
        arguments.append(scan.getInvariants().begin(),
                         scan.getInvariants().end());
        auto sliceAt = [&](RankedTensorType stackedType) {
          SmallVector<OpFoldResult> offsets(stackedType.getRank(),
                                            nb.getIndexAttr(0));
          offsets[0] = layer;
          SmallVector<OpFoldResult> sizes =
              getAsIndexOpFoldResult(nb.getContext(), stackedType.getShape());
          sizes[0] = nb.getIndexAttr(1);
          SmallVector<OpFoldResult> strides(stackedType.getRank(),
                                            nb.getIndexAttr(1));
          return std::make_tuple(offsets, sizes, strides);
        };
        for (Value stacked : scan.getStacked()) {
          auto type = cast<RankedTensorType>(stacked.getType());
          auto [offsets, sizes, strides] = sliceAt(type);
          auto layerType = RankedTensorType::get(type.getShape().drop_front(),
                                                 type.getElementType());
          arguments.push_back(tensor::ExtractSliceOp::create(
              nb, nl, layerType, stacked, offsets, sizes, strides));
        }
        auto call = func::CallOp::create(nb, nl, callee, arguments);
        SmallVector<Value> yields(call.getResults().take_front(numCarries));
        for (auto [output, into] :
             llvm::zip(call.getResults().drop_front(numCarries),
                       iterArgs.drop_front(numCarries))) {
          auto type = cast<RankedTensorType>(into.getType());
          auto [offsets, sizes, strides] = sliceAt(type);
          yields.push_back(tensor::InsertSliceOp::create(
              nb, nl, output, into, offsets, sizes, strides));
        }
        scf::YieldOp::create(nb, nl, yields);
      });
  scan.replaceAllUsesWith(loop.getResults());
  scan.erase();
}

bool hasStaticSignature(func::FuncOp function) {
  for (Type type : llvm::concat<const Type>(
           function.getArgumentTypes(), function.getResultTypes()))
    if (auto shaped = dyn_cast<ShapedType>(type); shaped &&
                                                  !shaped.hasStaticShape())
      return false;
  return true;
}

struct LowerToLinalgPass
    : impl::DsLowerToLinalgPassBase<LowerToLinalgPass> {
  using DsLowerToLinalgPassBase::DsLowerToLinalgPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();

    SmallVector<func::FuncOp> functions;
    for (auto function : module.getOps<func::FuncOp>())
      if (!function.isExternal())
        functions.push_back(function);

    llvm::StringSet<> chosen;
    if (failed(chooseEntries(module, functions, chosen)))
      return signalPassFailure();

    // Only what the entry points reach is compiled.
    eraseUnreachable(module, chosen);
    if (failed(rejectFp8(module)))
      return signalPassFailure();
    functions.clear();
    for (auto function : module.getOps<func::FuncOp>())
      if (!function.isExternal())
        functions.push_back(function);

    // Every function takes the status first; every call passes it on.
    auto pointer = LLVM::LLVMPointerType::get(ctx);
    for (func::FuncOp function : functions) {
      if (failed(function.insertArgument(0, pointer, {}, function.getLoc())))
        return signalPassFailure();
      function.setArgAttr(0, kNameAttrName, StringAttr::get(ctx, "status"));
    }
    module.walk([&](func::CallOp call) {
      auto callee = SymbolTable::lookupNearestSymbolFrom<func::FuncOp>(
          call, call.getCalleeAttr());
      if (callee && !callee.isExternal())
        call->insertOperands(0, lowering::statusOf(call));
    });
    SmallVector<ScanOp> scans;
    module.walk([&](ScanOp scan) { scans.push_back(scan); });
    for (ScanOp scan : scans)
      lowerScan(scan);

    for (func::FuncOp function : functions) {
      if (!chosen.contains(function.getSymName())) {
        function.setPrivate();
        continue;
      }
      function.setPublic();
      flattenEmptyTensors(function);
      // The ds attributes describe tensors; below this point arguments are
      // buffers. The names stay, for reading the lowered IR.
      for (unsigned i = 0; i < function.getNumArguments(); ++i)
        if (auto param =
                function.getArgAttrOfType<ParamAttr>(i, kParamAttrName)) {
          function.removeArgAttr(i, kParamAttrName);
          function.setArgAttr(i, kNameAttrName,
                              StringAttr::get(ctx, param.getName()));
        }
      for (unsigned i = 0; i < function.getNumResults(); ++i)
        function.removeResultAttr(i, StringAttr::get(ctx, kBalancesAttrName));
      for (unsigned i = 1; i < function.getNumArguments(); ++i)
        if (isa<TensorType>(function.getArgument(i).getType()))
          function.setArgAttr(i, "bufferization.writable",
                              BoolAttr::get(ctx, false));
    }

    // The layer functions are inlined into the loops that call them before
    // the ops are lowered, so that a kernel sees that its operand is a slice
    // of a stacked weight and reads it in place (KernelCall::input) instead
    // of from a copy made for every layer and every call.
    OpPassManager inlining(ModuleOp::getOperationName());
    inlining.addPass(createInlinerPass());
    inlining.addPass(createSymbolDCEPass());
    if (failed(runPipeline(inlining, module)))
      return signalPassFailure();

    lowering::SiteTable sites;
    RewritePatternSet patterns(ctx);
    lowering::populateElementwiseLowering(patterns, sites);
    lowering::populateShapeLowering(patterns, sites);
    lowering::populateModelLowering(patterns, sites);
    lowering::populateCollectiveLowering(patterns, sites);
    ConversionTarget target(*ctx);
    target.addIllegalDialect<DsDialect, shard::ShardDialect>();
    target.addLegalOp<shard::GridOp>();
    target.addLegalDialect<arith::ArithDialect, bufferization::BufferizationDialect,
                           func::FuncDialect, linalg::LinalgDialect,
                           LLVM::LLVMDialect, math::MathDialect,
                           memref::MemRefDialect, scf::SCFDialect,
                           tensor::TensorDialect>();
    // A pattern that reports an error still replaces its op (a kernel call
    // that does not match kernels/KernelAbi.h, say); any error fails the
    // pass.
    bool reportedError = false;
    ScopedDiagnosticHandler errors(ctx, [&](Diagnostic &diagnostic) {
      reportedError |= diagnostic.getSeverity() == DiagnosticSeverity::Error;
      return failure(); // printed by the handlers before this one
    });
    if (failed(applyPartialConversion(module, target, std::move(patterns))) ||
        reportedError)
      return signalPassFailure();

    SmallVector<Attribute> siteAttrs;
    for (const std::string &site : sites.sites())
      siteAttrs.push_back(StringAttr::get(ctx, site));
    module->setAttr("ds.sites", ArrayAttr::get(ctx, siteAttrs));

    // The collectives are runtime calls now (each knows its grid's size);
    // the entries --ds-shard wrote carry their ranks (ds.ranks).
    for (auto grid : llvm::make_early_inc_range(module.getOps<shard::GridOp>()))
      grid.erase();
  }

  /// A tensor with no elements crosses the entry ABI as tensor<0xT>: the
  /// bare-pointer convention cannot pass memref<3x0xT>, and an empty tensor
  /// carries no data to reshape.
  static void flattenEmptyTensors(func::FuncOp function) {
    auto flatType = [](Type type) -> RankedTensorType {
      auto tensor = dyn_cast<RankedTensorType>(type);
      if (!tensor || !tensor.hasStaticShape() || tensor.getNumElements() != 0 ||
          tensor.getRank() == 1)
        return nullptr;
      return RankedTensorType::get({0}, tensor.getElementType());
    };
    Block &body = function.front();
    OpBuilder b = OpBuilder::atBlockBegin(&body);
    SmallVector<Type> argumentTypes(function.getArgumentTypes());
    for (BlockArgument argument : body.getArguments()) {
      auto flat = flatType(argument.getType());
      if (!flat)
        continue;
      auto original = cast<RankedTensorType>(argument.getType());
      Value empty = tensor::EmptyOp::create(b, function.getLoc(),
                                            original.getShape(),
                                            original.getElementType());
      argument.replaceAllUsesWith(empty);
      argument.setType(flat);
      argumentTypes[argument.getArgNumber()] = flat;
    }
    SmallVector<Type> resultTypes(function.getResultTypes());
    function.walk([&](func::ReturnOp ret) {
      OpBuilder rb(ret);
      for (OpOperand &operand : ret->getOpOperands())
        if (auto flat = flatType(operand.get().getType())) {
          operand.set(tensor::EmptyOp::create(rb, ret.getLoc(),
                                              flat.getShape(),
                                              flat.getElementType()));
          resultTypes[operand.getOperandNumber()] = flat;
        }
    });
    function.setType(FunctionType::get(function.getContext(), argumentTypes,
                                       resultTypes));
  }

  /// fp8 values have no arithmetic type in LLVM; until the backend emulates
  /// them, they are reported at the first op that uses one.
  static LogicalResult rejectFp8(ModuleOp module) {
    WalkResult result = module.walk([&](Operation *op) {
      for (Type type : llvm::concat<Type>(op->getOperandTypes(),
                                          op->getResultTypes())) {
        Type element = getElementTypeOrSelf(type);
        if (auto floatType = dyn_cast<FloatType>(element);
            floatType && floatType.getWidth() == 8) {
          op->emitOpError("the CPU backend does not support ")
              << element << " values yet";
          return WalkResult::interrupt();
        }
      }
      return WalkResult::advance();
    });
    return failure(result.wasInterrupted());
  }

  /// Erases the functions that no entry point calls, directly or not.
  static void eraseUnreachable(ModuleOp module,
                               const llvm::StringSet<> &entryNames) {
    llvm::StringSet<> reached;
    SmallVector<StringRef> worklist;
    for (const auto &name : entryNames)
      worklist.push_back(name.getKey());
    while (!worklist.empty()) {
      StringRef name = worklist.pop_back_val();
      if (!reached.insert(name).second)
        continue;
      auto function = module.lookupSymbol<func::FuncOp>(name);
      if (!function)
        continue;
      function.walk([&](Operation *op) {
        if (auto call = dyn_cast<func::CallOp>(op))
          worklist.push_back(call.getCallee());
        else if (auto scan = dyn_cast<ScanOp>(op))
          worklist.push_back(scan.getCallee());
      });
    }
    for (auto function :
         llvm::make_early_inc_range(module.getOps<func::FuncOp>()))
      if (!function.isExternal() && !reached.contains(function.getSymName()))
        function.erase();
  }

  /// The functions to compile: those named by `entries`, or by default
  /// every function that no other function calls or scans over. Each must
  /// have a static signature.
  LogicalResult chooseEntries(ModuleOp module,
                              ArrayRef<func::FuncOp> functions,
                              llvm::StringSet<> &chosen) {
    if (!entries.empty()) {
      for (const std::string &name : entries) {
        auto function = module.lookupSymbol<func::FuncOp>(name);
        if (!function || function.isExternal())
          return module.emitError("entry point '")
                 << name << "' is not a function with a body in this module";
        chosen.insert(name);
      }
    } else {
      for (const std::string &name : defaultEntries(module))
        chosen.insert(name);
      if (chosen.empty())
        return module.emitError("no entry point: every function is called "
                                "by another (pass entries=...)");
    }
    for (func::FuncOp function : functions)
      if (chosen.contains(function.getSymName()) &&
          !hasStaticSignature(function))
        return function.emitError("entry point '")
               << function.getSymName()
               << "' must have static shapes to be compiled";
    return success();
  }
};

} // namespace

std::vector<std::string> defaultEntries(ModuleOp module) {
  llvm::StringSet<> called;
  module.walk([&](Operation *op) {
    if (auto call = dyn_cast<func::CallOp>(op))
      called.insert(call.getCallee());
    else if (auto scan = dyn_cast<ScanOp>(op))
      called.insert(scan.getCallee());
  });
  std::vector<std::string> entries;
  for (auto function : module.getOps<func::FuncOp>())
    if (!function.isExternal() && !called.contains(function.getSymName()))
      entries.push_back(function.getSymName().str());
  return entries;
}

} // namespace mlir::ds
