//===- WeightFiles.h - a checkpoint's tensors, by name ----------*- C++ -*-===//
//
// The tensors of one or more safetensors files, looked up by name, and read
// into the parameters of a model as DS stacks them:
//
// * `add(path)` takes a file, or a directory: a Hugging Face checkpoint
//   (`model.safetensors`, or the shards `model-0000i-of-0000n.safetensors`
//   listed by `model.safetensors.index.json`, whose weight map is checked
//   against the shards), else every `*.safetensors` file in it.
// * `read(name, dtype, shape)` reads the tensor called `name`, or, when the
//   name stacks layers or experts (`model.layers.[1:4].mlp.experts.[0:16]
//   .up_proj.weight`, see ParamNamePattern.h) and no tensor has that name,
//   gathers its slices (`model.layers.{1..3}.mlp.experts.{0..15}
//   .up_proj.weight`). Floats are converted to the requested type (rounded
//   to nearest even, so a bf16 checkpoint loads into an f32 model exactly);
//   integers must fit.
//
// So one reader serves DS's own checkpoints (stacked names), Hugging Face
// checkpoints (per-layer names) and anything between. Errors name the tensor
// and the file. Nothing here throws.
//
//===----------------------------------------------------------------------===//

#ifndef DS_RUNTIME_IO_WEIGHTFILES_H
#define DS_RUNTIME_IO_WEIGHTFILES_H

#include "runtime/io/DType.h"
#include "runtime/io/Safetensors.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ds::rt {

class WeightFiles {
public:
  WeightFiles();
  ~WeightFiles();
  WeightFiles(WeightFiles &&) noexcept;
  WeightFiles &operator=(WeightFiles &&) noexcept;

  /// Adds one file or the weights of a directory (see the file comment). A
  /// tensor name present in two files is an error.
  bool add(const std::string &path, std::string &error);
  bool empty() const { return files.empty(); }
  size_t numTensors() const { return index.size(); }
  /// The files added, in order.
  std::vector<std::string> paths() const;

  struct Found {
    const SafetensorsReader *file = nullptr;
    const TensorEntry *entry = nullptr;
  };
  /// The tensor stored under exactly `name`, or {nullptr, nullptr}.
  Found find(std::string_view name) const;

  /// Whether `read(name, ...)` finds data: the tensor itself, or, for a
  /// stacked name, at least one of its slices (a checkpoint that has some
  /// slices but not all is an error for `read`, not an absence).
  bool provides(const std::string &name) const;

  /// Reads `name` (see the file comment) as `dtype` with `shape` into `out`,
  /// which holds product(shape) * dtypeSize(dtype) bytes. Errors: a missing
  /// tensor or slice, a shape that differs, a float/integer mismatch, an
  /// integer that does not fit, a block-quantized tensor (an fp8 weight with
  /// `<name>_scale_inv` beside it).
  bool read(const std::string &name, DType dtype,
            const std::vector<int64_t> &shape, uint8_t *out,
            std::string &error) const;

private:
  bool addFile(const std::string &path, std::string &error);
  bool addIndexed(const std::string &directory, const std::string &indexPath,
                  std::string &error);
  bool readOne(const Found &found, const std::string &name,
               const std::string &context, DType dtype,
               const std::vector<int64_t> &shape, uint8_t *out,
               std::string &error) const;

  std::vector<std::unique_ptr<SafetensorsReader>> files;
  std::map<std::string, Found, std::less<>> index;
};

/// Converts `count` elements from `from` to `to` (both little-endian
/// encodings): a copy when the types are equal, else through double, rounded
/// to nearest even. Integer targets must receive integral values that fit;
/// returns false (and the offending value in `bad`) otherwise.
bool convertElements(DType from, const uint8_t *in, DType to, uint8_t *out,
                     size_t count, double &bad);

} // namespace ds::rt

#endif // DS_RUNTIME_IO_WEIGHTFILES_H
