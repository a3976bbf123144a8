//===- CheckLossIndexingRope.cpp - loss, gather/scatter and RoPE cases ---===//
//
// Each case runs a CUDA kernel on random data (never zeros) and compares it
// with its double reference, computed from the very inputs the kernel saw
// (float inputs are rounded to float first). Outputs are poisoned before
// the call. Bad targets and indices are checked against the status the
// reference records: the loss reports the first bad target in position
// order like the reference; gather and scatter report whichever bad index
// a thread meets first, so their cases have a single bad value.
//
// Byte and int32 buffers travel in int64 device buffers (reinterpreted):
// the harness's DeviceBuffer needs only float, double and int64_t.
//
//===----------------------------------------------------------------------===//

#include "test/device/KernelCheck.h"

#include "kernels/cpu/reference/Reference.h"
#include "kernels/cuda/Context.h"
#include "kernels/cuda/CudaKernels.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

namespace ds::devicecheck {
namespace {

namespace reference = ds::kernels::reference;

constexpr int32_t kSite = 7;

/// Per element type: the kernels and the tolerance.
template <typename T> struct Kernels;
template <> struct Kernels<float> {
  static constexpr const char *suffix = "_f32";
  static constexpr double tolerance = 1e-5;
  static constexpr auto crossEntropy = ds_cuda_cross_entropy_f32;
  static constexpr auto crossEntropyGrad = ds_cuda_cross_entropy_grad_f32;
  static constexpr auto scatterAdd = ds_cuda_scatter_add_f32;
  static constexpr auto rope = ds_cuda_rope_f32;
};
template <> struct Kernels<double> {
  static constexpr const char *suffix = "_f64";
  static constexpr double tolerance = 1e-12;
  static constexpr auto crossEntropy = ds_cuda_cross_entropy_f64;
  static constexpr auto crossEntropyGrad = ds_cuda_cross_entropy_grad_f64;
  static constexpr auto scatterAdd = ds_cuda_scatter_add_f64;
  static constexpr auto rope = ds_cuda_rope_f64;
};

/// The values a T kernel sees, as doubles.
template <typename T> std::vector<double> rounded(std::vector<double> values) {
  for (double &v : values)
    v = double(T(v));
  return values;
}

/// At least one element: device buffers are never empty.
template <typename T> std::vector<T> padded(std::vector<T> values) {
  if (values.empty())
    values.push_back(T(1));
  return values;
}

std::string describe(const ds_status &s) {
  return "code " + std::to_string(s.code) + " site " + std::to_string(s.site) +
         " value " + std::to_string(s.value) + " bound " +
         std::to_string(s.bound);
}

/// The device status equals the one the reference recorded.
void expectStatus(Report &report, const std::string &kernel,
                  const std::string &shape, const DeviceStatus &status,
                  const ds_status &expected) {
  const ds_status got = status.download();
  const bool ok = got.code == expected.code &&
                  (expected.code == DS_STATUS_OK ||
                   (got.site == expected.site && got.value == expected.value &&
                    got.bound == expected.bound));
  report.expect(kernel, shape, ok,
                "status: got " + describe(got) + ", expected " +
                    describe(expected));
}

//===-- byte and int32 buffers in int64 device buffers --------------------===//

/// `bytes` placed at byte `offset` of a device buffer; the other bytes 0xFF.
DeviceBuffer<int64_t> uploadBytes(const std::vector<unsigned char> &bytes,
                                  size_t offset) {
  const size_t words = (offset + bytes.size() + 7) / 8 + 1;
  std::vector<int64_t> host(words, -1);
  std::copy(bytes.begin(), bytes.end(),
            reinterpret_cast<unsigned char *>(host.data()) + offset);
  return DeviceBuffer<int64_t>(host);
}

std::vector<unsigned char> downloadBytes(const DeviceBuffer<int64_t> &buffer) {
  const std::vector<int64_t> words = buffer.download();
  std::vector<unsigned char> bytes(words.size() * 8);
  std::memcpy(bytes.data(), words.data(), bytes.size());
  return bytes;
}

std::vector<int64_t> widen(const unsigned char *bytes, size_t count) {
  return std::vector<int64_t>(bytes, bytes + count);
}

std::vector<int64_t> packInt32(const std::vector<int32_t> &values) {
  std::vector<int64_t> words((values.size() + 1) / 2 + 1, -1);
  std::copy(values.begin(), values.end(),
            reinterpret_cast<int32_t *>(words.data()));
  return words;
}

std::vector<int64_t> unpackInt32(const std::vector<int64_t> &words,
                                 size_t count) {
  const auto *values = reinterpret_cast<const int32_t *>(words.data());
  return std::vector<int64_t>(values, values + count);
}

//===-- cross-entropy -----------------------------------------------------===//

template <typename T>
void crossEntropyCase(Report &report, const std::string &label, int64_t P,
                      int64_t V, int64_t ignoreIndex,
                      const std::vector<int64_t> &targets, uint64_t seed,
                      int64_t masked = 0) {
  using K = Kernels<T>;
  const std::string shape = label + " P=" + std::to_string(P) +
                            " V=" + std::to_string(V) +
                            " ignore=" + std::to_string(ignoreIndex);
  Random random(seed);
  std::vector<double> logits =
      rounded<T>(random.uniform(size_t(P * V), -4.0, 4.0));
  // The first `masked` classes of every row are -inf (a padded vocabulary).
  for (int64_t p = 0; p < P; ++p)
    for (int64_t v = 0; v < masked; ++v)
      logits[size_t(p * V + v)] = -std::numeric_limits<double>::infinity();
  const double dloss = double(T(0.75));

  ds_status expectedStatus{};
  double expectedLoss = 0;
  reference::crossEntropy(&expectedStatus, kSite, logits.data(), targets.data(),
                          &expectedLoss, P, V, ignoreIndex);
  ds_status expectedGradStatus{};
  std::vector<double> expectedGrad(size_t(P * V));
  reference::crossEntropyGrad(&expectedGradStatus, kSite, logits.data(),
                              targets.data(), &dloss, expectedGrad.data(), P, V,
                              ignoreIndex);

  DeviceBuffer<T> dLogits(padded(convert<T>(logits)));
  DeviceBuffer<int64_t> dTargets(padded(targets));

  {
    const std::string kernel = std::string("ds_cuda_cross_entropy") + K::suffix;
    DeviceBuffer<T> dLoss(1);
    dLoss.poison();
    DeviceStatus status;
    K::crossEntropy(status.get(), kSite, dLogits.get(), dTargets.get(),
                    dLoss.get(), P, V, ignoreIndex);
    report.launched(kernel, shape);
    report.compare(kernel, shape, {expectedLoss}, dLoss.download(),
                   K::tolerance);
    expectStatus(report, kernel, shape, status, expectedStatus);
  }
  {
    const std::string kernel =
        std::string("ds_cuda_cross_entropy_grad") + K::suffix;
    DeviceBuffer<T> dDloss(std::vector<T>{T(dloss)});
    DeviceBuffer<T> dGrad(std::max<size_t>(size_t(P * V), 1));
    dGrad.poison();
    DeviceStatus status;
    K::crossEntropyGrad(status.get(), kSite, dLogits.get(), dTargets.get(),
                        dDloss.get(), dGrad.get(), P, V, ignoreIndex);
    report.launched(kernel, shape);
    if (P * V > 0) {
      std::vector<T> got = dGrad.download();
      got.resize(size_t(P * V));
      report.compare(kernel, shape, expectedGrad, got, K::tolerance);
    }
    expectStatus(report, kernel, shape, status, expectedGradStatus);
  }
}

/// Targets uniform in [0, V), with `ignored` positions set to ignoreIndex.
std::vector<int64_t> randomTargets(Random &random, int64_t P, int64_t V,
                                   int64_t ignoreIndex,
                                   const std::vector<int64_t> &ignored) {
  std::vector<int64_t> targets =
      P > 0 ? random.integers(size_t(P), 0, V - 1) : std::vector<int64_t>{};
  for (int64_t p : ignored)
    targets[size_t(p)] = ignoreIndex;
  return targets;
}

template <typename T> void checkCrossEntropy(Report &report) {
  Random random(101);
  crossEntropyCase<T>(report, "some ignored", 7, 1000, -100,
                      randomTargets(random, 7, 1000, -100, {1, 4}), 1);
  crossEntropyCase<T>(report, "GPT-2 vocabulary", 5, 50257, -1,
                      randomTargets(random, 5, 50257, -1, {3}), 2);
  // ignore_index is a valid class: positions targeting it do not count.
  crossEntropyCase<T>(report, "ignore a class", 33, 257, 5,
                      randomTargets(random, 33, 257, 5, {0, 10, 32}), 3);
  crossEntropyCase<T>(report, "odd rows", 19, 3001, -100,
                      randomTargets(random, 19, 3001, -100, {}), 4);
  std::vector<int64_t> unmasked = random.integers(9, 40, 511);
  unmasked[6] = -100;
  crossEntropyCase<T>(report, "masked -inf", 9, 512, -100, unmasked, 8, 40);
  crossEntropyCase<T>(report, "all ignored", 4, 100, -100,
                      randomTargets(random, 4, 100, -100, {0, 1, 2, 3}), 5);
  crossEntropyCase<T>(report, "no positions", 0, 100, -100, {}, 6);
  // Two bad targets: the first in position order is reported.
  std::vector<int64_t> bad = randomTargets(random, 6, 300, -100, {5});
  bad[2] = 300;
  bad[4] = -7;
  crossEntropyCase<T>(report, "bad targets", 6, 300, -100, bad, 7);
}

//===-- gather ------------------------------------------------------------===//

void gatherCase(Report &report, const std::string &label, int64_t outer,
                int64_t axisSize, int64_t innerBytes,
                const std::vector<int64_t> &indices, size_t srcOffset,
                size_t outOffset, uint64_t seed) {
  const std::string kernel = "ds_cuda_gather";
  const int64_t numIndices = int64_t(indices.size());
  const std::string shape = label + " outer=" + std::to_string(outer) +
                            " axis=" + std::to_string(axisSize) +
                            " inner_bytes=" + std::to_string(innerBytes) +
                            " indices=" + std::to_string(numIndices) +
                            " offsets=" + std::to_string(srcOffset) + "/" +
                            std::to_string(outOffset);
  Random random(seed);
  const size_t srcBytes = size_t(outer * axisSize * innerBytes);
  const size_t outBytes = size_t(outer * numIndices * innerBytes);
  const std::vector<int64_t> values =
      random.integers(srcBytes, 1, 255); // never zero: zero-fill shows
  const std::vector<unsigned char> src(values.begin(), values.end());
  std::vector<unsigned char> expected(outBytes);
  ds_status expectedStatus{};
  reference::gather(&expectedStatus, kSite, src.data(), indices.data(),
                    expected.data(), outer, axisSize, innerBytes, numIndices);

  DeviceBuffer<int64_t> dSrc = uploadBytes(src, srcOffset);
  DeviceBuffer<int64_t> dOut =
      uploadBytes(std::vector<unsigned char>(outBytes, 0xFF), outOffset);
  dOut.poison();
  DeviceBuffer<int64_t> dIndices(padded(indices));
  DeviceStatus status;
  ds_cuda_gather(
      status.get(), kSite,
      reinterpret_cast<const unsigned char *>(dSrc.get()) + srcOffset,
      dIndices.get(), reinterpret_cast<unsigned char *>(dOut.get()) + outOffset,
      outer, axisSize, innerBytes, numIndices);
  report.launched(kernel, shape);
  const std::vector<unsigned char> got = downloadBytes(dOut);
  if (outBytes > 0)
    report.compareExact(kernel, shape, widen(expected.data(), outBytes),
                        widen(got.data() + outOffset, outBytes));
  bool untouched = true; // the bytes around the output keep their poison
  for (size_t b = 0; b < got.size(); ++b)
    if ((b < outOffset || b >= outOffset + outBytes) && got[b] != 0xFF)
      untouched = false;
  report.expect(kernel, shape, untouched, "writes only its output");
  expectStatus(report, kernel, shape, status, expectedStatus);
}

void checkGather(Report &report) {
  Random random(202);
  const auto some = [&](size_t count, int64_t axisSize) {
    return random.integers(count, 0, axisSize - 1);
  };
  gatherCase(report, "4-byte", 3, 10, 4, some(17, 10), 0, 0, 11);
  gatherCase(report, "12-byte", 2, 7, 12, some(9, 7), 0, 0, 12);
  gatherCase(report, "bf16", 5, 11, 2, some(13, 11), 0, 0, 13);
  gatherCase(report, "16-byte units", 2, 50, 64, some(33, 50), 0, 0, 14);
  gatherCase(report, "misaligned 16", 3, 9, 16, some(21, 9), 4, 8, 15);
  gatherCase(report, "odd bytes", 2, 6, 3, some(11, 6), 1, 3, 16);
  gatherCase(report, "embedding rows", 1, 1000, 1024, some(700, 1000), 0, 0,
             17);
  std::vector<int64_t> bad = some(8, 10);
  bad[3] = 10; // == axis_size
  gatherCase(report, "bad index", 2, 10, 12, bad, 0, 0, 18);
  bad = some(9, 10);
  bad[0] = -1;
  bad[6] = -1;
  gatherCase(report, "negative index", 3, 10, 8, bad, 0, 0, 19);
  gatherCase(report, "no indices", 2, 10, 8, {}, 0, 0, 20);
}

//===-- scatter-add -------------------------------------------------------===//

template <typename T>
void scatterCase(Report &report, const std::string &label, int64_t outer,
                 int64_t axisSize, int64_t inner,
                 const std::vector<int64_t> &indices, uint64_t seed) {
  using K = Kernels<T>;
  const std::string kernel = std::string("ds_cuda_scatter_add") + K::suffix;
  const int64_t numIndices = int64_t(indices.size());
  const std::string shape = label + " outer=" + std::to_string(outer) +
                            " axis=" + std::to_string(axisSize) +
                            " inner=" + std::to_string(inner) +
                            " indices=" + std::to_string(numIndices);
  Random random(seed);
  const std::vector<double> updates =
      rounded<T>(random.uniform(size_t(outer * numIndices * inner)));
  const size_t outCount = size_t(outer * axisSize * inner);
  std::vector<double> expected(outCount);
  ds_status expectedStatus{};
  reference::scatterAdd(&expectedStatus, kSite, updates.data(), indices.data(),
                        expected.data(), outer, axisSize, inner, numIndices);

  DeviceBuffer<T> dUpdates(padded(convert<T>(updates)));
  DeviceBuffer<int64_t> dIndices(padded(indices));
  DeviceBuffer<T> dOut(std::max<size_t>(outCount, 1));
  dOut.poison();
  DeviceStatus status;
  K::scatterAdd(status.get(), kSite, dUpdates.get(), dIndices.get(), dOut.get(),
                outer, axisSize, inner, numIndices);
  report.launched(kernel, shape);
  std::vector<T> got = dOut.download();
  got.resize(outCount);
  report.compare(kernel, shape, expected, got, K::tolerance);
  expectStatus(report, kernel, shape, status, expectedStatus);
}

/// Integer scatter-add: small nonzero integers (exact in the double
/// reference), or with `wrap` large ones whose sums overflow, against a
/// wrapping host sum.
template <typename I>
void scatterIntCase(Report &report, const std::string &label, int64_t outer,
                    int64_t axisSize, int64_t inner,
                    const std::vector<int64_t> &indices, bool wrap,
                    uint64_t seed) {
  constexpr bool is32 = sizeof(I) == 4;
  const std::string kernel =
      is32 ? "ds_cuda_scatter_add_i32" : "ds_cuda_scatter_add_i64";
  const int64_t numIndices = int64_t(indices.size());
  const std::string shape = label + " outer=" + std::to_string(outer) +
                            " axis=" + std::to_string(axisSize) +
                            " inner=" + std::to_string(inner) +
                            " indices=" + std::to_string(numIndices);
  Random random(seed);
  const size_t count = size_t(outer * numIndices * inner);
  const int64_t big = is32 ? int64_t(1) << 29 : int64_t(1) << 61;
  std::vector<int64_t> updates = wrap ? random.integers(count, big, 3 * big)
                                      : random.integers(count, -1000, 1000);
  for (int64_t &u : updates)
    if (u == 0)
      u = 1;
  const size_t outCount = size_t(outer * axisSize * inner);
  std::vector<int64_t> expected(outCount, 0);
  ds_status expectedStatus{};
  if (wrap) { // the wrapping sum, in order of i
    using U = std::make_unsigned_t<I>;
    std::vector<U> sums(outCount, 0);
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i = 0; i < numIndices; ++i) {
        const int64_t index = indices[size_t(i)];
        if (index < 0 || index >= axisSize)
          continue;
        for (int64_t c = 0; c < inner; ++c)
          sums[size_t((o * axisSize + index) * inner + c)] +=
              U(I(updates[size_t((o * numIndices + i) * inner + c)]));
      }
    for (size_t k = 0; k < outCount; ++k)
      expected[k] = int64_t(I(sums[k]));
    reference::scatterAdd(&expectedStatus, kSite,
                          std::vector<double>(count, 1.0).data(),
                          indices.data(), std::vector<double>(outCount).data(),
                          outer, axisSize, inner, numIndices);
  } else {
    std::vector<double> sums(outCount);
    const std::vector<double> wide(updates.begin(), updates.end());
    reference::scatterAdd(&expectedStatus, kSite, wide.data(), indices.data(),
                          sums.data(), outer, axisSize, inner, numIndices);
    for (size_t k = 0; k < outCount; ++k)
      expected[k] = int64_t(sums[k]);
  }

  DeviceBuffer<int64_t> dIndices(padded(indices));
  DeviceStatus status;
  std::vector<int64_t> got;
  if constexpr (is32) {
    const std::vector<int32_t> narrow(updates.begin(), updates.end());
    DeviceBuffer<int64_t> dUpdates(packInt32(narrow));
    DeviceBuffer<int64_t> dOut((outCount + 1) / 2 + 1);
    dOut.poison();
    ds_cuda_scatter_add_i32(
        status.get(), kSite, reinterpret_cast<const int32_t *>(dUpdates.get()),
        dIndices.get(), reinterpret_cast<int32_t *>(dOut.get()), outer,
        axisSize, inner, numIndices);
    report.launched(kernel, shape);
    got = unpackInt32(dOut.download(), outCount);
  } else {
    DeviceBuffer<int64_t> dUpdates(padded(updates));
    DeviceBuffer<int64_t> dOut(std::max<size_t>(outCount, 1));
    dOut.poison();
    ds_cuda_scatter_add_i64(status.get(), kSite, dUpdates.get(), dIndices.get(),
                            dOut.get(), outer, axisSize, inner, numIndices);
    report.launched(kernel, shape);
    got = dOut.download();
    got.resize(outCount);
  }
  report.compareExact(kernel, shape, expected, got);
  expectStatus(report, kernel, shape, status, expectedStatus);
}

template <typename T> void checkScatter(Report &report) {
  Random random(303);
  const auto some = [&](size_t count, int64_t lo, int64_t hi) {
    return random.integers(count, lo, hi);
  };
  // Rows 8 and 9 get nothing; the others many repeats.
  scatterCase<T>(report, "repeats", 3, 10, 5, some(40, 0, 7), 21);
  scatterCase<T>(report, "wide rows", 1, 1000, 64, some(300, 0, 999), 22);
  scatterCase<T>(report, "inner 1", 2, 7, 1, some(1000, 0, 6), 23);
  scatterCase<T>(report, "vocabulary", 1, 50257, 3, some(4096, 0, 50256), 24);
  scatterCase<T>(report, "one row", 1, 1, 33, some(500, 0, 0), 25);
  scatterCase<T>(report, "no indices", 2, 5, 3, {}, 26);
  std::vector<int64_t> bad = some(12, 0, 9);
  bad[5] = -2;
  scatterCase<T>(report, "bad index", 2, 10, 4, bad, 27);
}

template <typename I> void checkScatterInt(Report &report) {
  Random random(404);
  scatterIntCase<I>(report, "repeats", 3, 10, 5, random.integers(40, 0, 7),
                    false, 31);
  scatterIntCase<I>(report, "wide rows", 1, 300, 64,
                    random.integers(200, 0, 299), false, 32);
  scatterIntCase<I>(report, "wrapping sums", 2, 3, 7, random.integers(20, 0, 2),
                    true, 33);
  std::vector<int64_t> bad = random.integers(12, 0, 9);
  bad[7] = 10;
  scatterIntCase<I>(report, "bad index", 2, 10, 3, bad, false, 34);
}

//===-- RoPE --------------------------------------------------------------===//

struct RopeCase {
  std::string label;
  int64_t leading, T, H, D, offset, dim;
  bool interleaved, shared, adjoint, inPlace;
  double magnitude;
};

template <typename T>
void ropeCase(Report &report, const RopeCase &c, uint64_t seed) {
  using K = Kernels<T>;
  const std::string kernel = std::string("ds_cuda_rope") + K::suffix;
  const std::string shape =
      c.label + " [" + std::to_string(c.leading) + "," + std::to_string(c.T) +
      "," + std::to_string(c.H) + "," + std::to_string(c.D) +
      "] offset=" + std::to_string(c.offset) + " dim=" + std::to_string(c.dim) +
      (c.interleaved ? " interleaved" : " half-split") +
      (c.shared ? " shared" : " per-row") + (c.adjoint ? " adjoint" : "") +
      (c.inPlace ? " in-place" : "");
  Random random(seed);
  const size_t count = size_t(c.leading * c.T * c.H * c.D);
  const std::vector<double> in = rounded<T>(random.uniform(count));
  const std::vector<int64_t> positions =
      random.integers(size_t(c.shared ? c.T : c.leading * c.T), 0, 100000);
  const std::vector<double> frequencies =
      random.uniform(size_t(std::max<int64_t>(c.dim / 2, 1)), 1e-4, 1.0);
  std::vector<double> expected(count);
  reference::rope(in.data(), positions.data(), expected.data(), c.leading, c.T,
                  c.H, c.D, c.offset, c.dim, c.interleaved, c.shared,
                  frequencies.data(), c.magnitude, c.adjoint);

  DeviceBuffer<T> dIn(padded(convert<T>(in)));
  DeviceBuffer<int64_t> dPositions(padded(positions));
  DeviceBuffer<double> dFrequencies(frequencies);
  DeviceBuffer<T> dOut(std::max<size_t>(count, 1));
  dOut.poison();
  DeviceBuffer<T> &result = c.inPlace ? dIn : dOut;
  K::rope(dIn.get(), dPositions.get(), result.get(), c.leading, c.T, c.H, c.D,
          c.offset, c.dim, c.interleaved, c.shared, dFrequencies.get(),
          c.magnitude, c.adjoint);
  report.launched(kernel, shape);
  if (count == 0)
    return;
  std::vector<T> got = result.download();
  got.resize(count);
  report.compare(kernel, shape, expected, got, K::tolerance);
}

template <typename T> void checkRope(Report &report) {
  const std::vector<RopeCase> cases = {
      {"full", 2, 5, 3, 16, 0, 16, true, true, false, false, 1.0},
      {"partial", 3, 4, 2, 24, 4, 10, false, false, true, false, 1.25},
      {"odd", 1, 7, 5, 13, 1, 7, true, false, false, false, 0.8},
      {"odd half-split", 2, 3, 3, 11, 2, 7, false, true, true, false, 1.0},
      {"in place", 2, 3, 4, 64, 0, 32, false, true, false, true, 1.0},
      {"in place MLA", 2, 6, 2, 128, 64, 64, true, false, true, true, 1.1},
      {"in place odd", 1, 5, 3, 9, 3, 5, true, true, false, true, 1.0},
      {"empty", 0, 4, 2, 8, 0, 8, true, true, false, false, 1.0},
  };
  uint64_t seed = 50;
  for (const RopeCase &c : cases)
    ropeCase<T>(report, c, seed++);

  // Channels past D: the call records an error and writes nothing.
  const std::string kernel = std::string("ds_cuda_rope") + Kernels<T>::suffix;
  const std::string shape = "offset + dim > D";
  DeviceBuffer<T> dIn(convert<T>(Random(59).uniform(16)));
  DeviceBuffer<int64_t> dPositions(std::vector<int64_t>{3});
  DeviceBuffer<double> dFrequencies(std::vector<double>{0.5, 0.25, 0.125, 0.1});
  DeviceBuffer<T> dOut(16);
  Kernels<T>::rope(dIn.get(), dPositions.get(), dOut.get(), 1, 1, 1, 16, 10, 8,
                   1, 1, dFrequencies.get(), 1.0, 0);
  ds::kernels::cuda::Context *context = ds::kernels::cuda::currentContext();
  const bool recorded = context && !context->error.empty();
  report.expect(kernel, shape, recorded, "an error is recorded");
  if (context)
    context->error.clear();
}

} // namespace

void checkLossIndexingRope(Report &report) {
  checkCrossEntropy<float>(report);
  checkCrossEntropy<double>(report);
  checkGather(report);
  checkScatter<float>(report);
  checkScatter<double>(report);
  checkScatterInt<int32_t>(report);
  checkScatterInt<int64_t>(report);
  checkRope<float>(report);
  checkRope<double>(report);
}

} // namespace ds::devicecheck
