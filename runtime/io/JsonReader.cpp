//===- JsonReader.cpp - checked fields of a JSON document -----------------===//

#include "runtime/io/JsonReader.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

namespace ds::rt {

JsonReader::JsonReader(const json &value, std::string source, std::string path,
                       std::vector<std::string> &errors)
    : value_(value), source_(std::move(source)), path_(std::move(path)),
      errors_(errors) {
  if (!value_.is_object())
    fail("", "expected an object, got " + describe(value_));
}

std::string JsonReader::field(std::string_view key) const {
  if (key.empty())
    return path_.empty() ? std::string("(top level)") : path_;
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

void JsonReader::fail(std::string_view key, const std::string &what) {
  errors_.push_back(source_ + ": " + field(key) + ": " + what);
}

std::string JsonReader::describe(const json &value) {
  if (value.is_string() || value.is_number() || value.is_boolean()) {
    std::string text = value.dump();
    if (text.size() > 40)
      text = text.substr(0, 40) + "...";
    return text;
  }
  if (value.is_null())
    return "null";
  return std::string("an ") + value.type_name();
}

void JsonReader::typeError(std::string_view key, const char *expected,
                           const json &value) {
  fail(key, std::string("expected ") + expected + ", got " + describe(value));
}

bool JsonReader::has(std::string_view key) const {
  if (!value_.is_object())
    return false;
  auto it = value_.find(key);
  return it != value_.end() && !it->is_null();
}

bool JsonReader::contains(std::string_view key) const {
  return value_.is_object() && value_.find(key) != value_.end();
}

bool JsonReader::isNull(std::string_view key) {
  consume(key);
  if (!value_.is_object())
    return false;
  auto it = value_.find(key);
  return it != value_.end() && it->is_null();
}

const nlohmann::json *JsonReader::find(std::string_view key) {
  consume(key);
  if (!value_.is_object())
    return nullptr;
  auto it = value_.find(key);
  if (it == value_.end() || it->is_null())
    return nullptr;
  return &*it;
}

std::optional<int64_t> JsonReader::integer(std::string_view key) {
  const json *value = find(key);
  if (!value)
    return std::nullopt;
  if (value->is_number_unsigned()) {
    uint64_t v = value->get<uint64_t>();
    if (v > uint64_t(std::numeric_limits<int64_t>::max())) {
      fail(key, value->dump() + " is out of range");
      return std::nullopt;
    }
    return int64_t(v);
  }
  if (value->is_number_integer())
    return value->get<int64_t>();
  if (value->is_number_float()) {
    // Accept 4096.0 for 4096; reject 1.5 and what no int64 holds.
    double v = value->get<double>();
    if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 9e18)
      return int64_t(v);
    typeError(key, "an integer", *value);
    return std::nullopt;
  }
  typeError(key, "an integer", *value);
  return std::nullopt;
}

std::optional<int64_t> JsonReader::count(std::string_view key) {
  const json *value = find(key);
  if (!value)
    return std::nullopt;
  std::string problem;
  std::optional<int64_t> result = asCount(*value, field(key), problem);
  if (!result)
    errors_.push_back(source_ + ": " + problem);
  return result;
}

std::optional<uint64_t> JsonReader::unsignedInteger(std::string_view key) {
  const json *value = find(key);
  if (!value)
    return std::nullopt;
  if (value->is_number_unsigned())
    return value->get<uint64_t>();
  if (value->is_number_integer() && value->get<int64_t>() >= 0)
    return uint64_t(value->get<int64_t>());
  typeError(key, "a non-negative integer", *value);
  return std::nullopt;
}

std::optional<double> JsonReader::number(std::string_view key) {
  const json *value = find(key);
  if (!value)
    return std::nullopt;
  if (!value->is_number()) {
    typeError(key, "a number", *value);
    return std::nullopt;
  }
  double v = value->get<double>();
  if (!std::isfinite(v)) {
    fail(key, "expected a finite number, got " + value->dump());
    return std::nullopt;
  }
  return v;
}

std::optional<bool> JsonReader::boolean(std::string_view key) {
  const json *value = find(key);
  if (!value)
    return std::nullopt;
  if (value->is_boolean())
    return value->get<bool>();
  typeError(key, "a boolean", *value);
  return std::nullopt;
}

std::optional<std::string> JsonReader::string(std::string_view key) {
  const json *value = find(key);
  if (!value)
    return std::nullopt;
  std::string problem;
  std::optional<std::string> result = asString(*value, field(key), problem);
  if (!result)
    errors_.push_back(source_ + ": " + problem);
  return result;
}

const nlohmann::json *JsonReader::object(std::string_view key) {
  const json *value = find(key);
  if (value && !value->is_object()) {
    typeError(key, "an object", *value);
    return nullptr;
  }
  return value;
}

const nlohmann::json *JsonReader::array(std::string_view key) {
  const json *value = find(key);
  if (value && !value->is_array()) {
    typeError(key, "an array", *value);
    return nullptr;
  }
  return value;
}

std::optional<std::map<std::string, std::string>>
JsonReader::stringMap(std::string_view key) {
  const json *value = object(key);
  if (!value)
    return std::nullopt;
  std::map<std::string, std::string> result;
  for (auto it = value->begin(); it != value->end(); ++it) {
    if (!it->is_string()) {
      fail(std::string(key) + "." + it.key(),
           "expected a string, got " + describe(*it));
      return std::nullopt;
    }
    result[it.key()] = it->get<std::string>();
  }
  return result;
}

template <typename T>
std::optional<T> JsonReader::required(std::optional<T> value,
                                      std::string_view key) {
  if (!value && !has(key) && value_.is_object())
    fail(key, "missing");
  return value;
}

std::optional<int64_t> JsonReader::requireCount(std::string_view key) {
  return required(count(key), key);
}
std::optional<uint64_t> JsonReader::requireUnsigned(std::string_view key) {
  return required(unsignedInteger(key), key);
}
std::optional<double> JsonReader::requireNumber(std::string_view key) {
  return required(number(key), key);
}
std::optional<std::string> JsonReader::requireString(std::string_view key) {
  return required(string(key), key);
}
const nlohmann::json *JsonReader::requireObject(std::string_view key) {
  const json *value = object(key);
  if (!value && !has(key) && value_.is_object())
    fail(key, "missing");
  return value;
}
const nlohmann::json *JsonReader::requireArray(std::string_view key) {
  const json *value = array(key);
  if (!value && !has(key) && value_.is_object())
    fail(key, "missing");
  return value;
}

namespace {
std::optional<std::vector<int64_t>>
countsOf(const nlohmann::json *list, const std::string &field,
         JsonReader &reader) {
  if (!list)
    return std::nullopt;
  std::vector<int64_t> values;
  for (size_t i = 0; i < list->size(); ++i) {
    std::string problem;
    std::optional<int64_t> value = JsonReader::asCount(
        (*list)[i], field + "[" + std::to_string(i) + "]", problem);
    if (!value) {
      reader.report(problem);
      return std::nullopt;
    }
    values.push_back(*value);
  }
  return values;
}
} // namespace

std::optional<std::vector<int64_t>> JsonReader::counts(std::string_view key) {
  return countsOf(array(key), field(key), *this);
}

std::optional<std::vector<int64_t>>
JsonReader::requireCounts(std::string_view key) {
  return countsOf(requireArray(key), field(key), *this);
}

JsonReader JsonReader::child(const json &value, std::string_view key) const {
  return JsonReader(value, source_, field(key), errors_);
}

JsonReader JsonReader::element(const json &array, std::string_view key,
                               size_t index) const {
  return JsonReader(array[index], source_,
                    field(key) + "[" + std::to_string(index) + "]", errors_);
}

std::vector<std::string> JsonReader::unconsumed() const {
  std::vector<std::string> keys;
  if (!value_.is_object())
    return keys;
  for (auto it = value_.begin(); it != value_.end(); ++it)
    if (!consumed_.count(it.key()))
      keys.push_back(it.key());
  return keys;
}

std::optional<int64_t> JsonReader::asCount(const json &value,
                                           const std::string &field,
                                           std::string &problem) {
  if (value.is_number_unsigned()) {
    uint64_t number = value.get<uint64_t>();
    if (number <= uint64_t(std::numeric_limits<int64_t>::max()))
      return int64_t(number);
    problem = field + ": value " + value.dump() + " is too large";
    return std::nullopt;
  }
  if (value.is_number_integer()) {
    int64_t number = value.get<int64_t>();
    if (number >= 0)
      return number;
    problem = field + ": must not be negative, got " + value.dump();
    return std::nullopt;
  }
  problem = field + ": expected a non-negative integer, got " + describe(value);
  return std::nullopt;
}

std::optional<std::string> JsonReader::asString(const json &value,
                                                const std::string &field,
                                                std::string &problem) {
  if (value.is_string())
    return value.get<std::string>();
  problem = field + ": expected a string, got " + describe(value);
  return std::nullopt;
}

std::optional<nlohmann::json> parseJson(std::string_view text,
                                        const std::string &source,
                                        std::string &error) {
  try {
    return nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::parse_error &e) {
    // nlohmann's messages start with "[json.exception.parse_error.101] ".
    std::string what = e.what();
    if (size_t close = what.find("] "); !what.empty() && what[0] == '[' &&
                                        close != std::string::npos)
      what = what.substr(close + 2);
    error = source + ": invalid JSON: " + what + " (byte " +
            std::to_string(e.byte) + ")";
  } catch (const std::exception &e) { // allocation failure, deep nesting
    error = source + ": cannot read JSON: " + e.what();
  }
  return std::nullopt;
}

std::optional<nlohmann::json> readJsonFile(const std::string &path,
                                           std::string &error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = path + ": cannot read: " + std::strerror(errno);
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    error = path + ": cannot read: " + std::strerror(errno);
    return std::nullopt;
  }
  return parseJson(text.str(), path, error);
}

std::string joinProblems(const std::vector<std::string> &problems) {
  std::string out;
  for (const std::string &line : problems)
    out += (out.empty() ? "" : "\n") + line;
  return out;
}

} // namespace ds::rt
