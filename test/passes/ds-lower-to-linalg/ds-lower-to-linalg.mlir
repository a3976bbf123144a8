// RUN: ds-opt %s --ds-lower-to-linalg -split-input-file | FileCheck %s

// Elementwise ops become one linalg.generic each; broadcasting is an
// indexing map, not a copy. Every function takes the run-time status first.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @add_broadcast(
// CHECK-SAME: %[[STATUS:.*]]: !llvm.ptr {ds.name = "status"}
// CHECK-SAME: %[[A:.*]]: tensor<4x8xf32> {bufferization.writable = false, ds.name = "a"}
// CHECK: %[[EMPTY:.*]] = tensor.empty() : tensor<4x8xf32>
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ID]]], iterator_types = ["parallel", "parallel"]}
// CHECK: arith.addf
// CHECK: math.exp
func.func @add_broadcast(%a: tensor<4x8xf32> {ds.name = "a"}, %b: tensor<8xf32> {ds.name = "b"}) -> tensor<4x8xf32> {
  %0 = ds.add %a, %b : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  %1 = ds.exp %0 : tensor<4x8xf32>
  return %1 : tensor<4x8xf32>
}

// -----

// bf16 is computed in f32 and rounded once.
// CHECK-LABEL: func.func @bf16_mul(
// CHECK: arith.extf {{.*}} : bf16 to f32
// CHECK: arith.extf {{.*}} : bf16 to f32
// CHECK: arith.mulf {{.*}} : f32
// CHECK: arith.truncf {{.*}} : f32 to bf16
func.func @bf16_mul(%a: tensor<4xbf16>, %b: tensor<4xbf16>) -> tensor<4xbf16> {
  %0 = ds.mul %a, %b : tensor<4xbf16>
  return %0 : tensor<4xbf16>
}

// -----

// GEMMs call BLAS through the kernels: x @ W with a shared W is one GEMM
// over every row of x.
// CHECK-LABEL: func.func private @ds_matmul_f32(!llvm.ptr, !llvm.ptr, !llvm.ptr, i64, i64, i64, i64, i32, i32, i64, i64)
// CHECK-LABEL: func.func @linear(
// CHECK: tensor.collapse_shape {{.*}} tensor<2x16x64xf32> into tensor<2048xf32>
// CHECK: tensor.expand_shape {{.*}} into tensor<32x64xf32>
// CHECK: bufferization.to_buffer {{.*}} read_only
// CHECK: %[[OUT:.*]] = memref.alloc() : memref<32x256xf32>
// CHECK: call @ds_matmul_f32({{.*}}) : (!llvm.ptr, !llvm.ptr, !llvm.ptr, i64, i64, i64, i64, i32, i32, i64, i64) -> ()
// CHECK: bufferization.to_tensor %[[OUT]] restrict writable
// CHECK: tensor.expand_shape {{.*}} into tensor<2x16x256xf32>
func.func @linear(%x: tensor<2x16x64xf32>, %w: tensor<256x64xf32>) -> tensor<2x16x256xf32> {
  %0 = ds.matmul %x, %w transpose_rhs : (tensor<2x16x64xf32>, tensor<256x64xf32>) -> tensor<2x16x256xf32>
  return %0 : tensor<2x16x256xf32>
}

// -----

// An embedding lookup calls the checked gather kernel with the status and a
// site; the module lists the site's location.
// CHECK: module attributes {ds.sites = ["{{.*}}ds-lower-to-linalg.mlir:{{[0-9]+}}:{{[0-9]+}}: ds.gather"]}
// CHECK-LABEL: func.func @embed(
// CHECK-SAME: %[[STATUS:[^:]*]]: !llvm.ptr
// CHECK-DAG: %[[SITE:.*]] = arith.constant 0 : i32
// CHECK-DAG: arith.extsi {{.*}} : i32 to i64
// CHECK: call @ds_gather(%[[STATUS]], %[[SITE]],
func.func @embed(%table: tensor<100x8xf32>, %tokens: tensor<2x4xi32>) -> tensor<2x4x8xf32> {
  %0 = ds.gather %table, %tokens axis = 0 : (tensor<100x8xf32>, tensor<2x4xi32>) -> tensor<2x4x8xf32>
  return %0 : tensor<2x4x8xf32>
}

// -----

// A scan is a loop over the layers: slice i of each stacked operand, the
// layer function inlined (and then erased), the carry threaded through.
// CHECK-NOT: func.func private @layer(
// CHECK-LABEL: func.func @layers(
// CHECK-SAME: %[[STATUS:[^:]*]]: !llvm.ptr
// CHECK: scf.for %[[I:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[H:.*]] = %{{.*}}) -> (tensor<4xf32>)
// CHECK: %[[W:.*]] = tensor.extract_slice %{{.*}}[%[[I]], 0] [1, 4] [1, 1] : tensor<3x4xf32> to tensor<4xf32>
// CHECK: %[[NEXT:.*]] = linalg.generic {{.*}} ins(%[[H]], %[[W]] : tensor<4xf32>, tensor<4xf32>)
// CHECK: scf.yield %[[NEXT]]
// CHECK-NOT: func.call @layer
func.func @layer(%h: tensor<4xf32>, %w: tensor<4xf32>) -> tensor<4xf32> {
  %0 = ds.mul %h, %w : tensor<4xf32>
  return %0 : tensor<4xf32>
}
func.func @layers(%h: tensor<4xf32>, %w: tensor<3x4xf32>) -> tensor<4xf32> {
  %0 = ds.scan @layer(%h) stacked(%w) : (tensor<4xf32>, tensor<3x4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// Because the layer is inlined first, a kernel sees that it reads a slice of
// a stacked weight and takes it in place (row-major at a dynamic offset)
// rather than from a copy made for every layer of every call.
// CHECK-LABEL: func.func @stacked_matmul(
// CHECK: scf.for
// CHECK: %[[W:.*]] = tensor.extract_slice %{{.*}} : tensor<3x4x4xf32> to tensor<4x4xf32>
// CHECK: bufferization.to_buffer %[[W]] read_only {{.*}} : tensor<4x4xf32> to memref<4x4xf32, strided<[4, 1], offset: ?>>
// CHECK: call @ds_matmul_f32(
func.func @matmul_layer(%h: tensor<2x4xf32>, %w: tensor<4x4xf32>) -> tensor<2x4xf32> {
  %0 = ds.matmul %h, %w : (tensor<2x4xf32>, tensor<4x4xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}
func.func @stacked_matmul(%h: tensor<2x4xf32>, %w: tensor<3x4x4xf32>) -> tensor<2x4xf32> {
  %0 = ds.scan @matmul_layer(%h) stacked(%w) : (tensor<2x4xf32>, tensor<3x4x4xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

// Integer division never traps: zero divisors are reported once, through
// the status, and the quotient is computed with a safe divisor.
// CHECK-LABEL: func.func @divide(
// CHECK: linalg.generic
// CHECK: arith.minsi
// CHECK: scf.if
// CHECK: func.call @ds_status_fail(
// CHECK: linalg.generic
// CHECK: arith.divsi
func.func @divide(%a: tensor<8xi32>, %b: tensor<8xi32>) -> tensor<8xi32> {
  %0 = ds.div %a, %b : tensor<8xi32>
  return %0 : tensor<8xi32>
}
