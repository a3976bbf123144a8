//===- LoweringUtils.cpp - shared helpers of the ds → linalg lowering -----===//

#include "passes/lower/LoweringUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Location.h"
#include "mlir/IR/SymbolTable.h"

#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <limits>

namespace mlir::ds::lowering {

int32_t SiteTable::add(Operation *op) {
  std::string text;
  llvm::raw_string_ostream os(text);
  if (auto fileLoc = op->getLoc()->findInstanceOf<FileLineColLoc>())
    os << fileLoc.getFilename().getValue() << ":" << fileLoc.getLine() << ":"
       << fileLoc.getColumn();
  else
    op->getLoc().print(os);
  os << ": " << op->getName().getStringRef();
  sites_.push_back(std::move(text));
  return static_cast<int32_t>(sites_.size() - 1);
}

Value statusOf(Operation *op) {
  return op->getParentOfType<func::FuncOp>().getArgument(0);
}

Type computeType(Type type) {
  if (auto floatType = dyn_cast<FloatType>(type))
    if (floatType.getWidth() < 32)
      return Float32Type::get(type.getContext());
  return type;
}

Value i64Constant(OpBuilder &b, Location loc, int64_t value) {
  return arith::ConstantIntOp::create(b, loc, b.getI64Type(), value);
}

Value i32Constant(OpBuilder &b, Location loc, int32_t value) {
  return arith::ConstantIntOp::create(b, loc, b.getI32Type(), value);
}

Value f64Constant(OpBuilder &b, Location loc, double value) {
  return arith::ConstantFloatOp::create(b, loc, b.getF64Type(),
                                        APFloat(value));
}

Value scalarConstant(OpBuilder &b, Location loc, Type type, double value) {
  if (auto floatType = dyn_cast<FloatType>(type)) {
    APFloat apValue(value);
    bool lost;
    apValue.convert(floatType.getFloatSemantics(),
                    APFloat::rmNearestTiesToEven, &lost);
    return arith::ConstantFloatOp::create(b, loc, floatType, apValue);
  }
  return arith::ConstantIntOp::create(b, loc, type,
                                      static_cast<int64_t>(value));
}

/// float → signed integer with ds.cast's rules: truncation toward zero,
/// saturation at the bounds, NaN → 0. arith.fptosi is poison outside the
/// range, so the input is clamped first.
static Value floatToInt(OpBuilder &b, Location loc, Value value,
                        IntegerType to) {
  Type from = value.getType();
  unsigned width = to.getWidth();
  // ±2^(width-1) are exact in every float type wide enough to matter; a
  // narrower float (bf16, f16) never reaches them for i32/i64 anyway.
  double limit = std::ldexp(1.0, static_cast<int>(width) - 1);
  Value upper = scalarConstant(b, loc, from, limit);
  Value lower = scalarConstant(b, loc, from, -limit);
  Value zero = scalarConstant(b, loc, from, 0.0);
  Value isNan = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO,
                                      value, value);
  Value tooLarge = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGE,
                                         value, upper);
  Value tooSmall = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT,
                                         value, lower);
  Value outside = arith::OrIOp::create(
      b, loc, isNan, arith::OrIOp::create(b, loc, tooLarge, tooSmall));
  Value safe = arith::SelectOp::create(b, loc, outside, zero, value);
  Value converted = arith::FPToSIOp::create(b, loc, to, safe);
  APInt maxValue = APInt::getSignedMaxValue(width);
  APInt minValue = APInt::getSignedMinValue(width);
  Value maxConst = arith::ConstantOp::create(b, loc, b.getIntegerAttr(to, maxValue));
  Value minConst = arith::ConstantOp::create(b, loc, b.getIntegerAttr(to, minValue));
  converted = arith::SelectOp::create(b, loc, tooLarge, maxConst, converted);
  return arith::SelectOp::create(b, loc, tooSmall, minConst, converted);
}

Value castScalar(OpBuilder &b, Location loc, Value value, Type to) {
  Type from = value.getType();
  if (from == to)
    return value;
  auto fromFloat = dyn_cast<FloatType>(from);
  auto toFloat = dyn_cast<FloatType>(to);
  auto fromInt = dyn_cast<IntegerType>(from);
  auto toInt = dyn_cast<IntegerType>(to);
  if (toInt && toInt.getWidth() == 1) {
    if (fromFloat)
      return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNE, value,
                                   scalarConstant(b, loc, from, 0.0));
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, value,
                                 scalarConstant(b, loc, from, 0.0));
  }
  if (fromInt && fromInt.getWidth() == 1) {
    if (toFloat)
      return arith::UIToFPOp::create(b, loc, to, value);
    return arith::ExtUIOp::create(b, loc, to, value);
  }
  if (fromFloat && toFloat) {
    if (fromFloat.getWidth() < toFloat.getWidth())
      return arith::ExtFOp::create(b, loc, to, value);
    if (fromFloat.getWidth() > toFloat.getWidth())
      return arith::TruncFOp::create(b, loc, to, value);
    // Same width, different format (bf16 ↔ f16): through f32, exactly.
    Value wide = arith::ExtFOp::create(b, loc, b.getF32Type(), value);
    return arith::TruncFOp::create(b, loc, to, wide);
  }
  if (fromFloat && toInt) {
    if (fromFloat.getWidth() < 32)
      value = arith::ExtFOp::create(b, loc, b.getF32Type(), value);
    return floatToInt(b, loc, value, toInt);
  }
  if (fromInt && toFloat)
    return arith::SIToFPOp::create(b, loc, to, value);
  if (fromInt && toInt) {
    if (fromInt.getWidth() < toInt.getWidth())
      return arith::ExtSIOp::create(b, loc, to, value);
    return arith::TruncIOp::create(b, loc, to, value);
  }
  llvm_unreachable("castScalar: unsupported element types");
}

Value buildGeneric(OpBuilder &b, Location loc, Value init, ValueRange inputs,
                   ArrayRef<AffineMap> inputMaps, AffineMap outputMap,
                   ArrayRef<bool> reductionLoops, ScalarBody body) {
  SmallVector<AffineMap> maps(inputMaps.begin(), inputMaps.end());
  maps.push_back(outputMap);
  SmallVector<utils::IteratorType> iterators;
  for (bool reduction : reductionLoops)
    iterators.push_back(reduction ? utils::IteratorType::reduction
                                  : utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, inputs, ValueRange{init}, maps,
      iterators, [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
        Value result = body(nested, nestedLoc, args);
        linalg::YieldOp::create(nested, nestedLoc, result);
      });
  return generic.getResult(0);
}

AffineMap broadcastMap(MLIRContext *ctx, RankedTensorType inputType,
                       ArrayRef<int64_t> resultShape) {
  int64_t resultRank = static_cast<int64_t>(resultShape.size());
  int64_t rank = inputType.getRank();
  SmallVector<AffineExpr> exprs;
  for (int64_t i = 0; i < rank; ++i) {
    int64_t dim = resultRank - rank + i;
    if (inputType.getDimSize(i) == 1 && resultShape[dim] != 1)
      exprs.push_back(getAffineConstantExpr(0, ctx));
    else
      exprs.push_back(getAffineDimExpr(dim, ctx));
  }
  return AffineMap::get(resultRank, 0, exprs, ctx);
}

Value buildElementwise(OpBuilder &b, Location loc, RankedTensorType resultType,
                       ValueRange inputs, ScalarBody body) {
  MLIRContext *ctx = b.getContext();
  Value init = tensor::EmptyOp::create(b, loc, resultType.getShape(),
                                       resultType.getElementType());
  SmallVector<AffineMap> maps;
  for (Value input : inputs)
    maps.push_back(broadcastMap(ctx, cast<RankedTensorType>(input.getType()),
                                resultType.getShape()));
  AffineMap identity =
      AffineMap::getMultiDimIdentityMap(resultType.getRank(), ctx);
  SmallVector<bool> reductions(resultType.getRank(), false);
  return buildGeneric(b, loc, init, inputs, maps, identity, reductions, body);
}

Value castTensor(OpBuilder &b, Location loc, Value value, Type elementType) {
  auto type = cast<RankedTensorType>(value.getType());
  if (type.getElementType() == elementType)
    return value;
  return buildElementwise(
      b, loc, type.clone(elementType), value,
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        return castScalar(nb, nl, args[0], elementType);
      });
}

Value buildReduction(OpBuilder &b, Location loc, Value input,
                     ArrayRef<int64_t> axes, Type accType, double initValue,
                     llvm::function_ref<Value(OpBuilder &, Location, Value,
                                              Value)>
                         combine) {
  MLIRContext *ctx = b.getContext();
  auto inputType = cast<RankedTensorType>(input.getType());
  int64_t rank = inputType.getRank();
  SmallVector<bool> reduced(rank, false);
  for (int64_t axis : axes)
    reduced[axis] = true;
  SmallVector<int64_t> keptShape;
  SmallVector<AffineExpr> keptExprs;
  for (int64_t d = 0; d < rank; ++d)
    if (!reduced[d]) {
      keptShape.push_back(inputType.getDimSize(d));
      keptExprs.push_back(getAffineDimExpr(d, ctx));
    }
  Value empty = tensor::EmptyOp::create(b, loc, keptShape, accType);
  Value start = scalarConstant(b, loc, accType, initValue);
  Value init = linalg::FillOp::create(b, loc, start, empty).getResult(0);
  AffineMap inputMap = AffineMap::getMultiDimIdentityMap(rank, ctx);
  AffineMap outputMap = AffineMap::get(rank, 0, keptExprs, ctx);
  return buildGeneric(
      b, loc, init, input, inputMap, outputMap, reduced,
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        Value x = castScalar(nb, nl, args[0], accType);
        return combine(nb, nl, args[1], x);
      });
}

Value reshapeTensor(OpBuilder &b, Location loc, Value value,
                    RankedTensorType type) {
  auto sourceType = cast<RankedTensorType>(value.getType());
  if (sourceType.getShape() == type.getShape())
    return value;
  if (sourceType.getRank() == 0)
    return tensor::ExpandShapeOp::create(b, loc, type, value,
                                         ArrayRef<ReassociationIndices>{});
  if (type.getRank() == 0)
    return tensor::CollapseShapeOp::create(b, loc, type, value,
                                           ArrayRef<ReassociationIndices>{});
  Value flat = value;
  if (sourceType.getRank() > 1) {
    ReassociationIndices all;
    for (int64_t d = 0; d < sourceType.getRank(); ++d)
      all.push_back(d);
    auto flatType = RankedTensorType::get({sourceType.getNumElements()},
                                          sourceType.getElementType());
    flat = tensor::CollapseShapeOp::create(b, loc, flatType, value,
                                           ArrayRef<ReassociationIndices>{all});
  }
  if (type.getRank() == 1)
    return flat;
  ReassociationIndices all;
  for (int64_t d = 0; d < type.getRank(); ++d)
    all.push_back(d);
  return tensor::ExpandShapeOp::create(b, loc, type, flat,
                                       ArrayRef<ReassociationIndices>{all});
}

//===----------------------------------------------------------------------===//
// Kernel calls
//===----------------------------------------------------------------------===//

StringRef kernelSuffix(Type elementType) {
  return elementType.isF64() ? "f64" : "f32";
}

Value pointerToBuffer(OpBuilder &b, Location loc, Value memref) {
  auto type = cast<MemRefType>(memref.getType());
  auto metadata = memref::ExtractStridedMetadataOp::create(b, loc, memref);
  Value base = memref::ExtractAlignedPointerAsIndexOp::create(
      b, loc, metadata.getBaseBuffer());
  int64_t elementBytes =
      std::max<int64_t>(type.getElementTypeBitWidth() / 8, 1);
  Value byteOffset = arith::MulIOp::create(
      b, loc, metadata.getOffset(),
      arith::ConstantIndexOp::create(b, loc, elementBytes));
  Value address = arith::AddIOp::create(b, loc, base, byteOffset);
  Value asInt = arith::IndexCastOp::create(b, loc, b.getI64Type(), address);
  return LLVM::IntToPtrOp::create(b, loc,
                                  LLVM::LLVMPointerType::get(b.getContext()),
                                  asInt);
}

Value KernelCall::pointerTo(Value memref) {
  return pointerToBuffer(b, loc, memref);
}

/// Whether `tensor` is a contiguous slice (leading indices fixed, one
/// dimension cut, full trailing dimensions) of a function argument, whose
/// buffer has the identity layout: its buffer is then a row-major block at
/// some offset.
static bool isContiguousSliceOfArgument(Value tensor) {
  auto slice = tensor.getDefiningOp<tensor::ExtractSliceOp>();
  if (!slice)
    return false;
  auto argument = dyn_cast<BlockArgument>(slice.getSource());
  if (!argument || !isa<func::FuncOp>(argument.getOwner()->getParentOp()))
    return false;
  if (!llvm::all_of(slice.getStaticStrides(),
                    [](int64_t s) { return s == 1; }))
    return false;
  ArrayRef<int64_t> sizes = slice.getStaticSizes();
  ArrayRef<int64_t> full = slice.getSourceType().getShape();
  int64_t cut = -1;
  for (int64_t d = 0; d < static_cast<int64_t>(sizes.size()); ++d)
    if (sizes[d] != full[d])
      cut = d;
  for (int64_t d = 0; d < cut; ++d)
    if (sizes[d] != 1)
      return false;
  return true;
}

namespace {

using ::ds::kernels::Arg;
using ::ds::kernels::ArgKind;
using ::ds::kernels::Element;

Element elementOf(Type type) {
  if (type.isF32())
    return Element::F32;
  if (type.isF64())
    return Element::F64;
  if (type.isInteger(32))
    return Element::I32;
  if (type.isInteger(64))
    return Element::I64;
  return Element::Any;
}

std::string describe(std::optional<Arg> arg) {
  if (!arg)
    return "a null pointer";
  static const char *const kinds[] = {"the status", "an i32", "an i64",
                                      "an f64", "an input buffer",
                                      "an output buffer"};
  static const char *const elements[] = {"", " of f32", " of f64", " of i32",
                                         " of i64"};
  return std::string(kinds[static_cast<int>(arg->kind)]) +
         elements[static_cast<int>(arg->element)];
}

/// Whether `built` may be passed where the ABI declares `declared`: the
/// same kind and element; an untyped (void *) buffer takes any element; a
/// null pointer goes for any buffer.
bool fits(std::optional<Arg> built, Arg declared) {
  bool buffer =
      declared.kind == ArgKind::In || declared.kind == ArgKind::Out;
  if (!built)
    return buffer;
  if (built->kind != declared.kind)
    return false;
  return !buffer || declared.element == Element::Any ||
         built->element == declared.element;
}

Type typeOf(OpBuilder &b, Arg arg) {
  switch (arg.kind) {
  case ArgKind::I32:
    return b.getI32Type();
  case ArgKind::I64:
    return b.getI64Type();
  case ArgKind::F64:
    return b.getF64Type();
  default:
    return LLVM::LLVMPointerType::get(b.getContext());
  }
}

} // namespace

FunctionType kernelFunctionType(OpBuilder &b, StringRef name) {
  const ::ds::kernels::KernelSpec *kernel =
      ::ds::kernels::findKernel(std::string_view(name.data(), name.size()));
  assert(kernel && "a kernel kernels/KernelAbi.h does not declare");
  SmallVector<Type> types;
  for (size_t i = 0; i < kernel->count; ++i)
    types.push_back(typeOf(b, kernel->args[i]));
  return b.getFunctionType(types, {});
}

KernelCall &KernelCall::status(Value pointer) {
  arguments.push_back(pointer);
  kinds.push_back(Arg{ArgKind::Status});
  return *this;
}

KernelCall &KernelCall::input(Value tensor) {
  auto type = cast<RankedTensorType>(tensor.getType());
  MemRefType memrefType =
      MemRefType::get(type.getShape(), type.getElementType());
  // A layer of stacked weights is passed in place: row-major strides at a
  // dynamic offset. Anything else is passed as an identity-layout buffer,
  // which bufferization copies into when the value lives in a strided view.
  if (isContiguousSliceOfArgument(tensor)) {
    SmallVector<int64_t> strides(type.getRank(), 1);
    for (int64_t d = type.getRank() - 2; d >= 0; --d)
      strides[d] = strides[d + 1] * type.getDimSize(d + 1);
    auto layout = StridedLayoutAttr::get(b.getContext(), ShapedType::kDynamic,
                                         strides);
    memrefType =
        MemRefType::get(type.getShape(), type.getElementType(), layout);
  }
  auto toBuffer =
      bufferization::ToBufferOp::create(b, loc, memrefType, tensor, true);
  // The kernel reads the buffer at the call, but bufferization sees only
  // this op's use of the tensor. Two equal to_buffer ops must therefore never
  // be merged by CSE (the later read would become invisible and the buffer
  // could be overwritten before it): a tag unique to this op keeps them
  // apart.
  toBuffer->setAttr("ds.read_by_call",
                    b.getI64IntegerAttr(reinterpret_cast<intptr_t>(
                        toBuffer.getOperation())));
  arguments.push_back(pointerTo(toBuffer));
  kinds.push_back(Arg{ArgKind::In, elementOf(type.getElementType())});
  return *this;
}

KernelCall &KernelCall::nullPointer() {
  arguments.push_back(
      LLVM::ZeroOp::create(b, loc, LLVM::LLVMPointerType::get(b.getContext())));
  kinds.push_back(std::nullopt);
  return *this;
}

KernelCall &KernelCall::i64(int64_t value) {
  arguments.push_back(i64Constant(b, loc, value));
  kinds.push_back(Arg{ArgKind::I64});
  return *this;
}

KernelCall &KernelCall::i32(int32_t value) {
  arguments.push_back(i32Constant(b, loc, value));
  kinds.push_back(Arg{ArgKind::I32});
  return *this;
}

KernelCall &KernelCall::f64(double value) {
  arguments.push_back(f64Constant(b, loc, value));
  kinds.push_back(Arg{ArgKind::F64});
  return *this;
}

KernelCall &KernelCall::value(Value scalar) {
  arguments.push_back(scalar);
  Type type = scalar.getType();
  // Anything else is an error emit() reports: an output pointer.
  kinds.push_back(Arg{type.isInteger(32)   ? ArgKind::I32
                      : type.isInteger(64) ? ArgKind::I64
                      : type.isF64()       ? ArgKind::F64
                                           : ArgKind::Out});
  return *this;
}

unsigned KernelCall::output(RankedTensorType type) {
  auto memrefType = MemRefType::get(type.getShape(), type.getElementType());
  Value buffer = memref::AllocOp::create(b, loc, memrefType);
  outputBuffers.push_back(buffer);
  outputTypes.push_back(type);
  arguments.push_back(pointerTo(buffer));
  kinds.push_back(Arg{ArgKind::Out, elementOf(type.getElementType())});
  return outputBuffers.size() - 1;
}

bool KernelCall::matchesAbi() {
  const ::ds::kernels::KernelSpec *kernel = ::ds::kernels::findKernel(name);
  if (!kernel) {
    emitError(loc) << "internal error: kernel '" << name
                   << "' is not declared in kernels/KernelAbi.h";
    return false;
  }
  if (kernel->count != kinds.size()) {
    emitError(loc) << "internal error: the call of " << name << " passes "
                   << kinds.size() << " arguments; kernels/KernelAbi.h "
                   << "declares " << kernel->count;
    return false;
  }
  for (size_t i = 0; i < kinds.size(); ++i)
    if (!fits(kinds[i], kernel->args[i])) {
      emitError(loc) << "internal error: argument " << i << " of " << name
                     << " is " << describe(kinds[i])
                     << "; kernels/KernelAbi.h declares "
                     << describe(kernel->args[i]);
      return false;
    }
  return true;
}

SmallVector<Value> KernelCall::emit(Operation *anchor) {
  auto module = anchor->getParentOfType<ModuleOp>();
  // On a mismatch the error fails the pass; the call is still built so
  // that the pattern's op is replaced consistently.
  SmallVector<Type> argumentTypes;
  if (matchesAbi()) {
    const ::ds::kernels::KernelSpec *kernel = ::ds::kernels::findKernel(name);
    for (size_t i = 0; i < kernel->count; ++i)
      argumentTypes.push_back(typeOf(b, kernel->args[i]));
  } else {
    for (Value argument : arguments)
      argumentTypes.push_back(argument.getType());
  }
  auto functionType = b.getFunctionType(argumentTypes, {});
  if (!SymbolTable::lookupSymbolIn(module, name)) {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(module.getBody());
    auto declaration = func::FuncOp::create(b, loc, name, functionType);
    declaration.setPrivate();
  }
  func::CallOp::create(b, loc, name, TypeRange{}, arguments);
  SmallVector<Value> results;
  for (auto [buffer, type] : llvm::zip(outputBuffers, outputTypes))
    results.push_back(bufferization::ToTensorOp::create(
        b, loc, type, buffer, /*restrict=*/true, /*writable=*/true));
  return results;
}

} // namespace mlir::ds::lowering
