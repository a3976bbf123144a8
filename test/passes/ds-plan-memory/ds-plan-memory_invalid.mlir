// RUN: ds-opt %s --ds-plan-memory -split-input-file -verify-diagnostics

func.func @returned() -> memref<4xf32> {
  // expected-error @+1 {{cannot plan a buffer that is returned (run buffer-results-to-out-params first)}}
  %0 = memref.alloc() : memref<4xf32>
  return %0 : memref<4xf32>
}

// -----

func.func @dynamic(%n: index) {
  // expected-error @+1 {{cannot plan a buffer of dynamic shape 'memref<?xf32>'}}
  %0 = memref.alloc(%n) : memref<?xf32>
  return
}
