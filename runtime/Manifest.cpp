//===- Manifest.cpp - An artifact's manifest.json -------------------------===//
//
// The checks throw a FieldError internally (nlohmann-json reports by
// exception too) and parse() turns the first one into the error message; the
// public API never throws.
//
//===----------------------------------------------------------------------===//

#include "runtime/Manifest.h"
#include "runtime/HostTensor.h"

#include <nlohmann/json.hpp>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

namespace ds::rt {
namespace {

using json = nlohmann::json;

struct FieldError {
  std::string field;
  std::string message;
};

[[noreturn]] void fail(const std::string &field, std::string message) {
  throw FieldError{field, std::move(message)};
}

std::string join(const std::string &where, const std::string &key) {
  return where.empty() ? key : where + "." + key;
}

std::string indexed(const std::string &where, size_t index) {
  return where + "[" + std::to_string(index) + "]";
}

// A short rendering of a value for "expected X, got Y" messages.
std::string describe(const json &value) {
  if (value.is_string() || value.is_number() || value.is_boolean() ||
      value.is_null()) {
    std::string text = value.dump();
    return text.size() > 40 ? text.substr(0, 40) + "..." : text;
  }
  return std::string("an ") + value.type_name();
}

const json &require(const json &object, const char *key,
                    const std::string &where) {
  auto it = object.find(key);
  if (it == object.end())
    fail(join(where, key), "missing");
  return *it;
}

void expectObject(const json &value, const std::string &field) {
  if (!value.is_object())
    fail(field, "expected an object, got " + describe(value));
}

void expectArray(const json &value, const std::string &field) {
  if (!value.is_array())
    fail(field, "expected an array, got " + describe(value));
}

std::string asString(const json &value, const std::string &field) {
  if (!value.is_string())
    fail(field, "expected a string, got " + describe(value));
  return value.get<std::string>();
}

std::string requireString(const json &object, const char *key,
                          const std::string &where, bool allowEmpty = false) {
  std::string field = join(where, key);
  std::string text = asString(require(object, key, where), field);
  if (text.empty() && !allowEmpty)
    fail(field, "must not be empty");
  return text;
}

std::string optionalString(const json &object, const char *key,
                           const std::string &where) {
  auto it = object.find(key);
  return it == object.end() ? std::string() : asString(*it, join(where, key));
}

// Sizes and counts: JSON integers in [0, 2^63).
int64_t asCount(const json &value, const std::string &field) {
  if (value.is_number_unsigned()) {
    uint64_t number = value.get<uint64_t>();
    if (number > uint64_t(std::numeric_limits<int64_t>::max()))
      fail(field, "value " + value.dump() + " is too large");
    return int64_t(number);
  }
  if (value.is_number_integer()) {
    int64_t number = value.get<int64_t>();
    if (number < 0)
      fail(field, "must not be negative, got " + value.dump());
    return number;
  }
  fail(field, "expected a non-negative integer, got " + describe(value));
}

int64_t requireCount(const json &object, const char *key,
                     const std::string &where) {
  return asCount(require(object, key, where), join(where, key));
}

bool isIdentifier(const std::string &text) {
  if (text.empty() || std::isdigit(static_cast<unsigned char>(text[0])))
    return false;
  for (char c : text)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_')
      return false;
  return true;
}

void parseTensor(const json &value, const std::string &where,
                 TensorSpec &spec) {
  expectObject(value, where);
  spec.name = requireString(value, "name", where);
  std::string dtypeField = join(where, "dtype");
  std::string dtype = requireString(value, "dtype", where);
  std::optional<DType> parsed = parseDType(dtype);
  if (!parsed)
    fail(dtypeField, "unknown dtype '" + dtype +
                         "' (expected a safetensors name such as F32)");
  spec.dtype = *parsed;
  std::string shapeField = join(where, "shape");
  const json &shape = require(value, "shape", where);
  expectArray(shape, shapeField);
  for (size_t i = 0; i < shape.size(); ++i)
    spec.shape.push_back(asCount(shape[i], indexed(shapeField, i)));
  std::string problem;
  if (!tensorByteSize(spec.dtype, spec.shape, spec.byteSize, problem))
    fail(shapeField, problem);
  spec.numElements = int64_t(spec.byteSize / dtypeSize(spec.dtype));
}

double asNumber(const json &value, const std::string &field) {
  if (!value.is_number())
    fail(field, "expected a number, got " + describe(value));
  return value.get<double>();
}

ParamInit parseInit(const json &value, const std::string &field) {
  expectObject(value, field);
  ParamInit init;
  const std::string kind = asString(require(value, "kind", field), join(field, "kind"));
  if (!parseInitKind(kind, init.kind))
    fail(join(field, "kind"), "unknown initializer \"" + kind + "\"");
  init.a = asNumber(require(value, "a", field), join(field, "a"));
  init.b = asNumber(require(value, "b", field), join(field, "b"));
  return init;
}

ArgumentRole parseRole(const json &object, const std::string &where) {
  std::string role = requireString(object, "role", where);
  if (role == "input")
    return ArgumentRole::Input;
  if (role == "param")
    return ArgumentRole::Param;
  if (role == "state")
    return ArgumentRole::State;
  fail(join(where, "role"),
       "expected \"input\", \"param\" or \"state\", got \"" + role + "\"");
}

// Names must be unique within a list, or name lookups would be ambiguous.
template <typename Spec>
void checkUniqueNames(const std::vector<Spec> &specs,
                      const std::string &where) {
  std::set<std::string_view> seen;
  for (size_t i = 0; i < specs.size(); ++i)
    if (!seen.insert(specs[i].name).second)
      fail(indexed(where, i) + ".name",
           "duplicate name '" + specs[i].name + "'");
}

EntrySpec parseEntry(const json &value, const std::string &where) {
  expectObject(value, where);
  EntrySpec entry;
  entry.name = requireString(value, "name", where);
  entry.symbol = requireString(value, "symbol", where);
  if (!isIdentifier(entry.symbol))
    fail(join(where, "symbol"), "'" + entry.symbol + "' is not a C identifier");
  int64_t workspace = requireCount(value, "workspace_bytes", where);
  if (uint64_t(workspace) > std::numeric_limits<size_t>::max())
    fail(join(where, "workspace_bytes"), "too large for this machine");
  entry.workspaceBytes = size_t(workspace);

  if (auto it = value.find("memory"); it != value.end()) {
    std::string memoryField = join(where, "memory");
    expectObject(*it, memoryField);
    MemoryStats memory;
    memory.peakBytes = uint64_t(requireCount(*it, "peak_bytes", memoryField));
    memory.buffers = uint64_t(requireCount(*it, "buffers", memoryField));
    memory.unplannedBytes =
        uint64_t(requireCount(*it, "unplanned_bytes", memoryField));
    entry.memory = memory;
  }

  std::string argumentsField = join(where, "arguments");
  const json &arguments = require(value, "arguments", where);
  expectArray(arguments, argumentsField);
  for (size_t i = 0; i < arguments.size(); ++i) {
    std::string field = indexed(argumentsField, i);
    ArgumentSpec argument;
    parseTensor(arguments[i], field, argument);
    argument.role = parseRole(arguments[i], field);
    if (auto it = arguments[i].find("init"); it != arguments[i].end())
      argument.init = parseInit(*it, join(field, "init"));
    entry.arguments.push_back(std::move(argument));
  }
  checkUniqueNames(entry.arguments, argumentsField);

  std::string resultsField = join(where, "results");
  const json &results = require(value, "results", where);
  expectArray(results, resultsField);
  for (size_t i = 0; i < results.size(); ++i) {
    std::string field = indexed(resultsField, i);
    ResultSpec result;
    parseTensor(results[i], field, result);
    if (results[i].contains("balances"))
      result.balances = requireString(results[i], "balances", field);
    entry.results.push_back(std::move(result));
  }
  checkUniqueNames(entry.results, resultsField);
  return entry;
}

Manifest parseManifest(const json &root) {
  if (!root.is_object())
    fail("(top level)", "expected an object, got " + describe(root));
  Manifest manifest;
  manifest.format = requireString(root, "format", "");
  if (manifest.format != kManifestFormat)
    fail("format", "expected \"" + std::string(kManifestFormat) + "\", got \"" +
                       manifest.format + "\"");
  manifest.version = requireCount(root, "version", "");
  if (manifest.version != kManifestVersion)
    fail("version", "this runtime reads version " +
                        std::to_string(kManifestVersion) + ", got " +
                        std::to_string(manifest.version));
  manifest.target = requireString(root, "target", "");
  manifest.library = requireString(root, "library", "");
  manifest.triple = optionalString(root, "triple", "");
  manifest.cpu = optionalString(root, "cpu", "");
  manifest.cacheKey = optionalString(root, "cache_key", "");
  manifest.source = optionalString(root, "source", "");

  const json &entries = require(root, "entries", "");
  expectArray(entries, "entries");
  if (entries.empty())
    fail("entries", "the artifact has no entry points");
  for (size_t i = 0; i < entries.size(); ++i)
    manifest.entries.push_back(parseEntry(entries[i], indexed("entries", i)));
  checkUniqueNames(manifest.entries, "entries");
  std::set<std::string_view> symbols;
  for (size_t i = 0; i < manifest.entries.size(); ++i)
    if (!symbols.insert(manifest.entries[i].symbol).second)
      fail(indexed("entries", i) + ".symbol",
           "duplicate symbol '" + manifest.entries[i].symbol + "'");

  if (auto it = root.find("sites"); it != root.end()) {
    expectArray(*it, "sites");
    for (size_t i = 0; i < it->size(); ++i)
      manifest.sites.push_back(asString((*it)[i], indexed("sites", i)));
  }
  return manifest;
}

template <typename Spec>
const Spec *findByName(const std::vector<Spec> &specs, std::string_view name) {
  for (const Spec &spec : specs)
    if (spec.name == name)
      return &spec;
  return nullptr;
}

} // namespace

const char *roleName(ArgumentRole role) {
  switch (role) {
  case ArgumentRole::Input:
    return "input";
  case ArgumentRole::Param:
    return "param";
  case ArgumentRole::State:
    return "state";
  }
  return "?";
}

const ArgumentSpec *EntrySpec::findArgument(std::string_view name) const {
  return findByName(arguments, name);
}

const ResultSpec *EntrySpec::findResult(std::string_view name) const {
  return findByName(results, name);
}

std::optional<Manifest> Manifest::parse(std::string_view text,
                                        const std::string &path,
                                        std::string &error) {
  try {
    json root = json::parse(text);
    return parseManifest(root);
  } catch (const FieldError &e) {
    error = path + ": " + e.field + ": " + e.message;
  } catch (const json::parse_error &e) {
    error = path + ": not valid JSON: " + e.what();
  } catch (const std::exception &e) { // allocation failure, UTF-8 errors
    error = path + ": " + e.what();
  }
  return std::nullopt;
}

std::optional<Manifest> Manifest::load(const std::string &path,
                                       std::string &error) {
  try {
    std::ifstream file(path, std::ios::binary);
    if (!file) {
      error = "cannot read " + path + ": " + std::strerror(errno);
      return std::nullopt;
    }
    std::ostringstream text;
    text << file.rdbuf();
    if (file.bad()) {
      error = "cannot read " + path + ": " + std::strerror(errno);
      return std::nullopt;
    }
    return parse(text.str(), path, error);
  } catch (const std::exception &e) {
    error = path + ": " + e.what();
    return std::nullopt;
  }
}

const EntrySpec *Manifest::findEntry(std::string_view name) const {
  return findByName(entries, name);
}

std::string Manifest::siteName(int32_t site) const {
  if (site >= 0 && size_t(site) < sites.size())
    return sites[size_t(site)];
  return "site #" + std::to_string(site) + " (not in the manifest's " +
         std::to_string(sites.size()) + " sites)";
}

} // namespace ds::rt
