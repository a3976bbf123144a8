//===- Memory.h - Will this fit? --------------------------------*- C++ -*-===//
//
// Before a tool materialises a model's weights (tens of gigabytes for a
// full-size config), it checks that they fit in the memory the machine has
// available, so that a config asking for too much gets a message stating
// the bytes required instead of an out-of-memory abort or a process the
// kernel kills halfway through writing a file.
//
//===----------------------------------------------------------------------===//

#ifndef DS_RUNTIME_IO_MEMORY_H
#define DS_RUNTIME_IO_MEMORY_H

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ds::rt {

/// Bytes of memory available to a new allocation (MemAvailable of
/// /proc/meminfo, else free physical pages); nullopt when unknown.
std::optional<uint64_t> availableMemory();

/// "65.3 GB", "812 MB", "4 KB", "12 bytes".
std::string formatBytes(uint64_t bytes);

/// Total bytes of tensors with `shapes`, `bytesPerElement` each, without
/// overflow; false when the total does not fit in 64 bits.
bool totalBytes(const std::vector<std::vector<int64_t>> &shapes,
                uint64_t bytesPerElement, uint64_t &bytes);

/// Checks that `bytes` fit in the available memory. On failure returns false
/// with `error` = "<what> need <bytes>, but only <available> of memory are
/// available". Passes when the available memory is unknown.
bool checkMemory(uint64_t bytes, const std::string &what, std::string &error);

} // namespace ds::rt

#endif // DS_RUNTIME_IO_MEMORY_H
