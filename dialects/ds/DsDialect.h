//===- DsDialect.h - the ds dialect: ops, attributes, enums -----*- C++ -*-===//
//
// The single header users of the dialect include. The op definitions are in
// DsElementwiseOps.td, DsShapeOps.td and DsModelOps.td; docs/dialect/ds.md is
// generated from them.
//
//===----------------------------------------------------------------------===//

#ifndef DS_DIALECTS_DS_DSDIALECT_H
#define DS_DIALECTS_DS_DSDIALECT_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::ds {
class VjpBuilder;
} // namespace mlir::ds

#include "dialects/ds/DsDialect.h.inc"
#include "dialects/ds/DsInterfaces.h.inc"
#include "dialects/ds/DsEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/ds/DsAttrs.h.inc"

#define GET_OP_CLASSES
#include "dialects/ds/DsElementwiseOps.h.inc"
#define GET_OP_CLASSES
#include "dialects/ds/DsShapeOps.h.inc"
#define GET_OP_CLASSES
#include "dialects/ds/DsModelOps.h.inc"
#define GET_OP_CLASSES
#include "dialects/ds/DsControlOps.h.inc"
#define GET_OP_CLASSES
#include "dialects/ds/DsParallelOps.h.inc"

namespace mlir::ds {

/// The argument attribute that marks a function argument as a model
/// parameter: `{ds.param = #ds.param<"name", init>}`.
inline constexpr llvm::StringLiteral kParamAttrName = "ds.param";

/// The argument and result attribute that names a function's inputs and
/// outputs for tools: `{ds.name = "tokens"}`.
inline constexpr llvm::StringLiteral kNameAttrName = "ds.name";

/// The result attribute that marks a result as the per-expert load that
/// balances a selection-bias parameter (auxiliary-loss-free load balancing):
/// `{ds.balances = "model.layers.[1:4].mlp.gate.e_score_correction_bias"}`.
inline constexpr llvm::StringLiteral kBalancesAttrName = "ds.balances";

/// The function attribute --ds-shard puts on the per-rank entry it writes:
/// the number of ranks that run it at once (`{ds.ranks = 2 : i64}`); the
/// artifact's manifest records it per entry.
inline constexpr llvm::StringLiteral kRanksAttrName = "ds.ranks";

/// The argument and result attribute --ds-shard puts on an entry's tensors
/// that each rank holds a slice of: the dimension split evenly over the
/// entry's `ds.ranks` (`{ds.split_dim = 0 : i64}`); rank r holds block r.
/// The manifest records it, and checkpoints hold the whole tensor.
inline constexpr llvm::StringLiteral kSplitDimAttrName = "ds.split_dim";

/// On a grid of several axes (`ds.grid` on the entry, the shape of its
/// `shard.grid`, whose product is `ds.ranks`), the grid axes a `ds.split_dim`
/// split runs over (`{ds.split_axes = array<i64: 1>}`: the experts over
/// `ep`); the block a rank holds is its place along them
/// (runtime/comm/Grid.h). Absent: every axis.
inline constexpr llvm::StringLiteral kSplitAxesAttrName = "ds.split_axes";
inline constexpr llvm::StringLiteral kGridAttrName = "ds.grid";

/// The attribute every collective the sharding passes insert carries: why
/// it is there, as "<what>: <detail>" (`{ds.reason = "gradient:
/// model.norm.weight, summed over dp"}`). `<what>` groups collectives in
/// the communication table (passes/shard/Communication.h).
inline constexpr llvm::StringLiteral kReasonAttrName = "ds.reason";

/// The attribute on a `shard.grid` that names its axes, as the strategy
/// does (`{ds.axis_names = ["dp"]}`).
inline constexpr llvm::StringLiteral kAxisNamesAttrName = "ds.axis_names";

/// The module attribute recording the model config a module was built from
/// (textproto, one line), so that tools reading the IR can recover it: the
/// compiler writes it into artifacts as a Hugging Face config.json, which
/// makes exported checkpoints loadable by transformers.
inline constexpr llvm::StringLiteral kModelConfigAttrName = "ds.model_config";

} // namespace mlir::ds

#endif // DS_DIALECTS_DS_DSDIALECT_H
