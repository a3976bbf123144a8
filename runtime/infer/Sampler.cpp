//===- Sampler.cpp - Choosing the next token from logits ------------------===//

#include "runtime/infer/Sampler.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

namespace ds::rt {

bool checkSamplingOptions(const SamplingOptions &options, std::string &error) {
  if (!(options.temperature > 0.0) || !std::isfinite(options.temperature)) {
    error = "temperature must be positive (use greedy decoding for 0)";
    return false;
  }
  if (options.topK < 0) {
    error = "top-k must be 0 (no limit) or positive";
    return false;
  }
  if (!(options.topP > 0.0 && options.topP <= 1.0)) {
    error = "top-p must be in (0, 1]";
    return false;
  }
  return true;
}

int32_t sampleToken(std::span<const float> logits,
                    const SamplingOptions &options, RandomStream &random) {
  const int32_t vocab = int32_t(logits.size());
  auto better = [&](int32_t a, int32_t b) {
    // Descending logit; NaN last; ties to the lower id.
    const float x = logits[size_t(a)], y = logits[size_t(b)];
    const bool xOk = !std::isnan(x), yOk = !std::isnan(y);
    if (xOk != yOk)
      return xOk;
    if (x != y)
      return x > y;
    return a < b;
  };
  if (options.greedy) {
    int32_t best = 0;
    for (int32_t i = 1; i < vocab; ++i)
      if (better(i, best))
        best = i;
    return best;
  }
  std::vector<int32_t> order(static_cast<size_t>(vocab));
  std::iota(order.begin(), order.end(), 0);
  size_t keep = order.size();
  if (options.topK > 0 && size_t(options.topK) < keep) {
    keep = size_t(options.topK);
    std::partial_sort(order.begin(), order.begin() + long(keep), order.end(),
                      better);
  } else {
    std::sort(order.begin(), order.end(), better);
  }
  order.resize(keep);
  if (!std::isfinite(logits[size_t(order[0])]))
    return order[0];
  // Softmax at the temperature, in double, relative to the largest logit.
  const double top = logits[size_t(order[0])];
  std::vector<double> weights(order.size());
  double total = 0.0;
  for (size_t i = 0; i < order.size(); ++i) {
    const double logit = logits[size_t(order[i])];
    weights[i] = std::isfinite(logit)
                     ? std::exp((logit - top) / options.temperature)
                     : 0.0;
    total += weights[i];
  }
  // Nucleus: the shortest prefix whose probability reaches top-p.
  if (options.topP < 1.0) {
    double mass = 0.0;
    size_t prefix = 0;
    while (prefix < weights.size()) {
      mass += weights[prefix++] / total;
      if (mass >= options.topP)
        break;
    }
    weights.resize(prefix);
    total = std::accumulate(weights.begin(), weights.end(), 0.0);
  }
  double u = random.uniform() * total;
  for (size_t i = 0; i < weights.size(); ++i) {
    u -= weights[i];
    if (u < 0.0)
      return order[i];
  }
  return order[weights.size() - 1];
}

} // namespace ds::rt
