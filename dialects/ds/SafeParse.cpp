//===- SafeParse.cpp - Parsing .mlir around MLIR 22's parser crashes ------===//

#include "dialects/ds/SafeParse.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/Parser/Parser.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/SourceMgr.h"

using namespace mlir;

namespace {

bool isIdentifierChar(char c) {
  return llvm::isAlnum(c) || c == '_' || c == '$' || c == '.' || c == '-';
}

/// Reads the integer literal at `pos` (decimal, or hex after 0x) as MLIR's
/// lexer would, saturating at UINT64_MAX. Returns false when there is none.
bool readInteger(llvm::StringRef text, size_t &pos, uint64_t &value) {
  const size_t begin = pos;
  unsigned radix = 10;
  if (text.substr(pos).starts_with("0x") && pos + 2 < text.size() &&
      llvm::isHexDigit(text[pos + 2])) {
    radix = 16;
    pos += 2;
  }
  value = 0;
  for (; pos < text.size(); ++pos) {
    const char c = text[pos];
    unsigned digit;
    if (llvm::isDigit(c))
      digit = unsigned(c - '0');
    else if (radix == 16 && llvm::isHexDigit(c))
      digit = unsigned(llvm::hexDigitValue(c));
    else
      break;
    value = value > (UINT64_MAX - digit) / radix ? UINT64_MAX
                                                 : value * radix + digit;
  }
  return pos > begin;
}

size_t skipSpace(llvm::StringRef text, size_t pos) {
  while (pos < text.size() && llvm::isSpace(text[pos]))
    ++pos;
  return pos;
}

/// `array` `<` `index` (each a whole token) at `pos`.
bool isIndexArrayAt(llvm::StringRef text, size_t pos) {
  if (!text.substr(pos).starts_with("array") ||
      (pos > 0 && isIdentifierChar(text[pos - 1])))
    return false;
  size_t next = skipSpace(text, pos + 5);
  if (next >= text.size() || text[next] != '<')
    return false;
  next = skipSpace(text, next + 1);
  return text.substr(next).starts_with("index") &&
         (next + 5 >= text.size() || !isIdentifierChar(text[next + 5]));
}

} // namespace

std::optional<ds::ParserHazard> ds::findParserHazard(llvm::StringRef text) {
  size_t pos = 0;
  while (pos < text.size()) {
    const char c = text[pos];
    if (c == '"') { // a string literal: skip to its closing quote
      for (++pos; pos < text.size() && text[pos] != '"' && text[pos] != '\n';
           ++pos)
        if (text[pos] == '\\')
          ++pos;
      ++pos;
      continue;
    }
    if (c == '/' && text.substr(pos).starts_with("//")) {
      pos = text.find('\n', pos);
      continue;
    }
    if (c == 'a' && isIndexArrayAt(text, pos))
      return ParserHazard{pos, "a dense array of 'index' elements is not "
                               "supported (MLIR 22's parser crashes on it); "
                               "use i64"};
    if (c == '%') { // a value use: %name or %name#N
      ++pos;
      while (pos < text.size() && isIdentifierChar(text[pos]))
        ++pos;
      if (pos < text.size() && text[pos] == '#') {
        const size_t number = ++pos;
        uint64_t value = 0;
        if (readInteger(text, pos, value) && value > kMaxResultNumber)
          return ParserHazard{
              number, "result number " + text.slice(number, pos).str() +
                          " is beyond the " + std::to_string(kMaxResultNumber) +
                          " DS accepts (MLIR 22's parser allocates a slot for "
                          "every number up to it)"};
      }
      continue;
    }
    ++pos;
  }
  return std::nullopt;
}

OwningOpRef<ModuleOp> ds::parseModuleSafely(llvm::SourceMgr &sourceMgr,
                                            MLIRContext *context) {
  const llvm::MemoryBuffer *buffer =
      sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID());
  if (std::optional<ParserHazard> hazard =
          findParserHazard(buffer->getBuffer())) {
    const auto [line, column] = sourceMgr.getLineAndColumn(
        llvm::SMLoc::getFromPointer(buffer->getBufferStart() + hazard->offset));
    emitError(FileLineColLoc::get(context, buffer->getBufferIdentifier(), line,
                                  column))
        << hazard->message;
    return nullptr;
  }
  return parseSourceFile<ModuleOp>(sourceMgr, context);
}
