//===- TensorFiles.cpp - arguments from and results to safetensors --------===//

#include "runtime/TensorFiles.h"

#include "runtime/io/ParamNamePattern.h"

namespace ds::rt {

std::optional<HostTensor> readTensor(const WeightFiles &files,
                                     const TensorSpec &spec,
                                     std::string &error) {
  std::optional<HostTensor> tensor =
      HostTensor::zeros(spec.dtype, spec.shape, error);
  if (!tensor)
    return std::nullopt;
  if (!files.read(spec.name, spec.dtype, spec.shape, tensor->data(), error))
    return std::nullopt;
  return tensor;
}

bool writeTensors(const std::string &path,
                  const std::vector<NamedTensorRef> &tensors, bool unstack,
                  const std::map<std::string, std::string> &metadata,
                  std::string &error) {
  std::vector<RawTensorToWrite> raw;
  for (const auto &[name, tensor] : tensors) {
    if (!unstack || name.find('[') == std::string::npos) {
      raw.push_back(tensor->toWrite(name));
      continue;
    }
    ParamNamePattern pattern;
    if (!ParamNamePattern::parse(name, pattern, error))
      return false;
    const size_t stacked = pattern.numStackedDims();
    const std::vector<int64_t> &shape = tensor->shape();
    bool fits = shape.size() >= stacked;
    for (size_t dim = 0; fits && dim < stacked; ++dim)
      fits = shape[dim] == pattern.extent(dim);
    if (!fits) {
      error = "tensor '" + name + "' of shape " + formatShape(shape) +
              " does not have the leading dimensions its name stacks";
      return false;
    }
    std::vector<int64_t> sliceShape(shape.begin() + stacked, shape.end());
    const size_t sliceBytes = tensor->byteSize() / size_t(pattern.numSlices());
    for (int64_t slice = 0; slice < pattern.numSlices(); ++slice)
      raw.push_back({pattern.expandFlat(slice), tensor->dtype(), sliceShape,
                     tensor->data() + size_t(slice) * sliceBytes});
  }
  return writeSafetensorsRaw(path, raw, metadata, error);
}

} // namespace ds::rt
