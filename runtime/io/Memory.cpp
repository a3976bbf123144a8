//===- Memory.cpp - Will this fit? ----------------------------------------===//

#include "runtime/io/Memory.h"

#include <cstdio>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace ds::rt {

std::optional<uint64_t> availableMemory() {
  std::ifstream meminfo("/proc/meminfo");
  std::string line;
  while (std::getline(meminfo, line)) {
    unsigned long long kilobytes = 0;
    if (std::sscanf(line.c_str(), "MemAvailable: %llu kB", &kilobytes) == 1)
      return uint64_t(kilobytes) * 1024;
  }
  const long pages = ::sysconf(_SC_AVPHYS_PAGES), size = ::sysconf(_SC_PAGESIZE);
  if (pages > 0 && size > 0)
    return uint64_t(pages) * uint64_t(size);
  return std::nullopt;
}

std::string formatBytes(uint64_t bytes) {
  char text[32];
  const double value = double(bytes);
  if (bytes >= 1000ull * 1000 * 1000)
    std::snprintf(text, sizeof(text), "%.1f GB", value / 1e9);
  else if (bytes >= 1000ull * 1000)
    std::snprintf(text, sizeof(text), "%.1f MB", value / 1e6);
  else if (bytes >= 1000)
    std::snprintf(text, sizeof(text), "%.1f KB", value / 1e3);
  else
    std::snprintf(text, sizeof(text), "%llu bytes",
                  static_cast<unsigned long long>(bytes));
  return text;
}

bool totalBytes(const std::vector<std::vector<int64_t>> &shapes,
                uint64_t bytesPerElement, uint64_t &bytes) {
  bytes = 0;
  for (const std::vector<int64_t> &shape : shapes) {
    uint64_t size = bytesPerElement;
    for (int64_t dim : shape)
      if (dim < 0 || __builtin_mul_overflow(size, uint64_t(dim), &size))
        return false;
    if (__builtin_add_overflow(bytes, size, &bytes))
      return false;
  }
  return true;
}

bool checkMemory(uint64_t bytes, const std::string &what, std::string &error) {
  std::optional<uint64_t> available = availableMemory();
  if (!available || bytes <= *available)
    return true;
  error = what + " need " + formatBytes(bytes) + ", but only " +
          formatBytes(*available) + " of memory are available";
  return false;
}

} // namespace ds::rt
