//===- Artifact.h - A loaded compiled artifact ------------------*- C++ -*-===//
//
// An artifact directory (docs/artifact.md) opened for running: the validated
// manifest and the host library with every entry symbol resolved. Loading
// resolves all symbols up front so that a stale or mismatched model.so fails
// at load, not halfway through a training run.
//
// An Artifact is immutable once loaded, so threads may share one; running
// needs per-thread state (workspaces), which lives in Executable.
//
//===----------------------------------------------------------------------===//

#ifndef DS_RUNTIME_ARTIFACT_H
#define DS_RUNTIME_ARTIFACT_H

#include "kernels/cpu/Status.h"
#include "runtime/Manifest.h"

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ds::rt {

namespace cuda {
class Backend; // runtime/cuda/CudaBackend.h
}

/// How to load an artifact.
struct LoadOptions {
  /// The GPU a CUDA artifact runs on (ds-run --device=N); CPU artifacts
  /// ignore it.
  int device = 0;
};

/// `void ds_entry_<name>(ds_status *status, void **buffers, void *workspace)`.
using EntryFunction = void (*)(ds_status *, void **, void *);

class Artifact {
public:
  struct Entry {
    const EntrySpec *spec;
    EntryFunction function;
    size_t index; // in manifest().entries
  };

  /// Reads `directory`/manifest.json, checks that it describes an
  /// artifact this runtime can run, dlopens its library (RTLD_NOW |
  /// RTLD_LOCAL: every undefined symbol is found now, and two artifacts'
  /// symbols never mix) and resolves every entry. On failure returns null and
  /// sets `error`.
  /// A CUDA artifact ("target": "cuda") opens GPU `options.device` and
  /// loads its library there (its kernels load with it).
  static std::unique_ptr<Artifact> load(const std::string &directory,
                                        std::string &error,
                                        const LoadOptions &options = {});

  Artifact(const Artifact &) = delete;
  Artifact &operator=(const Artifact &) = delete;
  /// Unloads the library: no entry function may run afterwards.
  ~Artifact();

  const std::string &directory() const { return directory_; }
  /// The library's path as it was opened.
  const std::string &libraryPath() const { return libraryPath_; }
  const Manifest &manifest() const { return manifest_; }
  /// In manifest order.
  const std::vector<Entry> &entries() const { return entries_; }
  /// Null when there is no entry of that name.
  const Entry *findEntry(std::string_view name) const;

  /// The GPU a CUDA artifact runs on; null for a CPU artifact. Not const:
  /// running an entry queues work on it.
  cuda::Backend *backend() const { return backend_.get(); }

private:
  Artifact() = default;

  std::string directory_;
  std::string libraryPath_;
  Manifest manifest_;
  std::vector<Entry> entries_;
  /// Declared before handle_: the library is closed (unloading its GPU
  /// modules) while the backend still exists.
  std::unique_ptr<cuda::Backend> backend_;
  void *handle_ = nullptr;
};

} // namespace ds::rt

#endif // DS_RUNTIME_ARTIFACT_H
