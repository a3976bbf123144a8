// Representative generated kernels, from ds ops: RMSNorm and LayerNorm (row
// groups with reductions), softmax, GELU (elementwise), a sum over rows (a
// weight's gradient) and a mean over everything (a loss).
func.func @rms_norm(%x: tensor<64x1024xf32>, %w: tensor<1024xf32>) -> tensor<64x1024xf32> {
  %0 = ds.rms_norm %x, %w epsilon = 1.0e-06 : (tensor<64x1024xf32>, tensor<1024xf32>) -> tensor<64x1024xf32>
  return %0 : tensor<64x1024xf32>
}

func.func @layer_norm(%x: tensor<2x16x768xf32>, %w: tensor<768xf32>, %b: tensor<768xf32>) -> tensor<2x16x768xf32> {
  %0 = ds.layer_norm %x, %w, %b epsilon = 1.0e-05 : (tensor<2x16x768xf32>, tensor<768xf32>, tensor<768xf32>) -> tensor<2x16x768xf32>
  return %0 : tensor<2x16x768xf32>
}

func.func @softmax(%x: tensor<8x4x4096xf32>) -> tensor<8x4x4096xf32> {
  %0 = ds.softmax %x axis = 2 : tensor<8x4x4096xf32>
  return %0 : tensor<8x4x4096xf32>
}

func.func @gelu(%x: tensor<3000xf32>) -> tensor<3000xf32> {
  %0 = ds.gelu %x : tensor<3000xf32>
  return %0 : tensor<3000xf32>
}

func.func @sums(%x: tensor<512x768xf32>) -> (tensor<768xf32>, tensor<f32>) {
  %0 = ds.reduce_sum %x axes = [0] : tensor<512x768xf32> -> tensor<768xf32>
  %1 = ds.reduce_mean %x axes = [0, 1] : tensor<512x768xf32> -> tensor<f32>
  return %0, %1 : tensor<768xf32>, tensor<f32>
}
