//===- GridGroups.cpp - Communicators along a grid's axes -----------------===//

#include "runtime/comm/GridGroups.h"

namespace ds::rt {

GridGroups::GridGroups(Communicator &world, std::vector<int64_t> shape)
    : world_(world), shape_(std::move(shape)) {}

GridGroups::~GridGroups() = default;

Communicator *GridGroups::group(int64_t axes, std::string &error) {
  const int64_t all = (int64_t(1) << shape_.size()) - 1;
  if (axes <= 0 || (axes & ~all) != 0) {
    error = "a collective over grid axes " + std::to_string(axes) +
            " (bitmask) of a grid of " + std::to_string(shape_.size()) +
            " axes";
    return nullptr;
  }
  if (axes == all)
    return &world_;
  if (auto found = groups_.find(axes); found != groups_.end())
    return found->second.get();
  std::vector<int64_t> along, across;
  for (size_t a = 0; a < shape_.size(); ++a)
    (axes >> a & 1 ? along : across).push_back(int64_t(a));
  const int64_t rank = world_.rank();
  std::unique_ptr<Communicator> part =
      world_.split(int(gridIndexAlong(rank, shape_, across)),
                   int(gridIndexAlong(rank, shape_, along)), error);
  if (!part)
    return nullptr;
  if (part->size() != gridSizeAlong(shape_, along)) {
    error = "the group along grid axes " + std::to_string(axes) + " has " +
            std::to_string(part->size()) + " ranks, not " +
            std::to_string(gridSizeAlong(shape_, along));
    return nullptr;
  }
  return (groups_[axes] = std::move(part)).get();
}

} // namespace ds::rt
