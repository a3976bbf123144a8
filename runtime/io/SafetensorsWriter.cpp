//===- SafetensorsWriter.cpp - Write safetensors files --------------------===//
//
// Writes go to a temporary file that is renamed over the destination only
// once complete and on disk, so a crash or error never leaves a half-written
// checkpoint under the real name.
//
//===----------------------------------------------------------------------===//

#include "runtime/io/Safetensors.h"
#include "runtime/io/SafetensorsFormat.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <limits>
#include <set>
#include <sys/stat.h>
#include <type_traits>
#include <unistd.h>

namespace ds::rt {
namespace {

using namespace safetensors_detail;

bool writeAll(int fd, const void *data, size_t size) {
  const char *bytes = static_cast<const char *>(data);
  while (size > 0) {
    ssize_t written = ::write(fd, bytes, size);
    if (written < 0) {
      if (errno == EINTR)
        continue;
      return false;
    }
    bytes += written;
    size -= size_t(written);
  }
  return true;
}

std::string directoryOf(const std::string &path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos)
    return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// Removes the temporary file unless the write reached the rename.
struct TemporaryFile {
  std::string path;
  int fd = -1;
  bool renamed = false;

  ~TemporaryFile() {
    if (fd >= 0)
      ::close(fd);
    if (!renamed)
      ::unlink(path.c_str());
  }
};

// Both public variants reduce to this: a tensor given either as doubles to
// encode or as bytes already encoded (exactly one of the two is used).
struct PendingTensor {
  const std::string &name;
  DType dtype;
  const std::vector<int64_t> &shape;
  const double *values;
  const uint8_t *bytes;

  bool hasData() const { return values || bytes; }
};

// Encodes in bounded chunks so writing a large tensor does not need a second
// full-size copy in memory.
bool writeTensorData(int fd, const PendingTensor &tensor, uint64_t count) {
  if (tensor.bytes)
    return writeAll(fd, tensor.bytes, size_t(count * dtypeSize(tensor.dtype)));
  constexpr uint64_t kChunkElements = 1 << 16;
  size_t elementSize = dtypeSize(tensor.dtype);
  std::vector<uint8_t> buffer(
      size_t(std::min(count, kChunkElements) * elementSize));
  for (uint64_t first = 0; first < count; first += kChunkElements) {
    uint64_t chunk = std::min(kChunkElements, count - first);
    for (uint64_t i = 0; i < chunk; ++i)
      encodeScalar(tensor.dtype, tensor.values[first + i],
                   buffer.data() + i * elementSize);
    if (!writeAll(fd, buffer.data(), size_t(chunk * elementSize)))
      return false;
  }
  return true;
}

bool writeSafetensorsImpl(const std::string &path,
                          const std::vector<PendingTensor> &tensors,
                          const std::map<std::string, std::string> &metadata,
                          std::string &problem) {
  std::set<std::string_view> names;
  std::vector<uint64_t> byteSizes;
  for (const PendingTensor &tensor : tensors) {
    const std::string tensorName = "tensor " + inQuotes(tensor.name) + ": ";
    if (tensor.name.empty() || tensor.name == kMetadataKey) {
      problem = "invalid tensor name " + inQuotes(tensor.name);
      return false;
    }
    if (!names.insert(tensor.name).second) {
      problem = "duplicate tensor name " + inQuotes(tensor.name);
      return false;
    }
    uint64_t byteSize;
    if (!checkedByteSize(tensor.shape, tensor.dtype, byteSize)) {
      problem = tensorName + "shape " + shapeToString(tensor.shape) +
                " has a negative dimension or too many elements";
      return false;
    }
    if (byteSize != 0 && !tensor.hasData()) {
      problem = tensorName + "values are null";
      return false;
    }
    byteSizes.push_back(byteSize);
  }

  std::vector<size_t> order(tensors.size());
  for (size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    size_t sizeA = dtypeSize(tensors[a].dtype),
           sizeB = dtypeSize(tensors[b].dtype);
    return sizeA != sizeB ? sizeA > sizeB : a < b;
  });

  // The reference writer puts __metadata__ first and the tensors in data
  // order; ordered_json keeps that insertion order.
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty())
    header[kMetadataKey] = metadata;
  uint64_t offset = 0;
  for (size_t index : order) {
    const PendingTensor &tensor = tensors[index];
    if (byteSizes[index] > std::numeric_limits<uint64_t>::max() - offset) {
      problem = "tensors total more bytes than fit in 64 bits";
      return false;
    }
    header[tensor.name] = {
        {"dtype", dtypeName(tensor.dtype)},
        {"shape", tensor.shape},
        {"data_offsets", {offset, offset + byteSizes[index]}}};
    offset += byteSizes[index];
  }
  std::string headerText;
  try {
    headerText = header.dump();
  } catch (const nlohmann::ordered_json::exception &e) {
    problem = std::string("tensor names and metadata must be valid UTF-8: ") +
              e.what();
    return false;
  }
  headerText.append((8 - headerText.size() % 8) % 8, ' ');
  if (headerText.size() > kMaxHeaderBytes) {
    problem = "header of " + std::to_string(headerText.size()) +
              " bytes exceeds the " + std::to_string(kMaxHeaderBytes) +
              "-byte limit readers enforce";
    return false;
  }

  TemporaryFile temporary;
  temporary.path = path + ".tmp." + std::to_string(::getpid());
  temporary.fd =
      ::open(temporary.path.c_str(),
             O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (temporary.fd < 0) {
    problem = "cannot create " + temporary.path + ": " + errnoMessage();
    return false;
  }
  uint8_t lengthPrefix[kLengthPrefixBytes];
  for (size_t i = 0; i < kLengthPrefixBytes; ++i)
    lengthPrefix[i] = uint8_t(uint64_t(headerText.size()) >> (8 * i));
  bool written = writeAll(temporary.fd, lengthPrefix, sizeof lengthPrefix) &&
                 writeAll(temporary.fd, headerText.data(), headerText.size());
  for (size_t i = 0; written && i < order.size(); ++i) {
    const PendingTensor &tensor = tensors[order[i]];
    written = writeTensorData(temporary.fd, tensor,
                              byteSizes[order[i]] / dtypeSize(tensor.dtype));
  }
  if (!written) {
    problem = "cannot write " + temporary.path + ": " + errnoMessage();
    return false;
  }
  if (::fsync(temporary.fd) != 0) {
    problem = "cannot fsync " + temporary.path + ": " + errnoMessage();
    return false;
  }
  // close() can report a deferred write error (NFS, quotas).
  int closeResult = ::close(temporary.fd);
  temporary.fd = -1;
  if (closeResult != 0) {
    problem = "cannot close " + temporary.path + ": " + errnoMessage();
    return false;
  }
  if (::rename(temporary.path.c_str(), path.c_str()) != 0) {
    problem = "cannot rename " + temporary.path + " over it: " + errnoMessage();
    return false;
  }
  temporary.renamed = true;

  // Without this the rename itself may not survive a crash.
  std::string directory = directoryOf(path);
  int directoryFd =
      ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  bool synced = directoryFd >= 0 && ::fsync(directoryFd) == 0;
  if (!synced)
    problem = "written, but cannot fsync its directory " + directory + ": " +
              errnoMessage();
  if (directoryFd >= 0)
    ::close(directoryFd);
  return synced;
}

template <typename Tensor>
bool writeSafetensorsChecked(const std::string &path,
                             const std::vector<Tensor> &tensors,
                             const std::map<std::string, std::string> &metadata,
                             std::string &error) {
  std::string problem;
  bool ok;
  try {
    std::vector<PendingTensor> pending;
    pending.reserve(tensors.size());
    for (const Tensor &tensor : tensors) {
      if constexpr (std::is_same_v<Tensor, TensorToWrite>)
        pending.push_back(
            {tensor.name, tensor.dtype, tensor.shape, tensor.values, nullptr});
      else
        pending.push_back(
            {tensor.name, tensor.dtype, tensor.shape, nullptr, tensor.bytes});
    }
    ok = writeSafetensorsImpl(path, pending, metadata, problem);
  } catch (const std::exception &e) { // allocation failure
    ok = false;
    problem = e.what();
  }
  if (!ok)
    error = path + ": " + problem;
  return ok;
}

} // namespace

bool writeSafetensors(const std::string &path,
                      const std::vector<TensorToWrite> &tensors,
                      const std::map<std::string, std::string> &metadata,
                      std::string &error) {
  return writeSafetensorsChecked(path, tensors, metadata, error);
}

bool writeSafetensorsRaw(const std::string &path,
                         const std::vector<RawTensorToWrite> &tensors,
                         const std::map<std::string, std::string> &metadata,
                         std::string &error) {
  return writeSafetensorsChecked(path, tensors, metadata, error);
}

} // namespace ds::rt
