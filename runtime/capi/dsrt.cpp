//===- dsrt.cpp - C interface to libdsrt ----------------------------------===//
//
// Thin wrappers: every function catches everything, because no exception may
// cross a C boundary, and turns it into a return value or a message.
//
//===----------------------------------------------------------------------===//

#include "runtime/capi/dsrt.h"

#include "runtime/Artifact.h"
#include "runtime/Executable.h"

#include <memory>
#include <new>
#include <string>

using ds::rt::Artifact;
using ds::rt::EntrySpec;
using ds::rt::Executable;

struct dsrt_artifact {
  std::shared_ptr<const Artifact> artifact; // null when loading failed
  std::string error;
};

struct dsrt_executable {
  explicit dsrt_executable(std::shared_ptr<const Artifact> artifact)
      : executable(std::move(artifact)) {}
  Executable executable;
  std::string error;
  bool failed = false;
};

namespace {

const EntrySpec *entrySpec(const dsrt_artifact *handle, size_t entry) {
  if (!handle || !handle->artifact)
    return nullptr;
  const auto &entries = handle->artifact->manifest().entries;
  return entry < entries.size() ? &entries[entry] : nullptr;
}

void fillInfo(const ds::rt::TensorSpec &spec, dsrt_tensor_info *info) {
  info->name = spec.name.c_str();
  info->dtype = ds::rt::dtypeName(spec.dtype);
  info->role = nullptr;
  info->balances = nullptr;
  info->rank = spec.shape.size();
  info->shape = spec.shape.empty() ? nullptr : spec.shape.data();
  info->num_elements = uint64_t(spec.numElements);
  info->byte_size = uint64_t(spec.byteSize);
}

} // namespace

extern "C" {

dsrt_artifact *dsrt_artifact_load(const char *directory) {
  auto *handle = new (std::nothrow) dsrt_artifact();
  if (!handle)
    return nullptr;
  try {
    if (!directory) {
      handle->error = "dsrt_artifact_load: null directory";
      return handle;
    }
    handle->artifact = Artifact::load(directory, handle->error);
  } catch (...) {
    handle->artifact.reset();
    handle->error = "dsrt_artifact_load: out of memory";
  }
  return handle;
}

void dsrt_artifact_free(dsrt_artifact *artifact) { delete artifact; }

const char *dsrt_artifact_error(const dsrt_artifact *artifact) {
  if (!artifact)
    return "null artifact handle (out of memory while loading?)";
  return artifact->artifact ? nullptr : artifact->error.c_str();
}

size_t dsrt_entry_count(const dsrt_artifact *artifact) {
  if (!artifact || !artifact->artifact)
    return 0;
  return artifact->artifact->manifest().entries.size();
}

const char *dsrt_entry_name(const dsrt_artifact *artifact, size_t entry) {
  const EntrySpec *spec = entrySpec(artifact, entry);
  return spec ? spec->name.c_str() : nullptr;
}

int64_t dsrt_entry_find(const dsrt_artifact *artifact, const char *name) {
  if (!artifact || !artifact->artifact || !name)
    return -1;
  const Artifact::Entry *entry = artifact->artifact->findEntry(name);
  return entry ? int64_t(entry->index) : -1;
}

size_t dsrt_entry_argument_count(const dsrt_artifact *artifact, size_t entry) {
  const EntrySpec *spec = entrySpec(artifact, entry);
  return spec ? spec->arguments.size() : 0;
}

size_t dsrt_entry_result_count(const dsrt_artifact *artifact, size_t entry) {
  const EntrySpec *spec = entrySpec(artifact, entry);
  return spec ? spec->results.size() : 0;
}

uint64_t dsrt_entry_workspace_bytes(const dsrt_artifact *artifact,
                                    size_t entry) {
  const EntrySpec *spec = entrySpec(artifact, entry);
  return spec ? uint64_t(spec->workspaceBytes) : 0;
}

int dsrt_entry_argument(const dsrt_artifact *artifact, size_t entry,
                        size_t index, dsrt_tensor_info *info) {
  const EntrySpec *spec = entrySpec(artifact, entry);
  if (!spec || index >= spec->arguments.size() || !info)
    return -1;
  fillInfo(spec->arguments[index], info);
  info->role = ds::rt::roleName(spec->arguments[index].role);
  return 0;
}

int dsrt_entry_result(const dsrt_artifact *artifact, size_t entry, size_t index,
                      dsrt_tensor_info *info) {
  const EntrySpec *spec = entrySpec(artifact, entry);
  if (!spec || index >= spec->results.size() || !info)
    return -1;
  fillInfo(spec->results[index], info);
  if (spec->results[index].balances)
    info->balances = spec->results[index].balances->c_str();
  return 0;
}

dsrt_executable *dsrt_executable_create(const dsrt_artifact *artifact) {
  if (!artifact || !artifact->artifact)
    return nullptr;
  try {
    return new dsrt_executable(artifact->artifact);
  } catch (...) {
    return nullptr;
  }
}

void dsrt_executable_free(dsrt_executable *executable) { delete executable; }

int dsrt_run(dsrt_executable *executable, size_t entry,
             const void *const *arguments, size_t num_arguments,
             void *const *results, size_t num_results) {
  if (!executable)
    return DSRT_ERROR_CALL;
  executable->failed = true;
  try {
    executable->error.clear();
    const Artifact &artifact = executable->executable.artifact();
    if (entry >= artifact.entries().size()) {
      executable->error = "dsrt_run: entry index " + std::to_string(entry) +
                          " out of range (the artifact has " +
                          std::to_string(artifact.entries().size()) +
                          " entries)";
      return DSRT_ERROR_CALL;
    }
    const Artifact::Entry &chosen = artifact.entries()[entry];
    const EntrySpec &spec = *chosen.spec;
    if (num_arguments != spec.arguments.size() ||
        num_results != spec.results.size()) {
      executable->error =
          "dsrt_run: entry '" + spec.name + "' takes " +
          std::to_string(spec.arguments.size()) + " arguments and " +
          std::to_string(spec.results.size()) + " results, got " +
          std::to_string(num_arguments) + " and " + std::to_string(num_results);
      return DSRT_ERROR_CALL;
    }
    if (!executable->executable.runRaw(chosen, arguments, results,
                                       executable->error)) {
      int32_t code = executable->executable.lastStatus().code;
      return code > 0 ? int(code) : DSRT_ERROR_CALL;
    }
    executable->failed = false;
    return DSRT_OK;
  } catch (...) {
    executable->error = "dsrt_run: out of memory";
    return DSRT_ERROR_CALL;
  }
}

const char *dsrt_last_error(const dsrt_executable *executable) {
  if (!executable)
    return "null executable handle";
  return executable->failed ? executable->error.c_str() : nullptr;
}

} // extern "C"
