//===- Sampler.h - Choosing the next token from logits ----------*- C++ -*-===//
//
// Greedy, temperature, top-k and top-p (nucleus) sampling over one row of
// logits, with a seeded generator (runtime/io/ParamInit.h's SplitMix64), so
// a seed reproduces a sample exactly. The order of the filters is the usual
// one: temperature scales the logits, top-k keeps the k largest, top-p then
// keeps the smallest prefix of those (by descending probability) whose mass
// reaches p; the token is drawn from what remains, renormalized.
//
//===----------------------------------------------------------------------===//

#ifndef DS_RUNTIME_INFER_SAMPLER_H
#define DS_RUNTIME_INFER_SAMPLER_H

#include "runtime/io/ParamInit.h"

#include <cstdint>
#include <span>
#include <string>

namespace ds::rt {

struct SamplingOptions {
  bool greedy = false;      // argmax; the other options are ignored
  double temperature = 1.0; // > 0
  int64_t topK = 0;         // 0: no limit
  double topP = 1.0;        // in (0, 1]
};

/// Checks the options' ranges; returns false and sets `error` otherwise.
bool checkSamplingOptions(const SamplingOptions &options, std::string &error);

/// The next token for `logits` (one per vocabulary entry; must not be
/// empty). Non-finite logits are never chosen unless all are.
int32_t sampleToken(std::span<const float> logits,
                    const SamplingOptions &options, RandomStream &random);

} // namespace ds::rt

#endif // DS_RUNTIME_INFER_SAMPLER_H
