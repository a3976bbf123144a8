// Each verifier rule of ds.slice, ds.concat and ds.split.
// RUN: ds-opt %s -split-input-file -verify-diagnostics

func.func @slice_starts_length(%x: tensor<10xf32>) -> tensor<10xf32> {
  // expected-error@+2 {{'ds.slice' op starts has 2 entries but the input has rank 1}}
  // expected-error@+1 {{'ds.slice' op failed to infer returned types}}
  %0 = ds.slice %x starts = [0, 0] limits = [10] : tensor<10xf32> -> tensor<10xf32>
  return %0 : tensor<10xf32>
}

// -----

func.func @slice_limits_length(%x: tensor<10xf32>) -> tensor<10xf32> {
  // expected-error@+2 {{'ds.slice' op limits has 2 entries but the input has rank 1}}
  // expected-error@+1 {{'ds.slice' op failed to infer returned types}}
  %0 = ds.slice %x starts = [0] limits = [10, 1] : tensor<10xf32> -> tensor<10xf32>
  return %0 : tensor<10xf32>
}

// -----

func.func @slice_strides_length(%x: tensor<10xf32>) -> tensor<10xf32> {
  // expected-error@+2 {{'ds.slice' op strides has 2 entries but the input has rank 1}}
  // expected-error@+1 {{'ds.slice' op failed to infer returned types}}
  %0 = ds.slice %x starts = [0] limits = [10] strides = [1, 1] : tensor<10xf32> -> tensor<10xf32>
  return %0 : tensor<10xf32>
}

// -----

func.func @slice_negative_start(%x: tensor<10xf32>) -> tensor<11xf32> {
  // expected-error@+2 {{'ds.slice' op dimension 0: needs 0 <= start <= limit <= 10, got start -1 and limit 10}}
  // expected-error@+1 {{'ds.slice' op failed to infer returned types}}
  %0 = ds.slice %x starts = [-1] limits = [10] : tensor<10xf32> -> tensor<11xf32>
  return %0 : tensor<11xf32>
}

// -----

func.func @slice_start_after_limit(%x: tensor<4x10xf32>) -> tensor<4x0xf32> {
  // expected-error@+2 {{'ds.slice' op dimension 1: needs 0 <= start <= limit <= 10, got start 5 and limit 4}}
  // expected-error@+1 {{'ds.slice' op failed to infer returned types}}
  %0 = ds.slice %x starts = [0, 5] limits = [4, 4] : tensor<4x10xf32> -> tensor<4x0xf32>
  return %0 : tensor<4x0xf32>
}

// -----

func.func @slice_limit_past_end(%x: tensor<10xbf16>) -> tensor<11xbf16> {
  // expected-error@+2 {{'ds.slice' op dimension 0: needs 0 <= start <= limit <= 10, got start 0 and limit 11}}
  // expected-error@+1 {{'ds.slice' op failed to infer returned types}}
  %0 = ds.slice %x starts = [0] limits = [11] : tensor<10xbf16> -> tensor<11xbf16>
  return %0 : tensor<11xbf16>
}

// -----

// start <= limit is checked even where the size is dynamic.
func.func @slice_start_after_limit_dynamic(%x: tensor<?xf32>) -> tensor<0xf32> {
  // expected-error@+2 {{'ds.slice' op dimension 0: needs 0 <= start <= limit <= size, got start 5 and limit 4}}
  // expected-error@+1 {{'ds.slice' op failed to infer returned types}}
  %0 = ds.slice %x starts = [5] limits = [4] : tensor<?xf32> -> tensor<0xf32>
  return %0 : tensor<0xf32>
}

// -----

func.func @slice_zero_stride(%x: tensor<10xf32>) -> tensor<10xf32> {
  // expected-error@+2 {{'ds.slice' op dimension 0: stride must be >= 1, got 0}}
  // expected-error@+1 {{'ds.slice' op failed to infer returned types}}
  %0 = ds.slice %x starts = [0] limits = [10] strides = [0] : tensor<10xf32> -> tensor<10xf32>
  return %0 : tensor<10xf32>
}

// -----

func.func @slice_negative_stride(%x: tensor<4x4xi32>) -> tensor<4x4xi32> {
  // expected-error@+2 {{'ds.slice' op dimension 0: stride must be >= 1, got -1}}
  // expected-error@+1 {{'ds.slice' op failed to infer returned types}}
  %0 = ds.slice %x starts = [0, 0] limits = [4, 4] strides = [-1, 1] : tensor<4x4xi32> -> tensor<4x4xi32>
  return %0 : tensor<4x4xi32>
}

// -----

// The size rounds up: indices 0, 3, 6, 9.
func.func @slice_result_rounds_up(%x: tensor<10xf32>) -> tensor<3xf32> {
  // expected-error@+2 {{'ds.slice' op inferred type(s) 'tensor<4xf32>' are incompatible with return type(s) of operation 'tensor<3xf32>'}}
  // expected-error@+1 {{'ds.slice' op failed to infer returned types}}
  %0 = ds.slice %x starts = [0] limits = [10] strides = [3] : tensor<10xf32> -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @slice_missing_limits(%x: tensor<10xf32>) -> tensor<10xf32> {
  // expected-error@+1 {{'ds.slice' op requires attribute 'limits'}}
  %0 = "ds.slice"(%x) <{starts = array<i64: 0>}> : (tensor<10xf32>) -> tensor<10xf32>
  return %0 : tensor<10xf32>
}

// -----

func.func @concat_element_types_differ(%a: tensor<2x3xf32>, %b: tensor<2x3xf16>) -> tensor<4x3xf32> {
  // expected-error@+2 {{'ds.concat' op operand #1 has element type 'f16' but operand #0 has 'f32'}}
  // expected-error@+1 {{'ds.concat' op failed to infer returned types}}
  %0 = ds.concat %a, %b axis = 0 : (tensor<2x3xf32>, tensor<2x3xf16>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

func.func @concat_ranks_differ(%a: tensor<2x3xf32>, %b: tensor<3xf32>) -> tensor<5x3xf32> {
  // expected-error@+2 {{'ds.concat' op operand #1 has rank 1 but operand #0 has rank 2}}
  // expected-error@+1 {{'ds.concat' op failed to infer returned types}}
  %0 = ds.concat %a, %b axis = 0 : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<5x3xf32>
  return %0 : tensor<5x3xf32>
}

// -----

func.func @concat_other_dim_differs(%a: tensor<2x3xf32>, %b: tensor<2x3xf32>, %c: tensor<2x4xf32>) -> tensor<6x3xf32> {
  // expected-error@+2 {{'ds.concat' op operand #2 of shape [2, 4] differs from operand #0 of shape [2, 3] in dimension 1 (only the concatenation axis 0 may differ)}}
  // expected-error@+1 {{'ds.concat' op failed to infer returned types}}
  %0 = ds.concat %a, %b, %c axis = 0 : (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x4xf32>) -> tensor<6x3xf32>
  return %0 : tensor<6x3xf32>
}

// -----

func.func @concat_axis_out_of_range(%a: tensor<2x3xf32>) -> tensor<4x3xf32> {
  // expected-error@+2 {{'ds.concat' op axis 2 is out of range for a rank-2 operand (expected 0 <= axis < 2)}}
  // expected-error@+1 {{'ds.concat' op failed to infer returned types}}
  %0 = ds.concat %a, %a axis = 2 : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

func.func @concat_negative_axis(%a: tensor<2x3xf32>) -> tensor<2x6xf32> {
  // expected-error@+2 {{'ds.concat' op axis -1 is out of range for a rank-2 operand (expected 0 <= axis < 2)}}
  // expected-error@+1 {{'ds.concat' op failed to infer returned types}}
  %0 = ds.concat %a, %a axis = -1 : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x6xf32>
  return %0 : tensor<2x6xf32>
}

// -----

func.func @concat_no_inputs() -> tensor<4xf32> {
  // expected-error@+2 {{'ds.concat' op needs at least one input}}
  // expected-error@+1 {{'ds.concat' op failed to infer returned types}}
  %0 = ds.concat axis = 0 : () -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @concat_wrong_result_size(%a: tensor<2x3xi32>) -> tensor<5x3xi32> {
  // expected-error@+2 {{'ds.concat' op inferred type(s) 'tensor<4x3xi32>' are incompatible with return type(s) of operation 'tensor<5x3xi32>'}}
  // expected-error@+1 {{'ds.concat' op failed to infer returned types}}
  %0 = ds.concat %a, %a axis = 0 : (tensor<2x3xi32>, tensor<2x3xi32>) -> tensor<5x3xi32>
  return %0 : tensor<5x3xi32>
}

// -----

func.func @split_sizes_do_not_add_up(%x: tensor<6xf32>) -> (tensor<2xf32>, tensor<3xf32>) {
  // expected-error@+2 {{'ds.split' op sizes [2, 3] add up to 5 but dimension 0 of the input is 6}}
  // expected-error@+1 {{'ds.split' op failed to infer returned types}}
  %0:2 = ds.split %x axis = 0 sizes = [2, 3] : tensor<6xf32> -> tensor<2xf32>, tensor<3xf32>
  return %0#0, %0#1 : tensor<2xf32>, tensor<3xf32>
}

// -----

func.func @split_negative_size(%x: tensor<6xf32>) -> (tensor<7xf32>, tensor<0xf32>) {
  // expected-error@+2 {{'ds.split' op sizes [7, -1] has a negative entry}}
  // expected-error@+1 {{'ds.split' op failed to infer returned types}}
  %0:2 = ds.split %x axis = 0 sizes = [7, -1] : tensor<6xf32> -> tensor<7xf32>, tensor<0xf32>
  return %0#0, %0#1 : tensor<7xf32>, tensor<0xf32>
}

// -----

// Sizes are checked even where the axis is dynamic.
func.func @split_negative_size_dynamic(%x: tensor<?xf32>) -> (tensor<3xf32>, tensor<3xf32>) {
  // expected-error@+2 {{'ds.split' op sizes [3, -3] has a negative entry}}
  // expected-error@+1 {{'ds.split' op failed to infer returned types}}
  %0:2 = ds.split %x axis = 0 sizes = [3, -3] : tensor<?xf32> -> tensor<3xf32>, tensor<3xf32>
  return %0#0, %0#1 : tensor<3xf32>, tensor<3xf32>
}

// -----

func.func @split_axis_out_of_range(%x: tensor<6xf32>) -> (tensor<3xf32>, tensor<3xf32>) {
  // expected-error@+2 {{'ds.split' op axis 1 is out of range for a rank-1 operand (expected 0 <= axis < 1)}}
  // expected-error@+1 {{'ds.split' op failed to infer returned types}}
  %0:2 = ds.split %x axis = 1 sizes = [3, 3] : tensor<6xf32> -> tensor<3xf32>, tensor<3xf32>
  return %0#0, %0#1 : tensor<3xf32>, tensor<3xf32>
}

// -----

func.func @split_no_sizes(%x: tensor<6xf32>) {
  // expected-error@+2 {{'ds.split' op sizes must list at least one piece}}
  // expected-error@+1 {{'ds.split' op failed to infer returned types}}
  "ds.split"(%x) <{axis = 0 : i64, sizes = array<i64>}> : (tensor<6xf32>) -> ()
  return
}

// -----

// One result per entry of sizes.
func.func @split_result_count(%x: tensor<6xf32>) -> (tensor<2xf32>, tensor<2xf32>) {
  // expected-error@+2 {{'ds.split' op inferred type(s) 'tensor<2xf32>', 'tensor<2xf32>', 'tensor<2xf32>' are incompatible with return type(s) of operation 'tensor<2xf32>', 'tensor<2xf32>'}}
  // expected-error@+1 {{'ds.split' op failed to infer returned types}}
  %0:2 = ds.split %x axis = 0 sizes = [2, 2, 2] : tensor<6xf32> -> tensor<2xf32>, tensor<2xf32>
  return %0#0, %0#1 : tensor<2xf32>, tensor<2xf32>
}

// -----

func.func @split_result_element_type(%x: tensor<6xf32>) -> (tensor<3xf32>, tensor<3xf16>) {
  // expected-error@+2 {{'ds.split' op inferred type(s) 'tensor<3xf32>', 'tensor<3xf32>' are incompatible with return type(s) of operation 'tensor<3xf32>', 'tensor<3xf16>'}}
  // expected-error@+1 {{'ds.split' op failed to infer returned types}}
  %0:2 = ds.split %x axis = 0 sizes = [3, 3] : tensor<6xf32> -> tensor<3xf32>, tensor<3xf16>
  return %0#0, %0#1 : tensor<3xf32>, tensor<3xf16>
}

// -----

func.func @split_sizes_overflow(%x: tensor<0xf32>) {
  // expected-error@+2 {{'ds.split' op sizes [9223372036854775807, 9223372036854775807, 2] overflow 64 bits}}
  // expected-error@+1 {{'ds.split' op failed to infer returned types}}
  %0:3 = ds.split %x axis = 0 sizes = [9223372036854775807, 9223372036854775807, 2] : tensor<0xf32> -> tensor<9223372036854775807xf32>, tensor<9223372036854775807xf32>, tensor<2xf32>
  return
}

// -----

func.func @concat_size_overflow(%a: tensor<9223372036854775807xf32>) {
  // expected-error@+2 {{'ds.concat' op the concatenated size along axis 0 overflows 64 bits}}
  // expected-error@+1 {{'ds.concat' op failed to infer returned types}}
  %0 = ds.concat %a, %a axis = 0 : (tensor<9223372036854775807xf32>, tensor<9223372036854775807xf32>) -> tensor<?xf32>
  return
}
