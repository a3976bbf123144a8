//===- Executable.cpp - Runs an artifact's entries ------------------------===//

#include "runtime/Executable.h"

#include <cstring>
#include <new>

namespace ds::rt {
namespace {

std::string quoted(std::string_view name) {
  return "'" + std::string(name) + "'";
}

std::string argumentLabel(const EntrySpec &spec, size_t index) {
  return "argument " + quoted(spec.arguments[index].name) + " (#" +
         std::to_string(index) + ")";
}

std::string resultLabel(const EntrySpec &spec, size_t index) {
  return "result " + quoted(spec.results[index].name) + " (#" +
         std::to_string(index) + ")";
}

template <typename Spec> std::string listNames(const std::vector<Spec> &specs) {
  std::string names;
  for (const Spec &spec : specs)
    names += (names.empty() ? "" : ", ") + spec.name;
  return names;
}

bool isAligned(const void *pointer) {
  return reinterpret_cast<uintptr_t>(pointer) % kBufferAlignment == 0;
}

bool overlaps(const void *a, size_t sizeA, const void *b, size_t sizeB) {
  if (sizeA == 0 || sizeB == 0)
    return false;
  auto startA = reinterpret_cast<uintptr_t>(a);
  auto startB = reinterpret_cast<uintptr_t>(b);
  return startA < startB + sizeB && startB < startA + sizeA;
}

} // namespace

std::string describeStatus(const ds_status &status, const Manifest &manifest,
                           std::string_view entryName,
                           std::string_view collectiveError) {
  std::string what;
  switch (status.code) {
  case DS_STATUS_INDEX_OUT_OF_RANGE:
    what = "index " + std::to_string(status.value) + " out of range [0, " +
           std::to_string(status.bound) + ")";
    break;
  case DS_STATUS_DIVISION_BY_ZERO:
    what = "integer division by zero";
    break;
  case DS_STATUS_COLLECTIVE_FAILED:
    what = "a collective between ranks failed" +
           (collectiveError.empty() ? std::string()
                                    : ": " + std::string(collectiveError));
    break;
  case DS_STATUS_NO_COMMUNICATOR:
    what = "the code is sharded over " + std::to_string(status.bound) +
           " ranks but runs with " + std::to_string(status.value);
    break;
  default:
    // A newer compiler may know codes this runtime does not; report the raw
    // fields rather than guessing.
    what = "error code " + std::to_string(status.code) + " (value " +
           std::to_string(status.value) + ", bound " +
           std::to_string(status.bound) + ")";
    break;
  }
  return "run-time error in entry " + quoted(entryName) + " at " +
         manifest.siteName(status.site) + ": " + what;
}

Executable::Executable(std::shared_ptr<const Artifact> artifact)
    : artifact_(std::move(artifact)), workspaces_(artifact_->entries().size()) {
}

const Artifact::Entry *Executable::lookUp(std::string_view name,
                                          std::string &error) const {
  const Artifact::Entry *entry = artifact_->findEntry(name);
  if (!entry) {
    std::string names;
    for (const Artifact::Entry &other : artifact_->entries())
      names += (names.empty() ? "" : ", ") + other.spec->name;
    error = artifact_->directory() + ": no entry " + quoted(name) +
            " (entries: " + names + ")";
  }
  return entry;
}

bool Executable::prepareOutputs(const Artifact::Entry &entry,
                                std::span<const HostTensor *const> inputs,
                                std::vector<HostTensor> &outputs,
                                std::string &error) {
  const EntrySpec &spec = *entry.spec;
  outputs.resize(spec.results.size());
  for (size_t i = 0; i < spec.results.size(); ++i) {
    const ResultSpec &result = spec.results[i];
    HostTensor &output = outputs[i];
    bool reusable = output.valid() && output.dtype() == result.dtype &&
                    output.shape() == result.shape;
    // An output that aliases an input (a caller passing last step's results
    // back in) would break the ABI's no-overlap rule: give it fresh memory.
    for (const HostTensor *input : inputs)
      if (reusable && overlaps(output.data(), output.byteSize(), input->data(),
                               input->byteSize()))
        reusable = false;
    if (reusable)
      continue;
    std::string problem;
    std::optional<HostTensor> fresh =
        HostTensor::zeros(result.dtype, result.shape, problem);
    if (!fresh) {
      error = "entry " + quoted(spec.name) + ": " + resultLabel(spec, i) +
              ": " + problem;
      return false;
    }
    output = std::move(*fresh);
  }
  return true;
}

bool Executable::call(const Artifact::Entry &entry,
                      std::vector<void *> &buffers, std::string &error) {
  if (artifact_->backend())
    return callOnDevice(entry, buffers, error);
  const EntrySpec &spec = *entry.spec;
  AlignedBytes &workspace = workspaces_[entry.index];
  if (!workspace) {
    // Not zero-filled: a large workspace would be committed page by page for
    // nothing, and compiled code never reads scratch it has not written.
    workspace = allocateAligned(spec.workspaceBytes, /*zeroFill=*/false);
    if (!workspace) {
      error = "entry " + quoted(spec.name) + ": cannot allocate its " +
              std::to_string(spec.workspaceBytes) + "-byte workspace";
      return false;
    }
  }
  // An entry compiled for N > 1 ranks runs only on a communicator of N;
  // the others run on this process alone, whatever it is part of.
  const int64_t ranks = communicator_ ? communicator_->size() : 1;
  if (spec.ranks > 1 && spec.ranks != ranks) {
    error = "entry " + quoted(spec.name) + " is compiled for " +
            std::to_string(spec.ranks) + " ranks (ds-compile --ds-shard) "
            "and this process runs with " + std::to_string(ranks) +
            (ranks == 1 ? ": start one process per rank (mpirun -np " +
                              std::to_string(spec.ranks) + " ...)"
                        : "");
    return false;
  }
  status_ = ds_status{};
  status_.comm = spec.ranks > 1 ? &world_.table : nullptr;
  runningGrid_ = &spec.grid;
  commError_.clear();
  entry.function(&status_, buffers.data(), workspace.get());
  if (status_.code != DS_STATUS_OK) {
    error = describeStatus(status_, artifact_->manifest(), spec.name,
                           commError_);
    return false;
  }
  return true;
}

void Executable::setCommunicator(Communicator *communicator) {
  communicator_ = communicator;
  groupTables_.clear();
  groups_.clear();
  world_ = CommTable{};
  if (communicator)
    bindTable(world_, communicator);
}

void Executable::bindTable(CommTable &table, Communicator *communicator) {
  table.communicator = communicator;
  table.owner = this;
  ds_comm &comm = table.table;
  comm.self = &table;
  comm.rank = communicator->rank();
  comm.size = communicator->size();
  comm.all_reduce = [](void *self, void *buffer, int64_t count, int32_t dtype,
                       int32_t reduction) -> int32_t {
    auto *t = static_cast<CommTable *>(self);
    return t->communicator->allReduce(buffer, size_t(count), DType(dtype),
                                      ReduceOp(reduction),
                                      t->owner->commError_)
               ? 0
               : 1;
  };
  comm.all_gather = [](void *self, const void *input, void *output,
                       int64_t bytes) -> int32_t {
    auto *t = static_cast<CommTable *>(self);
    return t->communicator->allGather(input, output, size_t(bytes), DType::U8,
                                      t->owner->commError_)
               ? 0
               : 1;
  };
  comm.reduce_scatter = [](void *self, const void *input, void *output,
                           int64_t count, int32_t dtype,
                           int32_t reduction) -> int32_t {
    auto *t = static_cast<CommTable *>(self);
    return t->communicator->reduceScatter(input, output, size_t(count),
                                          DType(dtype), ReduceOp(reduction),
                                          t->owner->commError_)
               ? 0
               : 1;
  };
  comm.all_to_all_v = [](void *self, const void *input,
                         const int64_t *sendBytes, const int64_t *sendOffsets,
                         void *output, const int64_t *recvBytes,
                         const int64_t *recvOffsets) -> int32_t {
    auto *t = static_cast<CommTable *>(self);
    const size_t size = size_t(t->communicator->size());
    std::vector<size_t> runs(4 * size);
    for (size_t r = 0; r < size; ++r) {
      runs[r] = size_t(sendBytes[r]);
      runs[size + r] = size_t(sendOffsets[r]);
      runs[2 * size + r] = size_t(recvBytes[r]);
      runs[3 * size + r] = size_t(recvOffsets[r]);
    }
    return t->communicator->allToAllV(input, runs.data(), runs.data() + size,
                                      output, runs.data() + 2 * size,
                                      runs.data() + 3 * size,
                                      t->owner->commError_)
               ? 0
               : 1;
  };
  comm.group = [](void *self, int64_t axes) -> const ds_comm * {
    return static_cast<CommTable *>(self)->owner->groupTable(axes);
  };
}

const ds_comm *Executable::groupTable(int64_t axes) {
  if (!communicator_ || !runningGrid_)
    return nullptr;
  const std::vector<int64_t> &grid = *runningGrid_;
  if (grid.size() <= 1 || axes == (int64_t(1) << grid.size()) - 1)
    return &world_.table;
  auto key = std::make_pair(grid, axes);
  if (auto found = groupTables_.find(key); found != groupTables_.end())
    return &found->second->table;
  auto groups = groups_.try_emplace(grid, *communicator_, grid).first;
  Communicator *group = groups->second.group(axes, commError_);
  if (!group)
    return nullptr;
  auto table = std::make_unique<CommTable>();
  bindTable(*table, group);
  return &(groupTables_[key] = std::move(table))->table;
}

bool Executable::run(std::string_view name,
                     std::span<const HostTensor *const> inputs,
                     std::vector<HostTensor> &outputs, std::string &error) {
  status_ = ds_status{};
  try {
    const Artifact::Entry *entry = lookUp(name, error);
    if (!entry)
      return false;
    const EntrySpec &spec = *entry->spec;
    if (inputs.size() != spec.arguments.size()) {
      error = "entry " + quoted(spec.name) + " takes " +
              std::to_string(spec.arguments.size()) + " arguments (" +
              listNames(spec.arguments) + "), got " +
              std::to_string(inputs.size());
      return false;
    }
    for (size_t i = 0; i < inputs.size(); ++i) {
      const ArgumentSpec &argument = spec.arguments[i];
      const HostTensor *input = inputs[i];
      if (!input || !input->valid()) {
        error = "entry " + quoted(spec.name) + ": " + argumentLabel(spec, i) +
                " is missing (an empty tensor)";
        return false;
      }
      if (input->dtype() != argument.dtype ||
          input->shape() != argument.shape) {
        error = "entry " + quoted(spec.name) + ": " + argumentLabel(spec, i) +
                " expects " + formatType(argument.dtype, argument.shape) +
                ", got " + formatType(input->dtype(), input->shape());
        return false;
      }
    }
    if (!prepareOutputs(*entry, inputs, outputs, error))
      return false;
    std::vector<void *> buffers;
    buffers.reserve(inputs.size() + outputs.size());
    // Arguments are read-only for the callee; the ABI's array is not const
    // only because results share it.
    for (const HostTensor *input : inputs)
      buffers.push_back(const_cast<uint8_t *>(input->data()));
    for (HostTensor &output : outputs)
      buffers.push_back(output.data());
    return call(*entry, buffers, error);
  } catch (const std::bad_alloc &) {
    error = "entry " + quoted(name) + ": out of memory";
    return false;
  }
}

bool Executable::run(std::string_view name, std::span<const HostTensor> inputs,
                     std::vector<HostTensor> &outputs, std::string &error) {
  std::vector<const HostTensor *> pointers;
  try {
    pointers.reserve(inputs.size());
  } catch (const std::bad_alloc &) {
    error = "entry " + quoted(name) + ": out of memory";
    return false;
  }
  for (const HostTensor &input : inputs)
    pointers.push_back(&input);
  return run(name, pointers, outputs, error);
}

bool Executable::runNamed(std::string_view name, const NamedTensors &inputs,
                          std::vector<HostTensor> &outputs,
                          std::string &error) {
  status_ = ds_status{};
  try {
    const Artifact::Entry *entry = lookUp(name, error);
    if (!entry)
      return false;
    const EntrySpec &spec = *entry->spec;
    std::vector<const HostTensor *> ordered;
    std::string missing;
    for (const ArgumentSpec &argument : spec.arguments) {
      auto it = inputs.find(argument.name);
      if (it == inputs.end())
        missing += (missing.empty() ? "" : ", ") + argument.name;
      else
        ordered.push_back(&it->second);
    }
    if (!missing.empty()) {
      error = "entry " + quoted(spec.name) + ": missing arguments: " + missing;
      return false;
    }
    return run(name, ordered, outputs, error);
  } catch (const std::bad_alloc &) {
    error = "entry " + quoted(name) + ": out of memory";
    return false;
  }
}

bool Executable::runRaw(const Artifact::Entry &entry,
                        const void *const *arguments, void *const *results,
                        std::string &error) {
  status_ = ds_status{};
  try {
    const EntrySpec &spec = *entry.spec;
    if (entry.index >= artifact_->entries().size() ||
        &artifact_->entries()[entry.index] != &entry) {
      error = "entry " + quoted(spec.name) + " belongs to another artifact";
      return false;
    }
    size_t numArguments = spec.arguments.size();
    size_t numResults = spec.results.size();
    if ((numArguments && !arguments) || (numResults && !results)) {
      error = "entry " + quoted(spec.name) + ": null buffer array";
      return false;
    }
    struct Buffer {
      void *data;
      size_t size;
      std::string label;
    };
    std::vector<Buffer> given;
    for (size_t i = 0; i < numArguments; ++i)
      given.push_back({const_cast<void *>(arguments[i]),
                       spec.arguments[i].byteSize, argumentLabel(spec, i)});
    for (size_t i = 0; i < numResults; ++i)
      given.push_back(
          {results[i], spec.results[i].byteSize, resultLabel(spec, i)});
    for (const Buffer &buffer : given)
      if (!buffer.data && buffer.size != 0) {
        error = "entry " + quoted(spec.name) + ": " + buffer.label +
                ": null data pointer for " + std::to_string(buffer.size) +
                " bytes";
        return false;
      }
    for (size_t r = numArguments; r < given.size(); ++r)
      for (size_t other = 0; other < r; ++other)
        if (overlaps(given[r].data, given[r].size, given[other].data,
                     given[other].size)) {
          error = "entry " + quoted(spec.name) + ": " + given[r].label +
                  " overlaps " + given[other].label;
          return false;
        }

    // Compiled code may use aligned vector loads, so an unaligned buffer
    // (a NumPy array, a slice) goes through an aligned copy.
    std::vector<AlignedBytes> staging;
    std::vector<void *> buffers(given.size());
    for (size_t i = 0; i < given.size(); ++i) {
      const Buffer &buffer = given[i];
      if (buffer.size != 0 && isAligned(buffer.data)) {
        buffers[i] = buffer.data;
        continue;
      }
      AlignedBytes copy = allocateAligned(buffer.size, /*zeroFill=*/false);
      if (!copy) {
        error = "entry " + quoted(spec.name) + ": " + buffer.label +
                ": cannot allocate an aligned copy";
        return false;
      }
      if (i < numArguments && buffer.size != 0)
        std::memcpy(copy.get(), buffer.data, buffer.size);
      buffers[i] = copy.get();
      staging.push_back(std::move(copy));
    }
    if (!call(entry, buffers, error))
      return false;
    for (size_t i = numArguments; i < given.size(); ++i)
      if (buffers[i] != given[i].data && given[i].size != 0)
        std::memcpy(given[i].data, buffers[i], given[i].size);
    return true;
  } catch (const std::bad_alloc &) {
    error = "entry " + quoted(entry.spec->name) + ": out of memory";
    return false;
  }
}

} // namespace ds::rt
