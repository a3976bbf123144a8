// Each verifier rule of ds.pad and ds.scatter_add. ds.pad's result type is
// inferred, so a broken rule is reported, then the failed inference.
// RUN: ds-opt %s -split-input-file -verify-diagnostics

func.func @pad_low_length(%x: tensor<4x8xf32>) -> tensor<5x8xf32> {
  // expected-error@+2 {{'ds.pad' op low has 1 entries but the input has rank 2}}
  // expected-error@+1 {{'ds.pad' op failed to infer returned types}}
  %0 = ds.pad %x low = [1] high = [0, 0] : tensor<4x8xf32> -> tensor<5x8xf32>
  return %0 : tensor<5x8xf32>
}

// -----

func.func @pad_high_length(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error@+2 {{'ds.pad' op high has 3 entries but the input has rank 2}}
  // expected-error@+1 {{'ds.pad' op failed to infer returned types}}
  %0 = ds.pad %x low = [0, 0] high = [0, 0, 0] : tensor<4x8xf32> -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

func.func @pad_interior_length(%x: tensor<4x8xf32>) -> tensor<7x8xf32> {
  // expected-error@+2 {{'ds.pad' op interior has 1 entries but the input has rank 2}}
  // expected-error@+1 {{'ds.pad' op failed to infer returned types}}
  %0 = ds.pad %x low = [0, 0] high = [0, 0] interior = [1] : tensor<4x8xf32> -> tensor<7x8xf32>
  return %0 : tensor<7x8xf32>
}

// -----

// Negative padding would crop; ds.slice does that.
func.func @pad_negative_low(%x: tensor<4x8xf32>) -> tensor<3x8xf32> {
  // expected-error@+2 {{'ds.pad' op dimension 0: paddings must be >= 0, got low -1, high 0 and interior 0}}
  // expected-error@+1 {{'ds.pad' op failed to infer returned types}}
  %0 = ds.pad %x low = [-1, 0] high = [0, 0] : tensor<4x8xf32> -> tensor<3x8xf32>
  return %0 : tensor<3x8xf32>
}

// -----

func.func @pad_negative_interior(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error@+2 {{'ds.pad' op dimension 1: paddings must be >= 0, got low 0, high 1 and interior -1}}
  // expected-error@+1 {{'ds.pad' op failed to infer returned types}}
  %0 = ds.pad %x low = [0, 0] high = [0, 1] interior = [0, -1] : tensor<4x8xf32> -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

// Interior padding goes between neighbours only: 4 + 3 * 2 = 10, not 12.
func.func @pad_wrong_result_shape(%x: tensor<4xf32>) -> tensor<12xf32> {
  // expected-error@+2 {{'ds.pad' op inferred type(s) 'tensor<10xf32>' are incompatible with return type(s) of operation 'tensor<12xf32>'}}
  // expected-error@+1 {{'ds.pad' op failed to infer returned types}}
  %0 = ds.pad %x low = [0] high = [0] interior = [2] : tensor<4xf32> -> tensor<12xf32>
  return %0 : tensor<12xf32>
}

// -----

func.func @pad_wrong_result_element_type(%x: tensor<4xbf16>) -> tensor<6xf32> {
  // expected-error@+2 {{'ds.pad' op inferred type(s) 'tensor<6xbf16>' are incompatible with return type(s) of operation 'tensor<6xf32>'}}
  // expected-error@+1 {{'ds.pad' op failed to infer returned types}}
  %0 = ds.pad %x low = [1] high = [1] : tensor<4xbf16> -> tensor<6xf32>
  return %0 : tensor<6xf32>
}

// -----

func.func @pad_missing_high(%x: tensor<4xf32>) -> tensor<5xf32> {
  // expected-error@+1 {{'ds.pad' op requires attribute 'high'}}
  %0 = "ds.pad"(%x) <{low = array<i64: 1>}> : (tensor<4xf32>) -> tensor<5xf32>
  return %0 : tensor<5xf32>
}

// -----

func.func @scatter_add_float_indices(%u: tensor<3x4xf32>, %i: tensor<3xf32>) -> tensor<10x4xf32> {
  // expected-error@+1 {{'ds.scatter_add' op operand #1 must be ranked tensor of 32-bit signless integer or 64-bit signless integer values, but got 'tensor<3xf32>'}}
  %0 = ds.scatter_add %u, %i axis = 0 : (tensor<3x4xf32>, tensor<3xf32>) -> tensor<10x4xf32>
  return %0 : tensor<10x4xf32>
}

// -----

func.func @scatter_add_axis_out_of_range(%u: tensor<3x4xf32>, %i: tensor<3xi32>) -> tensor<10x4xf32> {
  // expected-error@+1 {{'ds.scatter_add' op axis 2 is out of range for a rank-2 operand (expected 0 <= axis < 2)}}
  %0 = ds.scatter_add %u, %i axis = 2 : (tensor<3x4xf32>, tensor<3xi32>) -> tensor<10x4xf32>
  return %0 : tensor<10x4xf32>
}

// -----

func.func @scatter_add_negative_axis(%u: tensor<3x4xf32>, %i: tensor<3xi32>) -> tensor<10x4xf32> {
  // expected-error@+1 {{'ds.scatter_add' op axis -1 is out of range for a rank-2 operand (expected 0 <= axis < 2)}}
  %0 = ds.scatter_add %u, %i axis = -1 : (tensor<3x4xf32>, tensor<3xi32>) -> tensor<10x4xf32>
  return %0 : tensor<10x4xf32>
}

// -----

func.func @scatter_add_element_type(%u: tensor<3x4xbf16>, %i: tensor<3xi32>) -> tensor<10x4xf32> {
  // expected-error@+1 {{'ds.scatter_add' op the updates' element type 'bf16' differs from the result's 'f32'}}
  %0 = ds.scatter_add %u, %i axis = 0 : (tensor<3x4xbf16>, tensor<3xi32>) -> tensor<10x4xf32>
  return %0 : tensor<10x4xf32>
}

// -----

// The updates have one slice per index.
func.func @scatter_add_index_count(%u: tensor<4x8xf32>, %i: tensor<3xi32>) -> tensor<10x8xf32> {
  // expected-error@+1 {{'ds.scatter_add' op the updates have shape [4, 8] but must have [3, 8] (result.shape[:axis] + indices.shape + result.shape[axis+1:])}}
  %0 = ds.scatter_add %u, %i axis = 0 : (tensor<4x8xf32>, tensor<3xi32>) -> tensor<10x8xf32>
  return %0 : tensor<10x8xf32>
}

// -----

// The indices' shape replaces the axis in place, not at the end.
func.func @scatter_add_index_position(%u: tensor<2x4x3xf32>, %i: tensor<3xi32>) -> tensor<2x10x4xf32> {
  // expected-error@+1 {{'ds.scatter_add' op the updates have shape [2, 4, 3] but must have [2, 3, 4] (result.shape[:axis] + indices.shape + result.shape[axis+1:])}}
  %0 = ds.scatter_add %u, %i axis = 1 : (tensor<2x4x3xf32>, tensor<3xi32>) -> tensor<2x10x4xf32>
  return %0 : tensor<2x10x4xf32>
}

// -----

func.func @scatter_add_missing_axis(%u: tensor<3x4xf32>, %i: tensor<3xi32>) -> tensor<10x4xf32> {
  // expected-error@+1 {{'ds.scatter_add' op requires attribute 'axis'}}
  %0 = "ds.scatter_add"(%u, %i) : (tensor<3x4xf32>, tensor<3xi32>) -> tensor<10x4xf32>
  return %0 : tensor<10x4xf32>
}
