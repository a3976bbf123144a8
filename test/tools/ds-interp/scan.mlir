// ds.scan in the reference interpreter: carries thread through the layers,
// invariants reach every layer, slices go in layer order, and per-layer
// outputs are stacked.
// RUN: ds-interp %s --entry=main | FileCheck %s

// h' = h * w_i + bias; y_i = sum(h')
func.func @layer(%h: tensor<2xf64>, %bias: tensor<2xf64>, %w: tensor<2xf64>) -> (tensor<2xf64>, tensor<f64>) {
  %0 = ds.mul %h, %w : tensor<2xf64>
  %1 = ds.add %0, %bias : tensor<2xf64>
  %2 = ds.reduce_sum %1 axes = [0] : tensor<2xf64> -> tensor<f64>
  return %1, %2 : tensor<2xf64>, tensor<f64>
}

func.func @main() -> (tensor<2xf64> {ds.name = "h"}, tensor<3xf64> {ds.name = "sums"}) {
  %h = ds.constant dense<[1.0, 2.0]> : tensor<2xf64>
  %bias = ds.constant dense<[0.5, -1.0]> : tensor<2xf64>
  %w = ds.constant dense<[[2.0, 3.0], [10.0, 1.0], [-1.0, 0.5]]> : tensor<3x2xf64>
  %0:2 = ds.scan @layer(%h) invariant(%bias) stacked(%w) : (tensor<2xf64>, tensor<2xf64>, tensor<3x2xf64>) -> (tensor<2xf64>, tensor<3xf64>)
  return %0#0, %0#1 : tensor<2xf64>, tensor<3xf64>
}
// Layer 0: [1*2+0.5, 2*3-1] = [2.5, 5]         sum 7.5
// Layer 1: [2.5*10+0.5, 5*1-1] = [25.5, 4]     sum 29.5
// Layer 2: [25.5*-1+0.5, 4*0.5-1] = [-25, 1]   sum -24
// CHECK: h: f64 [2] = [-25, 1]
// CHECK: sums: f64 [3] = [7.5, 29.5, -24]

// With `reverse` the layers run from 2 down to 0; layer i still reads row i
// of w and its sum still lands at index i.
// RUN: ds-interp %s --entry=main_reverse | FileCheck %s --check-prefix=REVERSE
func.func @main_reverse() -> (tensor<2xf64> {ds.name = "h"}, tensor<3xf64> {ds.name = "sums"}) {
  %h = ds.constant dense<[1.0, 2.0]> : tensor<2xf64>
  %bias = ds.constant dense<[0.5, -1.0]> : tensor<2xf64>
  %w = ds.constant dense<[[2.0, 3.0], [10.0, 1.0], [-1.0, 0.5]]> : tensor<3x2xf64>
  %0:2 = ds.scan @layer(%h) invariant(%bias) stacked(%w) reverse : (tensor<2xf64>, tensor<2xf64>, tensor<3x2xf64>) -> (tensor<2xf64>, tensor<3xf64>)
  return %0#0, %0#1 : tensor<2xf64>, tensor<3xf64>
}
// Layer 2: [1*-1+0.5, 2*0.5-1] = [-0.5, 0]        sum -0.5
// Layer 1: [-0.5*10+0.5, 0*1-1] = [-4.5, -1]      sum -5.5
// Layer 0: [-4.5*2+0.5, -1*3-1] = [-8.5, -4]      sum -12.5
// REVERSE: h: f64 [2] = [-8.5, -4]
// REVERSE: sums: f64 [3] = [-12.5, -5.5, -0.5]
