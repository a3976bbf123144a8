//===- GridGroups.h - Communicators along a grid's axes ---------*- C++ -*-===//
//
// A collective over some axes of a grid (Grid.h) runs among the ranks of
// one group along them: a communicator split from the whole grid's.
//
//===----------------------------------------------------------------------===//

#ifndef DS_RUNTIME_COMM_GRIDGROUPS_H
#define DS_RUNTIME_COMM_GRIDGROUPS_H

#include "runtime/comm/Communicator.h"
#include "runtime/comm/Grid.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace ds::rt {

/// The communicators of a grid's groups, made when first asked for (each
/// split is collective over the whole grid: every rank asks for the same
/// groups in the same order, as the ranks of one SPMD program do). Owns
/// them; `world` must outlive this object.
class GridGroups {
public:
  GridGroups(Communicator &world, std::vector<int64_t> shape);
  ~GridGroups();

  const std::vector<int64_t> &shape() const { return shape_; }

  /// The group along the axes in bitmask `axes` (bit a: axis a); `world`
  /// itself for every axis. Null with `error` when a bit names no axis of
  /// the grid or the backend cannot split.
  Communicator *group(int64_t axes, std::string &error);

private:
  Communicator &world_;
  std::vector<int64_t> shape_;
  std::map<int64_t, std::unique_ptr<Communicator>> groups_;
};

} // namespace ds::rt

#endif // DS_RUNTIME_COMM_GRIDGROUPS_H
