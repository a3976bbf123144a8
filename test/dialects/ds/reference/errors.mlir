// Run-time errors of the reference interpreter (ds-interp): each case's data
// (Inputs/<case>.safetensors, written by make_op_goldens.py) violates a
// run-time rule of docs/dialect/ds.md, and ds-interp must exit non-zero with
// an error located at the offending op.

// ds.gather: "Every index must lie in [0, input.shape[axis]); an index outside
// it is a run-time error." Index 6 into a table of 6 rows.
// RUN: not ds-interp %s --entry=error_gather_index --inputs=%S/Inputs/error_gather_index.safetensors 2>&1 | FileCheck %s --check-prefix=GATHER
// GATHER: errors.mlir:[[@LINE+4]]:8: error: index 6 at position 1 of the indices is outside [0, 6)
// GATHER-NEXT: %0 = ds.gather
// GATHER: ds-interp: error: @error_gather_index failed at run time
func.func @error_gather_index(%table: tensor<6x4xf64> {ds.name = "table"}, %idx: tensor<1x2xi32> {ds.name = "idx"}) -> (tensor<1x2x4xf64> {ds.name = "out"}) {
  %0 = ds.gather %table, %idx axis = 0 : (tensor<6x4xf64>, tensor<1x2xi32>) -> tensor<1x2x4xf64>
  return %0 : tensor<1x2x4xf64>
}

// A negative index (-1) on axis 1: no from-the-end indexing.
// RUN: not ds-interp %s --entry=error_gather_negative_index --inputs=%S/Inputs/error_gather_negative_index.safetensors 2>&1 | FileCheck %s --check-prefix=GATHER_NEG
// GATHER_NEG: errors.mlir:[[@LINE+4]]:8: error: index -1 at position 1 of the indices is outside [0, 5)
// GATHER_NEG-NEXT: %0 = ds.gather
// GATHER_NEG: ds-interp: error: @error_gather_negative_index failed at run time
func.func @error_gather_negative_index(%x: tensor<3x5xf64> {ds.name = "x"}, %idx: tensor<3xi64> {ds.name = "idx"}) -> (tensor<3x3xf64> {ds.name = "out"}) {
  %0 = ds.gather %x, %idx axis = 1 : (tensor<3x5xf64>, tensor<3xi64>) -> tensor<3x3xf64>
  return %0 : tensor<3x3xf64>
}

// ds.cross_entropy: "Targets other than ignore_index lie in [0, V); others are
// a run-time error." Target 5 with V = 5.
// RUN: not ds-interp %s --entry=error_cross_entropy_target --inputs=%S/Inputs/error_cross_entropy_target.safetensors 2>&1 | FileCheck %s --check-prefix=CE_TARGET
// CE_TARGET: errors.mlir:[[@LINE+4]]:8: error: target 5 at position 1 is outside [0, 5)
// CE_TARGET-NEXT: %0 = ds.cross_entropy
// CE_TARGET: ds-interp: error: @error_cross_entropy_target failed at run time
func.func @error_cross_entropy_target(%logits: tensor<3x5xf64> {ds.name = "logits"}, %targets: tensor<3xi32> {ds.name = "targets"}) -> (tensor<f64> {ds.name = "loss"}) {
  %0 = ds.cross_entropy %logits, %targets : (tensor<3x5xf64>, tensor<3xi32>) -> tensor<f64>
  return %0 : tensor<f64>
}

// Target -1 is neither a class nor the ignore_index (-100).
// RUN: not ds-interp %s --entry=error_cross_entropy_negative_target --inputs=%S/Inputs/error_cross_entropy_negative_target.safetensors 2>&1 | FileCheck %s --check-prefix=CE_NEG
// CE_NEG: errors.mlir:[[@LINE+4]]:8: error: target -1 at position 2 is outside [0, 5)
// CE_NEG-NEXT: %0 = ds.cross_entropy
// CE_NEG: ds-interp: error: @error_cross_entropy_negative_target failed at run time
func.func @error_cross_entropy_negative_target(%logits: tensor<3x5xf64> {ds.name = "logits"}, %targets: tensor<3xi32> {ds.name = "targets"}) -> (tensor<f64> {ds.name = "loss"}) {
  %0 = ds.cross_entropy %logits, %targets : (tensor<3x5xf64>, tensor<3xi32>) -> tensor<f64>
  return %0 : tensor<f64>
}

// With ignore_index = 3, -100 is an ordinary (out-of-range) target.
// RUN: not ds-interp %s --entry=error_cross_entropy_not_ignored --inputs=%S/Inputs/error_cross_entropy_not_ignored.safetensors 2>&1 | FileCheck %s --check-prefix=CE_NOT_IGNORED
// CE_NOT_IGNORED: errors.mlir:[[@LINE+4]]:8: error: target -100 at position 1 is outside [0, 5)
// CE_NOT_IGNORED-NEXT: %0 = ds.cross_entropy
// CE_NOT_IGNORED: ds-interp: error: @error_cross_entropy_not_ignored failed at run time
func.func @error_cross_entropy_not_ignored(%logits: tensor<3x5xf64> {ds.name = "logits"}, %targets: tensor<3xi64> {ds.name = "targets"}) -> (tensor<f64> {ds.name = "loss"}) {
  %0 = ds.cross_entropy %logits, %targets ignore_index = 3 : (tensor<3x5xf64>, tensor<3xi64>) -> tensor<f64>
  return %0 : tensor<f64>
}

// ds.moe_ffn: "Indices outside [0, E) are a run-time error." Expert 3 of 3.
// RUN: not ds-interp %s --entry=error_moe_ffn_index --inputs=%S/Inputs/error_moe_ffn_index.safetensors 2>&1 | FileCheck %s --check-prefix=MOE_FFN
// MOE_FFN: errors.mlir:[[@LINE+4]]:8: error: expert index 3 of token 1 is outside [0, 3)
// MOE_FFN-NEXT: %0 = ds.moe_ffn
// MOE_FFN: ds-interp: error: @error_moe_ffn_index failed at run time
func.func @error_moe_ffn_index(%x: tensor<2x4xf64> {ds.name = "x"}, %w: tensor<2x2xf64> {ds.name = "w"}, %idx: tensor<2x2xi32> {ds.name = "idx"}, %gate: tensor<3x3x4xf64> {ds.name = "gate"}, %up: tensor<3x3x4xf64> {ds.name = "up"}, %down: tensor<3x4x3xf64> {ds.name = "down"}) -> (tensor<2x4xf64> {ds.name = "out"}) {
  %0 = ds.moe_ffn %x, %w, %idx, %gate, %up, %down : (tensor<2x4xf64>, tensor<2x2xf64>, tensor<2x2xi32>, tensor<3x3x4xf64>, tensor<3x3x4xf64>, tensor<3x4x3xf64>) -> tensor<2x4xf64>
  return %0 : tensor<2x4xf64>
}

// ds.moe_ffn_grad checks the indices as ds.moe_ffn does. Expert 5 of 3.
// RUN: not ds-interp %s --entry=error_moe_ffn_grad_index --inputs=%S/Inputs/error_moe_ffn_grad_index.safetensors 2>&1 | FileCheck %s --check-prefix=MOE_FFN_GRAD
// MOE_FFN_GRAD: errors.mlir:[[@LINE+4]]:29: error: expert index 5 of token 1 is outside [0, 3)
// MOE_FFN_GRAD-NEXT: %dx, %dw, %dg, %du, %dd = ds.moe_ffn_grad
// MOE_FFN_GRAD: ds-interp: error: @error_moe_ffn_grad_index failed at run time
func.func @error_moe_ffn_grad_index(%x: tensor<2x4xf64> {ds.name = "x"}, %w: tensor<2x2xf64> {ds.name = "w"}, %idx: tensor<2x2xi32> {ds.name = "idx"}, %gate: tensor<3x3x4xf64> {ds.name = "gate"}, %up: tensor<3x3x4xf64> {ds.name = "up"}, %down: tensor<3x4x3xf64> {ds.name = "down"}, %dy: tensor<2x4xf64> {ds.name = "dy"}) -> (tensor<2x4xf64> {ds.name = "dx"}) {
  %dx, %dw, %dg, %du, %dd = ds.moe_ffn_grad %x, %w, %idx, %gate, %up, %down, %dy : (tensor<2x4xf64>, tensor<2x2xf64>, tensor<2x2xi32>, tensor<3x3x4xf64>, tensor<3x3x4xf64>, tensor<3x4x3xf64>, tensor<2x4xf64>) -> (tensor<2x4xf64>, tensor<2x2xf64>, tensor<3x3x4xf64>, tensor<3x3x4xf64>, tensor<3x4x3xf64>)
  return %dx : tensor<2x4xf64>
}

// ds.moe_route_grad: the indices must name experts too. Expert -1 of 4.
// RUN: not ds-interp %s --entry=error_moe_route_grad_index --inputs=%S/Inputs/error_moe_route_grad_index.safetensors 2>&1 | FileCheck %s --check-prefix=MOE_ROUTE_GRAD
// MOE_ROUTE_GRAD: errors.mlir:[[@LINE+4]]:8: error: expert index -1 of token 1 is outside [0, 4)
// MOE_ROUTE_GRAD-NEXT: %0 = ds.moe_route_grad
// MOE_ROUTE_GRAD: ds-interp: error: @error_moe_route_grad_index failed at run time
func.func @error_moe_route_grad_index(%logits: tensor<2x4xf64> {ds.name = "logits"}, %idx: tensor<2x2xi64> {ds.name = "idx"}, %dw: tensor<2x2xf64> {ds.name = "dw"}) -> (tensor<2x4xf64> {ds.name = "out"}) {
  %0 = ds.moe_route_grad %logits, %idx, %dw scoring = softmax norm_topk_prob routed_scaling_factor = 1.0 : (tensor<2x4xf64>, tensor<2x2xi64>, tensor<2x2xf64>) -> tensor<2x4xf64>
  return %0 : tensor<2x4xf64>
}

// ds.scatter_add: "Every index must lie in [0, result.shape[axis]); an index
// outside it is a run-time error." Index 4 into 4 rows.
// RUN: not ds-interp %s --entry=error_scatter_add_index --inputs=%S/Inputs/error_scatter_add_index.safetensors 2>&1 | FileCheck %s --check-prefix=SCATTER_ADD
// SCATTER_ADD: errors.mlir:[[@LINE+4]]:8: error: index 4 at position 1 of the indices is outside [0, 4)
// SCATTER_ADD-NEXT: %0 = ds.scatter_add
// SCATTER_ADD: ds-interp: error: @error_scatter_add_index failed at run time
func.func @error_scatter_add_index(%updates: tensor<2x3xf64> {ds.name = "updates"}, %idx: tensor<2xi32> {ds.name = "idx"}) -> (tensor<4x3xf64> {ds.name = "out"}) {
  %0 = ds.scatter_add %updates, %idx axis = 0 : (tensor<2x3xf64>, tensor<2xi32>) -> tensor<4x3xf64>
  return %0 : tensor<4x3xf64>
}

// Integer division by zero.
// RUN: not ds-interp %s --entry=error_div_by_zero --inputs=%S/Inputs/error_div_by_zero.safetensors 2>&1 | FileCheck %s --check-prefix=DIV_ZERO
// DIV_ZERO: errors.mlir:[[@LINE+4]]:8: error: integer division by zero
// DIV_ZERO-NEXT: %0 = ds.div
// DIV_ZERO: ds-interp: error: @error_div_by_zero failed at run time
func.func @error_div_by_zero(%a: tensor<4xi32> {ds.name = "a"}, %b: tensor<4xi32> {ds.name = "b"}) -> (tensor<4xi32> {ds.name = "out"}) {
  %0 = ds.div %a, %b : tensor<4xi32>
  return %0 : tensor<4xi32>
}

// An input whose shape differs from the argument's type ([3, 4] for 4x3).
// RUN: not ds-interp %s --entry=error_wrong_shape --inputs=%S/Inputs/error_wrong_shape.safetensors 2>&1 | FileCheck %s --check-prefix=WRONG_SHAPE
// WRONG_SHAPE: errors.mlir:[[@LINE+3]]:1: error: argument #0 of @error_wrong_shape has shape [3, 4], expected 'tensor<4x3xf64>'
// WRONG_SHAPE-NEXT: func.func @error_wrong_shape
// WRONG_SHAPE: ds-interp: error: @error_wrong_shape failed at run time
func.func @error_wrong_shape(%a: tensor<4x3xf64> {ds.name = "a"}) -> (tensor<4x3xf64> {ds.name = "out"}) {
  %0 = ds.neg %a : tensor<4x3xf64>
  return %0 : tensor<4x3xf64>
}
