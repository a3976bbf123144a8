//===- ToolArgs.h - Command-line flags of the runtime tools -----*- C++ -*-===//
//
// The few parsing helpers ds-data, ds-train and ds-sample share: `--name=value`
// flags and numbers that must be whole (no trailing text, no overflow).
// Header-only and dependency-free, like the tools' mains.
//
//===----------------------------------------------------------------------===//

#ifndef DS_TOOLS_TOOLARGS_H
#define DS_TOOLS_TOOLARGS_H

#include <charconv>
#include <cstdlib>
#include <string>
#include <string_view>

namespace ds::tools {

/// When `arg` is `name=VALUE`, sets `value` to VALUE and returns true.
inline bool flagValue(std::string_view arg, std::string_view name,
                      std::string &value) {
  if (arg.size() <= name.size() || arg.substr(0, name.size()) != name ||
      arg[name.size()] != '=')
    return false;
  value = std::string(arg.substr(name.size() + 1));
  return true;
}

/// Parses all of `text` as an integer of type T (false on anything else).
template <typename T> bool parseInteger(std::string_view text, T &value) {
  const char *end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  return !text.empty() && ec == std::errc() && ptr == end;
}

/// Parses all of `text` as a floating-point number.
inline bool parseReal(const std::string &text, double &value) {
  char *end = nullptr;
  value = std::strtod(text.c_str(), &end);
  return !text.empty() && end == text.c_str() + text.size();
}

} // namespace ds::tools

#endif // DS_TOOLS_TOOLARGS_H
