// RUN: ds-opt %s --ds-lower-to-linalg -split-input-file -verify-diagnostics

// expected-error @+1 {{entry point 'dynamic' must have static shapes to be compiled}}
func.func @dynamic(%a: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %0 = ds.exp %a : tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

func.func @fp8(%a: tensor<4xf32>) -> tensor<4xf8E4M3FN> {
  // expected-error @+1 {{'ds.cast' op the CPU backend does not support 'f8E4M3FN' values yet}}
  %0 = ds.cast %a : tensor<4xf32> to tensor<4xf8E4M3FN>
  return %0 : tensor<4xf8E4M3FN>
}
