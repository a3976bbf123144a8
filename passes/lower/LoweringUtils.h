//===- LoweringUtils.h - shared helpers of the ds → linalg lowering -*- C++ -*-===//
//
// The lowering of ds ops to linalg/tensor/arith/math (see --ds-lower-to-linalg)
// builds three kinds of IR over and over: elementwise linalg.generic ops with
// NumPy broadcasting, reductions, and calls of the CPU kernels in kernels/cpu
// on tensors. The helpers for those live here so every pattern file shares
// one definition.
//
//===----------------------------------------------------------------------===//

#ifndef DS_PASSES_LOWER_LOWERINGUTILS_H
#define DS_PASSES_LOWER_LOWERINGUTILS_H

#include "kernels/KernelAbi.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/STLFunctionalExtras.h"

#include <string>
#include <vector>

namespace mlir {
class AffineMap;
class RewritePatternSet;
namespace func {
class FuncOp;
} // namespace func
} // namespace mlir

namespace mlir::ds::lowering {

/// The places in the lowered code that can report a run-time error (an index
/// out of range): each gets a number, and the manifest lists their locations
/// (kernels/cpu/Status.h, docs/artifact.md).
class SiteTable {
public:
  /// A new site for `op`, described as "<location>: <op name>".
  int32_t add(Operation *op);
  const std::vector<std::string> &sites() const { return sites_; }

private:
  std::vector<std::string> sites_;
};

/// The run-time status pointer of the function that holds `op`: every lowered
/// function takes it as its first argument.
Value statusOf(Operation *op);

/// The element type arithmetic on `type` is done in: f32 for floats narrower
/// than f32 (the dialect computes them in f32 and rounds once), else `type`.
Type computeType(Type type);

/// The address of `memref`'s first element (its aligned pointer plus its
/// offset), as an !llvm.ptr: how buffers are passed to kernels.
Value pointerToBuffer(OpBuilder &b, Location loc, Value memref);

/// Converts the scalar `value` between element types with ds.cast's rules
/// (saturating float → int, NaN → 0, x != 0 for i1, i1 as 0/1).
Value castScalar(OpBuilder &b, Location loc, Value value, Type to);

/// An i64 / f64 / `type` constant scalar.
Value i64Constant(OpBuilder &b, Location loc, int64_t value);
Value i32Constant(OpBuilder &b, Location loc, int32_t value);
Value f64Constant(OpBuilder &b, Location loc, double value);
Value scalarConstant(OpBuilder &b, Location loc, Type type, double value);

/// Body of a linalg.generic: the scalar arguments (inputs, then the output's
/// current value for reductions) → the value to yield.
using ScalarBody = llvm::function_ref<Value(OpBuilder &, Location, ValueRange)>;

/// A linalg.generic with the given maps and iterator kinds into `init`.
Value buildGeneric(OpBuilder &b, Location loc, Value init, ValueRange inputs,
                   ArrayRef<AffineMap> inputMaps, AffineMap outputMap,
                   ArrayRef<bool> reductionLoops, ScalarBody body);

/// An elementwise linalg.generic producing `resultType` from `inputs`, whose
/// shapes broadcast to the result's by NumPy's rules.
Value buildElementwise(OpBuilder &b, Location loc, RankedTensorType resultType,
                       ValueRange inputs, ScalarBody body);

/// The map from the loops of a `resultRank`-dimensional elementwise op to
/// `inputType`'s indices (trailing-aligned; size-1 dimensions read index 0).
AffineMap broadcastMap(MLIRContext *ctx, RankedTensorType inputType,
                       ArrayRef<int64_t> resultShape);

/// `value` with every element converted to `elementType` (ds.cast's rules);
/// `value` itself when it already has that type.
Value castTensor(OpBuilder &b, Location loc, Value value, Type elementType);

/// Reduces `input` over `axes` into a tensor of the kept dimensions (in
/// order) of `accType`, starting from `initValue`; `combine(acc, x)`.
Value buildReduction(OpBuilder &b, Location loc, Value input,
                     ArrayRef<int64_t> axes, Type accType, double initValue,
                     llvm::function_ref<Value(OpBuilder &, Location, Value,
                                              Value)>
                         combine);

/// The tensor `value` reshaped to `type` (same elements, row-major).
Value reshapeTensor(OpBuilder &b, Location loc, Value value,
                    RankedTensorType type);

//===----------------------------------------------------------------------===//
// Kernel calls
//===----------------------------------------------------------------------===//

/// Builds a call of a C kernel (kernels/KernelAbi.h, implemented in
/// kernels/cpu) on tensors: tensor operands are passed as pointers to their
/// (contiguous, read-only) buffers, results are freshly allocated buffers
/// the kernel writes, returned as tensors. Each argument's kind is recorded
/// as it is added, and emit() checks the whole call against the kernel's
/// entry in kernels/KernelAbi.h.
class KernelCall {
public:
  KernelCall(OpBuilder &b, Location loc, StringRef name)
      : b(b), loc(loc), name(name) {}

  /// The run's status pointer (kernels/cpu/Status.h).
  KernelCall &status(Value pointer);
  /// A tensor the kernel reads.
  KernelCall &input(Value tensor);
  /// A pointer the kernel ignores (an absent optional operand).
  KernelCall &nullPointer();
  /// Scalars.
  KernelCall &i64(int64_t value);
  KernelCall &i32(int32_t value);
  KernelCall &f64(double value);
  /// A scalar computed in the IR (i32, i64 or f64).
  KernelCall &value(Value scalar);
  /// A result tensor of `type` the kernel writes; its index among results.
  unsigned output(RankedTensorType type);

  /// Emits the call (declaring the kernel in the module on first use, from
  /// its entry in kernels/KernelAbi.h) and returns the output tensors in
  /// order. A call that does not match the entry is reported as an error
  /// at the op (which fails --ds-lower-to-linalg).
  SmallVector<Value> emit(Operation *anchor);

private:
  Value pointerTo(Value memref);
  /// Whether the arguments match kernels/KernelAbi.h; reports why not.
  bool matchesAbi();

  OpBuilder &b;
  Location loc;
  std::string name;
  SmallVector<Value> arguments;
  /// Per argument: its ABI kind, or none for a null pointer, which stands
  /// for any buffer.
  SmallVector<std::optional<::ds::kernels::Arg>> kinds;
  SmallVector<Value> outputBuffers;
  SmallVector<RankedTensorType> outputTypes;
};

/// The function type of kernel `name` as kernels/KernelAbi.h declares it
/// (buffers and the status as !llvm.ptr); `name` must be declared there.
FunctionType kernelFunctionType(OpBuilder &b, StringRef name);

/// The kernel-name suffix for a float element type the kernels implement:
/// "f32" or "f64" (narrower floats are computed as f32).
StringRef kernelSuffix(Type elementType);

//===----------------------------------------------------------------------===//
// Pattern sets
//===----------------------------------------------------------------------===//

void populateElementwiseLowering(RewritePatternSet &patterns,
                                 SiteTable &sites);
void populateShapeLowering(RewritePatternSet &patterns, SiteTable &sites);
void populateModelLowering(RewritePatternSet &patterns, SiteTable &sites);
/// shard.all_reduce / all_gather / all_slice → kernels/cpu/Collectives.h.
void populateCollectiveLowering(RewritePatternSet &patterns, SiteTable &sites);

} // namespace mlir::ds::lowering

#endif // DS_PASSES_LOWER_LOWERINGUTILS_H
