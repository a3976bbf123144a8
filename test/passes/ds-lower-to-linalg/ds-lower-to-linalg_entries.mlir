// RUN: ds-opt %s --ds-lower-to-linalg="entries=second" | FileCheck %s
// RUN: not ds-opt %s --ds-lower-to-linalg="entries=missing" 2>&1 | FileCheck %s --check-prefix=MISSING

// Only the named entry points and what they call are compiled; the others
// are dropped.
// CHECK-NOT: func.func @first
// CHECK-LABEL: func.func @second(
// CHECK-NOT: func.func @first
// MISSING: error: entry point 'missing' is not a function with a body in this module
func.func @first(%a: tensor<4xf8E4M3FN>) -> tensor<4xf8E4M3FN> {
  return %a : tensor<4xf8E4M3FN>
}
func.func @second(%a: tensor<4xf32>) -> tensor<4xf32> {
  %0 = ds.exp %a : tensor<4xf32>
  return %0 : tensor<4xf32>
}
