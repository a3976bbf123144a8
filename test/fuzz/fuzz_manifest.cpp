//===- fuzz_manifest.cpp - artifact manifests against a real model.so ------===//
//
// Input: a manifest.json, placed beside a link to the model.so of a real
// artifact (the tiny DeepSeek model ds-compile builds for this target,
// DS_FUZZ_ARTIFACT_DIR). A manifest that Artifact::load accepts must match
// what the library was compiled with (Manifest::abiText against its
// `ds_abi`), so every entry it describes is then run on arguments of the
// shapes it gives: a manifest that lied about a shape would have the
// compiled code read or write outside a buffer.
//
//===----------------------------------------------------------------------===//

#include "runtime/Executable.h"
#include "test/fuzz/FuzzFiles.h"

#include <filesystem>

using namespace ds;

namespace {

/// Arguments for `entry`: small varied values (ids stay in range for any
/// vocabulary of at least 5).
std::optional<std::vector<rt::HostTensor>>
makeArguments(const rt::EntrySpec &entry) {
  std::vector<rt::HostTensor> arguments;
  std::string error;
  for (const rt::ArgumentSpec &spec : entry.arguments) {
    auto tensor = rt::HostTensor::zeros(spec.dtype, spec.shape, error);
    if (!tensor)
      return std::nullopt;
    const size_t width = rt::dtypeSize(spec.dtype);
    for (int64_t i = 0; i < tensor->numElements(); ++i) {
      const double value =
          rt::isFloat(spec.dtype) ? 0.01 * double(i % 13 - 6) : double(i % 5);
      rt::encodeScalar(spec.dtype, value, tensor->data() + size_t(i) * width);
    }
    arguments.push_back(std::move(*tensor));
  }
  return arguments;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz::ScratchDirectory scratch;
  if (!scratch.write("manifest.json",
                     std::string_view(reinterpret_cast<const char *>(data),
                                      size)))
    return -1;
  std::error_code ec;
  std::filesystem::create_symlink(DS_FUZZ_ARTIFACT_DIR "/model.so",
                                  scratch.path() + "/model.so", ec);
  if (ec)
    fuzz::propertyFailed("cannot link " DS_FUZZ_ARTIFACT_DIR "/model.so: " +
                         ec.message());

  std::string error;
  std::shared_ptr<const rt::Artifact> artifact =
      rt::Artifact::load(scratch.path(), error);
  if (!artifact)
    return 0;
  rt::Executable executable(artifact);
  for (const rt::Artifact::Entry &entry : artifact->entries()) {
    auto arguments = makeArguments(*entry.spec);
    if (!arguments)
      continue;
    std::vector<rt::HostTensor> results;
    (void)executable.run(entry.spec->name, *arguments, results, error);
  }
  return 0;
}
