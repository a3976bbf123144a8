//===- ErrorLines.h - one error per line (private to config) ----*- C++ -*-===//
//
// Config loading reports every problem it finds, one per line; the importer
// and the validator both collect lines and hand them back joined, with
// numbers formatted alike.
//
//===----------------------------------------------------------------------===//

#ifndef DS_FRONTEND_CONFIG_ERRORLINES_H
#define DS_FRONTEND_CONFIG_ERRORLINES_H

#include <cstdio>
#include <string>
#include <vector>

namespace ds::config {

/// The lines joined by '\n', without a trailing newline.
inline std::string joinLines(const std::vector<std::string> &lines) {
  std::string out;
  for (const std::string &line : lines) {
    if (!out.empty())
      out += '\n';
    out += line;
  }
  return out;
}

/// A number as messages show it: up to 12 significant digits.
inline std::string formatNumber(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.12g", value);
  return text;
}

} // namespace ds::config

#endif // DS_FRONTEND_CONFIG_ERRORLINES_H
