//===- JsonReader.h - checked fields of a JSON document ---------*- C++ -*-===//
//
// The one way DS reads the JSON files it is handed (artifact manifests,
// data.json, checkpoint.json, metrics.jsonl, safetensors indexes, Hugging
// Face config.json): every field is read through a type- and range-checked
// accessor that names it by its path ("entries[0].shape[1]"), so a file
// with a field of the wrong type, a negative size or a counter of 1e300 gets
// a message, never an exception escaping to a tool's main, a wrapped-around
// integer or a read out of bounds.
//
// A JsonReader is a view of one JSON object. Problems are appended to a
// list shared by a document's readers, one line each,
// "<source>: <path>: <what>"; a caller reads what it needs, then checks
// `ok()` once. Absent keys and JSON null read as "absent" (Hugging Face's
// None); `require*` reports them as missing. The reader remembers which
// keys were read, so that a caller can account for the others
// (`unconsumed`). Nothing here throws.
//
//===----------------------------------------------------------------------===//

#ifndef DS_RUNTIME_IO_JSONREADER_H
#define DS_RUNTIME_IO_JSONREADER_H

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace ds::rt {

class JsonReader {
public:
  using json = nlohmann::json;

  /// A reader of `value`, found at `path` ("" for the top level) in the
  /// document `source` (a file name, for messages). `value` and `errors`
  /// must outlive the reader. A value that is not an object is reported.
  JsonReader(const json &value, std::string source, std::string path,
             std::vector<std::string> &errors);

  /// Records "<source>: <path of key>: <what>" (the object's own path when
  /// `key` is empty).
  void fail(std::string_view key, const std::string &what);
  /// Records "<source>: <message>", for messages that name their fields
  /// themselves.
  void report(const std::string &message) {
    errors_.push_back(source_ + ": " + message);
  }
  /// Whether no problem was recorded in the document so far.
  bool ok() const { return errors_.empty(); }
  /// The path of `key` in the document ("data.epoch").
  std::string field(std::string_view key) const;
  const std::string &source() const { return source_; }

  /// Whether `key` is present with a non-null value. Does not consume it.
  bool has(std::string_view key) const;
  /// Whether `key` is present, null or not. Does not consume it.
  bool contains(std::string_view key) const;
  /// Whether `key` is present and null. Consumes it.
  bool isNull(std::string_view key);
  /// Marks `key` as read.
  void consume(std::string_view key) { consumed_.insert(std::string(key)); }
  /// The value of `key`; null when absent or null. Consumes it.
  const json *find(std::string_view key);

  /// Optional values: nullopt when absent or null, or (with a recorded
  /// problem) when of the wrong type or out of range.
  /// An integer; 4096.0 reads as 4096, 1.5 and 1e300 are errors.
  std::optional<int64_t> integer(std::string_view key);
  /// An integer in [0, 2^63): sizes, counts, steps.
  std::optional<int64_t> count(std::string_view key);
  /// An integer in [0, 2^64): seeds, positions.
  std::optional<uint64_t> unsignedInteger(std::string_view key);
  /// A finite number.
  std::optional<double> number(std::string_view key);
  std::optional<bool> boolean(std::string_view key);
  std::optional<std::string> string(std::string_view key);
  /// A nested object or array (null when absent or null, or of another
  /// type, which is recorded).
  const json *object(std::string_view key);
  const json *array(std::string_view key);
  /// An object of strings, as a map.
  std::optional<std::map<std::string, std::string>>
  stringMap(std::string_view key);
  /// An array of counts (shapes, grid sizes, axes); each element is
  /// checked as asCount() checks it, the first bad one recorded.
  std::optional<std::vector<int64_t>> counts(std::string_view key);

  /// Required values: as above, and absence is recorded as "missing".
  std::optional<int64_t> requireCount(std::string_view key);
  std::optional<uint64_t> requireUnsigned(std::string_view key);
  std::optional<double> requireNumber(std::string_view key);
  std::optional<std::string> requireString(std::string_view key);
  const json *requireObject(std::string_view key);
  const json *requireArray(std::string_view key);
  std::optional<std::vector<int64_t>> requireCounts(std::string_view key);

  /// A reader of the object at `key` (which must be one: see object()),
  /// sharing this document's problems.
  JsonReader child(const json &value, std::string_view key) const;
  /// A reader of `array`'s element `index`, named "<path>[index]".
  JsonReader element(const json &array, std::string_view key,
                     size_t index) const;

  /// The keys present that nothing read, in the object's order.
  std::vector<std::string> unconsumed() const;

  /// Value checks shared with callers that iterate arrays themselves:
  /// `value` at `field` (a full path) as a count or a string.
  static std::optional<int64_t> asCount(const json &value,
                                        const std::string &field,
                                        std::string &problem);
  static std::optional<std::string> asString(const json &value,
                                             const std::string &field,
                                             std::string &problem);

private:
  /// "\"7168\"", "1.5", "an array": how messages show a value of the
  /// wrong type.
  static std::string describe(const json &value);
  void typeError(std::string_view key, const char *expected,
                 const json &value);
  template <typename T> std::optional<T> required(std::optional<T> value,
                                                  std::string_view key);

  const json &value_;
  std::string source_, path_;
  std::vector<std::string> &errors_;
  std::set<std::string, std::less<>> consumed_;
};

/// Parses `text` as JSON. On a syntax error (or text that is not UTF-8)
/// returns nullopt with `error` = "<source>: invalid JSON: <what> (byte N)".
std::optional<nlohmann::json> parseJson(std::string_view text,
                                        const std::string &source,
                                        std::string &error);

/// Reads and parses the file `path` (messages name it).
std::optional<nlohmann::json> readJsonFile(const std::string &path,
                                           std::string &error);

/// The problems joined by '\n' (no trailing newline).
std::string joinProblems(const std::vector<std::string> &problems);

} // namespace ds::rt

#endif // DS_RUNTIME_IO_JSONREADER_H
