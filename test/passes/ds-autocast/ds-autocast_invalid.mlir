// RUN: ds-opt %s --ds-autocast=compute=f8 -verify-diagnostics

// expected-error @below {{--ds-autocast: compute must be bf16 or f16, not 'f8'}}
module {
  func.func @f(%a: tensor<4x4xf32>) -> tensor<4x4xf32> {
    return %a : tensor<4x4xf32>
  }
}
