//===- fuzz_safetensors.cpp - safetensors files and weight directories ----===//
//
// Input: one file or a directory of them (FuzzFiles.h): a .safetensors file,
// or a Hugging Face checkpoint's model.safetensors.index.json and shards.
// Everything WeightFiles accepts is then read: every tensor as f32 (floats)
// or i64 (integers) with its own shape, every element decoded, and, for a
// per-layer name (`model.layers.0.x`), the stacked read of layers 0 and 1
// (`model.layers.[0:2].x`) that DS's loaders do.
//
//===----------------------------------------------------------------------===//

#include "runtime/io/WeightFiles.h"
#include "test/fuzz/FuzzFiles.h"

using namespace ds;

namespace {

/// Reads `name` as DS would load it; the result is discarded, failures are
/// fine, crashes and sanitizer reports are not.
void readAs(const rt::WeightFiles &weights, const std::string &name,
            rt::DType dtype, const std::vector<int64_t> &shape) {
  size_t elements = 1;
  for (int64_t dim : shape)
    elements *= size_t(dim);
  if (elements > (size_t(1) << 22))
    return;
  std::vector<uint8_t> out(elements * rt::dtypeSize(dtype));
  std::string error;
  (void)weights.read(name, dtype, shape, out.data(), error);
}

void readEverything(const rt::WeightFiles &weights,
                    const std::vector<std::string> &paths) {
  for (const std::string &path : paths) {
    std::string error;
    auto file = rt::SafetensorsReader::open(path, error);
    if (!file)
      continue;
    for (const rt::TensorEntry &entry : file->tensors()) {
      if (entry.numElements() <= (int64_t(1) << 22))
        (void)file->readAsDoubles(entry);
      const rt::DType as = rt::isFloat(entry.dtype) ? rt::DType::F32
                                                     : rt::DType::I64;
      readAs(weights, entry.name, as, entry.shape);
      const size_t layer = entry.name.find(".0.");
      if (layer != std::string::npos) {
        std::string stacked = entry.name;
        stacked.replace(layer, 3, ".[0:2].");
        std::vector<int64_t> shape = entry.shape;
        shape.insert(shape.begin(), 2);
        readAs(weights, stacked, as, shape);
      }
    }
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz::ScratchDirectory scratch;
  auto files = scratch.unpack(data, size);
  if (!files)
    return -1; // not an input this target reads: kept out of the corpus
  // One file is added as itself (any name), several as a directory.
  const std::string path = files->size() == 1
                               ? scratch.path() + "/" + files->front().path
                               : scratch.path();
  rt::WeightFiles weights;
  std::string error;
  if (!weights.add(path, error))
    return 0;
  readEverything(weights, weights.paths());
  return 0;
}
