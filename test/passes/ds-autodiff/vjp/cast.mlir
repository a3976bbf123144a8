// Finite-difference check of the VJP of ds.cast. The values pass through f32,
// whose rounding (about 6e-8 relative) swamps a 1e-6 step, so this file takes a
// larger step and an f32-sized tolerance.
// RUN: ds-gradcheck %s --step=1e-2 --rtol=1e-3 | FileCheck %s
// CHECK-NOT: FAILED
// CHECK: gradcheck: 1 functions, 0 failed

// f64 -> f32 -> f64: the gradient passes through both casts.
func.func @cast(%x: tensor<3x4xf64>) -> tensor<3x4xf64> {
  %0 = ds.cast %x : tensor<3x4xf64> to tensor<3x4xf32>
  %1 = ds.exp %0 : tensor<3x4xf32>
  %2 = ds.cast %1 : tensor<3x4xf32> to tensor<3x4xf64>
  return %2 : tensor<3x4xf64>
}
