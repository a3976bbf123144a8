// A loss with one parameter: enough to read the optimizer's schedule.
func.func @loss(%w: tensor<4xf32> {ds.param = #ds.param<"w", normal(0.0, 1.0)>}) -> tensor<f32> {
  %0 = ds.mul %w, %w : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %1 = ds.reduce_sum %0 axes = [0] : tensor<4xf32> -> tensor<f32>
  return %1 : tensor<f32>
}
