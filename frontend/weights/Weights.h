//===- Weights.h - model parameters: initialise, load, save -----*- C++ -*-===//
//
// The parameters of an entry function are its arguments that carry
// #ds.param. This file gives them values:
//
// * initializeParameter: deterministic from a seed. Every checkpoint tensor
//   (each slice of a stacked parameter) draws from its own stream, seeded by
//   the seed and its full name, so values do not depend on how layers are
//   stacked or how many there are.
// * WeightFiles + loadParameter: from safetensors files, by the stacked
//   name or with Hugging Face names, whose slices stacked parameters gather
//   (model.layers.[1:4].mlp.experts.[0:16].up_proj.weight reads the 48
//   tensors model.layers.{1..3}.mlp.experts.{0..15}.up_proj.weight), so a
//   Hugging Face checkpoint directory loads as it is.
// * saveParameters: the reverse, one tensor per slice.
//
//===----------------------------------------------------------------------===//

#ifndef DS_FRONTEND_WEIGHTS_WEIGHTS_H
#define DS_FRONTEND_WEIGHTS_WEIGHTS_H

#include "dialects/ds/reference/Tensor.h"
#include "runtime/io/WeightFiles.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace mlir::func {
class FuncOp;
} // namespace mlir::func

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

/// Checks that `parameters` fit in the available memory as the
/// interpreter's tensors (8 bytes per element), before any is made: a config
/// asking for more gets `error` stating the bytes required (runtime/io/
/// Memory.h), not an out-of-memory abort.
bool checkParametersFit(const std::vector<ParameterInfo> &parameters,
                        std::string &error);

/// The initial value of `parameter` for `seed` (see the file comment).
Tensor initializeParameter(const ParameterInfo &parameter, uint64_t seed);

/// The weight files are the runtime's: one reader for DS checkpoints
/// (stacked names) and Hugging Face checkpoints (per-layer names, sharded
/// with an index), runtime/io/WeightFiles.h.
using ds::rt::WeightFiles;

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
/// With `unstack`, a tensor whose name stacks layers or experts is written
/// slice by slice under the per-layer names (what saveParameters does for
/// parameters), so Hugging Face tools and per-layer checkpoints line up.
bool saveTensors(const std::string &path,
                 const std::vector<std::pair<std::string, Tensor>> &tensors,
                 std::string &error, bool unstack = false);

/// Reads the tensor `name` of `files` as `kind`: the tensor stored under that
/// name, with its own shape, or, for a stacked name, its slices gathered into
/// `stackedShape` (empty: gathering is not possible, the shape being
/// unknown). False with `error` naming the tensor when neither is there.
bool readNamedTensor(const WeightFiles &files, const std::string &name,
                     ElementKind kind, const std::vector<int64_t> &stackedShape,
                     Tensor &value, std::string &error);

/// Reads a tensor of a safetensors file as `kind` (floats rounded exactly,
/// integers checked to be integral).
bool readTensor(const ds::rt::SafetensorsReader &file,
                const ds::rt::TensorEntry &entry, ElementKind kind,
                Tensor &value, std::string &error);

} // namespace ds::frontend

#endif // DS_FRONTEND_WEIGHTS_WEIGHTS_H
