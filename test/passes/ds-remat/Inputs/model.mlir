// A two-layer model for the ds-remat tests (see ds-remat.test): each layer
// normalises its input, runs an MLP (a GEMM, GELU, a GEMM) in a function of
// its own, and adds a reshaped view of its input. The loss is the mean
// square of the last layer's output.
func.func private @mlp(%x: tensor<4x8xf32>, %w1: tensor<8x16xf32>, %w2: tensor<16x8xf32>) -> tensor<4x8xf32> {
  %h = ds.matmul %x, %w1 : (tensor<4x8xf32>, tensor<8x16xf32>) -> tensor<4x16xf32>
  %a = ds.gelu %h approximate = tanh : tensor<4x16xf32>
  %y = ds.matmul %a, %w2 : (tensor<4x16xf32>, tensor<16x8xf32>) -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}
func.func private @layer(%x: tensor<4x8xf32>, %g: tensor<8xf32>, %w1: tensor<8x16xf32>, %w2: tensor<16x8xf32>) -> tensor<4x8xf32> {
  %n = ds.rms_norm %x, %g epsilon = 1.0e-6 : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  %y = call @mlp(%n, %w1, %w2) : (tensor<4x8xf32>, tensor<8x16xf32>, tensor<16x8xf32>) -> tensor<4x8xf32>
  %t = ds.transpose %x permutation = [1, 0] : tensor<4x8xf32> -> tensor<8x4xf32>
  %s = ds.sigmoid %t : tensor<8x4xf32>
  %u = ds.mul %t, %s : tensor<8x4xf32>
  %v = ds.transpose %u permutation = [1, 0] : tensor<8x4xf32> -> tensor<4x8xf32>
  %o = ds.add %y, %v : tensor<4x8xf32>
  return %o : tensor<4x8xf32>
}
func.func @loss(%x: tensor<4x8xf32> {ds.name = "x"},
                %g: tensor<2x8xf32> {ds.param = #ds.param<"layers.[0:2].norm", ones>},
                %w1: tensor<2x8x16xf32> {ds.param = #ds.param<"layers.[0:2].up", normal(0.0, 0.3)>},
                %w2: tensor<2x16x8xf32> {ds.param = #ds.param<"layers.[0:2].down", normal(0.0, 0.3)>}) -> (tensor<f32> {ds.name = "loss"}) {
  %h = ds.scan @layer(%x) stacked(%g, %w1, %w2) : (tensor<4x8xf32>, tensor<2x8xf32>, tensor<2x8x16xf32>, tensor<2x16x8xf32>) -> tensor<4x8xf32>
  %q = ds.square %h : tensor<4x8xf32>
  %l = ds.reduce_mean %q axes = [0, 1] : tensor<4x8xf32> -> tensor<f32>
  return %l : tensor<f32>
}
