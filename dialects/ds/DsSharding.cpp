//===- DsSharding.cpp - ShardingInterface for ds ops ----------------------===//
//
// The models themselves live in sharding/ (Loops.h: the shared loop
// description and partition; TensorOps.cpp and ModelOps.cpp: the ops).
//
//===----------------------------------------------------------------------===//

#include "dialects/ds/DsSharding.h"
#include "dialects/ds/DsDialect.h"
#include "dialects/ds/sharding/Loops.h"

#include "mlir/Dialect/Shard/IR/ShardDialect.h"
#include "mlir/IR/DialectRegistry.h"

namespace mlir::ds {

void registerShardingInterfaceModels(DialectRegistry &registry) {
  registry.insert<shard::ShardDialect>();
  registry.addExtension(+[](MLIRContext *context, DsDialect *) {
    sharding::attachTensorOpModels(context);
    sharding::attachModelOpModels(context);
  });
}

} // namespace mlir::ds
