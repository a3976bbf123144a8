// Round trip of ds.softmax and ds.log_softmax: parse, print, parse again, in
// both the custom and the generic form.
// RUN: ds-opt %s -split-input-file | ds-opt -split-input-file | FileCheck %s
// RUN: ds-opt %s -split-input-file -mlir-print-op-generic | ds-opt -split-input-file | FileCheck %s

// CHECK-LABEL: func @softmax
// CHECK: ds.softmax %{{.*}} axis = 1 : tensor<4x8xf32>
func.func @softmax(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %0 = ds.softmax %x axis = 1 : tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

// CHECK-LABEL: func @log_softmax_dynamic
// CHECK: ds.log_softmax %{{.*}} axis = 0 : tensor<?x8xbf16>
func.func @log_softmax_dynamic(%x: tensor<?x8xbf16>) -> tensor<?x8xbf16> {
  %0 = ds.log_softmax %x axis = 0 : tensor<?x8xbf16>
  return %0 : tensor<?x8xbf16>
}
