//===- DsControlOps.cpp - repeated layers ---------------------------------===//

#include "dialects/ds/DsDialect.h"
#include "dialects/ds/DsTypeRules.h"

#include "mlir/Interfaces/FunctionInterfaces.h"

using namespace mlir;
using namespace mlir::ds;

#define GET_OP_CLASSES
#include "dialects/ds/DsControlOps.cpp.inc"

int64_t ScanOp::getNumLayers() {
  for (Value operand : getStacked())
    if (auto type = dyn_cast<RankedTensorType>(operand.getType());
        type && type.getRank() > 0 && !type.isDynamicDim(0))
      return type.getDimSize(0);
  return ShapedType::kDynamic;
}

/// `type` without its leading dimension.
static RankedTensorType dropLeadingDim(RankedTensorType type) {
  return RankedTensorType::get(type.getShape().drop_front(),
                               type.getElementType());
}

/// `type` with a new leading dimension of size `layers`.
static RankedTensorType prependDim(RankedTensorType type, int64_t layers) {
  SmallVector<int64_t> shape{layers};
  llvm::append_range(shape, type.getShape());
  return RankedTensorType::get(shape, type.getElementType());
}

LogicalResult ScanOp::verify() {
  if (getStacked().empty())
    return emitOpError("needs at least one stacked operand (the number of "
                       "layers is their leading dimension)");
  if (getResults().size() < getCarries().size())
    return emitOpError("has ")
           << getResults().size() << " results but " << getCarries().size()
           << " carried operands; the carries come first among the results";

  int64_t layers = ShapedType::kDynamic;
  for (auto [number, operand] : llvm::enumerate(getStacked())) {
    auto type = cast<RankedTensorType>(operand.getType());
    if (type.getRank() == 0)
      return emitOpError("stacked operand #")
             << number << " must have a leading layer dimension, got "
             << type;
    int64_t size = type.getDimSize(0);
    if (ShapedType::isDynamic(size))
      continue;
    if (size == 0)
      return emitOpError("stacked operand #") << number << " has no layers";
    if (!ShapedType::isDynamic(layers) && size != layers)
      return emitOpError("stacked operand #")
             << number << " has " << size << " layers, but earlier ones have "
             << layers;
    layers = size;
  }

  // Carries keep their type from layer to layer.
  for (auto [number, carry] : llvm::enumerate(getCarries()))
    if (carry.getType() != getResult(number).getType())
      return emitOpError("result #")
             << number << " must have the type of carried operand #" << number
             << ", " << carry.getType() << ", got "
             << getResult(number).getType();
  return success();
}

LogicalResult ScanOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  auto callee =
      symbolTable.lookupNearestSymbolFrom<FunctionOpInterface>(*this,
                                                               getCalleeAttr());
  if (!callee)
    return emitOpError("callee '")
           << getCallee() << "' does not name a function in this module";

  // The callee's expected signature follows from the operands.
  SmallVector<Type> expectedInputs;
  llvm::append_range(expectedInputs, getCarries().getTypes());
  llvm::append_range(expectedInputs, getInvariants().getTypes());
  for (Value operand : getStacked())
    expectedInputs.push_back(
        dropLeadingDim(cast<RankedTensorType>(operand.getType())));

  ArrayRef<Type> inputs = callee.getArgumentTypes();
  if (inputs.size() != expectedInputs.size())
    return emitOpError("callee @")
           << getCallee() << " takes " << inputs.size()
           << " arguments, but the scan passes " << expectedInputs.size()
           << " (carries, invariants, then one slice of each stacked operand)";
  for (auto [number, pair] :
       llvm::enumerate(llvm::zip_equal(inputs, expectedInputs)))
    if (std::get<0>(pair) != std::get<1>(pair))
      return emitOpError("callee @")
             << getCallee() << " argument #" << number << " has type "
             << std::get<0>(pair) << ", but the scan passes "
             << std::get<1>(pair);

  ArrayRef<Type> outputs = callee.getResultTypes();
  size_t numCarries = getCarries().size();
  if (outputs.size() != getResults().size())
    return emitOpError("callee @")
           << getCallee() << " returns " << outputs.size()
           << " values, but the scan has " << getResults().size()
           << " results";
  int64_t layers = getNumLayers();
  for (auto [number, output] : llvm::enumerate(outputs)) {
    Type expected = getResult(number).getType();
    if (number < numCarries) {
      if (output != expected)
        return emitOpError("callee @")
               << getCallee() << " result #" << number << " has type "
               << output << ", but carried operand #" << number << " has type "
               << expected;
      continue;
    }
    auto perLayer = dyn_cast<RankedTensorType>(output);
    if (!perLayer || prependDim(perLayer, layers) != expected)
      return emitOpError("result #")
             << number << " must stack callee result type " << output
             << " over " << layers << " layers, got " << expected;
  }
  return success();
}
