//===- SafeParseTest.cpp - the scan for MLIR 22's parser crashes ----------===//
//
// findParserHazard must find the two crashing inputs wherever the lexer
// would see them, and nowhere else (strings, comments, other names).
//
//===----------------------------------------------------------------------===//

#include "dialects/ds/SafeParse.h"

#include <gtest/gtest.h>

using mlir::ds::findParserHazard;

namespace {

/// The offset of the hazard in `text`, or -1.
long hazardAt(llvm::StringRef text) {
  auto hazard = findParserHazard(text);
  return hazard ? long(hazard->offset) : -1;
}

TEST(SafeParseTest, FindsIndexArrays) {
  EXPECT_EQ(hazardAt("{a = array<index: 0>}"), 5);
  EXPECT_EQ(hazardAt("{a = array<index>}"), 5);
  EXPECT_EQ(hazardAt("{a = array < \n index : 1, 2>}"), 5);
  EXPECT_EQ(hazardAt("x\n  array<index:0>"), 4);
}

TEST(SafeParseTest, LeavesOtherArraysAlone) {
  EXPECT_EQ(hazardAt("{a = array<i64: 0>, b = array<f32>}"), -1);
  EXPECT_EQ(hazardAt("{a = array<index_like: 0>}"), -1);   // not the type
  EXPECT_EQ(hazardAt("!foo.array<index>"), -1);            // a dialect type
  EXPECT_EQ(hazardAt("%my_array<index>"), -1);             // part of a name
}

TEST(SafeParseTest, FindsHugeResultNumbers) {
  EXPECT_EQ(hazardAt("return %0#2147483648 : i32"), 10);
  EXPECT_EQ(hazardAt("return %x.y#99999999999999999999999 : i32"), 12);
  EXPECT_EQ(hazardAt("return %0#0x80000000 : i32"), 10);
  EXPECT_EQ(hazardAt("return %0#1048577"), 10);
  EXPECT_EQ(hazardAt("return %0#1048576"), -1); // the bound itself is fine
  EXPECT_EQ(hazardAt("return %0#1, %1#0"), -1);
}

TEST(SafeParseTest, SkipsStringsAndComments) {
  EXPECT_EQ(hazardAt("{s = \"array<index: 0> %0#4294967296\"}"), -1);
  EXPECT_EQ(hazardAt("{s = \"a \\\" array<index: 0>\"}"), -1); // escaped quote
  EXPECT_EQ(hazardAt("// array<index: 0> %0#4294967296\nreturn"), -1);
  // A string ends at a newline (the lexer's error), so the next line counts.
  EXPECT_EQ(hazardAt("\"open\narray<index>"), 6);
  EXPECT_EQ(hazardAt(""), -1);
  EXPECT_EQ(hazardAt("\"unterminated"), -1);
}

} // namespace
