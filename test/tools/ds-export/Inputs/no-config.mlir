// A hand-written model: no ds.model_config, so no Hugging Face config.
func.func @forward(%x: tensor<4xf32>, %w: tensor<4xf32> {ds.param = #ds.param<"w", ones>}) -> tensor<4xf32> {
  %y = ds.mul %x, %w : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %y : tensor<4xf32>
}
