//===- ParamNamePattern.h - names of stacked parameters ---------*- C++ -*-===//
//
// A parameter that stacks the same tensor of several layers (or experts) is
// named once, with an index range for each stacked leading dimension:
//
//   model.layers.[1:4].mlp.experts.[0:16].gate_proj.weight
//
// is a tensor<3x16x...> whose slice [i, j] is the checkpoint tensor
// `model.layers.{1+i}.mlp.experts.{j}.gate_proj.weight`. This header is plain
// C++ so that checkpoint code outside the compiler can expand names too.
//
//===----------------------------------------------------------------------===//

#ifndef DS_RUNTIME_IO_PARAMNAMEPATTERN_H
#define DS_RUNTIME_IO_PARAMNAMEPATTERN_H

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ds::rt {

class ParamNamePattern {
public:
  /// Parses `name`. Returns false and sets `error` when a `[` does not start
  /// a well-formed `[begin:end]` range with 0 <= begin < end.
  static bool parse(std::string_view name, ParamNamePattern &pattern,
                    std::string &error);

  /// The number of leading dimensions that are stacked (ranges in the name).
  size_t numStackedDims() const { return ranges.size(); }
  /// The size of stacked dimension `dim`: `end - begin` of its range.
  int64_t extent(size_t dim) const {
    return ranges[dim].second - ranges[dim].first;
  }
  /// The number of unstacked tensors: the product of the extents.
  int64_t numSlices() const;

  /// The name of the slice with the given positions (one per stacked
  /// dimension, each in [0, extent)).
  std::string expand(const std::vector<int64_t> &positions) const;
  /// The name of slice `flat` in row-major order of the stacked dimensions.
  std::string expandFlat(int64_t flat) const;

private:
  std::vector<std::string> literals; // ranges.size() + 1 literal pieces
  std::vector<std::pair<int64_t, int64_t>> ranges;
};

} // namespace ds::rt

#endif // DS_RUNTIME_IO_PARAMNAMEPATTERN_H
