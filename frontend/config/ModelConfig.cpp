//===- ModelConfig.cpp - Loading model configs ----------------------------===//
//
// File dispatch, textproto parsing and printing. The Hugging Face import is in
// HfConfigImport.cpp, defaults and validation in ConfigValidation.cpp.
//
//===----------------------------------------------------------------------===//

#include "frontend/config/ModelConfig.h"

#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/text_format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <vector>

namespace ds::config {
namespace {

/// The start offset of each line of `text`.
std::vector<size_t> lineStarts(std::string_view text) {
  std::vector<size_t> starts{0};
  for (size_t i = 0; i < text.size(); ++i)
    if (text[i] == '\n')
      starts.push_back(i + 1);
  return starts;
}

/// The byte offset of a 0-based tokenizer position. The protobuf tokenizer
/// advances the column to the next multiple of 8 at a tab.
size_t offsetOf(std::string_view text, const std::vector<size_t> &starts,
                int line, int column) {
  if (line < 0)
    return 0;
  if (size_t(line) >= starts.size())
    return text.size();
  size_t offset = starts[line];
  int col = 0;
  while (offset < text.size() && text[offset] != '\n' && col < column) {
    col = text[offset] == '\t' ? col + 8 - col % 8 : col + 1;
    ++offset;
  }
  return offset;
}

bool isIdentChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.';
}

/// The last whole-word occurrence of `word` that starts before `end`.
size_t findWordBefore(std::string_view text, std::string_view word,
                      size_t end) {
  if (word.empty())
    return std::string_view::npos;
  size_t pos = end;
  while (pos > 0) {
    pos = text.rfind(word, pos - 1);
    if (pos == std::string_view::npos)
      return pos;
    size_t after = pos + word.size();
    if ((pos == 0 || !isIdentChar(text[pos - 1])) &&
        (after >= text.size() || !isIdentChar(text[after])))
      return pos;
  }
  return std::string_view::npos;
}

/// For errors the parser reports only after consuming the offending token
/// (at the next token), the token to point at instead.
std::string_view offendingToken(std::string_view message) {
  for (std::string_view prefix :
       {"Unknown enumeration value of \"", "has no field named \"",
        "Non-repeated field \""}) {
    size_t start = message.find(prefix);
    if (start == std::string_view::npos)
      continue;
    start += prefix.size();
    size_t end = message.find('"', start);
    if (end != std::string_view::npos)
      return message.substr(start, end - start);
  }
  return {};
}

/// Collects TextFormat parser errors; formatted() turns them into
/// "source:line:col: message" lines (1-based; the column counts bytes).
class LineErrorCollector : public google::protobuf::io::ErrorCollector {
public:
  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string &message) override {
    errors.push_back({line, column, message});
  }

  bool empty() const { return errors.empty(); }

  std::string formatted(std::string_view text,
                        const std::string &source) const {
    std::vector<size_t> starts = lineStarts(text);
    std::string out;
    for (const Error &e : errors) {
      if (!out.empty())
        out += '\n';
      out += source;
      // The parser reports line -1 for errors not tied to a position.
      if (e.line >= 0) {
        size_t offset = offsetOf(text, starts, e.line, e.column);
        size_t token = findWordBefore(text, offendingToken(e.message), offset);
        if (token != std::string_view::npos)
          offset = token;
        size_t line =
            std::upper_bound(starts.begin(), starts.end(), offset) -
            starts.begin();
        out += ":" + std::to_string(line) + ":" +
               std::to_string(offset - starts[line - 1] + 1);
      }
      out += ": " + e.message;
      if (e.message.size() >= 5 &&
          e.message.compare(e.message.size() - 5, 5, "got: ") == 0)
        out += "end of input";
    }
    return out;
  }

private:
  struct Error {
    int line;
    int column;
    std::string message;
  };
  std::vector<Error> errors;
};

/// Reads a whole file; on failure returns false with a one-line error.
bool readFile(const std::string &path, std::string &contents,
              std::string &error) {
  std::FILE *file = std::fopen(path.c_str(), "rb");
  if (!file) {
    error = path + ": cannot open file: " + std::strerror(errno);
    return false;
  }
  contents.clear();
  char buffer[1 << 16];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), file)) > 0)
    contents.append(buffer, n);
  bool failed = std::ferror(file) != 0;
  int savedErrno = errno;
  std::fclose(file);
  if (failed) {
    error = path + ": cannot read file: " + std::strerror(savedErrno);
    return false;
  }
  return true;
}

bool hasSuffix(const std::string &s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

} // namespace

bool parseTextprotoConfig(std::string_view text, const std::string &sourceName,
                          ModelConfig &config, std::string &error) {
  config.Clear();
  LineErrorCollector collector;
  google::protobuf::TextFormat::Parser parser;
  parser.RecordErrorsTo(&collector);
  // ParseFromString takes a std::string in protobuf 3.21.
  bool ok = parser.ParseFromString(std::string(text), &config);
  if (ok && collector.empty())
    return true;
  error = collector.empty() ? sourceName + ": cannot parse textproto"
                            : collector.formatted(text, sourceName);
  return false;
}

std::string toTextproto(const ModelConfig &config, bool singleLine) {
  google::protobuf::TextFormat::Printer printer;
  printer.SetSingleLineMode(singleLine);
  std::string out;
  if (!printer.PrintToString(config, &out))
    return std::string();
  return out;
}

bool loadModelConfig(const std::string &path, ModelConfig &config,
                     std::string &error, std::vector<std::string> *notes) {
  namespace fs = std::filesystem;
  error.clear();
  std::error_code ec;
  std::string file = path;
  fs::file_status status = fs::status(path, ec);
  if (ec || !fs::exists(status)) {
    error = path + ": no such file or directory";
    return false;
  }
  if (fs::is_directory(status)) {
    file = (fs::path(path) / "config.json").string();
    if (!fs::exists(file, ec)) {
      error = path + ": directory holds no config.json";
      return false;
    }
  }

  bool isTextproto = hasSuffix(file, ".textproto") ||
                     hasSuffix(file, ".txtpb") || hasSuffix(file, ".pbtxt");
  bool isJson = hasSuffix(file, ".json");
  if (!isTextproto && !isJson) {
    error = file + ": unknown config file type (expected *.textproto, "
                   "*.txtpb, *.pbtxt, a Hugging Face config.json, or a "
                   "directory holding config.json)";
    return false;
  }

  std::string contents;
  if (!readFile(file, contents, error))
    return false;
  bool parsed = isTextproto
                    ? parseTextprotoConfig(contents, file, config, error)
                    : importHfConfigJson(contents, file, config, error, notes);
  if (!parsed)
    return false;
  return finalizeModelConfig(config, file, error);
}

bool isMoeLayer(const ModelConfig &config, int64_t layer) {
  if (config.architecture() != DEEPSEEK || !config.has_moe())
    return false;
  const Moe &moe = config.moe();
  if (moe.n_routed_experts() <= 0)
    return false;
  if (layer < moe.first_k_dense_replace() || layer >= config.num_hidden_layers())
    return false;
  int64_t freq = moe.has_moe_layer_freq() ? moe.moe_layer_freq() : 1;
  return freq > 0 && layer % freq == 0;
}

} // namespace ds::config

namespace ds::config {

int64_t attentionWindow(const ModelConfig &config, int64_t layer) {
  if (!config.has_sliding_window())
    return 0;
  if (config.layer_types_size() == 0)
    return config.sliding_window();
  return layer >= 0 && layer < config.layer_types_size() &&
                 config.layer_types(int(layer)) == SLIDING_ATTENTION
             ? config.sliding_window()
             : 0;
}

} // namespace ds::config
