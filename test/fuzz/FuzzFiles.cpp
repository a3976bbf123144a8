//===- FuzzFiles.cpp - Fuzz inputs that are several files -----------------===//

#include "test/fuzz/FuzzFiles.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace fs = std::filesystem;

namespace ds::fuzz {
namespace {

bool isAllowedComponent(std::string_view name) {
  if (name.empty() || name == "." || name == ".." || name.size() > 64)
    return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok)
      return false;
  }
  return true;
}

bool isAllowedPath(std::string_view path) {
  int components = 0;
  size_t begin = 0;
  while (true) {
    const size_t slash = path.find('/', begin);
    const std::string_view part = path.substr(begin, slash - begin);
    if (!isAllowedComponent(part) || ++components > 3)
      return false;
    if (slash == std::string_view::npos)
      return true;
    begin = slash + 1;
  }
}

} // namespace

std::optional<std::vector<InputFile>> splitFiles(std::string_view input) {
  constexpr size_t kMaxFiles = 16;
  std::vector<InputFile> files;
  size_t begin = 0;
  while (true) {
    const size_t end = input.find(kFileSeparator, begin);
    const std::string_view part = input.substr(begin, end - begin);
    const size_t newline = part.find('\n');
    if (newline == std::string_view::npos || files.size() == kMaxFiles)
      return std::nullopt;
    std::string path(part.substr(0, newline));
    if (!isAllowedPath(path))
      return std::nullopt;
    files.push_back({std::move(path), part.substr(newline + 1)});
    if (end == std::string_view::npos)
      return files;
    begin = end + kFileSeparator.size();
  }
}

std::string
joinFiles(const std::vector<std::pair<std::string, std::string>> &files) {
  std::string input;
  for (const auto &[path, contents] : files) {
    if (!input.empty())
      input += kFileSeparator;
    input += path + "\n" + contents;
  }
  return input;
}

ScratchDirectory::ScratchDirectory() {
  std::string base = "/dev/shm";
  if (!fs::is_directory(base)) {
    const char *tmp = std::getenv("TMPDIR");
    base = tmp && *tmp ? tmp : "/tmp";
  }
  std::string pattern = base + "/ds-fuzz-XXXXXX";
  if (!mkdtemp(pattern.data()))
    propertyFailed("cannot create a scratch directory under " + base);
  path_ = pattern;
}

ScratchDirectory::~ScratchDirectory() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

bool ScratchDirectory::write(const std::string &relative,
                             std::string_view contents) const {
  const fs::path target = fs::path(path_) / relative;
  std::error_code ec;
  fs::create_directories(target.parent_path(), ec);
  if (ec)
    return false;
  std::ofstream out(target, std::ios::binary | std::ios::trunc);
  out.write(contents.data(), std::streamsize(contents.size()));
  return bool(out.flush());
}

bool ScratchDirectory::write(const std::vector<InputFile> &files) const {
  for (const InputFile &file : files)
    if (!write(file.path, file.contents))
      return false;
  return true;
}

std::optional<std::vector<InputFile>>
ScratchDirectory::unpack(const uint8_t *data, size_t size) const {
  auto files =
      splitFiles(std::string_view(reinterpret_cast<const char *>(data), size));
  if (!files || !write(*files))
    return std::nullopt;
  return files;
}

std::optional<std::string> readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void propertyFailed(const std::string &message) {
  std::fprintf(stderr, "ds-fuzz: property failed: %s\n", message.c_str());
  std::fflush(stderr);
  std::abort();
}

} // namespace ds::fuzz

// The sanitizer settings every fuzz target runs with, also when a finding
// is replayed by hand (`ds-fuzz-ir crash-...`). MLIR's BumpPtrAllocator,
// inlined into instrumented DS code, poisons its slabs, and uninstrumented
// libMLIR.so then writes to them: manual poisoning is off so that only real
// errors report (as in tools/test.sh --sanitize).
extern "C" const char *__asan_default_options() {
  return "allow_user_poisoning=0";
}
extern "C" const char *__ubsan_default_options() {
  return "print_stacktrace=1:halt_on_error=1";
}
