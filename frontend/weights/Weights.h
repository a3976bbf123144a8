//===- Weights.h - model parameters: initialise, load, save -----*- C++ -*-===//
//
// The parameters of an entry function are its arguments that carry
// #ds.param. This file gives them values:
//
// * initializeParameter: deterministic from a seed. Every checkpoint tensor
//   (each slice of a stacked parameter) draws from its own stream, seeded by
//   the seed and its full name, so values do not depend on how layers are
//   stacked or how many there are.
// * WeightFiles + loadParameter: from safetensors files with Hugging Face
//   names; stacked parameters gather their slices
//   (model.layers.[1:4].mlp.experts.[0:16].up_proj.weight reads the 48
//   tensors model.layers.{1..3}.mlp.experts.{0..15}.up_proj.weight), so a
//   Hugging Face checkpoint directory loads as it is.
// * saveParameters: the reverse, one tensor per slice.
//
//===----------------------------------------------------------------------===//

#ifndef DS_FRONTEND_WEIGHTS_WEIGHTS_H
#define DS_FRONTEND_WEIGHTS_WEIGHTS_H

#include "dialects/ds/reference/Tensor.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace mlir::func {
class FuncOp;
} // namespace mlir::func

namespace ds::rt {
class SafetensorsReader;
struct TensorEntry;
} // namespace ds::rt

namespace ds::frontend {

using mlir::ds::reference::ElementKind;
using mlir::ds::reference::Tensor;

/// One parameter of an entry function, read from its #ds.param.
struct ParameterInfo {
  unsigned argIndex;
  std::string name; // possibly with [begin:end] ranges
  std::vector<int64_t> shape;
  ElementKind kind;
  int initKind; // mlir::ds::InitKind
  double initA, initB;
};

/// The parameters of `function`, in argument order.
std::vector<ParameterInfo> listParameters(mlir::func::FuncOp function);

/// The initial value of `parameter` for `seed` (see the file comment).
Tensor initializeParameter(const ParameterInfo &parameter, uint64_t seed);

/// A set of safetensors files searched by tensor name.
class WeightFiles {
public:
  WeightFiles();
  ~WeightFiles();
  WeightFiles(WeightFiles &&) noexcept;
  WeightFiles &operator=(WeightFiles &&) noexcept;

  /// Adds one file, or the weights of a directory: its model*.safetensors
  /// files if it has any (a Hugging Face checkpoint), else every *.safetensors (sorted by
  /// name). A tensor name present in two files is an error.
  bool add(const std::string &path, std::string &error);
  bool empty() const { return files.empty(); }
  size_t numTensors() const { return index.size(); }

  struct Found {
    const ds::rt::SafetensorsReader *file;
    const ds::rt::TensorEntry *entry;
  };
  /// The tensor called `name`, or {nullptr, nullptr}.
  Found find(const std::string &name) const;

private:
  bool addFile(const std::string &path, std::string &error);

  std::vector<std::unique_ptr<ds::rt::SafetensorsReader>> files;
  std::map<std::string, Found> index;
};

/// Reads `parameter` from `files`, converting floats to its element type
/// (rounded exactly). Errors name the checkpoint tensor and the file: a
/// missing tensor, a shape that differs, a non-float dtype.
bool loadParameter(const ParameterInfo &parameter, const WeightFiles &files,
                   Tensor &value, std::string &error);

/// Writes `values` (one per parameter) to a safetensors file, one tensor per
/// slice, under the checkpoint names, atomically.
bool saveParameters(const std::string &path,
                    const std::vector<ParameterInfo> &parameters,
                    const std::vector<Tensor> &values, std::string &error);

/// Writes named tensors (inputs, outputs) to a safetensors file, atomically.
bool saveTensors(const std::string &path,
                 const std::vector<std::pair<std::string, Tensor>> &tensors,
                 std::string &error);

/// Reads a tensor of a safetensors file as `kind` (floats rounded exactly,
/// integers checked to be integral).
bool readTensor(const ds::rt::SafetensorsReader &file,
                const ds::rt::TensorEntry &entry, ElementKind kind,
                Tensor &value, std::string &error);

} // namespace ds::frontend

#endif // DS_FRONTEND_WEIGHTS_WEIGHTS_H
