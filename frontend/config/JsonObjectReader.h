//===- JsonObjectReader.h - typed keys of a JSON object (private) -*- C++ -*-===//
//
// Reads the keys of one JSON object with type checks, and remembers which keys
// were read, so that the Hugging Face importer can tell every key it used
// from the ones it did not look at: an importer that silently skips a key it
// does not understand runs a different model than the checkpoint describes.
//
// A JSON null counts as "absent" (Hugging Face's spelling of None). Errors
// are appended to a shared list, one line each, prefixed with the source and
// naming the key with its path ("rope_parameters.factor").
//
//===----------------------------------------------------------------------===//

#ifndef DS_FRONTEND_CONFIG_JSONOBJECTREADER_H
#define DS_FRONTEND_CONFIG_JSONOBJECTREADER_H

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace ds::config {

class JsonObjectReader {
public:
  using json = nlohmann::json;

  /// Reads `object` (a JSON object); `prefix` names it in messages ("" for
  /// the top level, "rope_parameters." for a nested one).
  JsonObjectReader(const json &object, std::string prefix, std::string source,
                   std::vector<std::string> &errors)
      : object(object), prefix(std::move(prefix)), source(std::move(source)),
        errors(errors) {}

  void fail(const std::string &message) {
    errors.push_back(source + ": " + message);
  }
  /// The key as messages name it.
  std::string name(const std::string &key) const { return prefix + key; }

  /// Whether `key` is present with a non-null value. Does not consume it.
  bool has(const std::string &key) const {
    auto it = object.find(key);
    return it != object.end() && !it->is_null();
  }
  /// Whether `key` is present, null or not. Does not consume it.
  bool contains(const std::string &key) const { return object.contains(key); }
  /// Whether `key` is present and JSON null. Consumes it.
  bool isNull(const std::string &key) {
    consume(key);
    auto it = object.find(key);
    return it != object.end() && it->is_null();
  }
  /// Marks `key` as used.
  void consume(const std::string &key) { consumed.insert(key); }

  /// The value of `key`, or null when it is absent or JSON null. Consumes it.
  const json *find(const std::string &key) {
    consume(key);
    auto it = object.find(key);
    if (it == object.end() || it->is_null())
      return nullptr;
    return &*it;
  }

  /// An integer (4096.0 is accepted for 4096; 1.5 is an error).
  std::optional<int64_t> integer(const std::string &key);
  std::optional<double> number(const std::string &key);
  std::optional<bool> boolean(const std::string &key);
  std::optional<std::string> string(const std::string &key);
  /// A nested object (null when absent or JSON null; an error when the
  /// value is of another type).
  const json *nestedObject(const std::string &key);

  /// The keys present that nothing consumed, in the object's order.
  std::vector<std::string> unconsumed() const;

private:
  void typeError(const std::string &key, const char *expected,
                 const json &value) {
    fail("'" + name(key) + "' must be " + expected + ", got " +
         value.type_name() + " " + value.dump());
  }

  const json &object;
  std::string prefix, source;
  std::vector<std::string> &errors;
  std::set<std::string> consumed;
};

} // namespace ds::config

#endif // DS_FRONTEND_CONFIG_JSONOBJECTREADER_H
