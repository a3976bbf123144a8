// Numerical tests of ds.scan in the reference interpreter (ds-interp): the
// layer order, forward and with `reverse`, against numpy (goldens/scan.py;
// README.md). The callee depends on the order in which the layers run, so
// running the layers the wrong way round, or storing layer i's output
// anywhere but at index i, fails. f64 with rtol 1e-12.

// h' = h * w_i + b_i + bias; y_i = sum(h' * h').
func.func @affine_layer(%h: tensor<3xf64>, %bias: tensor<3xf64>, %w: tensor<3xf64>, %b: tensor<3xf64>) -> (tensor<3xf64>, tensor<f64>) {
  %0 = ds.mul %h, %w : tensor<3xf64>
  %1 = ds.add %0, %b : tensor<3xf64>
  %2 = ds.add %1, %bias : tensor<3xf64>
  %3 = ds.mul %2, %2 : tensor<3xf64>
  %4 = ds.reduce_sum %3 axes = [0] : tensor<3xf64> -> tensor<f64>
  return %2, %4 : tensor<3xf64>, tensor<f64>
}

// Four layers from 0 to 3, and with `reverse` from 3 down to 0 (layer i
// still reads slice i of w and b, and its y lands at index i).
// RUN: ds-interp %s --entry=scan_f64 --inputs=%S/Inputs/scan_f64.safetensors --compare=%S/Inputs/scan_f64.safetensors --rtol=1e-12 | FileCheck %s --check-prefix=SCAN_F64
// SCAN_F64: compare h_fwd with h_fwd: relative error {{.*}} ok
// SCAN_F64: compare y_fwd with y_fwd: relative error {{.*}} ok
// SCAN_F64: compare h_rev with h_rev: relative error {{.*}} ok
// SCAN_F64: compare y_rev with y_rev: relative error {{.*}} ok
func.func @scan_f64(%h: tensor<3xf64> {ds.name = "h"}, %bias: tensor<3xf64> {ds.name = "bias"}, %w: tensor<4x3xf64> {ds.name = "w"}, %b: tensor<4x3xf64> {ds.name = "b"}) -> (tensor<3xf64> {ds.name = "h_fwd"}, tensor<4xf64> {ds.name = "y_fwd"}, tensor<3xf64> {ds.name = "h_rev"}, tensor<4xf64> {ds.name = "y_rev"}) {
  %fwd:2 = ds.scan @affine_layer(%h) invariant(%bias) stacked(%w, %b) : (tensor<3xf64>, tensor<3xf64>, tensor<4x3xf64>, tensor<4x3xf64>) -> (tensor<3xf64>, tensor<4xf64>)
  %rev:2 = ds.scan @affine_layer(%h) invariant(%bias) stacked(%w, %b) reverse : (tensor<3xf64>, tensor<3xf64>, tensor<4x3xf64>, tensor<4x3xf64>) -> (tensor<3xf64>, tensor<4xf64>)
  return %fwd#0, %fwd#1, %rev#0, %rev#1 : tensor<3xf64>, tensor<4xf64>, tensor<3xf64>, tensor<4xf64>
}
