//===- AtomicFile.h - Whole-file writes that never leave half a file -*- C++ -*-===//
//
// Data files, tokenizers and checkpoints are written to a temporary file in
// the destination's directory, flushed to disk (fsync), and renamed over the
// destination; then the directory itself is flushed, so the rename survives
// a power cut. A reader sees either the old file or the whole new one; a
// process killed midway leaves only a temporary file (named
// `<name>.tmp.<pid>`), never a damaged destination.
//
//===----------------------------------------------------------------------===//

#ifndef DS_RUNTIME_DATA_ATOMICFILE_H
#define DS_RUNTIME_DATA_ATOMICFILE_H

#include <string>
#include <string_view>

namespace ds::rt {

/// Replaces `path` with `contents` atomically. On failure returns false, sets
/// `error` (naming the file and the reason) and leaves `path` as it was.
bool writeFileAtomically(const std::string &path, std::string_view contents,
                         std::string &error);

/// Flushes the directory holding `path` so that a completed rename into it
/// is durable. Returns false and sets `error` on failure.
bool syncParentDirectory(const std::string &path, std::string &error);

} // namespace ds::rt

#endif // DS_RUNTIME_DATA_ATOMICFILE_H
