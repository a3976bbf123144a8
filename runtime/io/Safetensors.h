//===- Safetensors.h - Read and write safetensors files ---------*- C++ -*-===//
//
// The safetensors layout: an 8-byte little-endian header length N, N bytes of
// UTF-8 JSON describing each tensor (dtype, shape, data_offsets relative to
// the data buffer) plus an optional "__metadata__" string map, then the data
// buffer. Weights and checkpoints use it so Hugging Face checkpoints load
// directly and ours load in Hugging Face tools.
//
// Nothing here throws: failures come back as a message that starts with the
// file's path.
//
//===----------------------------------------------------------------------===//

#ifndef DS_RUNTIME_IO_SAFETENSORS_H
#define DS_RUNTIME_IO_SAFETENSORS_H

#include "runtime/io/DType.h"

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ds::rt {

struct TensorEntry {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  uint64_t offset; // from the start of the file, not of the data buffer
  uint64_t byteSize;

  int64_t numElements() const;
};

/// A validated, memory-mapped safetensors file. Every entry it reports lies
/// inside the file, has a byte size matching its shape and dtype, and no two
/// entries overlap. The mapping is read-only and private; truncating the file
/// while it is open is outside what any reader can defend against.
class SafetensorsReader {
public:
  /// Maps and validates `path`. On failure returns null and sets `error`.
  static std::unique_ptr<SafetensorsReader> open(const std::string &path,
                                                 std::string &error);

  SafetensorsReader(const SafetensorsReader &) = delete;
  SafetensorsReader &operator=(const SafetensorsReader &) = delete;
  ~SafetensorsReader();

  const std::string &path() const { return path_; }
  /// In file-offset order.
  const std::vector<TensorEntry> &tensors() const { return tensors_; }
  /// Null when there is no tensor called `name`.
  const TensorEntry *find(std::string_view name) const;
  /// The "__metadata__" map (empty when the file has none).
  const std::map<std::string, std::string> &metadata() const {
    return metadata_;
  }
  /// The entry's raw little-endian bytes inside the mapping, valid while this
  /// reader lives; null for an entry that does not lie inside this file.
  const uint8_t *bytes(const TensorEntry &entry) const;
  /// Every element decoded with decodeScalar, in row-major order.
  std::vector<double> readAsDoubles(const TensorEntry &entry) const;

private:
  SafetensorsReader(std::string path, const uint8_t *mapping,
                    size_t mappingSize);

  std::string path_;
  const uint8_t *mapping_;
  size_t mappingSize_;
  std::vector<TensorEntry> tensors_;
  std::map<std::string, size_t, std::less<>> indexByName_;
  std::map<std::string, std::string> metadata_;
};

struct TensorToWrite {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  const double *values; // numElements values, encoded with encodeScalar
};

/// Writes `tensors` and `metadata` to `path` atomically: into
/// "<path>.tmp.<pid>", fsync, rename over `path`, fsync the directory. On an
/// error before the rename, `path` is untouched and the temporary file is
/// removed. Names must be unique, non-empty and not "__metadata__".
///
/// Layout follows the reference implementation, so Hugging Face's reader
/// (which rejects gaps between tensors) accepts our files: the header is
/// padded with spaces to a multiple of 8 bytes, and tensors are packed without
/// gaps, ordered by descending element size and otherwise in the given order.
/// That order places every tensor at an offset that is a multiple of its
/// element size.
bool writeSafetensors(const std::string &path,
                      const std::vector<TensorToWrite> &tensors,
                      const std::map<std::string, std::string> &metadata,
                      std::string &error);

/// A tensor whose elements are already encoded: `bytes` holds numElements *
/// dtypeSize(dtype) little-endian bytes, written as they are. Tensors the
/// runtime computes are stored this way, so writing them neither rounds nor
/// converts (I64 beyond 2^53 and NaN payloads survive).
struct RawTensorToWrite {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  const uint8_t *bytes; // may be null only when the tensor has no elements
};

/// writeSafetensors for already-encoded tensors: the same checks, layout and
/// atomic replacement. A different name, not an overload, so that the many
/// brace-initialised calls of the double variant stay unambiguous.
bool writeSafetensorsRaw(const std::string &path,
                         const std::vector<RawTensorToWrite> &tensors,
                         const std::map<std::string, std::string> &metadata,
                         std::string &error);

} // namespace ds::rt

#endif // DS_RUNTIME_IO_SAFETENSORS_H
