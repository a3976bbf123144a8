//===- ParamInit.h - Initial values of model parameters ---------*- C++ -*-===//
//
// How a parameter's starting value follows from a seed, defined once for the
// whole project: the interpreter (ds-interp --init-seed), the compiled
// training loop (ds-train, from the artifact's manifest) and the weight tools
// all call this, so a run in any of them starts from bit-identical weights.
//
// A parameter whose name stacks layers or experts
// (`model.layers.[1:4].mlp.experts.[0:16].gate_proj.weight`) is initialised
// slice by slice, each from its own stream seeded by the slice's checkpoint
// name (`model.layers.2.mlp.experts.5.gate_proj.weight`): a layer's weights
// do not depend on how many layers are stacked with it.
//
// The generator is SplitMix64 (its whole state is one integer), normal
// values come from Box–Muller, and a stream's seed is the FNV-1a hash of the
// name mixed with the run's seed.
//
//===----------------------------------------------------------------------===//

#ifndef DS_RUNTIME_IO_PARAMINIT_H
#define DS_RUNTIME_IO_PARAMINIT_H

#include <cstdint>
#include <vector>
#include <string>
#include <string_view>

namespace ds::rt {

/// The initializers of `#ds.param`, in the order of the dialect's InitKind.
enum class InitKind { Zeros, Ones, Constant, Normal, TruncatedNormal, Uniform };

/// "zeros", "ones", "constant", "normal", "truncated_normal", "uniform".
const char *initKindName(InitKind kind);
bool parseInitKind(std::string_view name, InitKind &kind);

struct ParamInit {
  InitKind kind = InitKind::Zeros;
  double a = 0.0; // constant's value, the mean, or uniform's low end
  double b = 0.0; // the standard deviation, or uniform's high end
};

/// SplitMix64 with uniform and normal draws.
class RandomStream {
public:
  explicit RandomStream(uint64_t seed) : state_(seed) {}
  uint64_t next();
  /// Uniform in [0, 1) with 53 random bits.
  double uniform() { return double(next() >> 11) * 0x1.0p-53; }
  /// Standard normal (Box–Muller; one value per call).
  double normal();

private:
  uint64_t state_;
};

/// The seed of the stream named `text` in a run seeded with `seed`.
uint64_t streamSeed(uint64_t seed, std::string_view text);

/// Sets `out` to the initial value of parameter `name` (shape `shape`,
/// row-major, one double per element). Returns false and
/// sets `error` when the name's index ranges do not parse or do not match
/// the shape's leading dimensions.
bool initialValues(std::string_view name, const std::vector<int64_t> &shape,
                   const ParamInit &init, uint64_t seed,
                   std::vector<double> &out, std::string &error);

} // namespace ds::rt

#endif // DS_RUNTIME_IO_PARAMINIT_H
