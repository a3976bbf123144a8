// The hazardous texts inside a string and a comment are harmless.
func.func @f() attributes {note = "array<index: 1> %0#99999999999"} {
  return // array<index: 0> %x#4294967296
}
