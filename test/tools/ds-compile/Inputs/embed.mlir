func.func @embed(%t: tensor<5x2xf32> {ds.name = "table"}, %i: tensor<3xi32> {ds.name = "ids"}) -> tensor<3x2xf32> {
  %0 = ds.gather %t, %i axis = 0 : (tensor<5x2xf32>, tensor<3xi32>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}
