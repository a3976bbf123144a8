//===- Grid.h - Ranks laid out on a grid -------------------------*- C++ -*-===//
//
// A sharded entry runs on a grid of ranks (the manifest's "grid", e.g.
// [dp, ep] = [2, 2]). Ranks are numbered row-major over the grid's shape,
// as upstream MLIR's shard dialect numbers them: on a [2, 2] grid rank 3 is
// (1, 1). The ranks that differ from one rank only along some axes form
// its group along them, ordered by their coordinates along those axes
// (row-major in increasing axis order); the same order says which block of
// a tensor split over those axes a rank holds. Header-only: the manifest
// and the communicators both use it.
//
//===----------------------------------------------------------------------===//

#ifndef DS_RUNTIME_COMM_GRID_H
#define DS_RUNTIME_COMM_GRID_H

#include <cstdint>
#include <vector>

namespace ds::rt {

/// The number of ranks along `axes` of a grid of `shape` (1 for none).
inline int64_t gridSizeAlong(const std::vector<int64_t> &shape,
                             const std::vector<int64_t> &axes) {
  int64_t size = 1;
  for (int64_t axis : axes)
    if (axis >= 0 && size_t(axis) < shape.size())
      size *= shape[size_t(axis)];
  return size;
}

/// The place of `rank` in its group along `axes`, row-major in their order
/// (major to minor): its block of a tensor split over those axes.
inline int64_t gridIndexAlong(int64_t rank, const std::vector<int64_t> &shape,
                              const std::vector<int64_t> &axes) {
  std::vector<int64_t> coords(shape.size());
  for (size_t i = shape.size(); i-- > 0;) {
    coords[i] = shape[i] > 0 ? rank % shape[i] : 0;
    rank = shape[i] > 0 ? rank / shape[i] : 0;
  }
  int64_t index = 0;
  for (int64_t axis : axes)
    if (axis >= 0 && size_t(axis) < shape.size())
      index = index * shape[size_t(axis)] + coords[size_t(axis)];
  return index;
}

} // namespace ds::rt

#endif // DS_RUNTIME_COMM_GRID_H
