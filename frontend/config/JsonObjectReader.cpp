//===- JsonObjectReader.cpp - typed keys of a JSON object -----------------===//

#include "frontend/config/JsonObjectReader.h"

#include <cmath>
#include <limits>

namespace ds::config {

std::optional<int64_t> JsonObjectReader::integer(const std::string &key) {
  const json *value = find(key);
  if (!value)
    return std::nullopt;
  if (value->is_number_unsigned()) {
    uint64_t v = value->get<uint64_t>();
    if (v > uint64_t(std::numeric_limits<int64_t>::max())) {
      fail("'" + name(key) + "' (" + value->dump() + ") is out of range");
      return std::nullopt;
    }
    return int64_t(v);
  }
  if (value->is_number_integer())
    return value->get<int64_t>();
  if (value->is_number_float()) {
    double v = value->get<double>();
    if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 9e18)
      return int64_t(v);
    fail("'" + name(key) + "' must be an integer, got " + value->dump());
    return std::nullopt;
  }
  typeError(key, "an integer", *value);
  return std::nullopt;
}

std::optional<double> JsonObjectReader::number(const std::string &key) {
  const json *value = find(key);
  if (!value)
    return std::nullopt;
  if (value->is_number())
    return value->get<double>();
  typeError(key, "a number", *value);
  return std::nullopt;
}

std::optional<bool> JsonObjectReader::boolean(const std::string &key) {
  const json *value = find(key);
  if (!value)
    return std::nullopt;
  if (value->is_boolean())
    return value->get<bool>();
  typeError(key, "a boolean", *value);
  return std::nullopt;
}

std::optional<std::string> JsonObjectReader::string(const std::string &key) {
  const json *value = find(key);
  if (!value)
    return std::nullopt;
  if (value->is_string())
    return value->get<std::string>();
  typeError(key, "a string", *value);
  return std::nullopt;
}

const nlohmann::json *JsonObjectReader::nestedObject(const std::string &key) {
  const json *value = find(key);
  if (!value)
    return nullptr;
  if (value->is_object())
    return value;
  typeError(key, "an object or null", *value);
  return nullptr;
}

std::vector<std::string> JsonObjectReader::unconsumed() const {
  std::vector<std::string> keys;
  for (auto it = object.begin(); it != object.end(); ++it)
    if (!consumed.count(it.key()))
      keys.push_back(it.key());
  return keys;
}

} // namespace ds::config
