// Round trip of ds.attention and ds.attention_grad: parse, print, parse
// again, in both the custom and the generic form.
// RUN: ds-opt %s -split-input-file | ds-opt -split-input-file | FileCheck %s
// RUN: ds-opt %s -split-input-file -mlir-print-op-generic | ds-opt -split-input-file | FileCheck %s

// Multi-head attention, no mask, default scale.
// CHECK-LABEL: func @attention_mha
// CHECK: ds.attention %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} : (tensor<2x16x4x64xf32>, tensor<2x16x4x64xf32>, tensor<2x16x4x64xf32>) -> tensor<2x16x4x64xf32>
func.func @attention_mha(%q: tensor<2x16x4x64xf32>, %k: tensor<2x16x4x64xf32>, %v: tensor<2x16x4x64xf32>) -> tensor<2x16x4x64xf32> {
  %0 = ds.attention %q, %k, %v : (tensor<2x16x4x64xf32>, tensor<2x16x4x64xf32>, tensor<2x16x4x64xf32>) -> tensor<2x16x4x64xf32>
  return %0 : tensor<2x16x4x64xf32>
}

// -----

// CHECK-LABEL: func @attention_causal
// CHECK: ds.attention %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} causal : (tensor<2x16x4x64xbf16>, tensor<2x16x4x64xbf16>, tensor<2x16x4x64xbf16>) -> tensor<2x16x4x64xbf16>
func.func @attention_causal(%q: tensor<2x16x4x64xbf16>, %k: tensor<2x16x4x64xbf16>, %v: tensor<2x16x4x64xbf16>) -> tensor<2x16x4x64xbf16> {
  %0 = ds.attention %q, %k, %v causal : (tensor<2x16x4x64xbf16>, tensor<2x16x4x64xbf16>, tensor<2x16x4x64xbf16>) -> tensor<2x16x4x64xbf16>
  return %0 : tensor<2x16x4x64xbf16>
}

// -----

// Multi-head latent attention: query/key heads of 192, value heads of 128.
// CHECK-LABEL: func @attention_mla_causal_scale
// CHECK: ds.attention %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} causal scale = 7.210000e-02 : (tensor<2x16x4x192xf32>, tensor<2x16x4x192xf32>, tensor<2x16x4x128xf32>) -> tensor<2x16x4x128xf32>
func.func @attention_mla_causal_scale(%q: tensor<2x16x4x192xf32>, %k: tensor<2x16x4x192xf32>, %v: tensor<2x16x4x128xf32>) -> tensor<2x16x4x128xf32> {
  %0 = ds.attention %q, %k, %v causal scale = 0.0721 : (tensor<2x16x4x192xf32>, tensor<2x16x4x192xf32>, tensor<2x16x4x128xf32>) -> tensor<2x16x4x128xf32>
  return %0 : tensor<2x16x4x128xf32>
}

// -----

// A scale without the causal mask.
// CHECK-LABEL: func @attention_scale_only
// CHECK: ds.attention %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} scale = 1.250000e-01 : (tensor<1x8x2x64xf32>, tensor<1x8x2x64xf32>, tensor<1x8x2x64xf32>) -> tensor<1x8x2x64xf32>
func.func @attention_scale_only(%q: tensor<1x8x2x64xf32>, %k: tensor<1x8x2x64xf32>, %v: tensor<1x8x2x64xf32>) -> tensor<1x8x2x64xf32> {
  %0 = ds.attention %q, %k, %v scale = 0.125 : (tensor<1x8x2x64xf32>, tensor<1x8x2x64xf32>, tensor<1x8x2x64xf32>) -> tensor<1x8x2x64xf32>
  return %0 : tensor<1x8x2x64xf32>
}

// -----

// CHECK-LABEL: func @attention_causal_window
// CHECK: ds.attention %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} causal window = 4096 : (tensor<1x8x2x64xf16>, tensor<1x8x2x64xf16>, tensor<1x8x2x64xf16>) -> tensor<1x8x2x64xf16>
func.func @attention_causal_window(%q: tensor<1x8x2x64xf16>, %k: tensor<1x8x2x64xf16>, %v: tensor<1x8x2x64xf16>) -> tensor<1x8x2x64xf16> {
  %0 = ds.attention %q, %k, %v causal window = 4096 : (tensor<1x8x2x64xf16>, tensor<1x8x2x64xf16>, tensor<1x8x2x64xf16>) -> tensor<1x8x2x64xf16>
  return %0 : tensor<1x8x2x64xf16>
}

// -----

// CHECK-LABEL: func @attention_causal_scale_window
// CHECK: ds.attention %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} causal scale = 1.250000e-01 window = 1 : (tensor<1x8x2x64xf32>, tensor<1x8x2x64xf32>, tensor<1x8x2x64xf32>) -> tensor<1x8x2x64xf32>
func.func @attention_causal_scale_window(%q: tensor<1x8x2x64xf32>, %k: tensor<1x8x2x64xf32>, %v: tensor<1x8x2x64xf32>) -> tensor<1x8x2x64xf32> {
  %0 = ds.attention %q, %k, %v causal scale = 0.125 window = 1 : (tensor<1x8x2x64xf32>, tensor<1x8x2x64xf32>, tensor<1x8x2x64xf32>) -> tensor<1x8x2x64xf32>
  return %0 : tensor<1x8x2x64xf32>
}

// -----

// Grouped-query attention: 8 query heads share 2 key/value heads.
// CHECK-LABEL: func @attention_gqa
// CHECK: ds.attention %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} causal : (tensor<2x16x8x64xf32>, tensor<2x16x2x64xf32>, tensor<2x16x2x64xf32>) -> tensor<2x16x8x64xf32>
func.func @attention_gqa(%q: tensor<2x16x8x64xf32>, %k: tensor<2x16x2x64xf32>, %v: tensor<2x16x2x64xf32>) -> tensor<2x16x8x64xf32> {
  %0 = ds.attention %q, %k, %v causal : (tensor<2x16x8x64xf32>, tensor<2x16x2x64xf32>, tensor<2x16x2x64xf32>) -> tensor<2x16x8x64xf32>
  return %0 : tensor<2x16x8x64xf32>
}

// -----

// Multi-query attention: one key/value head.
// CHECK-LABEL: func @attention_mqa
// CHECK: ds.attention %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} : (tensor<2x16x6x64xf32>, tensor<2x16x1x64xf32>, tensor<2x16x1x32xf32>) -> tensor<2x16x6x32xf32>
func.func @attention_mqa(%q: tensor<2x16x6x64xf32>, %k: tensor<2x16x1x64xf32>, %v: tensor<2x16x1x32xf32>) -> tensor<2x16x6x32xf32> {
  %0 = ds.attention %q, %k, %v : (tensor<2x16x6x64xf32>, tensor<2x16x1x64xf32>, tensor<2x16x1x32xf32>) -> tensor<2x16x6x32xf32>
  return %0 : tensor<2x16x6x32xf32>
}

// -----

// Decoding: one query against a cache of 128 keys.
// CHECK-LABEL: func @attention_decode
// CHECK: ds.attention %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} causal : (tensor<4x1x8x64xf32>, tensor<4x128x8x64xf32>, tensor<4x128x8x64xf32>) -> tensor<4x1x8x64xf32>
func.func @attention_decode(%q: tensor<4x1x8x64xf32>, %k: tensor<4x128x8x64xf32>, %v: tensor<4x128x8x64xf32>) -> tensor<4x1x8x64xf32> {
  %0 = ds.attention %q, %k, %v causal : (tensor<4x1x8x64xf32>, tensor<4x128x8x64xf32>, tensor<4x128x8x64xf32>) -> tensor<4x1x8x64xf32>
  return %0 : tensor<4x1x8x64xf32>
}

// -----

// Dynamic batch and lengths; the batch size is taken from the key where the
// query leaves it dynamic.
// CHECK-LABEL: func @attention_dynamic
// CHECK: ds.attention %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} causal : (tensor<?x?x8x64xf32>, tensor<2x?x2x64xf32>, tensor<?x?x2x32xf32>) -> tensor<2x?x8x32xf32>
func.func @attention_dynamic(%q: tensor<?x?x8x64xf32>, %k: tensor<2x?x2x64xf32>, %v: tensor<?x?x2x32xf32>) -> tensor<2x?x8x32xf32> {
  %0 = ds.attention %q, %k, %v causal : (tensor<?x?x8x64xf32>, tensor<2x?x2x64xf32>, tensor<?x?x2x32xf32>) -> tensor<2x?x8x32xf32>
  return %0 : tensor<2x?x8x32xf32>
}

// -----

// Dynamic head counts: their ratio is checked at run time.
// CHECK-LABEL: func @attention_dynamic_heads
// CHECK: ds.attention %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} : (tensor<1x8x?x64xf32>, tensor<1x8x3x64xf32>, tensor<1x8x3x64xf32>) -> tensor<1x8x?x64xf32>
func.func @attention_dynamic_heads(%q: tensor<1x8x?x64xf32>, %k: tensor<1x8x3x64xf32>, %v: tensor<1x8x3x64xf32>) -> tensor<1x8x?x64xf32> {
  %0 = ds.attention %q, %k, %v : (tensor<1x8x?x64xf32>, tensor<1x8x3x64xf32>, tensor<1x8x3x64xf32>) -> tensor<1x8x?x64xf32>
  return %0 : tensor<1x8x?x64xf32>
}

// -----

// The batch size may be static on the value alone.
// CHECK-LABEL: func @batch_from_value
// CHECK: ds.attention {{.*}} -> tensor<2x8x4x64xf32>
func.func @batch_from_value(%q: tensor<?x8x4x64xf32>, %k: tensor<?x8x4x64xf32>, %v: tensor<2x8x4x64xf32>) -> tensor<2x8x4x64xf32> {
  %0 = ds.attention %q, %k, %v : (tensor<?x8x4x64xf32>, tensor<?x8x4x64xf32>, tensor<2x8x4x64xf32>) -> tensor<2x8x4x64xf32>
  return %0 : tensor<2x8x4x64xf32>
}

// -----

// The backward pass of causal multi-head attention: the gradients have the
// types of query, key and value.
// CHECK-LABEL: func @attention_grad_causal
// CHECK: ds.attention_grad %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} causal : (tensor<2x16x4x64xf32>, tensor<2x16x4x64xf32>, tensor<2x16x4x64xf32>, tensor<2x16x4x64xf32>) -> (tensor<2x16x4x64xf32>, tensor<2x16x4x64xf32>, tensor<2x16x4x64xf32>)
func.func @attention_grad_causal(%q: tensor<2x16x4x64xf32>, %k: tensor<2x16x4x64xf32>, %v: tensor<2x16x4x64xf32>, %do: tensor<2x16x4x64xf32>) -> (tensor<2x16x4x64xf32>, tensor<2x16x4x64xf32>, tensor<2x16x4x64xf32>) {
  %dq, %dk, %dv = ds.attention_grad %q, %k, %v, %do causal : (tensor<2x16x4x64xf32>, tensor<2x16x4x64xf32>, tensor<2x16x4x64xf32>, tensor<2x16x4x64xf32>) -> (tensor<2x16x4x64xf32>, tensor<2x16x4x64xf32>, tensor<2x16x4x64xf32>)
  return %dq, %dk, %dv : tensor<2x16x4x64xf32>, tensor<2x16x4x64xf32>, tensor<2x16x4x64xf32>
}

// -----

// Multi-head latent attention with grouped heads (8 over 2), an explicit
// scale and a sliding window; Dqk = 192, Dv = 128.
// CHECK-LABEL: func @attention_grad_mla_gqa_window
// CHECK: ds.attention_grad %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} causal scale = 7.210000e-02 window = 4 : (tensor<1x16x8x192xbf16>, tensor<1x16x2x192xbf16>, tensor<1x16x2x128xbf16>, tensor<1x16x8x128xbf16>) -> (tensor<1x16x8x192xbf16>, tensor<1x16x2x192xbf16>, tensor<1x16x2x128xbf16>)
func.func @attention_grad_mla_gqa_window(%q: tensor<1x16x8x192xbf16>, %k: tensor<1x16x2x192xbf16>, %v: tensor<1x16x2x128xbf16>, %do: tensor<1x16x8x128xbf16>) -> (tensor<1x16x8x192xbf16>, tensor<1x16x2x192xbf16>, tensor<1x16x2x128xbf16>) {
  %dq, %dk, %dv = ds.attention_grad %q, %k, %v, %do causal scale = 0.0721 window = 4 : (tensor<1x16x8x192xbf16>, tensor<1x16x2x192xbf16>, tensor<1x16x2x128xbf16>, tensor<1x16x8x128xbf16>) -> (tensor<1x16x8x192xbf16>, tensor<1x16x2x192xbf16>, tensor<1x16x2x128xbf16>)
  return %dq, %dk, %dv : tensor<1x16x8x192xbf16>, tensor<1x16x2x192xbf16>, tensor<1x16x2x128xbf16>
}

// -----

// Dynamic batch and lengths, Tq and Tk unrelated; no mask.
// CHECK-LABEL: func @attention_grad_dynamic
// CHECK: ds.attention_grad %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} : (tensor<?x?x4x32xf32>, tensor<?x?x4x32xf32>, tensor<?x?x4x16xf32>, tensor<?x?x4x16xf32>) -> (tensor<?x?x4x32xf32>, tensor<?x?x4x32xf32>, tensor<?x?x4x16xf32>)
func.func @attention_grad_dynamic(%q: tensor<?x?x4x32xf32>, %k: tensor<?x?x4x32xf32>, %v: tensor<?x?x4x16xf32>, %do: tensor<?x?x4x16xf32>) -> (tensor<?x?x4x32xf32>, tensor<?x?x4x32xf32>, tensor<?x?x4x16xf32>) {
  %dq, %dk, %dv = ds.attention_grad %q, %k, %v, %do : (tensor<?x?x4x32xf32>, tensor<?x?x4x32xf32>, tensor<?x?x4x16xf32>, tensor<?x?x4x16xf32>) -> (tensor<?x?x4x32xf32>, tensor<?x?x4x32xf32>, tensor<?x?x4x16xf32>)
  return %dq, %dk, %dv : tensor<?x?x4x32xf32>, tensor<?x?x4x32xf32>, tensor<?x?x4x16xf32>
}

// -----

// One decoding step against a KV cache: key_length says how many slots hold
// data (i32 or i64); the gradient takes it too.
// CHECK-LABEL: func @attention_key_length
// CHECK: ds.attention %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} key_length %{{[a-z0-9_]+}} causal scale = 1.250000e-01 : (tensor<2x1x4x64xf32>, tensor<2x32x1x64xf32>, tensor<2x32x1x64xf32>, tensor<i32>) -> tensor<2x1x4x64xf32>
// CHECK: ds.attention_grad %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} key_length %{{[a-z0-9_]+}} causal : (tensor<2x1x4x64xf32>, tensor<2x32x1x64xf32>, tensor<2x32x1x64xf32>, tensor<2x1x4x64xf32>, tensor<i64>)
func.func @attention_key_length(%q: tensor<2x1x4x64xf32>, %k: tensor<2x32x1x64xf32>, %v: tensor<2x32x1x64xf32>, %len: tensor<i32>, %len64: tensor<i64>) -> tensor<2x1x4x64xf32> {
  %0 = ds.attention %q, %k, %v key_length %len causal scale = 0.125 : (tensor<2x1x4x64xf32>, tensor<2x32x1x64xf32>, tensor<2x32x1x64xf32>, tensor<i32>) -> tensor<2x1x4x64xf32>
  %dq, %dk, %dv = ds.attention_grad %q, %k, %v, %0 key_length %len64 causal : (tensor<2x1x4x64xf32>, tensor<2x32x1x64xf32>, tensor<2x32x1x64xf32>, tensor<2x1x4x64xf32>, tensor<i64>) -> (tensor<2x1x4x64xf32>, tensor<2x32x1x64xf32>, tensor<2x32x1x64xf32>)
  return %dq : tensor<2x1x4x64xf32>
}
