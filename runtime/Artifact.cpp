//===- Artifact.cpp - A loaded compiled artifact --------------------------===//

#include "runtime/Artifact.h"
#ifdef DS_HAVE_CUDA
#include "runtime/cuda/CudaDriver.h"
#endif

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <sstream>
#include <sys/stat.h>

namespace ds::rt {
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

/// Why this runtime refuses a CUDA artifact here: no driver, no device, or
/// (with both) that executing CUDA artifacts is the next step of the CUDA
/// backend (docs/gpu.md), which this runtime does not have.
static std::string cudaUnavailable(const Manifest &manifest) {
  std::string what = "a CUDA artifact (" +
                     (manifest.gpuChip.empty() ? std::string("cuda")
                                               : manifest.gpuChip) +
                     ")";
#ifdef DS_HAVE_CUDA
  std::string why;
  std::unique_ptr<cuda::Driver> driver =
      cuda::Driver::load(cuda::Driver::defaultLibrary(), why);
  if (!driver)
    return what + " needs a GPU: no CUDA device: " + why;
  int count = driver->deviceCount(why);
  if (count <= 0)
    return what + " needs a GPU: no CUDA device: " +
           (count < 0 ? why : "the driver sees none");
  return what + ": this runtime cannot run CUDA artifacts yet (docs/gpu.md)";
#else
  return what + " needs the CUDA backend, which this build of DS lacks (no "
                "CUDA toolkit was found when it was built)";
#endif
}

std::unique_ptr<Artifact> Artifact::load(const std::string &directory,
                                         std::string &error) {
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
    // A CUDA artifact's host code calls kernels on device memory: it can
    // only run where there is a GPU, and through the CUDA backend.
    if (manifest->target == "cuda") {
      error = manifestPath + ": " + cudaUnavailable(*manifest);
      return nullptr;
    }
    if (manifest->target != "cpu") {
      error = manifestPath +
              ": target: this runtime runs \"cpu\" artifacts, "
              "got \"" +
              manifest->target + "\"";
      return nullptr;
    }

    std::unique_ptr<Artifact> artifact(new Artifact());
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
