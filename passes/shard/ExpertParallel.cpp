//===- ExpertParallel.cpp - Routed experts split over ranks ---------------===//

#include "passes/shard/ExpertParallel.h"

#include "dialects/ds/DsDialect.h"
#include "dialects/ds/sharding/Loops.h"

namespace mlir::ds {

Value localExpertIndices(OpBuilder &b, Location loc, Value indices,
                         shard::GridOp grid,
                         ArrayRef<shard::GridAxis> expertAxes,
                         int64_t localExperts, int64_t globalExperts) {
  return sharding::localIndices(
      b, loc, indices, grid.getSymName(), expertAxes, localExperts,
      globalExperts, /*outside=*/-1,
      "expert parallel: the numbers of the experts this rank holds");
}

} // namespace mlir::ds
