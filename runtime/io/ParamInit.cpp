//===- ParamInit.cpp - Initial values of model parameters -----------------===//

#include "runtime/io/ParamInit.h"

#include "runtime/io/ParamNamePattern.h"

#include <cmath>

namespace ds::rt {

namespace {
constexpr const char *kKindNames[] = {"zeros",  "ones",
                                      "constant", "normal",
                                      "truncated_normal", "uniform"};
} // namespace

const char *initKindName(InitKind kind) { return kKindNames[int(kind)]; }

bool parseInitKind(std::string_view name, InitKind &kind) {
  for (int i = 0; i < 6; ++i)
    if (name == kKindNames[i]) {
      kind = InitKind(i);
      return true;
    }
  return false;
}

uint64_t RandomStream::next() {
  uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

double RandomStream::normal() {
  double u1 = uniform(), u2 = uniform();
  return std::sqrt(-2.0 * std::log1p(-u1)) * std::cos(2.0 * M_PI * u2);
}

uint64_t streamSeed(uint64_t seed, std::string_view text) {
  uint64_t hash = 0xcbf29ce484222325ULL ^ (seed * 0x9e3779b97f4a7c15ULL);
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

bool initialValues(std::string_view name, const std::vector<int64_t> &shape,
                   const ParamInit &init, uint64_t seed,
                   std::vector<double> &out, std::string &error) {
  ParamNamePattern pattern;
  if (!ParamNamePattern::parse(name, pattern, error))
    return false;
  if (pattern.numStackedDims() > shape.size()) {
    error = "parameter '" + std::string(name) + "' stacks " +
            std::to_string(pattern.numStackedDims()) +
            " dimensions but has rank " + std::to_string(shape.size());
    return false;
  }
  int64_t elements = 1;
  for (int64_t d : shape)
    elements *= d;
  for (size_t dim = 0; dim < pattern.numStackedDims(); ++dim)
    if (pattern.extent(dim) != shape[dim]) {
      error = "parameter '" + std::string(name) + "': range " +
              std::to_string(dim) + " has " +
              std::to_string(pattern.extent(dim)) +
              " entries but the dimension has size " +
              std::to_string(shape[dim]);
      return false;
    }
  out.assign(size_t(elements), 0.0);
  const int64_t slices = pattern.numSlices();
  const int64_t sliceSize = slices ? elements / slices : 0;
  const double a = init.a, b = init.b;
  for (int64_t slice = 0; slice < slices; ++slice) {
    RandomStream random(streamSeed(seed, pattern.expandFlat(slice)));
    double *values = out.data() + slice * sliceSize;
    for (int64_t i = 0; i < sliceSize; ++i) {
      switch (init.kind) {
      case InitKind::Zeros:
        values[i] = 0.0;
        break;
      case InitKind::Ones:
        values[i] = 1.0;
        break;
      case InitKind::Constant:
        values[i] = a;
        break;
      case InitKind::Normal:
        values[i] = a + b * random.normal();
        break;
      case InitKind::TruncatedNormal: {
        double z;
        do
          z = random.normal();
        while (std::fabs(z) > 2.0);
        values[i] = a + b * z;
        break;
      }
      case InitKind::Uniform:
        values[i] = a + (b - a) * random.uniform();
        break;
      }
    }
  }
  return true;
}

} // namespace ds::rt
