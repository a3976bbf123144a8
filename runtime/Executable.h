//===- Executable.h - Runs an artifact's entries ----------------*- C++ -*-===//
//
// The per-thread half of running an artifact: the workspaces (one per entry,
// allocated at its first run and reused, as the static memory plan assumes a
// fixed scratch area) and the checks that make a call safe. Before calling
// compiled code it validates the count, dtype and shape of every buffer,
// because the code trusts the manifest completely: a wrong shape would read
// or write outside a buffer instead of failing.
//
// Threading: an Executable is used by one thread at a time; threads that run
// the same artifact concurrently each use their own Executable over one
// shared Artifact (the ABI allows concurrent calls on distinct workspaces).
//
//===----------------------------------------------------------------------===//

#ifndef DS_RUNTIME_EXECUTABLE_H
#define DS_RUNTIME_EXECUTABLE_H

#include "runtime/Artifact.h"
#include "runtime/HostTensor.h"
#include "runtime/comm/Communicator.h"
#include "runtime/comm/GridGroups.h"

#include "kernels/cpu/Collectives.h"

#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ds::rt {

using NamedTensors = std::map<std::string, HostTensor, std::less<>>;

/// The message for a failed run: "run-time error in entry 'forward' at
/// <site>: index 1005 out of range [0, 1000)". `status.code` is non-zero.
std::string describeStatus(const ds_status &status, const Manifest &manifest,
                           std::string_view entryName,
                           std::string_view collectiveError = "");

class Executable {
public:
  explicit Executable(std::shared_ptr<const Artifact> artifact);
  Executable(const Executable &) = delete;
  Executable &operator=(const Executable &) = delete;

  const Artifact &artifact() const { return *artifact_; }

  /// Runs `entry` on `inputs`, matched to its arguments by position. Each
  /// input must have exactly the argument's dtype and shape. `outputs`
  /// receives one tensor per result, in order; tensors already there with the
  /// right dtype and shape are reused (so repeated runs do not allocate),
  /// unless they share memory with an input. Returns false and sets `error`
  /// on a bad call or when the run reports a failure (see lastStatus()); the
  /// outputs' contents are then unspecified.
  bool run(std::string_view entry, std::span<const HostTensor *const> inputs,
           std::vector<HostTensor> &outputs, std::string &error);
  bool run(std::string_view entry, std::span<const HostTensor> inputs,
           std::vector<HostTensor> &outputs, std::string &error);

  /// Like run(), with each argument taken from `inputs` by name. Names the
  /// entry does not take are ignored; missing ones are an error that lists
  /// every missing name.
  bool runNamed(std::string_view entry, const NamedTensors &inputs,
                std::vector<HostTensor> &outputs, std::string &error);

  /// The unchecked-types path, for callers that manage their own buffers
  /// (the C API): one data pointer per argument and per result, each holding
  /// exactly the manifest's byte size. Pointers need not be aligned (such
  /// buffers are staged through aligned copies) but results must not overlap
  /// arguments or each other. A pointer may be null only for an empty tensor.
  bool runRaw(const Artifact::Entry &entry, const void *const *arguments,
              void *const *results, std::string &error);

  /// The status the last call reported (all zero after a successful run, or
  /// when the last call failed before reaching compiled code).
  const ds_status &lastStatus() const { return status_; }

  /// The communicator that entries sharded over several ranks (the
  /// manifest's per-entry "ranks") exchange data through; not owned, and
  /// it must outlive this Executable. Such an entry refuses to run without
  /// one of its size; other entries never use it.
  void setCommunicator(Communicator *communicator);

private:
  const Artifact::Entry *lookUp(std::string_view entry,
                                std::string &error) const;
  bool prepareOutputs(const Artifact::Entry &entry,
                      std::span<const HostTensor *const> inputs,
                      std::vector<HostTensor> &outputs, std::string &error);
  bool call(const Artifact::Entry &entry, std::vector<void *> &buffers,
            std::string &error);
  /// call() for a CUDA artifact (ExecutableCuda.cpp): the host buffers
  /// copied to device buffers and back around the run.
  bool callOnDevice(const Artifact::Entry &entry,
                    std::vector<void *> &buffers, std::string &error);

  std::shared_ptr<const Artifact> artifact_;
  /// Indexed by Artifact::Entry::index; empty until the entry first runs.
  std::vector<AlignedBytes> workspaces_;
  ds_status status_{};
  /// The compiled code's view of a communicator (kernels/cpu/Collectives.h).
  struct CommTable {
    ds_comm table{};
    Communicator *communicator = nullptr;
    Executable *owner = nullptr;
  };
  void bindTable(CommTable &table, Communicator *communicator);
  /// The table of the running entry's group along the grid axes in `axes`
  /// (a bitmask), made on first use; null with commError_ set.
  const ds_comm *groupTable(int64_t axes);

  Communicator *communicator_ = nullptr;
  CommTable world_;
  /// The groups of each grid shape an entry ran on, and their tables.
  std::map<std::vector<int64_t>, GridGroups> groups_;
  std::map<std::pair<std::vector<int64_t>, int64_t>, std::unique_ptr<CommTable>>
      groupTables_;
  /// The grid of the entry running now.
  const std::vector<int64_t> *runningGrid_ = nullptr;
  /// The error of the last failed collective.
  std::string commError_;

  /// A CUDA artifact's device memory: workspaces, argument and result
  /// buffers, the run's status (ExecutableCuda.cpp). Null for CPU
  /// artifacts and until the first run.
  struct DeviceState;
  struct DeviceStateDeleter {
    void operator()(DeviceState *state) const;
  };
  std::unique_ptr<DeviceState, DeviceStateDeleter> device_;
};

} // namespace ds::rt

#endif // DS_RUNTIME_EXECUTABLE_H
