//===- FuzzFiles.h - Fuzz inputs that are several files -------*- C++ -*-===//
//
// Some readers take a directory (a checkpoint, a prepared corpus, sharded
// weights), so one fuzz input must describe several files. An input is a
// list of parts joined by kFileSeparator, each part a relative path, a
// newline and the file's bytes:
//
//   data.json\n{"format": ...}<separator>train.tokens\nDSTOKENS...
//
// Paths are one to three components of [A-Za-z0-9._-], never "." or "..",
// so an input can only write inside its scratch directory. ds-fuzz-seeds
// writes seeds in this form from real files; the dictionaries hold the
// separator so mutations can add and drop files.
//
//===----------------------------------------------------------------------===//

#ifndef DS_TEST_FUZZ_FUZZFILES_H
#define DS_TEST_FUZZ_FUZZFILES_H

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ds::fuzz {

inline constexpr std::string_view kFileSeparator = "\n=== ds-fuzz file ===\n";

struct InputFile {
  std::string path; // relative, checked
  std::string_view contents;
};

/// The files of a multi-file input, or nullopt when a part has no path line
/// or a path that is not allowed (the input is then skipped: it cannot
/// describe files).
std::optional<std::vector<InputFile>> splitFiles(std::string_view input);

/// The input that splitFiles reads back as `files` (the seeds).
std::string joinFiles(const std::vector<std::pair<std::string, std::string>> &files);

/// A private directory for one fuzz input's files, under /dev/shm when it
/// exists (the inputs are small and written at every execution), else
/// $TMPDIR or /tmp. Removed, with everything in it, by the destructor.
class ScratchDirectory {
public:
  ScratchDirectory();
  ~ScratchDirectory();
  ScratchDirectory(const ScratchDirectory &) = delete;
  ScratchDirectory &operator=(const ScratchDirectory &) = delete;

  const std::string &path() const { return path_; }
  /// Writes each file under path(), creating its directories. Returns
  /// false (and writes nothing more) when a file cannot be written, e.g. a
  /// path that is both a file and a directory in the same input.
  bool write(const std::vector<InputFile> &files) const;
  /// Writes one file under path().
  bool write(const std::string &relative, std::string_view contents) const;
  /// Splits a fuzz input into its files and writes them under path().
  /// Returns the files, or nullopt when the input does not describe files
  /// or they cannot be written (the target then returns -1: libFuzzer
  /// keeps such inputs out of the corpus).
  std::optional<std::vector<InputFile>> unpack(const uint8_t *data,
                                               size_t size) const;

private:
  std::string path_;
};

/// Reads a whole file (the seeds tool). Returns nullopt when it cannot.
std::optional<std::string> readFile(const std::string &path);

/// Keeps a value computed only to touch memory (every byte of a tensor)
/// from being optimized away.
inline void keep(uint64_t value) {
  volatile uint64_t sink = value;
  (void)sink;
}

/// Aborts the process with `message` on stderr: a property the harness
/// checks does not hold, which libFuzzer reports as a crash with the input.
[[noreturn]] void propertyFailed(const std::string &message);

} // namespace ds::fuzz

#endif // DS_TEST_FUZZ_FUZZFILES_H
