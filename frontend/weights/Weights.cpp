//===- Weights.cpp - model parameters: initialise, load, save -------------===//

#include "frontend/weights/Weights.h"

#include "dialects/ds/DsDialect.h"
#include "runtime/io/Memory.h"
#include "runtime/io/ParamInit.h"
#include "runtime/io/ParamNamePattern.h"
#include "dialects/ds/reference/Interpreter.h"
#include "runtime/io/Safetensors.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

using namespace ds::frontend;
using ds::rt::ParamNamePattern;
using mlir::ds::reference::formatShape;
using mlir::ds::reference::isFloatKind;
using mlir::ds::reference::kindName;
using mlir::ds::reference::roundToKind;

std::vector<ParameterInfo>
ds::frontend::listParameters(mlir::func::FuncOp function) {
  std::vector<ParameterInfo> parameters;
  for (unsigned index = 0; index < function.getNumArguments(); ++index) {
    auto param = function.getArgAttrOfType<mlir::ds::ParamAttr>(
        index, mlir::ds::kParamAttrName);
    if (!param)
      continue;
    auto type = mlir::cast<mlir::RankedTensorType>(
        function.getArgumentTypes()[index]);
    parameters.push_back(
        {index, param.getName().str(),
         std::vector<int64_t>(type.getShape().begin(), type.getShape().end()),
         *mlir::ds::reference::elementKindOf(type.getElementType()),
         static_cast<int>(param.getInit()), param.getA().convertToDouble(),
         param.getB().convertToDouble()});
  }
  return parameters;
}

//===----------------------------------------------------------------------===//
// Initialisation
//===----------------------------------------------------------------------===//

static_assert(int(mlir::ds::InitKind::zeros) == int(ds::rt::InitKind::Zeros) &&
              int(mlir::ds::InitKind::normal) == int(ds::rt::InitKind::Normal) &&
              int(mlir::ds::InitKind::uniform) == int(ds::rt::InitKind::Uniform));

bool ds::frontend::checkParametersFit(
    const std::vector<ParameterInfo> &parameters, std::string &error) {
  std::vector<std::vector<int64_t>> shapes;
  for (const ParameterInfo &parameter : parameters)
    shapes.push_back(parameter.shape);
  uint64_t bytes = 0;
  const std::string what = "the model's " + std::to_string(parameters.size()) +
                           " parameters (8 bytes per element in the "
                           "interpreter)";
  if (!ds::rt::totalBytes(shapes, sizeof(double), bytes)) {
    error = what + " need more than 2^64 bytes";
    return false;
  }
  return ds::rt::checkMemory(bytes, what, error);
}

Tensor ds::frontend::initializeParameter(const ParameterInfo &parameter,
                                         uint64_t seed) {
  Tensor value(parameter.kind, parameter.shape);
  // The dialect's InitKind and the runtime's list the initializers in the
  // same order (runtime/io/ParamInit.h).
  ds::rt::ParamInit init{static_cast<ds::rt::InitKind>(parameter.initKind),
                         parameter.initA, parameter.initB};
  std::string error;
  // The verifier has accepted the name against the shape, so this succeeds.
  (void)ds::rt::initialValues(parameter.name, parameter.shape, init, seed,
                              value.values, error);
  value.roundValues();
  return value;
}

//===----------------------------------------------------------------------===//
// Loading
//===----------------------------------------------------------------------===//

bool ds::frontend::readTensor(const ds::rt::SafetensorsReader &file,
                              const ds::rt::TensorEntry &entry,
                              ElementKind kind, Tensor &value,
                              std::string &error) {
  bool wantFloat = isFloatKind(kind);
  if (wantFloat != ds::rt::isFloat(entry.dtype)) {
    error = file.path() + ": tensor '" + entry.name + "' has dtype " +
            ds::rt::dtypeName(entry.dtype) + ", expected " +
            (wantFloat ? "a floating-point" : "an integer") + " type (" +
            kindName(kind) + ")";
    return false;
  }
  value = Tensor(kind, entry.shape, file.readAsDoubles(entry));
  for (double &element : value.values) {
    double rounded = roundToKind(kind, element);
    if (!wantFloat && rounded != element) {
      error = file.path() + ": tensor '" + entry.name + "' holds " +
              std::to_string(static_cast<long long>(element)) +
              ", which does not fit " + kindName(kind);
      return false;
    }
    element = rounded;
  }
  return true;
}

static ds::rt::DType dtypeFor(ElementKind kind);

/// Reads `name` gathered into `shape` as `kind`: in the kind's own encoding
/// (so conversions round once, and integers are checked to fit), then
/// decoded.
static bool readGathered(const WeightFiles &files, const std::string &name,
                         ElementKind kind, const std::vector<int64_t> &shape,
                         Tensor &value, std::string &error) {
  ds::rt::DType dtype = dtypeFor(kind);
  value = Tensor(kind, shape);
  std::vector<uint8_t> bytes(value.values.size() * ds::rt::dtypeSize(dtype));
  if (!files.read(name, dtype, shape, bytes.data(), error))
    return false;
  for (size_t i = 0; i < value.values.size(); ++i)
    value.values[i] =
        ds::rt::decodeScalar(dtype, bytes.data() + i * ds::rt::dtypeSize(dtype));
  return true;
}

bool ds::frontend::loadParameter(const ParameterInfo &parameter,
                                 const WeightFiles &files, Tensor &value,
                                 std::string &error) {
  return readGathered(files, parameter.name, parameter.kind, parameter.shape,
                      value, error);
}

bool ds::frontend::readNamedTensor(const WeightFiles &files,
                                   const std::string &name, ElementKind kind,
                                   const std::vector<int64_t> &stackedShape,
                                   Tensor &value, std::string &error) {
  if (WeightFiles::Found found = files.find(name); found.entry)
    return readTensor(*found.file, *found.entry, kind, value, error);
  if (!stackedShape.empty() && files.provides(name))
    return readGathered(files, name, kind, stackedShape, value, error);
  error = "no tensor '" + name + "'";
  return false;
}

//===----------------------------------------------------------------------===//
// Saving
//===----------------------------------------------------------------------===//

ds::rt::DType dtypeFor(ElementKind kind) {
  using ds::rt::DType;
  switch (kind) {
  case ElementKind::F64: return DType::F64;
  case ElementKind::F32: return DType::F32;
  case ElementKind::F16: return DType::F16;
  case ElementKind::BF16: return DType::BF16;
  case ElementKind::F8E4M3FN: return DType::F8_E4M3;
  case ElementKind::F8E5M2: return DType::F8_E5M2;
  case ElementKind::I1: return DType::BOOL;
  case ElementKind::I8: return DType::I8;
  case ElementKind::I16: return DType::I16;
  case ElementKind::I32: return DType::I32;
  case ElementKind::I64: return DType::I64;
  }
  return DType::F32;
}

/// Appends `value` under `name`, or, when the name stacks layers or
/// experts, one tensor per slice under its per-layer name.
static bool appendUnstacked(const std::string &name, const Tensor &value,
                            bool unstack,
                            std::vector<ds::rt::TensorToWrite> &tensors,
                            std::string &error) {
  ParamNamePattern pattern;
  if (!unstack || name.find('[') == std::string::npos) {
    tensors.push_back(
        {name, dtypeFor(value.kind), value.shape, value.values.data()});
    return true;
  }
  if (!ParamNamePattern::parse(name, pattern, error))
    return false;
  size_t stacked = pattern.numStackedDims();
  if (value.shape.size() < stacked) {
    error = "tensor '" + name + "' has fewer dimensions than its name stacks";
    return false;
  }
  std::vector<int64_t> sliceShape(value.shape.begin() + stacked,
                                  value.shape.end());
  int64_t sliceSize = mlir::ds::reference::productOf(sliceShape);
  for (int64_t slice = 0; slice < pattern.numSlices(); ++slice)
    tensors.push_back({pattern.expandFlat(slice), dtypeFor(value.kind),
                       sliceShape, value.values.data() + slice * sliceSize});
  return true;
}

bool ds::frontend::saveParameters(const std::string &path,
                                  const std::vector<ParameterInfo> &parameters,
                                  const std::vector<Tensor> &values,
                                  std::string &error) {
  std::vector<ds::rt::TensorToWrite> tensors;
  for (size_t i = 0; i < parameters.size(); ++i)
    if (!appendUnstacked(parameters[i].name, values[i], true, tensors, error))
      return false;
  return ds::rt::writeSafetensors(path, tensors, {{"format", "pt"}}, error);
}

bool ds::frontend::saveTensors(
    const std::string &path,
    const std::vector<std::pair<std::string, Tensor>> &named,
    std::string &error, bool unstack) {
  std::vector<ds::rt::TensorToWrite> tensors;
  for (const auto &[name, tensor] : named)
    if (!appendUnstacked(name, tensor, unstack, tensors, error))
      return false;
  return ds::rt::writeSafetensors(path, tensors, {}, error);
}
