func.func @f(%a: tensor<4xf32>) -> tensor<4xf32> {
  %0 = ds.exp %a : tensor<5xf32>
  return %0 : tensor<4xf32>
}
