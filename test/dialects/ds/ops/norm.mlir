// Round trip of ds.rms_norm and ds.layer_norm: parse, print, parse again, in
// both the custom and the generic form.
// RUN: ds-opt %s -split-input-file | ds-opt -split-input-file | FileCheck %s
// RUN: ds-opt %s -split-input-file -mlir-print-op-generic | ds-opt -split-input-file | FileCheck %s

// CHECK-LABEL: func @rms_norm
// CHECK: ds.rms_norm %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} epsilon = 9.9999999999999995E-7 : (tensor<2x16x64xf32>, tensor<64xf32>) -> tensor<2x16x64xf32>
func.func @rms_norm(%x: tensor<2x16x64xf32>, %w: tensor<64xf32>) -> tensor<2x16x64xf32> {
  %0 = ds.rms_norm %x, %w epsilon = 1.0e-06 : (tensor<2x16x64xf32>, tensor<64xf32>) -> tensor<2x16x64xf32>
  return %0 : tensor<2x16x64xf32>
}

// -----

// CHECK-LABEL: func @rms_norm_bf16_rank1
// CHECK: ds.rms_norm %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} epsilon = 0.000000e+00 : (tensor<64xbf16>, tensor<64xbf16>) -> tensor<64xbf16>
func.func @rms_norm_bf16_rank1(%x: tensor<64xbf16>, %w: tensor<64xbf16>) -> tensor<64xbf16> {
  %0 = ds.rms_norm %x, %w epsilon = 0.0 : (tensor<64xbf16>, tensor<64xbf16>) -> tensor<64xbf16>
  return %0 : tensor<64xbf16>
}

// -----

// CHECK-LABEL: func @rms_norm_dynamic
// CHECK: ds.rms_norm %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} epsilon = 9.9999999999999995E-7 : (tensor<?x?xf16>, tensor<?xf16>) -> tensor<?x?xf16>
func.func @rms_norm_dynamic(%x: tensor<?x?xf16>, %w: tensor<?xf16>) -> tensor<?x?xf16> {
  %0 = ds.rms_norm %x, %w epsilon = 1.0e-06 : (tensor<?x?xf16>, tensor<?xf16>) -> tensor<?x?xf16>
  return %0 : tensor<?x?xf16>
}

// -----

// A static weight size with a dynamic normalized dimension is checked at run
// time.
// CHECK-LABEL: func @rms_norm_dynamic_last_dim
// CHECK: ds.rms_norm %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} epsilon = 9.9999999999999995E-7 : (tensor<4x?xf32>, tensor<64xf32>) -> tensor<4x?xf32>
func.func @rms_norm_dynamic_last_dim(%x: tensor<4x?xf32>, %w: tensor<64xf32>) -> tensor<4x?xf32> {
  %0 = ds.rms_norm %x, %w epsilon = 1.0e-06 : (tensor<4x?xf32>, tensor<64xf32>) -> tensor<4x?xf32>
  return %0 : tensor<4x?xf32>
}

// -----

// CHECK-LABEL: func @layer_norm_bias
// CHECK: ds.layer_norm %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} epsilon = 1.000000e-05 : (tensor<2x16x64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<2x16x64xf32>
func.func @layer_norm_bias(%x: tensor<2x16x64xf32>, %w: tensor<64xf32>, %b: tensor<64xf32>) -> tensor<2x16x64xf32> {
  %0 = ds.layer_norm %x, %w, %b epsilon = 1.0e-05 : (tensor<2x16x64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<2x16x64xf32>
  return %0 : tensor<2x16x64xf32>
}

// -----

// CHECK-LABEL: func @layer_norm_no_bias
// CHECK: ds.layer_norm %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} epsilon = 1.000000e-05 : (tensor<16x64xbf16>, tensor<64xbf16>) -> tensor<16x64xbf16>
func.func @layer_norm_no_bias(%x: tensor<16x64xbf16>, %w: tensor<64xbf16>) -> tensor<16x64xbf16> {
  %0 = ds.layer_norm %x, %w epsilon = 1.0e-05 : (tensor<16x64xbf16>, tensor<64xbf16>) -> tensor<16x64xbf16>
  return %0 : tensor<16x64xbf16>
}

// -----

// CHECK-LABEL: func @layer_norm_dynamic
// CHECK: ds.layer_norm %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} epsilon = 1.000000e-05 : (tensor<?x?x?xf64>, tensor<?xf64>, tensor<?xf64>) -> tensor<?x?x?xf64>
func.func @layer_norm_dynamic(%x: tensor<?x?x?xf64>, %w: tensor<?xf64>, %b: tensor<?xf64>) -> tensor<?x?x?xf64> {
  %0 = ds.layer_norm %x, %w, %b epsilon = 1.0e-05 : (tensor<?x?x?xf64>, tensor<?xf64>, tensor<?xf64>) -> tensor<?x?x?xf64>
  return %0 : tensor<?x?x?xf64>
}
