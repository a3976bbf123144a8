//===- Safetensors.cpp - Read safetensors files ---------------------------===//
//
// The reader trusts nothing in the file: every size and offset is checked
// with overflow-safe arithmetic before it is used, so a hostile or truncated
// file yields an error message, never an out-of-bounds access.
//
//===----------------------------------------------------------------------===//

#include "runtime/io/Safetensors.h"
#include "runtime/io/SafetensorsFormat.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <limits>
#include <optional>
#include <set>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ds::rt {
namespace {

using namespace safetensors_detail;
using Json = nlohmann::json;

// A hostile header can hold a huge array; error messages quote only its start.
std::string abbreviated(const Json &value) {
  constexpr size_t kMaxQuoted = 80;
  std::string text = value.dump();
  if (text.size() > kMaxQuoted)
    text = text.substr(0, kMaxQuoted) + "...";
  return text;
}

std::optional<uint64_t> asNonNegativeInteger(const Json &value) {
  if (value.is_number_unsigned())
    return value.get<uint64_t>();
  if (value.is_number_integer() && value.get<int64_t>() >= 0)
    return uint64_t(value.get<int64_t>());
  return std::nullopt;
}

// nlohmann keeps the last of repeated keys silently; a header that names a
// tensor twice is ambiguous, so the parser callback records the first repeat.
struct DuplicateKeyFinder {
  std::vector<std::set<std::string>> openObjects;
  std::string currentTopLevelKey;
  std::string duplicateKey;
  std::string duplicateOwner; // top-level key holding the repeat; "" = top
  bool found = false;

  bool onEvent(Json::parse_event_t event, const Json &parsed) {
    if (event == Json::parse_event_t::object_start) {
      openObjects.emplace_back();
    } else if (event == Json::parse_event_t::object_end) {
      openObjects.pop_back();
    } else if (event == Json::parse_event_t::key && !openObjects.empty()) {
      const auto &key = parsed.get_ref<const std::string &>();
      if (openObjects.size() == 1)
        currentTopLevelKey = key;
      if (!openObjects.back().insert(key).second && !found) {
        found = true;
        duplicateKey = key;
        duplicateOwner = openObjects.size() == 1 ? "" : currentTopLevelKey;
      }
    }
    return true;
  }

  std::string describe() const {
    if (duplicateOwner.empty())
      return "duplicate tensor name " + inQuotes(duplicateKey);
    std::string owner = duplicateOwner == kMetadataKey
                            ? std::string(kMetadataKey)
                            : "tensor " + inQuotes(duplicateOwner);
    return owner + ": duplicate key " + inQuotes(duplicateKey);
  }
};

// Checks one tensor's description against the data buffer; on failure
// returns false with `problem` saying what is wrong (without the prefix).
bool parseTensorEntry(const std::string &name, const Json &json,
                      uint64_t dataStart, uint64_t dataSize, TensorEntry &entry,
                      std::string &problem) {
  entry.name = name;
  if (!json.is_object()) {
    problem =
        std::string("entry must be a JSON object, got ") + json.type_name();
    return false;
  }
  auto dtypeIt = json.find("dtype");
  if (dtypeIt == json.end()) {
    problem = "missing \"dtype\"";
    return false;
  }
  if (!dtypeIt->is_string()) {
    problem = "\"dtype\" must be a string";
    return false;
  }
  const auto &dtypeName = dtypeIt->get_ref<const std::string &>();
  std::optional<DType> dtype = parseDType(dtypeName);
  if (!dtype) {
    problem = "unknown dtype \"" + dtypeName + "\"";
    return false;
  }
  entry.dtype = *dtype;

  auto shapeIt = json.find("shape");
  const char *shapeRule = "\"shape\" must be an array of non-negative integers";
  if (shapeIt == json.end() || !shapeIt->is_array()) {
    problem = shapeIt == json.end() ? "missing \"shape\"" : shapeRule;
    return false;
  }
  for (const Json &dim : *shapeIt) {
    std::optional<uint64_t> value = asNonNegativeInteger(dim);
    if (!value || *value > uint64_t(std::numeric_limits<int64_t>::max())) {
      problem = std::string(shapeRule) + ", got " + abbreviated(*shapeIt);
      return false;
    }
    entry.shape.push_back(int64_t(*value));
  }

  auto offsetsIt = json.find("data_offsets");
  if (offsetsIt == json.end()) {
    problem = "missing \"data_offsets\"";
    return false;
  }
  std::optional<uint64_t> begin, end;
  if (offsetsIt->is_array() && offsetsIt->size() == 2) {
    begin = asNonNegativeInteger((*offsetsIt)[0]);
    end = asNonNegativeInteger((*offsetsIt)[1]);
  }
  if (!begin || !end || *begin > *end) {
    problem = "\"data_offsets\" must be [begin, end] with non-negative "
              "integers begin <= end, got " +
              abbreviated(*offsetsIt);
    return false;
  }
  if (*end > dataSize) {
    problem = "truncated file: data_offsets end at byte " +
              std::to_string(*end) + " of the data buffer, so the header " +
              "expects at least " + std::to_string(*end) +
              " data bytes, but the file holds only " +
              std::to_string(dataSize);
    return false;
  }
  entry.offset = dataStart + *begin;
  entry.byteSize = *end - *begin;

  uint64_t expected;
  if (!checkedByteSize(entry.shape, entry.dtype, expected)) {
    problem = "shape " + shapeToString(entry.shape) + " of " + dtypeName +
              " has more bytes than fit in 64 bits";
    return false;
  }
  if (expected != entry.byteSize) {
    problem = "data_offsets span " + std::to_string(entry.byteSize) +
              " bytes, but shape " + shapeToString(entry.shape) + " of " +
              dtypeName + " needs " + std::to_string(expected);
    return false;
  }
  return true;
}

bool parseMetadata(const Json &json, std::map<std::string, std::string> &out,
                   std::string &problem) {
  if (!json.is_object()) {
    problem = std::string(kMetadataKey) +
              " must be a JSON object of strings, got " + json.type_name();
    return false;
  }
  for (auto it = json.begin(); it != json.end(); ++it) {
    if (!it->is_string()) {
      problem = std::string(kMetadataKey) + ": value of " + inQuotes(it.key()) +
                " must be a string, got " + it->type_name();
      return false;
    }
    out[it.key()] = it->get<std::string>();
  }
  return true;
}

// Entries must be sorted by offset. Empty tensors occupy no bytes, so they
// may sit anywhere, even inside another tensor.
bool checkNoOverlap(const std::vector<TensorEntry> &tensors, uint64_t dataStart,
                    std::string &problem) {
  // Ranges are reported as in the header: relative to the data buffer.
  auto dataRange = [&](const TensorEntry &entry) {
    uint64_t begin = entry.offset - dataStart;
    return "[" + std::to_string(begin) + ", " +
           std::to_string(begin + entry.byteSize) + ")";
  };
  const TensorEntry *furthest = nullptr; // non-empty entry ending last so far
  for (const TensorEntry &entry : tensors) {
    if (entry.byteSize == 0)
      continue;
    if (furthest && entry.offset < furthest->offset + furthest->byteSize) {
      problem = "tensors " + inQuotes(furthest->name) + " and " +
                inQuotes(entry.name) + " overlap: data_offsets " +
                dataRange(*furthest) + " and " + dataRange(entry);
      return false;
    }
    if (!furthest ||
        entry.offset + entry.byteSize > furthest->offset + furthest->byteSize)
      furthest = &entry;
  }
  return true;
}

// Closes a file descriptor on every path out of a scope.
struct FileDescriptor {
  int fd;
  ~FileDescriptor() {
    if (fd >= 0)
      ::close(fd);
  }
};

// Maps `path` read-only after checking it is a regular file long enough to
// hold the header length.
bool mapWholeFile(const std::string &path, const uint8_t *&base,
                  uint64_t &fileSize, std::string &problem) {
  FileDescriptor file{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (file.fd < 0) {
    problem = "cannot open: " + errnoMessage();
    return false;
  }
  struct stat status;
  if (::fstat(file.fd, &status) != 0) {
    problem = "cannot stat: " + errnoMessage();
    return false;
  }
  if (!S_ISREG(status.st_mode)) {
    problem = S_ISDIR(status.st_mode) ? "is a directory" : "not a regular file";
    return false;
  }
  fileSize = uint64_t(status.st_size);
  if (fileSize < kLengthPrefixBytes) {
    problem = "truncated: the file has " + std::to_string(fileSize) +
              " bytes, fewer than the 8-byte header length";
    return false;
  }
  if (fileSize > std::numeric_limits<size_t>::max()) {
    problem = "file too large to map";
    return false;
  }
  // The mapping stays valid after the descriptor closes.
  void *mapping =
      ::mmap(nullptr, size_t(fileSize), PROT_READ, MAP_PRIVATE, file.fd, 0);
  if (mapping == MAP_FAILED) {
    problem = "cannot map: " + errnoMessage();
    return false;
  }
  base = static_cast<const uint8_t *>(mapping);
  return true;
}

} // namespace

int64_t TensorEntry::numElements() const {
  uint64_t count = 1;
  for (int64_t dim : shape)
    count *= uint64_t(dim);
  return int64_t(count);
}

SafetensorsReader::SafetensorsReader(std::string path, const uint8_t *mapping,
                                     size_t mappingSize)
    : path_(std::move(path)), mapping_(mapping), mappingSize_(mappingSize) {}

SafetensorsReader::~SafetensorsReader() {
  ::munmap(const_cast<uint8_t *>(mapping_), mappingSize_);
}

std::unique_ptr<SafetensorsReader>
SafetensorsReader::open(const std::string &path, std::string &error) {
  std::string problem;
  std::unique_ptr<SafetensorsReader> reader;
  try {
    const uint8_t *base = nullptr;
    uint64_t fileSize = 0;
    if (!mapWholeFile(path, base, fileSize, problem)) {
      error = path + ": " + problem;
      return nullptr;
    }
    // From here on the reader owns the mapping and unmaps it on every path.
    reader.reset(new SafetensorsReader(path, base, size_t(fileSize)));

    uint64_t headerSize = 0;
    for (size_t i = 0; i < kLengthPrefixBytes; ++i)
      headerSize |= uint64_t(base[i]) << (8 * i);
    // Checked first: a length this large is garbage even when the file is
    // big enough to hold it.
    if (headerSize > kMaxHeaderBytes) {
      error = path + ": header length " + std::to_string(headerSize) +
              " exceeds the " + std::to_string(kMaxHeaderBytes) + "-byte limit";
      return nullptr;
    }
    if (headerSize > fileSize - kLengthPrefixBytes) {
      error = path + ": truncated: header length " +
              std::to_string(headerSize) + " exceeds the file size " +
              std::to_string(fileSize) +
              " (the length prefix and header need " +
              std::to_string(headerSize + kLengthPrefixBytes) + " bytes)";
      return nullptr;
    }
    const uint8_t *headerBegin = base + kLengthPrefixBytes;
    uint64_t dataStart = kLengthPrefixBytes + headerSize;
    uint64_t dataSize = fileSize - dataStart;

    DuplicateKeyFinder duplicates;
    Json header;
    try {
      header = Json::parse(headerBegin, headerBegin + headerSize,
                           [&](int, Json::parse_event_t event, Json &parsed) {
                             return duplicates.onEvent(event, parsed);
                           });
    } catch (const Json::exception &e) {
      error = path + ": header is not valid JSON: " + e.what();
      return nullptr;
    }
    if (!header.is_object()) {
      error =
          path + ": header must be a JSON object, got " + header.type_name();
      return nullptr;
    }
    if (duplicates.found) {
      error = path + ": " + duplicates.describe();
      return nullptr;
    }

    for (auto it = header.begin(); it != header.end(); ++it) {
      if (it.key() == kMetadataKey) {
        if (!parseMetadata(*it, reader->metadata_, problem)) {
          error = path + ": " + problem;
          return nullptr;
        }
        continue;
      }
      TensorEntry entry;
      if (!parseTensorEntry(it.key(), *it, dataStart, dataSize, entry,
                            problem)) {
        error = path + ": tensor " + inQuotes(it.key()) + ": " + problem;
        return nullptr;
      }
      reader->tensors_.push_back(std::move(entry));
    }
    // Names break ties between empty tensors, for a deterministic order.
    std::sort(reader->tensors_.begin(), reader->tensors_.end(),
              [](const TensorEntry &a, const TensorEntry &b) {
                return a.offset != b.offset ? a.offset < b.offset
                                            : a.name < b.name;
              });
    if (!checkNoOverlap(reader->tensors_, dataStart, problem)) {
      error = path + ": " + problem;
      return nullptr;
    }
    for (size_t i = 0; i < reader->tensors_.size(); ++i)
      reader->indexByName_.emplace(reader->tensors_[i].name, i);
  } catch (const std::exception &e) { // allocation failure on huge headers
    error = path + ": " + e.what();
    return nullptr;
  }
  return reader;
}

const TensorEntry *SafetensorsReader::find(std::string_view name) const {
  auto it = indexByName_.find(name);
  return it == indexByName_.end() ? nullptr : &tensors_[it->second];
}

const uint8_t *SafetensorsReader::bytes(const TensorEntry &entry) const {
  if (entry.offset > mappingSize_ ||
      entry.byteSize > mappingSize_ - entry.offset)
    return nullptr;
  return mapping_ + entry.offset;
}

std::vector<double>
SafetensorsReader::readAsDoubles(const TensorEntry &entry) const {
  const uint8_t *data = bytes(entry);
  if (!data)
    return {};
  size_t elementSize = dtypeSize(entry.dtype);
  size_t count = size_t(entry.byteSize / elementSize);
  std::vector<double> values(count);
  for (size_t i = 0; i < count; ++i)
    values[i] = decodeScalar(entry.dtype, data + i * elementSize);
  return values;
}

} // namespace ds::rt
