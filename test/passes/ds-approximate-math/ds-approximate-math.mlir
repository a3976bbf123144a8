// RUN: ds-opt %s --ds-approximate-math="functions=tanh,exp,log,erf" | FileCheck %s
// RUN: ds-opt %s --ds-approximate-math="functions=exp" | FileCheck %s --check-prefix=ONLY-EXP
// RUN: ds-opt %s --ds-approximate-math | FileCheck %s --check-prefix=NONE

// f32 scalars and vectors become arithmetic; f64 keeps its libm call.
// CHECK-LABEL: func.func @f32_scalars(
// CHECK-NOT: math.tanh
// CHECK-NOT: math.exp
// CHECK-NOT: math.log
// CHECK-NOT: math.erf
// CHECK: arith.mulf
// CHECK: return
// ONLY-EXP-LABEL: func.func @f32_scalars(
// ONLY-EXP: math.tanh
// ONLY-EXP-NOT: math.exp
// ONLY-EXP: math.log
// ONLY-EXP: math.erf
// NONE-LABEL: func.func @f32_scalars(
// NONE: math.tanh
// NONE: math.exp
func.func @f32_scalars(%x: f32) -> (f32, f32, f32, f32) {
  %0 = math.tanh %x : f32
  %1 = math.exp %x : f32
  %2 = math.log %x : f32
  %3 = math.erf %x : f32
  return %0, %1, %2, %3 : f32, f32, f32, f32
}

// CHECK-LABEL: func.func @f32_vector(
// CHECK-NOT: math.tanh
// CHECK: return
func.func @f32_vector(%x: vector<8xf32>) -> vector<8xf32> {
  %0 = math.tanh %x : vector<8xf32>
  return %0 : vector<8xf32>
}

// CHECK-LABEL: func.func @f64_kept(
// CHECK: math.tanh %{{.*}} : f64
// CHECK: math.exp %{{.*}} : f64
func.func @f64_kept(%x: f64) -> (f64, f64) {
  %0 = math.tanh %x : f64
  %1 = math.exp %x : f64
  return %0, %1 : f64, f64
}
