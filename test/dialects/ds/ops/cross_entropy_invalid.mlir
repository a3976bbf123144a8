// Each verifier rule of ds.cross_entropy. The result type is inferred, so a
// broken rule is reported, then the failed inference.
// RUN: ds-opt %s -split-input-file -verify-diagnostics

func.func @logits_rank_0(%logits: tensor<f32>, %targets: tensor<i32>) -> tensor<f32> {
  // expected-error@+2 {{'ds.cross_entropy' op operand #0 (logits) must have rank >= 1 [..., V]}}
  // expected-error@+1 {{'ds.cross_entropy' op failed to infer returned types}}
  %0 = ds.cross_entropy %logits, %targets : (tensor<f32>, tensor<i32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @targets_wrong_size(%logits: tensor<2x16x1000xf32>, %targets: tensor<2x15xi32>) -> tensor<f32> {
  // expected-error@+2 {{'ds.cross_entropy' op operand #1 (targets) of shape [2, 15] must be [2, 16] for logits of shape [2, 16, 1000]}}
  // expected-error@+1 {{'ds.cross_entropy' op failed to infer returned types}}
  %0 = ds.cross_entropy %logits, %targets : (tensor<2x16x1000xf32>, tensor<2x15xi32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// Targets are class indices, not one-hot rows of the logits' shape.
func.func @targets_logits_shape(%logits: tensor<2x16x1000xf32>, %targets: tensor<2x16x1000xi32>) -> tensor<f32> {
  // expected-error@+2 {{'ds.cross_entropy' op operand #1 (targets) of shape [2, 16, 1000] must be [2, 16] for logits of shape [2, 16, 1000]}}
  // expected-error@+1 {{'ds.cross_entropy' op failed to infer returned types}}
  %0 = ds.cross_entropy %logits, %targets : (tensor<2x16x1000xf32>, tensor<2x16x1000xi32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// Targets do not broadcast over the batch.
func.func @targets_missing_batch(%logits: tensor<2x16x1000xf32>, %targets: tensor<16xi32>) -> tensor<f32> {
  // expected-error@+2 {{'ds.cross_entropy' op operand #1 (targets) of shape [16] must be [2, 16] for logits of shape [2, 16, 1000]}}
  // expected-error@+1 {{'ds.cross_entropy' op failed to infer returned types}}
  %0 = ds.cross_entropy %logits, %targets : (tensor<2x16x1000xf32>, tensor<16xi32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @targets_dynamic_rank_mismatch(%logits: tensor<?x?xf32>, %targets: tensor<?x?xi32>) -> tensor<f32> {
  // expected-error@+2 {{'ds.cross_entropy' op operand #1 (targets) of shape [?, ?] must be [?] for logits of shape [?, ?]}}
  // expected-error@+1 {{'ds.cross_entropy' op failed to infer returned types}}
  %0 = ds.cross_entropy %logits, %targets : (tensor<?x?xf32>, tensor<?x?xi32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @float_targets(%logits: tensor<16x1000xf32>, %targets: tensor<16xf32>) -> tensor<f32> {
  // expected-error@+1 {{'ds.cross_entropy' op operand #1 must be ranked tensor of 32-bit signless integer or 64-bit signless integer values, but got 'tensor<16xf32>'}}
  %0 = ds.cross_entropy %logits, %targets : (tensor<16x1000xf32>, tensor<16xf32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @integer_logits(%logits: tensor<16x1000xi32>, %targets: tensor<16xi32>) -> tensor<f32> {
  // expected-error@+1 {{'ds.cross_entropy' op operand #0 must be ranked tensor of}}
  %0 = ds.cross_entropy %logits, %targets : (tensor<16x1000xi32>, tensor<16xi32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// The loss of bf16 logits is f32.
func.func @loss_bf16(%logits: tensor<16x1000xbf16>, %targets: tensor<16xi32>) -> tensor<bf16> {
  // expected-error@+2 {{'ds.cross_entropy' op inferred type(s) 'tensor<f32>' are incompatible with return type(s) of operation 'tensor<bf16>'}}
  // expected-error@+1 {{'ds.cross_entropy' op failed to infer returned types}}
  %0 = ds.cross_entropy %logits, %targets : (tensor<16x1000xbf16>, tensor<16xi32>) -> tensor<bf16>
  return %0 : tensor<bf16>
}

// -----

// The loss is a mean: a rank-0 tensor, not one per position.
func.func @loss_per_position(%logits: tensor<16x1000xf32>, %targets: tensor<16xi32>) -> tensor<16xf32> {
  // expected-error@+2 {{'ds.cross_entropy' op inferred type(s) 'tensor<f32>' are incompatible with return type(s) of operation 'tensor<16xf32>'}}
  // expected-error@+1 {{'ds.cross_entropy' op failed to infer returned types}}
  %0 = ds.cross_entropy %logits, %targets : (tensor<16x1000xf32>, tensor<16xi32>) -> tensor<16xf32>
  return %0 : tensor<16xf32>
}
