//===- DsDialect.cpp - the ds dialect -------------------------------------===//

#include "dialects/ds/DsDialect.h"
#include "runtime/io/ParamNamePattern.h"

#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/IR/DialectImplementation.h"
#include "mlir/Transforms/InliningUtils.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

using namespace mlir;
using namespace mlir::ds;
using ::ds::rt::ParamNamePattern;

#include "dialects/ds/DsDialect.cpp.inc"

namespace mlir::ds {
/// MLIR has no field parser for `double` attribute parameters.
static FailureOr<APFloat> parseF64Parameter(AsmParser &parser) {
  double value = 0.0;
  if (parser.parseFloat(value))
    return failure();
  return APFloat(value);
}
} // namespace mlir::ds

#include "dialects/ds/DsEnums.cpp.inc"
#include "dialects/ds/DsInterfaces.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/ds/DsAttrs.cpp.inc"


namespace {
/// Every ds op is a pure function of its operands (ds.scan names its layer
/// function by symbol, which stays valid anywhere in the module), so calls
/// of layer functions may be inlined: code generation inlines them before
/// lowering so that kernels see the slices of stacked weights they read.
struct DsInlinerInterface : public DialectInlinerInterface {
  using DialectInlinerInterface::DialectInlinerInterface;
  bool isLegalToInline(Operation *, Region *, bool, IRMapping &) const final {
    return true;
  }
  bool isLegalToInline(Region *, Region *, bool, IRMapping &) const final {
    return true;
  }
};
} // namespace

void DsDialect::initialize() {
  addInterfaces<DsInlinerInterface>();
  addOperations<
#define GET_OP_LIST
#include "dialects/ds/DsElementwiseOps.cpp.inc"
      ,
#define GET_OP_LIST
#include "dialects/ds/DsShapeOps.cpp.inc"
      ,
#define GET_OP_LIST
#include "dialects/ds/DsModelOps.cpp.inc"
      ,
#define GET_OP_LIST
#include "dialects/ds/DsControlOps.cpp.inc"
      ,
#define GET_OP_LIST
#include "dialects/ds/DsParallelOps.cpp.inc"
      >();
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dialects/ds/DsAttrs.cpp.inc"
      >();
}

Operation *DsDialect::materializeConstant(OpBuilder &builder, Attribute value,
                                          Type type, Location loc) {
  auto elements = dyn_cast<ElementsAttr>(value);
  if (!elements || elements.getType() != type)
    return nullptr;
  return ConstantOp::create(builder, loc, elements);
}

/// `ds.param` marks a parameter: the argument is a statically shaped float
/// tensor and no other argument of the function has the same name.
/// `ds.name = "tokens"` on an argument or result.
static LogicalResult verifyNameAttribute(Operation *op, StringRef what,
                                         unsigned index,
                                         NamedAttribute attribute) {
  auto name = dyn_cast<StringAttr>(attribute.getValue());
  if (!name || name.getValue().empty())
    return op->emitError("'")
           << kNameAttrName << "' on " << what << " #" << index
           << " must be a non-empty string, got " << attribute.getValue();
  return success();
}

/// `ds.balances = "bias"` on a result: the name of a parameter argument of
/// the same function with the result's type.
static LogicalResult verifyBalancesAttribute(Operation *op, unsigned index,
                                             NamedAttribute attribute) {
  auto name = dyn_cast<StringAttr>(attribute.getValue());
  auto function = dyn_cast<FunctionOpInterface>(op);
  if (!name || !function)
    return op->emitError("'")
           << kBalancesAttrName << "' on result #" << index
           << " must be a string on a function result";
  for (unsigned arg = 0; arg < function.getNumArguments(); ++arg) {
    auto param = function.getArgAttrOfType<ParamAttr>(arg, kParamAttrName);
    if (!param || param.getName() != name.getValue())
      continue;
    if (function.getArgumentTypes()[arg] != function.getResultTypes()[index])
      return op->emitError("result #")
             << index << " balances parameter '" << name.getValue()
             << "' of type " << function.getArgumentTypes()[arg]
             << " but has type " << function.getResultTypes()[index];
    return success();
  }
  return op->emitError("result #")
         << index << ": '" << kBalancesAttrName << "' names '"
         << name.getValue() << "', which is not a parameter of the function";
}

/// `ds.split_dim = d` on an argument or result: a dimension of its tensor
/// (or, once bufferized, memref) type, which the sharding pass split over
/// the function's ranks. Lowered further (to pointers), only d >= 0 is
/// checked.
static LogicalResult verifySplitDimAttribute(Operation *op, bool result,
                                             unsigned index,
                                             NamedAttribute attribute) {
  auto function = dyn_cast<FunctionOpInterface>(op);
  ArrayRef<Type> types;
  if (function)
    types = result ? function.getResultTypes() : function.getArgumentTypes();
  const Type type = index < types.size() ? types[index] : Type();
  const StringRef what = result ? "result" : "argument";
  auto dim = dyn_cast<IntegerAttr>(attribute.getValue());
  auto shaped = dyn_cast_if_present<ShapedType>(type);
  const bool ranked = shaped && shaped.hasRank();
  if (!dim || dim.getInt() < 0 ||
      (ranked && dim.getInt() >= shaped.getRank()) ||
      (!ranked && isa_and_present<TensorType>(type)))
    return op->emitError("'")
           << kSplitDimAttrName << "' on " << what << " #" << index
           << " must be an integer dimension of its ranked tensor type, got "
           << attribute.getValue() << " on " << type;
  return success();
}

/// `ds.split_axes = array<i64: ...>`: distinct grid axes, major to minor
/// (the block a rank holds is its row-major place along them in this order:
/// ZeRO splits a tensor-parallel block further as [tp, dp]).
static LogicalResult verifySplitAxesAttribute(Operation *op, bool result,
                                              unsigned index,
                                              NamedAttribute attribute) {
  auto axes = dyn_cast<DenseI64ArrayAttr>(attribute.getValue());
  bool distinct = axes && !axes.empty();
  for (size_t i = 0; distinct && i < axes.size(); ++i)
    distinct = axes[i] >= 0 && !llvm::is_contained(axes.asArrayRef().take_front(i), axes[i]);
  if (!distinct)
    return op->emitError("'")
           << kSplitAxesAttrName << "' on " << (result ? "result" : "argument")
           << " #" << index
           << " must list distinct grid axes (array<i64: ...>), got "
           << attribute.getValue();
  return success();
}

LogicalResult DsDialect::verifyRegionResultAttribute(Operation *op,
                                                     unsigned regionIndex,
                                                     unsigned resultIndex,
                                                     NamedAttribute attribute) {
  if (attribute.getName() == kBalancesAttrName)
    return verifyBalancesAttribute(op, resultIndex, attribute);
  if (attribute.getName() == kSplitDimAttrName)
    return verifySplitDimAttribute(op, /*result=*/true, resultIndex, attribute);
  if (attribute.getName() == kSplitAxesAttrName)
    return verifySplitAxesAttribute(op, /*result=*/true, resultIndex,
                                    attribute);
  if (attribute.getName() != kNameAttrName)
    return op->emitError("unknown ds result attribute '")
           << attribute.getName().getValue() << "' on result #" << resultIndex
           << " (the ds dialect defines '" << kNameAttrName << "', '"
           << kBalancesAttrName << "' and '" << kSplitDimAttrName << "')";
  return verifyNameAttribute(op, "result", resultIndex, attribute);
}

LogicalResult DsDialect::verifyRegionArgAttribute(Operation *op,
                                                  unsigned regionIndex,
                                                  unsigned argIndex,
                                                  NamedAttribute attribute) {
  if (attribute.getName() == kNameAttrName)
    return verifyNameAttribute(op, "argument", argIndex, attribute);
  if (attribute.getName() == kSplitDimAttrName)
    return verifySplitDimAttribute(op, /*result=*/false, argIndex, attribute);
  if (attribute.getName() == kSplitAxesAttrName)
    return verifySplitAxesAttribute(op, /*result=*/false, argIndex,
                                    attribute);
  if (attribute.getName() != kParamAttrName)
    return op->emitError("unknown ds argument attribute '")
           << attribute.getName().getValue() << "' on argument #" << argIndex
           << " (the ds dialect defines '" << kParamAttrName << "', '"
           << kNameAttrName << "' and '" << kSplitDimAttrName << "')";

  auto param = dyn_cast<ParamAttr>(attribute.getValue());
  if (!param)
    return op->emitError("argument #")
           << argIndex << ": '" << kParamAttrName
           << "' must be a #ds.param attribute, got " << attribute.getValue();

  // A function declaration has no entry block: read its signature instead.
  Type type;
  if (auto function = dyn_cast<FunctionOpInterface>(op)) {
    if (argIndex < function.getNumArguments())
      type = function.getArgumentTypes()[argIndex];
  } else if (Region &region = op->getRegion(regionIndex);
             !region.empty() && argIndex < region.getNumArguments()) {
    type = region.getArgument(argIndex).getType();
  }
  if (!type)
    return op->emitError("'") << kParamAttrName << "' on argument #"
                              << argIndex << ", which does not exist";
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || !tensor.hasStaticShape() ||
      !isa<FloatType>(tensor.getElementType()))
    return op->emitError("parameter '")
           << param.getName() << "' (argument #" << argIndex
           << ") must be a statically shaped tensor of floats, got " << type;

  // Stacked parameters name one index range per stacked leading dimension.
  ParamNamePattern pattern;
  std::string patternError;
  if (!ParamNamePattern::parse(param.getName().str(), pattern, patternError))
    return op->emitError("parameter '")
           << param.getName() << "' (argument #" << argIndex
           << "): " << patternError;
  if (pattern.numStackedDims() > static_cast<size_t>(tensor.getRank()))
    return op->emitError("parameter '")
           << param.getName() << "' (argument #" << argIndex << ") names "
           << pattern.numStackedDims() << " stacked dimensions but has rank "
           << tensor.getRank();
  // In a per-rank entry (ds.ranks) a split parameter (ds.split_dim) is one
  // block: the ranges name the whole.
  int64_t splitDim = -1, ranks = 1;
  if (auto function = dyn_cast<FunctionOpInterface>(op)) {
    auto dim = function.getArgAttrOfType<IntegerAttr>(argIndex,
                                                      kSplitDimAttrName);
    auto count = op->getAttrOfType<IntegerAttr>(kRanksAttrName);
    if (dim && count) {
      splitDim = dim.getInt();
      ranks = count.getInt();
      // On a grid of several axes, the blocks along the split's own axes.
      auto grid = op->getAttrOfType<DenseI64ArrayAttr>(kGridAttrName);
      auto axes = function.getArgAttrOfType<DenseI64ArrayAttr>(
          argIndex, kSplitAxesAttrName);
      if (grid && axes) {
        ranks = 1;
        for (int64_t axis : axes.asArrayRef())
          if (axis >= 0 && axis < int64_t(grid.size()))
            ranks *= grid[axis];
      }
    }
  }
  for (size_t dim = 0; dim < pattern.numStackedDims(); ++dim) {
    const int64_t size =
        tensor.getDimSize(dim) * (int64_t(dim) == splitDim ? ranks : 1);
    if (pattern.extent(dim) != size)
      return op->emitError("parameter '")
             << param.getName() << "' (argument #" << argIndex
             << "): range #" << dim << " covers " << pattern.extent(dim)
             << " indices but dimension " << dim << " has size " << size;
  }

  // Report a duplicate on its second occurrence only.
  if (auto function = dyn_cast<FunctionOpInterface>(op)) {
    for (unsigned other = 0; other < argIndex; ++other) {
      auto otherParam =
          function.getArgAttrOfType<ParamAttr>(other, kParamAttrName);
      if (otherParam && otherParam.getName() == param.getName())
        return op->emitError("parameter name '")
               << param.getName() << "' of argument #" << argIndex
               << " is already used by argument #" << other;
    }
  }
  return success();
}

//===----------------------------------------------------------------------===//
// ParamAttr: #ds.param<"name", normal(0.0, 0.02)>
//===----------------------------------------------------------------------===//

/// How many numbers an initializer takes in parentheses.
static unsigned initializerArity(InitKind kind) {
  switch (kind) {
  case InitKind::zeros:
  case InitKind::ones:
    return 0;
  case InitKind::constant:
    return 1;
  case InitKind::normal:
  case InitKind::truncated_normal:
  case InitKind::uniform:
    return 2;
  }
  llvm_unreachable("covered switch");
}

Attribute ParamAttr::parse(AsmParser &parser, Type) {
  SMLoc start = parser.getCurrentLocation();
  std::string name;
  if (parser.parseLess() || parser.parseString(&name) || parser.parseComma())
    return {};

  SMLoc kindLoc = parser.getCurrentLocation();
  StringRef keyword;
  if (parser.parseKeyword(&keyword))
    return {};
  std::optional<InitKind> kind = symbolizeInitKind(keyword);
  if (!kind) {
    parser.emitError(kindLoc, "unknown initializer '")
        << keyword
        << "'; expected zeros, ones, constant, normal, truncated_normal or "
           "uniform";
    return {};
  }

  double numbers[2] = {0.0, 0.0};
  unsigned arity = initializerArity(*kind);
  if (arity > 0) {
    if (parser.parseLParen())
      return {};
    for (unsigned i = 0; i < arity; ++i)
      if ((i > 0 && parser.parseComma()) || parser.parseFloat(numbers[i]))
        return {};
    if (parser.parseRParen())
      return {};
  }
  if (parser.parseGreater())
    return {};
  return getChecked([&] { return parser.emitError(start); },
                    parser.getContext(), name, *kind, APFloat(numbers[0]),
                    APFloat(numbers[1]));
}

void ParamAttr::print(AsmPrinter &printer) const {
  printer << '<';
  printer.printString(getName());
  printer << ", " << stringifyInitKind(getInit());
  unsigned arity = initializerArity(getInit());
  if (arity >= 1)
    printer << '(' << getA();
  if (arity == 2)
    printer << ", " << getB();
  if (arity >= 1)
    printer << ')';
  printer << '>';
}

LogicalResult
ParamAttr::verify(function_ref<InFlightDiagnostic()> emitError, StringRef name,
                  InitKind init, APFloat first, APFloat second) {
  double a = first.convertToDouble(), b = second.convertToDouble();
  if (name.empty())
    return emitError() << "#ds.param: the parameter name is empty";
  if (!std::isfinite(a) || !std::isfinite(b))
    return emitError() << "#ds.param '" << name
                       << "': initializer arguments must be finite";
  switch (init) {
  case InitKind::normal:
  case InitKind::truncated_normal:
    if (b <= 0.0)
      return emitError() << "#ds.param '" << name << "': " << 
             stringifyInitKind(init) << " needs std > 0, got " << b;
    break;
  case InitKind::uniform:
    if (!(a < b))
      return emitError() << "#ds.param '" << name
                         << "': uniform needs low < high, got [" << a << ", "
                         << b << ")";
    break;
  default:
    break;
  }
  return success();
}

//===----------------------------------------------------------------------===//
// YarnAttr
//===----------------------------------------------------------------------===//

LogicalResult
YarnAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                 APFloat factorValue, int64_t originalMaxPosition,
                 APFloat betaFastValue, APFloat betaSlowValue,
                 APFloat mscaleValue, APFloat mscaleAllDimValue) {
  double factor = factorValue.convertToDouble();
  double betaFast = betaFastValue.convertToDouble();
  double betaSlow = betaSlowValue.convertToDouble();
  double mscale = mscaleValue.convertToDouble();
  double mscaleAllDim = mscaleAllDimValue.convertToDouble();
  if (!(factor > 1.0) || !std::isfinite(factor))
    return emitError() << "#ds.yarn: factor must be finite and > 1, got "
                       << factor;
  if (originalMaxPosition <= 0)
    return emitError()
           << "#ds.yarn: original_max_position must be positive, got "
           << originalMaxPosition;
  if (!(betaSlow > 0.0) || !(betaFast > betaSlow) || !std::isfinite(betaFast))
    return emitError() << "#ds.yarn: needs beta_fast > beta_slow > 0, got "
                          "beta_fast = "
                       << betaFast << ", beta_slow = " << betaSlow;
  if (!(mscale >= 0.0) || !(mscaleAllDim >= 0.0) || !std::isfinite(mscale) ||
      !std::isfinite(mscaleAllDim))
    return emitError() << "#ds.yarn: mscale and mscale_all_dim must be "
                          "finite and >= 0";
  return success();
}
