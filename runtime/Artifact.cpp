//===- Artifact.cpp - A loaded compiled artifact --------------------------===//

#include "runtime/Artifact.h"
#ifdef DS_HAVE_CUDA
#include "runtime/cuda/CudaBackend.h"
#endif

#include <cerrno>
#include <optional>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <sstream>
#include <sys/stat.h>

namespace ds::rt {
#ifndef DS_HAVE_CUDA
namespace cuda {
class Backend {}; // never made without the CUDA backend
} // namespace cuda
#endif

namespace {

/// The compiled code's kernels run OpenBLAS single-threaded inside their
/// own OpenMP threads (kernels/cpu/Blas.h). OpenBLAS's pthread build would
/// otherwise start a pool of its own when the library loads, and its idle
/// workers spin for a while before they sleep: in a short-lived process, or
/// for the first fraction of a second of any, they take a core from the
/// OpenMP threads, and short calls (a decoding step) ran 3-4x slower in
/// about a third of the processes. Asking for one thread before OpenBLAS
/// loads (with the model library) means the pool is never started. A value
/// the user set is kept.
void keepBlasSingleThreaded() {
  ::setenv("OPENBLAS_NUM_THREADS", "1", /*overwrite=*/0);
}

/// The library's own description of its entry points (Manifest::abiText)
/// must be the manifest's: compiled code trusts its buffers' sizes, so a
/// manifest edited, truncated or copied from another build would make it
/// read and write out of bounds. The first line that differs is named.
bool checkAbi(const Manifest &manifest, void *handle,
              const std::string &manifestPath, const std::string &libraryPath,
              std::string &error) {
  ::dlerror();
  const char *compiled =
      static_cast<const char *>(::dlsym(handle, kAbiSymbol));
  if (!compiled) {
    error = libraryPath + ": no '" + kAbiSymbol +
            "' symbol describing its entry points (built by an older "
            "ds-compile? compile the model again)";
    return false;
  }
  const std::string described = manifest.abiText();
  if (described == compiled)
    return true;
  // Report the first line where they part.
  std::istringstream mine(described), theirs(compiled);
  std::string a, b;
  int line = 0;
  while (true) {
    ++line;
    const bool moreMine = bool(std::getline(mine, a));
    const bool moreTheirs = bool(std::getline(theirs, b));
    if (!moreMine)
      a = "(nothing)";
    if (!moreTheirs)
      b = "(nothing)";
    if (a != b || (!moreMine && !moreTheirs))
      break;
  }
  error = manifestPath + ": does not describe " + libraryPath +
          ", refused (line " + std::to_string(line) +
          " of the entry points' description: the manifest has '" + a +
          "', the library was compiled with '" + b + "')";
  return false;
}

std::string dlopenError() {
  const char *message = ::dlerror();
  return message ? message : "unknown dynamic loader error";
}

std::string joinPath(const std::string &directory, const std::string &name) {
  if (!name.empty() && name[0] == '/')
    return name;
  if (directory.empty() || directory.back() == '/')
    return directory + name;
  return directory + "/" + name;
}

} // namespace

/// Opens the GPU a CUDA artifact runs on, or says why it cannot: no
/// driver, no such device, or a build of DS without the CUDA backend.
static bool openBackend(const Manifest &manifest, const LoadOptions &options,
                        std::unique_ptr<cuda::Backend> &backend,
                        std::string &error) {
  std::string what = "a CUDA artifact (" +
                     (manifest.gpuChip.empty() ? std::string("cuda")
                                               : manifest.gpuChip) +
                     ")";
#ifdef DS_HAVE_CUDA
  std::string why;
  backend = cuda::Backend::open(options.device, why);
  if (!backend) {
    error = what + " needs a GPU: " + why;
    return false;
  }
  return true;
#else
  error = what + " needs the CUDA backend, which this build of DS lacks (no "
                 "CUDA toolkit was found when it was built)";
  return false;
#endif
}

std::unique_ptr<Artifact> Artifact::load(const std::string &directory,
                                         std::string &error,
                                         const LoadOptions &options) {
  try {
    struct stat info;
    if (::stat(directory.c_str(), &info) != 0) {
      error = directory + ": " + std::strerror(errno);
      return nullptr;
    }
    if (!S_ISDIR(info.st_mode)) {
      error = directory + ": not a directory (an artifact is a directory "
                          "holding manifest.json)";
      return nullptr;
    }
    std::string manifestPath = joinPath(directory, "manifest.json");
    if (::stat(manifestPath.c_str(), &info) != 0) {
      error = directory + ": no manifest.json (not a ds-compile artifact?)";
      return nullptr;
    }
    std::optional<Manifest> manifest = Manifest::load(manifestPath, error);
    if (!manifest)
      return nullptr;
    if (manifest->target != "cpu" && manifest->target != "cuda") {
      error = manifestPath +
              ": target: this runtime runs \"cpu\" and \"cuda\" artifacts, "
              "got \"" +
              manifest->target + "\"";
      return nullptr;
    }

    std::unique_ptr<Artifact> artifact(new Artifact());
    // A CUDA artifact's host code launches kernels on device memory: it
    // runs only where there is a GPU. Its library loads its kernels into
    // the device's context when it is opened.
    if (manifest->target == "cuda" &&
        !openBackend(*manifest, options, artifact->backend_, error)) {
      error = manifestPath + ": " + error;
      return nullptr;
    }
#ifdef DS_HAVE_CUDA
    std::optional<cuda::Backend::Scope> onDevice;
    if (artifact->backend_) {
      onDevice.emplace(*artifact->backend_);
      artifact->backend_->device().setKernelSites(
          &artifact->manifest_.gpuKernelSites);
    }
#endif
    artifact->directory_ = directory;
    artifact->manifest_ = std::move(*manifest);
    // dlopen searches the library path for a name without a slash; the
    // artifact's library is always a file in (or named from) the directory.
    std::string libraryPath = joinPath(directory, artifact->manifest_.library);
    if (libraryPath.find('/') == std::string::npos)
      libraryPath = "./" + libraryPath;
    artifact->libraryPath_ = libraryPath;
    ::dlerror(); // clear a stale message
    keepBlasSingleThreaded();
    artifact->handle_ = ::dlopen(libraryPath.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!artifact->handle_) {
      error = manifestPath + ": cannot load library: " + dlopenError();
      return nullptr;
    }
#ifdef DS_HAVE_CUDA
    if (artifact->backend_ &&
        !artifact->backend_->finish("loading " + libraryPath + "'s kernels",
                                    error))
      return nullptr;
#endif
    if (!checkAbi(artifact->manifest_, artifact->handle_, manifestPath,
                  libraryPath, error))
      return nullptr;
    const std::vector<EntrySpec> &specs = artifact->manifest_.entries;
    for (size_t i = 0; i < specs.size(); ++i) {
      ::dlerror();
      void *symbol = ::dlsym(artifact->handle_, specs[i].symbol.c_str());
      if (!symbol) {
        error = libraryPath + ": entry '" + specs[i].name + "': no symbol '" +
                specs[i].symbol + "' (the library does not match its manifest)";
        return nullptr;
      }
      artifact->entries_.push_back(
          {&specs[i], reinterpret_cast<EntryFunction>(symbol), i});
    }
    return artifact;
  } catch (const std::exception &e) { // allocation failure
    error = directory + ": " + e.what();
    return nullptr;
  }
}

Artifact::~Artifact() {
#ifdef DS_HAVE_CUDA
  // The library's destructors unload its modules from the device.
  std::optional<cuda::Backend::Scope> onDevice;
  if (backend_)
    onDevice.emplace(*backend_);
#endif
  if (handle_)
    ::dlclose(handle_);
}

const Artifact::Entry *Artifact::findEntry(std::string_view name) const {
  for (const Entry &entry : entries_)
    if (entry.spec->name == name)
      return &entry;
  return nullptr;
}

} // namespace ds::rt
