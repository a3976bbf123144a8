//===- AtomicFile.cpp - Whole-file writes that never leave half a file ----===//

#include "runtime/data/AtomicFile.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace ds::rt {

namespace {

std::string directoryOf(const std::string &path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos)
    return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

} // namespace

bool syncParentDirectory(const std::string &path, std::string &error) {
  const std::string directory = directoryOf(path);
  int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    error = directory + ": cannot open directory: " + std::strerror(errno);
    return false;
  }
  const bool ok = fsync(fd) == 0;
  if (!ok)
    error = directory + ": cannot flush directory: " + std::strerror(errno);
  ::close(fd);
  return ok;
}

bool writeFileAtomically(const std::string &path, std::string_view contents,
                         std::string &error) {
  const std::string temporary =
      path + ".tmp." + std::to_string(static_cast<long>(getpid()));
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                  0644);
  if (fd < 0) {
    error = path + ": cannot create " + temporary + ": " + std::strerror(errno);
    return false;
  }
  auto fail = [&](const char *what) {
    error = path + ": " + what + ": " + std::strerror(errno);
    ::close(fd);
    std::remove(temporary.c_str());
    return false;
  };
  size_t written = 0;
  while (written < contents.size()) {
    ssize_t n = ::write(fd, contents.data() + written, contents.size() - written);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return fail("write failed");
    }
    written += size_t(n);
  }
  if (fsync(fd) != 0)
    return fail("fsync failed");
  if (::close(fd) != 0) {
    error = path + ": close failed: " + std::strerror(errno);
    std::remove(temporary.c_str());
    return false;
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    error = path + ": cannot rename " + temporary + " over it: " +
            std::strerror(errno);
    std::remove(temporary.c_str());
    return false;
  }
  return syncParentDirectory(path, error);
}

} // namespace ds::rt
