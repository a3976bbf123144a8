//===- GraphBuilder.h - helpers shared by the model builders ----*- C++ -*-===//
//
// Private to frontend/builder. A FunctionBuilder grows one func.func: its
// arguments are added as the body asks for them (inputs, parameters), and its
// type is fixed when it returns. The op helpers spell out the few idioms every
// model uses (linear layers, reshapes) once.
//
//===----------------------------------------------------------------------===//

#ifndef DS_FRONTEND_BUILDER_GRAPHBUILDER_H
#define DS_FRONTEND_BUILDER_GRAPHBUILDER_H

#include "dialects/ds/DsDialect.h"
#include "frontend/builder/ModelBuilder.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

#include <string>
#include <vector>

namespace ds::frontend {

/// How a parameter starts: a ds.param initializer and its two arguments.
struct Init {
  mlir::ds::InitKind kind;
  double a = 0.0, b = 0.0;
  static Init zeros() { return {mlir::ds::InitKind::zeros}; }
  static Init ones() { return {mlir::ds::InitKind::ones}; }
  static Init normal(double std) {
    return {mlir::ds::InitKind::normal, 0.0, std};
  }
};

/// Builds one function: arguments on demand, then `finish(results)`.
class FunctionBuilder {
public:
  FunctionBuilder(mlir::ModuleOp module, llvm::StringRef name);

  mlir::ImplicitLocOpBuilder &b() { return builder; }
  mlir::MLIRContext *context() { return builder.getContext(); }

  /// A plain argument (activations, tokens, per-layer parameter slices);
  /// a non-empty `name` becomes its `ds.name`.
  mlir::Value input(mlir::Type type, llvm::StringRef name = {});
  /// A model parameter: an argument carrying #ds.param<name, init>.
  mlir::Value param(llvm::StringRef name, llvm::ArrayRef<int64_t> shape,
                    mlir::Type elementType, Init init);
  /// Returns `results`, fixes the function type and returns the function.
  /// `names`, when given, become the results' `ds.name`s.
  mlir::func::FuncOp finish(mlir::ValueRange results,
                            llvm::ArrayRef<llvm::StringRef> names = {});

  /// Names the ops created from now on (shown with -mlir-print-debuginfo and
  /// in diagnostics): `function/what`.
  void at(llvm::StringRef what);

  // Op idioms.
  mlir::RankedTensorType tensor(llvm::ArrayRef<int64_t> shape,
                                mlir::Type elementType);
  /// x [..., in] times a weight stored [out, in] (Hugging Face Linear
  /// layout) -> [..., out].
  mlir::Value linear(mlir::Value x, mlir::Value weightOutIn);
  /// x [..., in] times a weight stored [in, out] (GPT-2 Conv1D layout), plus
  /// an optional bias [out].
  mlir::Value conv1d(mlir::Value x, mlir::Value weightInOut, mlir::Value bias);
  mlir::Value reshape(mlir::Value x, llvm::ArrayRef<int64_t> shape);
  llvm::SmallVector<mlir::Value> split(mlir::Value x, int64_t axis,
                                       llvm::ArrayRef<int64_t> sizes);
  mlir::Value call(mlir::func::FuncOp callee, mlir::ValueRange operands);
  /// A rank-0 constant of `elementType` (a float or integer type).
  mlir::Value scalar(mlir::Type elementType, double value);
  mlir::Value transpose(mlir::Value x, llvm::ArrayRef<int64_t> permutation);
  mlir::FloatAttr f64(double value) { return builder.getF64FloatAttr(value); }
  mlir::IntegerAttr i64(int64_t value) { return builder.getI64IntegerAttr(value); }

private:
  mlir::func::FuncOp function;
  mlir::Block *body;
  mlir::ImplicitLocOpBuilder builder;
  std::string functionName;
  llvm::SmallVector<mlir::DictionaryAttr> argAttrs;
};

/// One weight of a layer: its name after the layer prefix (for example
/// `self_attn.q_a_proj.weight`, or `mlp.experts.[0:16].gate_proj.weight` for
/// stacked experts), its per-layer shape and its initializer.
struct WeightSpec {
  std::string name;
  llvm::SmallVector<int64_t> shape;
  Init init;
};

/// Adds one argument per spec to a layer function (the per-layer slices).
llvm::SmallVector<mlir::Value> addLayerInputs(FunctionBuilder &layer,
                                              llvm::ArrayRef<WeightSpec> specs,
                                              mlir::Type elementType);

/// Adds the parameters of layers [begin, end) to `caller`, each spec stacked
/// over the layers and named `<prefix>[begin:end].<spec name>`, and applies
/// `layerFunction` to them with one ds.scan. `stackedState` (per-layer state
/// such as a KV cache, leading dimension end − begin) is scanned before the
/// parameters. Returns the final carry, then the layer function's other
/// results stacked over the layers.
llvm::SmallVector<mlir::Value>
scanLayers(FunctionBuilder &caller, mlir::func::FuncOp layerFunction,
           llvm::ArrayRef<WeightSpec> specs, llvm::StringRef prefix,
           int64_t begin, int64_t end, mlir::Value carry,
           mlir::ValueRange invariants, mlir::Type elementType,
           mlir::ValueRange stackedState = {});

/// A run of consecutive layers [begin, end) that one ds.scan applies.
/// `functions` are the layer functions of a block of functions.size()
/// consecutive layers, a pattern that repeats (end − begin) / size times.
/// With one function (the usual case) the scan steps layer by layer; with
/// several (hybrid attention: say three sliding-window layers, then a global
/// one) it steps block by block through a block function that calls them in
/// turn, so that the IR does not grow with depth. All the functions take
/// the same weights and return the same per-layer outputs.
struct LayerSegment {
  int64_t begin = 0, end = 0;
  llvm::SmallVector<mlir::func::FuncOp> functions;
  int64_t period() const { return int64_t(functions.size()); }
};

/// Splits layers [begin, begin + perLayer.size()), layer i applying
/// perLayer[i − begin], into segments: runs of one function, or repeats of
/// a block of several, whichever covers more layers from each point on.
llvm::SmallVector<LayerSegment>
segmentLayers(llvm::ArrayRef<mlir::func::FuncOp> perLayer, int64_t begin);

/// The parameters of layers [begin, end) as arguments of `caller`, each
/// spec stacked over the layers and named `<prefix>[begin:end].<spec name>`.
llvm::SmallVector<mlir::Value>
addStackedParams(FunctionBuilder &caller, llvm::ArrayRef<WeightSpec> specs,
                 llvm::StringRef prefix, int64_t begin, int64_t end,
                 mlir::Type elementType);

/// Applies the layers of `segments`, which cover [begin, end) in order, to
/// `carry`, with one ds.scan per segment. `stacked` holds every per-layer
/// input (state such as a KV cache, then the weights) stacked over [begin,
/// end); each segment scans its rows. A block of several layers gets its
/// block function, named `blockName` (then `blockName`1, ...), and sees the
/// rows as [blocks, period, ...]. Returns the final carry, then the layer
/// functions' other results stacked over [begin, end), in layer order.
llvm::SmallVector<mlir::Value>
scanSegments(FunctionBuilder &caller, llvm::ArrayRef<LayerSegment> segments,
             int64_t begin, int64_t end, llvm::StringRef blockName,
             mlir::Value carry, mlir::ValueRange invariants,
             mlir::ValueRange stacked);

/// The shape of `value`, a ranked tensor.
llvm::ArrayRef<int64_t> shapeOf(mlir::Value value);

/// Element type of the model's tensors for a config DType.
mlir::Type elementTypeFor(mlir::MLIRContext *context, int dtype);

/// `[begin:end]` spliced into a parameter name prefix, e.g.
/// stackedName("model.layers.", 1, 4, ".mlp.gate.weight").
std::string stackedName(llvm::StringRef prefix, int64_t begin, int64_t end,
                        llvm::StringRef suffix);

/// `shape` with `leading` prepended.
llvm::SmallVector<int64_t> stackShape(int64_t leading,
                                      llvm::ArrayRef<int64_t> shape);

} // namespace ds::frontend

#endif // DS_FRONTEND_BUILDER_GRAPHBUILDER_H
