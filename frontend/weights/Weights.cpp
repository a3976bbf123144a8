//===- Weights.cpp - model parameters: initialise, load, save -------------===//

#include "frontend/weights/Weights.h"

#include "dialects/ds/DsDialect.h"
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

WeightFiles::WeightFiles() = default;
WeightFiles::~WeightFiles() = default;
WeightFiles::WeightFiles(WeightFiles &&) noexcept = default;
WeightFiles &WeightFiles::operator=(WeightFiles &&) noexcept = default;

bool WeightFiles::add(const std::string &path, std::string &error) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(path, ec))
    return addFile(path, error);
  std::vector<std::string> paths;
  for (const fs::directory_entry &entry : fs::directory_iterator(path, ec))
    if (entry.path().extension() == ".safetensors")
      paths.push_back(entry.path().string());
  if (ec) {
    error = path + ": " + ec.message();
    return false;
  }
  if (paths.empty()) {
    error = path + ": no *.safetensors files in this directory";
    return false;
  }
  // A Hugging Face checkpoint keeps its weights in model*.safetensors
  // (model.safetensors, model-00001-of-00002.safetensors, ...); other files
  // beside them (goldens, gradients) are not weights.
  std::vector<std::string> model;
  for (const std::string &file : paths)
    if (fs::path(file).filename().string().rfind("model", 0) == 0)
      model.push_back(file);
  if (!model.empty())
    paths = std::move(model);
  std::sort(paths.begin(), paths.end());
  for (const std::string &file : paths)
    if (!addFile(file, error))
      return false;
  return true;
}

bool WeightFiles::addFile(const std::string &path, std::string &error) {
  std::unique_ptr<ds::rt::SafetensorsReader> reader =
      ds::rt::SafetensorsReader::open(path, error);
  if (!reader)
    return false;
  for (const ds::rt::TensorEntry &entry : reader->tensors()) {
    auto [it, inserted] = index.try_emplace(entry.name, Found{reader.get(), &entry});
    if (!inserted) {
      error = path + ": tensor '" + entry.name + "' is also in " +
              it->second.file->path();
      return false;
    }
  }
  files.push_back(std::move(reader));
  return true;
}

WeightFiles::Found WeightFiles::find(const std::string &name) const {
  auto it = index.find(name);
  return it == index.end() ? Found{nullptr, nullptr} : it->second;
}

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

bool ds::frontend::loadParameter(const ParameterInfo &parameter,
                                 const WeightFiles &files, Tensor &value,
                                 std::string &error) {
  ParamNamePattern pattern;
  if (!ParamNamePattern::parse(parameter.name, pattern, error))
    return false;
  size_t stacked = pattern.numStackedDims();
  std::vector<int64_t> sliceShape(parameter.shape.begin() + stacked,
                                  parameter.shape.end());
  value = Tensor(parameter.kind, parameter.shape);
  int64_t sliceSize = mlir::ds::reference::productOf(sliceShape);
  for (int64_t slice = 0; slice < pattern.numSlices(); ++slice) {
    std::string name = pattern.expandFlat(slice);
    WeightFiles::Found found = files.find(name);
    std::string context =
        stacked ? " (a slice of parameter '" + parameter.name + "')" : "";
    if (!found.entry) {
      error = "missing tensor '" + name + "'" + context +
              " in the weight files";
      return false;
    }
    // DeepSeek-V3's released checkpoints store fp8 weights with per-block
    // scales beside them; reading the fp8 values alone would be silently
    // wrong.
    if (files.find(name + "_scale_inv").entry) {
      error = found.file->path() + ": tensor '" + name +
              "' is block-quantized (it has '" + name +
              "_scale_inv'); dequantize the checkpoint to bf16 first";
      return false;
    }
    if (found.entry->shape != sliceShape) {
      error = found.file->path() + ": tensor '" + name + "'" + context +
              " has shape " + formatShape(found.entry->shape) +
              ", but the model expects " + formatShape(sliceShape);
      return false;
    }
    Tensor piece;
    if (!readTensor(*found.file, *found.entry, parameter.kind, piece, error))
      return false;
    std::copy(piece.values.begin(), piece.values.end(),
              value.values.begin() + slice * sliceSize);
  }
  return true;
}

//===----------------------------------------------------------------------===//
// Saving
//===----------------------------------------------------------------------===//

static ds::rt::DType dtypeFor(ElementKind kind) {
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

bool ds::frontend::saveParameters(const std::string &path,
                                  const std::vector<ParameterInfo> &parameters,
                                  const std::vector<Tensor> &values,
                                  std::string &error) {
  std::vector<ds::rt::TensorToWrite> tensors;
  for (size_t i = 0; i < parameters.size(); ++i) {
    ParamNamePattern pattern;
    if (!ParamNamePattern::parse(parameters[i].name, pattern, error))
      return false;
    size_t stacked = pattern.numStackedDims();
    std::vector<int64_t> sliceShape(parameters[i].shape.begin() + stacked,
                                    parameters[i].shape.end());
    int64_t sliceSize = mlir::ds::reference::productOf(sliceShape);
    for (int64_t slice = 0; slice < pattern.numSlices(); ++slice)
      tensors.push_back({pattern.expandFlat(slice), dtypeFor(values[i].kind),
                         sliceShape,
                         values[i].values.data() + slice * sliceSize});
  }
  return ds::rt::writeSafetensors(path, tensors, {{"format", "pt"}}, error);
}

bool ds::frontend::saveTensors(
    const std::string &path,
    const std::vector<std::pair<std::string, Tensor>> &named,
    std::string &error) {
  std::vector<ds::rt::TensorToWrite> tensors;
  for (const auto &[name, tensor] : named)
    tensors.push_back(
        {name, dtypeFor(tensor.kind), tensor.shape, tensor.values.data()});
  return ds::rt::writeSafetensors(path, tensors, {}, error);
}
