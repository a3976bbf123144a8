//===- Builders.h - one forward-graph builder per architecture --*- C++ -*-===//
//
// Private to frontend/builder: each adds @forward (and the layer functions it
// calls) to `module`; ModelBuilder.cpp adds @loss on top.
//
//===----------------------------------------------------------------------===//

#ifndef DS_FRONTEND_BUILDER_BUILDERS_H
#define DS_FRONTEND_BUILDER_BUILDERS_H

#include "mlir/IR/BuiltinOps.h"

namespace ds::config {
class ModelConfig;
} // namespace ds::config

namespace ds::frontend {

void buildDeepSeekForward(mlir::ModuleOp module,
                          const config::ModelConfig &config);
void buildGpt2Forward(mlir::ModuleOp module, const config::ModelConfig &config);

} // namespace ds::frontend

#endif // DS_FRONTEND_BUILDER_BUILDERS_H
