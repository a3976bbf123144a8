//===- SafeParse.h - Parsing .mlir around MLIR 22's parser crashes -*- C++ -*-===//
//
// Two inputs crash MLIR 22's own parser instead of getting an error
// (docs/reliability.md has the reproducers):
//
//   * a dense array of `index` (`array<index: 0>`, even `array<index>`):
//     SIGSEGV in parseDenseArrayAttr, which asks `index` for a bit width;
//   * a use of a result number far beyond any op's results (`%0#2147483648`):
//     the parser allocates a slot for every number up to it, ending in
//     "LLVM ERROR: out of memory" (or minutes of work below that).
//
// Every DS tool that reads .mlir text (ds-opt, the tools that take a model
// file, the fuzz target) refuses these first, with an error at the
// offending text, so a hostile file gets a message, not a crash. The scan
// follows MLIR's lexer far enough to skip string literals and comments.
//
//===----------------------------------------------------------------------===//

#ifndef DS_DIALECTS_DS_SAFEPARSE_H
#define DS_DIALECTS_DS_SAFEPARSE_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringRef.h"

#include <cstddef>
#include <optional>
#include <string>

namespace llvm {
class SourceMgr;
} // namespace llvm

namespace mlir::ds {

/// The largest result number (`%x#N`) accepted: far more results than any
/// op has, and a bounded cost for the parser.
inline constexpr uint64_t kMaxResultNumber = uint64_t(1) << 20;

struct ParserHazard {
  size_t offset; // into the text
  std::string message;
};

/// The first input in `text` that MLIR 22's parser cannot survive, or
/// nullopt when there is none.
std::optional<ParserHazard> findParserHazard(llvm::StringRef text);

/// Like parseSourceFile<ModuleOp> on the main buffer of `sourceMgr`, after
/// refusing a parser hazard with an error at its location (emitted through
/// `context`'s diagnostics). Null on any failure.
OwningOpRef<ModuleOp> parseModuleSafely(llvm::SourceMgr &sourceMgr,
                                        MLIRContext *context);

} // namespace mlir::ds

#endif // DS_DIALECTS_DS_SAFEPARSE_H
