// RUN: ds-opt %s --ds-autocast -split-input-file -verify-diagnostics | FileCheck %s
// RUN: ds-opt %s --ds-autocast=compute=f16 -split-input-file -verify-diagnostics | FileCheck %s --check-prefix=F16

// A GEMM reads bf16 copies of its f32 operands and keeps its f32 result;
// the norm around it stays f32.
// CHECK-LABEL: func.func @linear
// CHECK:       %[[N:.*]] = ds.rms_norm %arg0, %arg2 {{.*}} -> tensor<4x8x16xf32>
// CHECK:       %[[X:.*]] = ds.cast %[[N]] : tensor<4x8x16xf32> to tensor<4x8x16xbf16>
// CHECK:       %[[W:.*]] = ds.cast %arg1 : tensor<16x32xf32> to tensor<16x32xbf16>
// CHECK:       %[[Y:.*]] = ds.matmul %[[X]], %[[W]] : (tensor<4x8x16xbf16>, tensor<16x32xbf16>) -> tensor<4x8x32xf32>
// CHECK:       return %[[Y]]
// F16-LABEL:   func.func @linear
// F16:         ds.matmul {{.*}} : (tensor<4x8x16xf16>, tensor<16x32xf16>) -> tensor<4x8x32xf32>
func.func @linear(%x: tensor<4x8x16xf32>, %w: tensor<16x32xf32>, %g: tensor<16xf32>) -> tensor<4x8x32xf32> {
  %n = ds.rms_norm %x, %g epsilon = 1.0e-06 : (tensor<4x8x16xf32>, tensor<16xf32>) -> tensor<4x8x16xf32>
  %y = ds.matmul %n, %w : (tensor<4x8x16xf32>, tensor<16x32xf32>) -> tensor<4x8x32xf32>
  return %y : tensor<4x8x32xf32>
}

// -----

// Attention reads bf16 queries, keys and values (its scores and softmax are
// f32 by the op's rule) and its output is cast back to f32.
// CHECK-LABEL: func.func @attention
// CHECK-COUNT-3: ds.cast {{.*}} to tensor<2x8x2x16xbf16>
// CHECK:       %[[O:.*]] = ds.attention {{.*}} -> tensor<2x8x2x16xbf16>
// CHECK:       %[[W:.*]] = ds.cast %[[O]] : tensor<2x8x2x16xbf16> to tensor<2x8x2x16xf32>
// CHECK:       return %[[W]]
func.func @attention(%q: tensor<2x8x2x16xf32>, %k: tensor<2x8x2x16xf32>, %v: tensor<2x8x2x16xf32>) -> tensor<2x8x2x16xf32> {
  %o = ds.attention %q, %k, %v causal : (tensor<2x8x2x16xf32>, tensor<2x8x2x16xf32>, tensor<2x8x2x16xf32>) -> tensor<2x8x2x16xf32>
  return %o : tensor<2x8x2x16xf32>
}

// -----

// The experts: tokens, routing weights and expert weights in bf16, the
// indices untouched, the output back to f32.
// CHECK-LABEL: func.func @experts
// CHECK:       %[[Y:.*]] = ds.moe_ffn {{.*}} : (tensor<8x16xbf16>, tensor<8x2xbf16>, tensor<8x2xi32>, tensor<4x8x16xbf16>, tensor<4x8x16xbf16>, tensor<4x16x8xbf16>) -> tensor<8x16xbf16>
// CHECK:       ds.cast %[[Y]] : tensor<8x16xbf16> to tensor<8x16xf32>
func.func @experts(%x: tensor<8x16xf32>, %w: tensor<8x2xf32>, %i: tensor<8x2xi32>, %g: tensor<4x8x16xf32>, %u: tensor<4x8x16xf32>, %d: tensor<4x16x8xf32>) -> tensor<8x16xf32> {
  %y = ds.moe_ffn %x, %w, %i, %g, %u, %d : (tensor<8x16xf32>, tensor<8x2xf32>, tensor<8x2xi32>, tensor<4x8x16xf32>, tensor<4x8x16xf32>, tensor<4x16x8xf32>) -> tensor<8x16xf32>
  return %y : tensor<8x16xf32>
}

// -----

// f64 products are left alone (a reference computation, not a fast one).
// CHECK-LABEL: func.func @f64
// CHECK-NOT:   ds.cast
// CHECK:       ds.matmul %arg0, %arg1 : (tensor<4x4xf64>, tensor<4x4xf64>) -> tensor<4x4xf64>
func.func @f64(%a: tensor<4x4xf64>, %b: tensor<4x4xf64>) -> tensor<4x4xf64> {
  %c = ds.matmul %a, %b : (tensor<4x4xf64>, tensor<4x4xf64>) -> tensor<4x4xf64>
  return %c : tensor<4x4xf64>
}
