//===- Manifest.cpp - An artifact's manifest.json -------------------------===//
//
// Every field is read through runtime/io/JsonReader.h; parse() reports the
// first problem it finds. Nothing here throws.
//
//===----------------------------------------------------------------------===//

#include "runtime/Manifest.h"

#include "runtime/comm/Grid.h"
#include "runtime/io/DType.h"
#include "runtime/io/JsonReader.h"

#include <nlohmann/json.hpp>

#include <algorithm>
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

bool isIdentifier(const std::string &text) {
  if (text.empty() || std::isdigit(static_cast<unsigned char>(text[0])))
    return false;
  for (char c : text)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_')
      return false;
  return true;
}

/// A string field that must not be empty.
std::string nonEmptyString(JsonReader &r, const char *key) {
  std::optional<std::string> text = r.requireString(key);
  if (text && text->empty())
    r.fail(key, "must not be empty");
  return text.value_or("");
}

void parseTensor(JsonReader &r, TensorSpec &spec) {
  spec.name = nonEmptyString(r, "name");
  if (std::optional<std::string> dtype = r.requireString("dtype")) {
    if (std::optional<DType> parsed = parseDType(*dtype))
      spec.dtype = *parsed;
    else
      r.fail("dtype", "unknown dtype '" + *dtype +
                          "' (expected a safetensors name such as F32)");
  }
  std::optional<std::vector<int64_t>> shape = r.requireCounts("shape");
  if (!shape || !r.ok())
    return;
  spec.shape = std::move(*shape);
  std::string problem;
  if (!tensorByteSize(spec.dtype, spec.shape, spec.byteSize, problem)) {
    r.fail("shape", problem);
    return;
  }
  spec.numElements = int64_t(spec.byteSize / dtypeSize(spec.dtype));
  if (std::optional<int64_t> dim = r.count("split_dim")) {
    if (*dim >= int64_t(spec.shape.size()))
      r.fail("split_dim", "dimension " + std::to_string(*dim) +
                              " of a rank-" +
                              std::to_string(spec.shape.size()) + " tensor");
    else
      spec.splitDim = *dim;
  }
  if (std::optional<std::vector<int64_t>> axes = r.counts("split_axes")) {
    if (!spec.splitDim)
      r.fail("split_axes", "given without split_dim");
    for (size_t i = 0; i < axes->size(); ++i)
      if (std::find(axes->begin(), axes->begin() + long(i), (*axes)[i]) !=
          axes->begin() + long(i))
        r.fail("split_axes", "grid axes must be distinct");
    spec.splitAxes = std::move(*axes);
  }
}

void parseInit(JsonReader &r, ParamInit &init) {
  if (std::optional<std::string> kind = r.requireString("kind");
      kind && !parseInitKind(*kind, init.kind))
    r.fail("kind", "unknown initializer \"" + *kind + "\"");
  init.a = r.requireNumber("a").value_or(0.0);
  init.b = r.requireNumber("b").value_or(0.0);
}

ArgumentRole parseRole(JsonReader &r) {
  std::optional<std::string> role = r.requireString("role");
  if (!role || *role == "input")
    return ArgumentRole::Input;
  if (*role == "param")
    return ArgumentRole::Param;
  if (*role == "state")
    return ArgumentRole::State;
  r.fail("role",
         "expected \"input\", \"param\" or \"state\", got \"" + *role + "\"");
  return ArgumentRole::Input;
}

// Names must be unique within a list, or name lookups would be ambiguous.
template <typename Spec>
void checkUniqueNames(const std::vector<Spec> &specs, JsonReader &r,
                      const char *key) {
  std::set<std::string_view> seen;
  for (size_t i = 0; i < specs.size(); ++i)
    if (!seen.insert(specs[i].name).second)
      r.fail(std::string(key) + "[" + std::to_string(i) + "].name",
             "duplicate name '" + specs[i].name + "'");
}

/// The tensors of an entry's `key` array, each read by `parse`.
template <typename Spec, typename Parse>
void parseTensors(JsonReader &r, const char *key, std::vector<Spec> &specs,
                  Parse parse) {
  const json *list = r.requireArray(key);
  for (size_t i = 0; list && r.ok() && i < list->size(); ++i) {
    JsonReader element = r.element(*list, key, i);
    Spec spec;
    if (element.ok())
      parse(element, spec);
    specs.push_back(std::move(spec));
  }
  if (r.ok())
    checkUniqueNames(specs, r, key);
}

/// A split tensor needs ranks to be split over, along axes of the entry's
/// grid (every axis when the manifest names none), and its whole must have
/// a size.
template <typename Spec>
void checkSplits(JsonReader &r, const char *key, std::vector<Spec> &specs,
                 const EntrySpec &entry) {
  for (size_t i = 0; r.ok() && i < specs.size(); ++i) {
    Spec &spec = specs[i];
    if (!spec.splitDim)
      continue;
    const std::string field = std::string(key) + "[" + std::to_string(i) + "]";
    if (spec.splitAxes.empty())
      for (size_t a = 0; a < entry.grid.size(); ++a)
        spec.splitAxes.push_back(int64_t(a));
    if (spec.splitAxes.back() >= int64_t(entry.grid.size())) {
      r.fail(field + ".split_axes",
             "axis " + std::to_string(spec.splitAxes.back()) +
                 " of a grid of " + std::to_string(entry.grid.size()) +
                 " axes");
      return;
    }
    size_t bytes = 0;
    std::string problem;
    if (entry.ranks == 1)
      r.fail(field + ".split_dim", "a split tensor in an entry of one rank");
    else if (!tensorByteSize(spec.dtype, spec.wholeShape(entry.blocks(spec)),
                             bytes, problem))
      r.fail(field + ".split_dim", "the whole tensor: " + problem);
  }
}

EntrySpec parseEntry(JsonReader &r) {
  EntrySpec entry;
  if (!r.ok())
    return entry;
  entry.name = nonEmptyString(r, "name");
  entry.symbol = nonEmptyString(r, "symbol");
  if (r.ok() && !isIdentifier(entry.symbol))
    r.fail("symbol", "'" + entry.symbol + "' is not a C identifier");
  if (std::optional<int64_t> workspace = r.requireCount("workspace_bytes")) {
    if (uint64_t(*workspace) > std::numeric_limits<size_t>::max())
      r.fail("workspace_bytes", "too large for this machine");
    entry.workspaceBytes = size_t(*workspace);
  }
  if (std::optional<int64_t> ranks = r.count("ranks")) {
    if (*ranks < 1 || *ranks > kMaxRanks)
      r.fail("ranks", "expected 1 to " + std::to_string(kMaxRanks) +
                          " ranks, got " + std::to_string(*ranks));
    else
      entry.ranks = *ranks;
  }
  entry.grid = {entry.ranks};
  if (std::optional<std::vector<int64_t>> grid = r.counts("grid")) {
    int64_t product = 1;
    for (int64_t size : *grid)
      product = size < 1 || product > kMaxRanks ? -1 : product * size;
    if (grid->empty() || grid->size() > 16 || product != entry.ranks)
      r.fail("grid", "expected the sizes of at most 16 axes whose product is "
                     "the entry's " +
                         std::to_string(entry.ranks) + " ranks");
    else
      entry.grid = std::move(*grid);
  }

  if (const json *memory = r.object("memory")) {
    JsonReader m = r.child(*memory, "memory");
    MemoryStats stats;
    stats.peakBytes = uint64_t(m.requireCount("peak_bytes").value_or(0));
    stats.buffers = uint64_t(m.requireCount("buffers").value_or(0));
    stats.unplannedBytes =
        uint64_t(m.requireCount("unplanned_bytes").value_or(0));
    entry.memory = stats;
  }
  parseTensors(r, "arguments", entry.arguments,
               [](JsonReader &a, ArgumentSpec &argument) {
                 parseTensor(a, argument);
                 argument.role = parseRole(a);
                 if (const json *init = a.object("init")) {
                   JsonReader i = a.child(*init, "init");
                   ParamInit parsed;
                   parseInit(i, parsed);
                   argument.init = parsed;
                 }
               });
  parseTensors(r, "results", entry.results,
               [](JsonReader &a, ResultSpec &result) {
                 parseTensor(a, result);
                 if (std::optional<std::string> balances = a.string("balances"))
                   result.balances = *balances;
               });
  checkSplits(r, "arguments", entry.arguments, entry);
  checkSplits(r, "results", entry.results, entry);
  return entry;
}

Manifest parseManifest(JsonReader &r) {
  Manifest manifest;
  if (!r.ok())
    return manifest;
  manifest.format = nonEmptyString(r, "format");
  if (r.ok() && manifest.format != kManifestFormat)
    r.fail("format", "expected \"" + std::string(kManifestFormat) +
                         "\", got \"" + manifest.format + "\"");
  if (std::optional<int64_t> version = r.requireCount("version")) {
    manifest.version = *version;
    if (manifest.version != kManifestVersion)
      r.fail("version", "this runtime reads version " +
                            std::to_string(kManifestVersion) + ", got " +
                            std::to_string(manifest.version));
  }
  manifest.target = nonEmptyString(r, "target");
  manifest.library = nonEmptyString(r, "library");
  manifest.triple = r.string("triple").value_or("");
  manifest.cpu = r.string("cpu").value_or("");
  if (const json *gpu = r.object("gpu")) {
    JsonReader g = r.child(*gpu, "gpu");
    manifest.gpuChip = g.string("chip").value_or("");
    // Where each generated kernel came from, for error messages.
    if (const json *kernels = g.object("kernels"))
      for (auto &[name, site] : kernels->items()) {
        std::string problem;
        if (auto text = JsonReader::asString(site, "gpu.kernels." + name,
                                             problem))
          manifest.gpuKernelSites[name] = *text;
        else
          g.report(problem);
      }
  }
  manifest.cacheKey = r.string("cache_key").value_or("");
  manifest.trainingKey = r.string("training_key").value_or("");
  manifest.source = r.string("source").value_or("");
  if (const json *entries = r.requireArray("entries")) {
    if (entries->empty())
      r.fail("entries", "the artifact has no entry points");
    for (size_t i = 0; r.ok() && i < entries->size(); ++i) {
      JsonReader entry = r.element(*entries, "entries", i);
      manifest.entries.push_back(parseEntry(entry));
    }
  }
  if (r.ok())
    checkUniqueNames(manifest.entries, r, "entries");
  std::set<std::string_view> symbols;
  for (size_t i = 0; r.ok() && i < manifest.entries.size(); ++i)
    if (!symbols.insert(manifest.entries[i].symbol).second)
      r.fail("entries[" + std::to_string(i) + "].symbol",
             "duplicate symbol '" + manifest.entries[i].symbol + "'");
  if (const json *sites = r.array("sites"))
    for (size_t i = 0; r.ok() && i < sites->size(); ++i) {
      std::string problem;
      if (auto site = JsonReader::asString(
              (*sites)[i], "sites[" + std::to_string(i) + "]", problem))
        manifest.sites.push_back(*site);
      else
        r.report(problem);
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

int64_t EntrySpec::blocks(const TensorSpec &tensor) const {
  return tensor.splitDim ? gridSizeAlong(grid, tensor.splitAxes) : 1;
}

int64_t EntrySpec::blockIndex(const TensorSpec &tensor, int64_t rank) const {
  return tensor.splitDim ? gridIndexAlong(rank, grid, tensor.splitAxes) : 0;
}

uint64_t EntrySpec::memoryBytes() const {
  uint64_t total = workspaceBytes;
  auto add = [&](uint64_t bytes) {
    if (__builtin_add_overflow(total, bytes, &total))
      total = UINT64_MAX;
  };
  for (const ArgumentSpec &argument : arguments)
    add(argument.byteSize);
  for (const ResultSpec &result : results)
    add(result.byteSize);
  return total;
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
  std::string problem;
  std::optional<json> root = parseJson(text, path, problem);
  if (!root) {
    error = path + ": not valid JSON: " +
            problem.substr(std::min(problem.size(), path.size() + 2));
    return std::nullopt;
  }
  std::vector<std::string> problems;
  JsonReader r(*root, path, "", problems);
  Manifest manifest = parseManifest(r);
  if (!problems.empty()) {
    // The first problem: later ones may only follow from it.
    error = problems.front();
    return std::nullopt;
  }
  return manifest;
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

namespace {
void appendTensor(std::string &text, const char *kind, const TensorSpec &spec,
                  bool gridAxes) {
  text += std::string(kind) + " " + spec.name + " " + dtypeName(spec.dtype) +
          "[";
  for (size_t i = 0; i < spec.shape.size(); ++i)
    text += (i ? "x" : "") + std::to_string(spec.shape[i]);
  text += "]";
  if (spec.splitDim) {
    text += " split " + std::to_string(*spec.splitDim);
    if (gridAxes) {
      text += " over";
      for (int64_t axis : spec.splitAxes)
        text += " " + std::to_string(axis);
    }
  }
  text += "\n";
}
} // namespace

std::vector<int64_t> TensorSpec::wholeShape(int64_t blocks) const {
  std::vector<int64_t> whole = shape;
  if (splitDim && size_t(*splitDim) < whole.size())
    whole[size_t(*splitDim)] *= blocks;
  return whole;
}

std::string Manifest::abiText() const {
  std::string text;
  for (const EntrySpec &entry : entries) {
    text += "entry " + entry.name + " " + entry.symbol + " " +
            std::to_string(entry.workspaceBytes);
    if (entry.ranks != 1) // (absent for one process, as before ranks existed)
      text += " ranks " + std::to_string(entry.ranks);
    const bool gridAxes = entry.grid.size() > 1;
    if (gridAxes) {
      text += " grid";
      for (size_t a = 0; a < entry.grid.size(); ++a)
        text += (a ? "x" : " ") + std::to_string(entry.grid[a]);
    }
    text += "\n";
    for (const ArgumentSpec &argument : entry.arguments)
      appendTensor(text, "arg", argument, gridAxes);
    for (const ResultSpec &result : entry.results)
      appendTensor(text, "result", result, gridAxes);
  }
  return text;
}

std::string Manifest::siteName(int32_t site) const {
  if (site >= 0 && size_t(site) < sites.size())
    return sites[size_t(site)];
  return "site #" + std::to_string(site) + " (not in the manifest's " +
         std::to_string(sites.size()) + " sites)";
}

} // namespace ds::rt
