// Round trip of ds.dynamic_update_slice: parse, print, parse again, in both
// the custom and the generic form.
// RUN: ds-opt %s | ds-opt | FileCheck %s
// RUN: ds-opt %s -mlir-print-op-generic | ds-opt | FileCheck %s

// One position written into a KV cache [B, Tc, D] (i32 start), and a block
// of rows of an integer tensor (i64 start).
// CHECK-LABEL: func @write_cache
// CHECK: ds.dynamic_update_slice %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} axis = 1 : (tensor<2x64x32xf32>, tensor<2x1x32xf32>, tensor<i32>) -> tensor<2x64x32xf32>
// CHECK: ds.dynamic_update_slice %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} axis = 0 : (tensor<8x3xi32>, tensor<2x3xi32>, tensor<i64>) -> tensor<8x3xi32>
func.func @write_cache(%cache: tensor<2x64x32xf32>, %row: tensor<2x1x32xf32>, %pos: tensor<i32>, %t: tensor<8x3xi32>, %u: tensor<2x3xi32>, %at: tensor<i64>) -> (tensor<2x64x32xf32>, tensor<8x3xi32>) {
  %0 = ds.dynamic_update_slice %cache, %row, %pos axis = 1 : (tensor<2x64x32xf32>, tensor<2x1x32xf32>, tensor<i32>) -> tensor<2x64x32xf32>
  %1 = ds.dynamic_update_slice %t, %u, %at axis = 0 : (tensor<8x3xi32>, tensor<2x3xi32>, tensor<i64>) -> tensor<8x3xi32>
  return %0, %1 : tensor<2x64x32xf32>, tensor<8x3xi32>
}
