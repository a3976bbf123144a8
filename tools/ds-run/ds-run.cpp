//===- ds-run.cpp - Run an entry of a compiled artifact -------------------===//
//
//   ds-run ARTIFACT_DIR [--entry=NAME] [--inputs=FILE.safetensors]...
//          [--zero-missing] [--output=OUT.safetensors] [--steps=N]
//          [--repeat=N] [--list] [--print]
//   ds-run --devices
//
// Runs one entry of an artifact written by ds-compile, with its arguments
// taken by name from safetensors files. --steps iterates an entry whose
// results feed its own arguments (a train_step returns the updated params,
// optimizer state and step under the names it takes them), which is how
// training runs without the compiler. Links libdsrt only, never MLIR.
//
//===----------------------------------------------------------------------===//

#include "runtime/Artifact.h"
#include "runtime/Executable.h"
#include "runtime/HostTensor.h"
#include "runtime/TensorFiles.h"
#include "runtime/io/Memory.h"
#include "runtime/io/Safetensors.h"
#ifdef DS_HAVE_CUDA
#include "runtime/cuda/CudaDriver.h"
#endif

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

using namespace ds::rt;

constexpr const char *kUsage =
    "usage: ds-run ARTIFACT_DIR [options]\n"
    "       ds-run --devices     list the CUDA devices (or say why there are "
    "none)\n"
    "  --list                 list the entries, their arguments and results\n"
    "  --entry=NAME           the entry to run (default: the only one)\n"
    "  --inputs=PATH          safetensors file, or checkpoint directory, with\n"
    "                         arguments by name (stacked parameters also from\n"
    "                         their per-layer Hugging Face tensors); may be\n"
    "                         repeated, later files override earlier ones\n"
    "  --zero-missing         fill arguments no input file holds with zeros\n"
    "  --steps=N              run N times, feeding each result back into the\n"
    "                         argument of the same name; prints the loss\n"
    "  --repeat=N             time N runs (after one untimed warm-up run),\n"
    "                         feeding results back like --steps, and print\n"
    "                         the median, min, max and mean per run\n"
    "  --print                print each result\n"
    "  --output=FILE          write the results, by name, to a safetensors "
    "file;\n"
    "                         a result stacking layers or experts is written\n"
    "                         per layer, under Hugging Face names\n"
    "  --stacked-names        write stacked results whole instead\n"
    "  --device=N             the GPU a CUDA artifact runs on (default 0)\n";

struct Options {
  std::string artifact;
  std::string entry;
  std::vector<std::string> inputs;
  std::string output;
  int64_t steps = 0; // 0: run once without step lines
  int64_t repeat = 0;
  int64_t device = 0;
  bool help = false;
  bool list = false;
  bool devices = false;
  bool print = false;
  bool zeroMissing = false;
  bool stackedNames = false;
};

// The error that ends the program: main prints it after "ds-run: ".
struct Failure {
  std::string message;
};

[[noreturn]] void fail(std::string message) {
  throw Failure{std::move(message)};
}

int64_t parseCount(std::string_view flag, std::string_view text) {
  int64_t value = 0;
  auto [end, error] =
      std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < 1)
    fail(std::string(flag) + " expects a positive integer, got '" +
         std::string(text) + "'");
  return value;
}

Options parseOptions(int argc, char **argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    std::string_view argument = argv[i];
    auto value = [&](std::string_view flag) -> std::optional<std::string_view> {
      if (argument.size() > flag.size() + 1 && argument.starts_with(flag) &&
          argument[flag.size()] == '=')
        return argument.substr(flag.size() + 1);
      if (argument == flag)
        fail(std::string(flag) + " needs a value: " + std::string(flag) +
             "=...");
      return std::nullopt;
    };
    if (argument == "--help" || argument == "-h") {
      options.help = true;
      return options;
    } else if (argument == "--list") {
      options.list = true;
    } else if (argument == "--devices") {
      options.devices = true;
      return options;
    } else if (argument == "--print") {
      options.print = true;
    } else if (argument == "--zero-missing") {
      options.zeroMissing = true;
    } else if (argument == "--stacked-names") {
      options.stackedNames = true;
    } else if (auto entry = value("--entry")) {
      options.entry = *entry;
    } else if (auto inputs = value("--inputs")) {
      options.inputs.emplace_back(*inputs);
    } else if (auto output = value("--output")) {
      options.output = *output;
    } else if (auto steps = value("--steps")) {
      options.steps = parseCount("--steps", *steps);
    } else if (auto repeat = value("--repeat")) {
      options.repeat = parseCount("--repeat", *repeat);
    } else if (auto device = value("--device")) {
      options.device = parseCount("--device", *device);
    } else if (argument.starts_with("-")) {
      fail("unknown option '" + std::string(argument) + "'\n" + kUsage);
    } else if (options.artifact.empty()) {
      options.artifact = argument;
    } else {
      fail("more than one artifact directory ('" + options.artifact +
           "' and '" + std::string(argument) + "')");
    }
  }
  if (options.artifact.empty())
    fail(std::string("no artifact directory given\n") + kUsage);
  if (options.steps != 0 && options.repeat != 0)
    fail("--steps and --repeat cannot be combined");
  return options;
}

/// `--devices`: the GPUs the CUDA driver sees, or why there are none.
int listDevices() {
#ifdef DS_HAVE_CUDA
  std::string error;
  std::unique_ptr<cuda::Driver> driver =
      cuda::Driver::load(cuda::Driver::defaultLibrary(), error);
  if (!driver)
    fail("no CUDA device: " + error);
  int count = driver->deviceCount(error);
  if (count < 0)
    fail("no CUDA device: " + error);
  std::printf("CUDA driver %d.%d: %d device%s\n", driver->version() / 1000,
              driver->version() % 1000 / 10, count, count == 1 ? "" : "s");
  for (int index = 0; index < count; ++index) {
    cuda::DeviceInfo info;
    if (!driver->describeDevice(index, info, error))
      fail(error);
    std::printf("device %d: %s, sm_%d%d, %d multiprocessors, %.1f GiB\n",
                info.index, info.name.c_str(), info.major, info.minor,
                info.multiprocessors,
                static_cast<double>(info.memoryBytes) / (1 << 30));
  }
  if (count == 0)
    fail("no CUDA device: the driver sees none");
  return 0;
#else
  fail("no CUDA device: this build of DS has no CUDA backend (no CUDA "
       "toolkit was found when it was built)");
#endif
}

void listArtifact(const Artifact &artifact) {
  const Manifest &manifest = artifact.manifest();
  std::printf("artifact %s: target %s", artifact.directory().c_str(),
              manifest.target.c_str());
  if (!manifest.triple.empty())
    std::printf(", triple %s", manifest.triple.c_str());
  if (!manifest.cpu.empty())
    std::printf(", cpu %s", manifest.cpu.c_str());
  std::printf(", library %s\n", manifest.library.c_str());
  if (!manifest.source.empty())
    std::printf("source: %s\n", manifest.source.c_str());
  for (const EntrySpec &entry : manifest.entries) {
    std::printf("entry '%s' (symbol %s): workspace %zu bytes",
                entry.name.c_str(), entry.symbol.c_str(), entry.workspaceBytes);
    if (entry.ranks > 1)
      std::printf(", sharded over %lld ranks (run by mpirun -np %lld)",
                  static_cast<long long>(entry.ranks),
                  static_cast<long long>(entry.ranks));
    std::printf("\n");
    if (entry.memory)
      std::printf("  memory: peak %" PRIu64 " bytes, %" PRIu64
                  " buffers, unplanned %" PRIu64 " bytes\n",
                  entry.memory->peakBytes, entry.memory->buffers,
                  entry.memory->unplannedBytes);
    for (const ArgumentSpec &argument : entry.arguments)
      std::printf("  argument %s: %s %s\n", argument.name.c_str(),
                  roleName(argument.role),
                  formatType(argument.dtype, argument.shape).c_str());
    for (const ResultSpec &result : entry.results) {
      std::printf("  result %s: %s", result.name.c_str(),
                  formatType(result.dtype, result.shape).c_str());
      if (result.balances)
        std::printf(" (balances %s)", result.balances->c_str());
      std::printf("\n");
    }
  }
}

const EntrySpec &chooseEntry(const Artifact &artifact, const Options &options) {
  const Manifest &manifest = artifact.manifest();
  std::string names;
  for (const EntrySpec &entry : manifest.entries)
    names += (names.empty() ? "" : ", ") + entry.name;
  if (options.entry.empty()) {
    if (manifest.entries.size() == 1)
      return manifest.entries.front();
    fail(artifact.directory() + " has several entries (" + names +
         "): choose one with --entry=NAME");
  }
  const EntrySpec *entry = manifest.findEntry(options.entry);
  if (!entry)
    fail(artifact.directory() + ": no entry '" + options.entry +
         "' (entries: " + names + ")");
  return *entry;
}

// Every argument of `entry` from the input files (a later file overrides an
// earlier one): under its own name, or, for a stacked parameter, from its
// per-layer slices (a Hugging Face checkpoint directory works as it is).
// Floats are converted to the argument's type; the shape must match.
NamedTensors loadArguments(const EntrySpec &entry, const Options &options) {
  NamedTensors arguments;
  std::string error;
  if (!checkMemory(entry.memoryBytes(),
                   "entry '" + entry.name +
                       "''s arguments, results and workspace",
                   error))
    fail(error);
  for (const std::string &path : options.inputs) {
    WeightFiles files;
    if (!files.add(path, error))
      fail(error);
    for (const ArgumentSpec &argument : entry.arguments) {
      if (!files.provides(argument.name))
        continue;
      std::optional<HostTensor> loaded = readTensor(files, argument, error);
      if (!loaded)
        fail(error + " (argument '" + argument.name + "' of entry '" +
             entry.name + "' is " +
             formatType(argument.dtype, argument.shape) + ")");
      arguments.insert_or_assign(argument.name, std::move(*loaded));
    }
  }
  std::string missing;
  for (const ArgumentSpec &argument : entry.arguments) {
    if (arguments.count(argument.name))
      continue;
    if (!options.zeroMissing) {
      missing += (missing.empty() ? "" : ", ") + argument.name;
      continue;
    }
    std::optional<HostTensor> zeros =
        HostTensor::zeros(argument.dtype, argument.shape, error);
    if (!zeros)
      fail("argument '" + argument.name + "': " + error);
    arguments.emplace(argument.name, std::move(*zeros));
  }
  if (!missing.empty())
    fail("entry '" + entry.name + "': no input holds argument" +
         (missing.find(',') == std::string::npos ? " " : "s ") + missing +
         " (pass --inputs=FILE, or --zero-missing)");
  return arguments;
}

// The shortest text that reads back as the same value of the tensor's type.
std::string formatElement(const HostTensor &tensor, int64_t index) {
  const uint8_t *element =
      tensor.data() + size_t(index) * dtypeSize(tensor.dtype());
  char buffer[64];
  std::to_chars_result written;
  switch (tensor.dtype()) {
  case DType::F64: {
    double value;
    std::memcpy(&value, element, sizeof value);
    written = std::to_chars(buffer, buffer + sizeof buffer, value);
    break;
  }
  case DType::I64: { // not through double: it cannot hold every I64
    int64_t value;
    std::memcpy(&value, element, sizeof value);
    written = std::to_chars(buffer, buffer + sizeof buffer, value);
    break;
  }
  case DType::BOOL:
    return *element ? "true" : "false";
  default:
    if (isFloat(tensor.dtype())) // F32 and narrower are exact as float
      written = std::to_chars(buffer, buffer + sizeof buffer,
                              float(decodeScalar(tensor.dtype(), element)));
    else
      written = std::to_chars(buffer, buffer + sizeof buffer,
                              int64_t(decodeScalar(tensor.dtype(), element)));
    break;
  }
  return std::string(buffer, written.ptr);
}

void printResult(const std::string &name, const HostTensor &tensor) {
  // Small tensors whole; larger ones by their first elements.
  constexpr int64_t kWhole = 16, kFirst = 8;
  std::string text =
      name + ": " + formatType(tensor.dtype(), tensor.shape()) + " = ";
  int64_t count = tensor.numElements();
  if (tensor.shape().empty()) {
    text += formatElement(tensor, 0);
  } else {
    int64_t shown = count <= kWhole ? count : kFirst;
    text += "[";
    for (int64_t i = 0; i < shown; ++i)
      text += (i ? ", " : "") + formatElement(tensor, i);
    text += shown < count ? ", ...]" : "]";
  }
  std::printf("%s\n", text.c_str());
}

// The results that feed an argument of the same name on the next step, as
// (result index, argument name); their types must agree.
std::vector<std::pair<size_t, std::string>> feedback(const EntrySpec &entry) {
  std::vector<std::pair<size_t, std::string>> pairs;
  for (size_t i = 0; i < entry.results.size(); ++i) {
    const ResultSpec &result = entry.results[i];
    const ArgumentSpec *argument = entry.findArgument(result.name);
    if (!argument)
      continue;
    if (argument->dtype != result.dtype || argument->shape != result.shape)
      fail("--steps: result '" + result.name + "' (" +
           formatType(result.dtype, result.shape) +
           ") cannot feed the argument of the same name (" +
           formatType(argument->dtype, argument->shape) + ")");
    pairs.emplace_back(i, result.name);
  }
  return pairs;
}

int runTool(int argc, char **argv) {
  Options options = parseOptions(argc, argv);
  if (options.help) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (options.devices)
    return listDevices();
  std::string error;
  std::shared_ptr<const Artifact> artifact =
      Artifact::load(options.artifact, error,
                     LoadOptions{static_cast<int>(options.device)});
  if (!artifact)
    fail(error);
  if (options.list) {
    listArtifact(*artifact);
    return 0;
  }
  const EntrySpec &entry = chooseEntry(*artifact, options);
  NamedTensors arguments = loadArguments(entry, options);
  Executable executable(artifact);
  std::vector<HostTensor> results;
  auto runOnce = [&] {
    if (!executable.runNamed(entry.name, arguments, results, error))
      fail(error);
  };

  if (options.repeat > 0) {
    // Results that feed an argument of the same name (a train step's state)
    // do so between runs, so that a timed train step trains.
    auto fed = feedback(entry);
    auto feed = [&] {
      for (auto &[index, name] : fed)
        std::swap(results[index], arguments.find(name)->second);
    };
    runOnce(); // warm-up: allocates the workspace and results, faults pages in
    feed();
    std::vector<double> times;
    for (int64_t i = 0; i < options.repeat; ++i) {
      auto start = std::chrono::steady_clock::now();
      runOnce();
      times.push_back(std::chrono::duration<double, std::milli>(
                          std::chrono::steady_clock::now() - start)
                          .count());
      feed();
    }
    double total = 0.0;
    for (double t : times)
      total += t;
    std::vector<double> sorted = times;
    std::sort(sorted.begin(), sorted.end());
    const size_t n = sorted.size();
    const double median =
        n % 2 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
    std::printf("repeat: %" PRId64 " runs of '%s', median %.6g ms (min %.6g, "
                "max %.6g), mean %.6g ms per run\n",
                options.repeat, entry.name.c_str(), median, sorted.front(),
                sorted.back(), total / double(n));
  } else {
    auto fed = feedback(entry);
    const ResultSpec *loss = entry.findResult("loss");
    size_t lossIndex = loss ? size_t(loss - entry.results.data()) : 0;
    int64_t steps = std::max<int64_t>(options.steps, 1);
    for (int64_t step = 1; step <= steps; ++step) {
      runOnce();
      if (options.steps > 0 && loss && results[lossIndex].numElements() > 0)
        std::printf("step %" PRId64 ": loss %s\n", step,
                    formatElement(results[lossIndex], 0).c_str());
      // The last step's results stay results; earlier ones become the next
      // arguments. Swapping hands the old argument buffer back as the next
      // result buffer, so steps do not allocate.
      if (step < steps)
        for (auto &[index, name] : fed)
          std::swap(results[index], arguments.find(name)->second);
    }
  }

  if (options.print)
    for (size_t i = 0; i < results.size(); ++i)
      printResult(entry.results[i].name, results[i]);
  if (!options.output.empty()) {
    std::vector<NamedTensorRef> tensors;
    for (size_t i = 0; i < results.size(); ++i)
      tensors.emplace_back(entry.results[i].name, &results[i]);
    if (!writeTensors(options.output, tensors, !options.stackedNames,
                      {{"format", "pt"}, {"entry", entry.name}}, error))
      fail(error);
  }
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  try {
    return runTool(argc, argv);
  } catch (const Failure &failure) {
    std::fprintf(stderr, "ds-run: %s\n", failure.message.c_str());
  } catch (const std::exception &e) {
    std::fprintf(stderr, "ds-run: %s\n", e.what());
  }
  return 1;
}
