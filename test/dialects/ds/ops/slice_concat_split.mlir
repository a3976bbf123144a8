// Round trip of ds.slice (with and without strides, empty and full slices,
// dynamic inputs), ds.concat (one to many inputs, dynamic dims) and ds.split.
// RUN: ds-opt %s -split-input-file | ds-opt -split-input-file | FileCheck %s
// RUN: ds-opt %s -split-input-file -mlir-print-op-generic | ds-opt -split-input-file | FileCheck %s

// CHECK-LABEL: func @slice_without_strides
// CHECK: ds.slice %arg0 starts = [0, 64] limits = [16, 128] : tensor<16x128xf32> -> tensor<16x64xf32>
// CHECK-NOT: strides
func.func @slice_without_strides(%x: tensor<16x128xf32>) -> tensor<16x64xf32> {
  %0 = ds.slice %x starts = [0, 64] limits = [16, 128] : tensor<16x128xf32> -> tensor<16x64xf32>
  return %0 : tensor<16x64xf32>
}

// -----

// result.shape[d] = ceil((limit - start) / stride).
// CHECK-LABEL: func @slice_with_strides
// CHECK: ds.slice %arg0 starts = [1] limits = [10] strides = [3] : tensor<10xi8> -> tensor<3xi8>
// CHECK: ds.slice %arg0 starts = [0] limits = [10] strides = [3] : tensor<10xi8> -> tensor<4xi8>
func.func @slice_with_strides(%x: tensor<10xi8>) -> (tensor<3xi8>, tensor<4xi8>) {
  %0 = ds.slice %x starts = [1] limits = [10] strides = [3] : tensor<10xi8> -> tensor<3xi8>
  %1 = ds.slice %x starts = [0] limits = [10] strides = [3] : tensor<10xi8> -> tensor<4xi8>
  return %0, %1 : tensor<3xi8>, tensor<4xi8>
}

// -----

// Explicit unit strides are kept.
// CHECK-LABEL: func @slice_unit_strides_kept
// CHECK: ds.slice %arg0 starts = [0, 0] limits = [4, 4] strides = [1, 1] : tensor<4x4xbf16> -> tensor<4x4xbf16>
func.func @slice_unit_strides_kept(%x: tensor<4x4xbf16>) -> tensor<4x4xbf16> {
  %0 = ds.slice %x starts = [0, 0] limits = [4, 4] strides = [1, 1] : tensor<4x4xbf16> -> tensor<4x4xbf16>
  return %0 : tensor<4x4xbf16>
}

// -----

// CHECK-LABEL: func @slice_empty
// CHECK: ds.slice %arg0 starts = [4] limits = [4] : tensor<10xi1> -> tensor<0xi1>
// CHECK: ds.slice %arg0 starts = [10] limits = [10] strides = [2] : tensor<10xi1> -> tensor<0xi1>
func.func @slice_empty(%x: tensor<10xi1>) -> (tensor<0xi1>, tensor<0xi1>) {
  %0 = ds.slice %x starts = [4] limits = [4] : tensor<10xi1> -> tensor<0xi1>
  %1 = ds.slice %x starts = [10] limits = [10] strides = [2] : tensor<10xi1> -> tensor<0xi1>
  return %0, %1 : tensor<0xi1>, tensor<0xi1>
}

// -----

// Limits on a dynamic dimension are checked at run time; the result is static.
// CHECK-LABEL: func @slice_dynamic_input
// CHECK: ds.slice %arg0 starts = [2, 0] limits = [6, 8] strides = [2, 4] : tensor<?x8xf16> -> tensor<2x2xf16>
func.func @slice_dynamic_input(%x: tensor<?x8xf16>) -> tensor<2x2xf16> {
  %0 = ds.slice %x starts = [2, 0] limits = [6, 8] strides = [2, 4] : tensor<?x8xf16> -> tensor<2x2xf16>
  return %0 : tensor<2x2xf16>
}

// -----

// CHECK-LABEL: func @slice_rank0
// CHECK: ds.slice %arg0 starts = [] limits = [] : tensor<f8E4M3FN> -> tensor<f8E4M3FN>
func.func @slice_rank0(%x: tensor<f8E4M3FN>) -> tensor<f8E4M3FN> {
  %0 = ds.slice %x starts = [] limits = [] : tensor<f8E4M3FN> -> tensor<f8E4M3FN>
  return %0 : tensor<f8E4M3FN>
}

// -----

// CHECK-LABEL: func @concat_last_axis
// CHECK: ds.concat %arg0, %arg1 axis = 3 : (tensor<2x16x4x128xf32>, tensor<2x16x4x64xf32>) -> tensor<2x16x4x192xf32>
func.func @concat_last_axis(%q_nope: tensor<2x16x4x128xf32>, %q_pe: tensor<2x16x4x64xf32>) -> tensor<2x16x4x192xf32> {
  %q = ds.concat %q_nope, %q_pe axis = 3 : (tensor<2x16x4x128xf32>, tensor<2x16x4x64xf32>) -> tensor<2x16x4x192xf32>
  return %q : tensor<2x16x4x192xf32>
}

// -----

// CHECK-LABEL: func @concat_three_inputs
// CHECK: ds.concat %arg0, %arg0, %arg1 axis = 0 : (tensor<2x3xi32>, tensor<2x3xi32>, tensor<0x3xi32>) -> tensor<4x3xi32>
func.func @concat_three_inputs(%a: tensor<2x3xi32>, %e: tensor<0x3xi32>) -> tensor<4x3xi32> {
  %0 = ds.concat %a, %a, %e axis = 0 : (tensor<2x3xi32>, tensor<2x3xi32>, tensor<0x3xi32>) -> tensor<4x3xi32>
  return %0 : tensor<4x3xi32>
}

// -----

// A dynamic size on the axis makes the sum dynamic; a dynamic size elsewhere
// takes the static size of another input.
// CHECK-LABEL: func @concat_dynamic
// CHECK: ds.concat %arg0, %arg1 axis = 1 : (tensor<2x3xbf16>, tensor<2x?xbf16>) -> tensor<2x?xbf16>
// CHECK: ds.concat %arg2, %arg0 axis = 1 : (tensor<?x5xbf16>, tensor<2x3xbf16>) -> tensor<2x8xbf16>
func.func @concat_dynamic(%a: tensor<2x3xbf16>, %b: tensor<2x?xbf16>, %c: tensor<?x5xbf16>) -> (tensor<2x?xbf16>, tensor<2x8xbf16>) {
  %0 = ds.concat %a, %b axis = 1 : (tensor<2x3xbf16>, tensor<2x?xbf16>) -> tensor<2x?xbf16>
  %1 = ds.concat %c, %a axis = 1 : (tensor<?x5xbf16>, tensor<2x3xbf16>) -> tensor<2x8xbf16>
  return %0, %1 : tensor<2x?xbf16>, tensor<2x8xbf16>
}

// -----

// CHECK-LABEL: func @concat_single_input
// CHECK: ds.concat %arg0 axis = 0 : (tensor<4xi1>) -> tensor<4xi1>
func.func @concat_single_input(%a: tensor<4xi1>) -> tensor<4xi1> {
  %0 = ds.concat %a axis = 0 : (tensor<4xi1>) -> tensor<4xi1>
  return %0 : tensor<4xi1>
}

// -----

// CHECK-LABEL: func @concat_f8E5M2
// CHECK: ds.concat %arg0, %arg1 axis = 0 : (tensor<1x8xf8E5M2>, tensor<3x8xf8E5M2>) -> tensor<4x8xf8E5M2>
func.func @concat_f8E5M2(%a: tensor<1x8xf8E5M2>, %b: tensor<3x8xf8E5M2>) -> tensor<4x8xf8E5M2> {
  %0 = ds.concat %a, %b axis = 0 : (tensor<1x8xf8E5M2>, tensor<3x8xf8E5M2>) -> tensor<4x8xf8E5M2>
  return %0 : tensor<4x8xf8E5M2>
}

// -----

// CHECK-LABEL: func @split_two
// CHECK: %{{.*}}:2 = ds.split %arg0 axis = 3 sizes = [128, 64] : tensor<2x16x4x192xf32> -> tensor<2x16x4x128xf32>, tensor<2x16x4x64xf32>
func.func @split_two(%q: tensor<2x16x4x192xf32>) -> (tensor<2x16x4x128xf32>, tensor<2x16x4x64xf32>) {
  %nope, %pe = ds.split %q axis = 3 sizes = [128, 64] : tensor<2x16x4x192xf32> -> tensor<2x16x4x128xf32>, tensor<2x16x4x64xf32>
  return %nope, %pe : tensor<2x16x4x128xf32>, tensor<2x16x4x64xf32>
}

// -----

// Empty pieces are allowed; a dynamic axis is not summed statically.
// CHECK-LABEL: func @split_dynamic_with_empty_piece
// CHECK: %{{.*}}:3 = ds.split %arg0 axis = 1 sizes = [1, 0, 4] : tensor<?x?xf16> -> tensor<?x1xf16>, tensor<?x0xf16>, tensor<?x4xf16>
func.func @split_dynamic_with_empty_piece(%x: tensor<?x?xf16>) -> (tensor<?x1xf16>, tensor<?x0xf16>, tensor<?x4xf16>) {
  %0:3 = ds.split %x axis = 1 sizes = [1, 0, 4] : tensor<?x?xf16> -> tensor<?x1xf16>, tensor<?x0xf16>, tensor<?x4xf16>
  return %0#0, %0#1, %0#2 : tensor<?x1xf16>, tensor<?x0xf16>, tensor<?x4xf16>
}

// -----

// CHECK-LABEL: func @split_one_piece_i64
// CHECK: ds.split %arg0 axis = 0 sizes = [6] : tensor<6x2xi64> -> tensor<6x2xi64>
func.func @split_one_piece_i64(%x: tensor<6x2xi64>) -> tensor<6x2xi64> {
  %0 = ds.split %x axis = 0 sizes = [6] : tensor<6x2xi64> -> tensor<6x2xi64>
  return %0 : tensor<6x2xi64>
}

// -----

// CHECK-LABEL: func @split_leading_axis_i1
// CHECK: %{{.*}}:2 = ds.split %arg0 axis = 0 sizes = [2, 2] : tensor<4x?xi1> -> tensor<2x?xi1>, tensor<2x?xi1>
func.func @split_leading_axis_i1(%x: tensor<4x?xi1>) -> (tensor<2x?xi1>, tensor<2x?xi1>) {
  %0:2 = ds.split %x axis = 0 sizes = [2, 2] : tensor<4x?xi1> -> tensor<2x?xi1>, tensor<2x?xi1>
  return %0#0, %0#1 : tensor<2x?xi1>, tensor<2x?xi1>
}

// -----

// A huge stride takes only the first element (no overflow in ceil division).
// CHECK-LABEL: func @slice_huge_stride
// CHECK: ds.slice {{.*}} strides = [9223372036854775807] : tensor<10xf32> -> tensor<1xf32>
func.func @slice_huge_stride(%x: tensor<10xf32>) -> tensor<1xf32> {
  %0 = ds.slice %x starts = [0] limits = [10] strides = [9223372036854775807] : tensor<10xf32> -> tensor<1xf32>
  return %0 : tensor<1xf32>
}
