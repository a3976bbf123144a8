//===- CheckAttention.cpp - attention kernels against the reference -------===//
//
// ds_cuda_attention_* and ds_cuda_attention_grad_* (forward, dQ, dK, dV) in
// float and double against reference::attention / attentionGrad, on shapes
// that reach the kernels' edges: GQA groups packed into query tiles (group
// boundaries inside a tile), several query and key tiles with ragged tails,
// KV-cache decoding (Tq = 1, keyLength < Tk), sliding windows, queries that
// see no key, Tq > keyLength, MLA's head sizes (Dqk 192, Dv 128), heads too
// wide for one pass (300), head sizes that rule out vector loads (13, 7),
// one or two visible keys (where dS nearly cancels), keyLength 0 or beyond
// Tk, and an empty query axis.
//
// Inputs are rounded to the element type before the reference sees them,
// so only the kernels' arithmetic is measured; outputs are poisoned first,
// so anything a kernel fails to write shows up as NaN.
//
//===----------------------------------------------------------------------===//

#include "test/device/KernelCheck.h"

#include "kernels/cpu/reference/Reference.h"
#include "kernels/cuda/CudaKernels.h"

#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace ds::devicecheck {
namespace {

namespace reference = ds::kernels::reference;

struct Case {
  int64_t B, Tq, Tk, Hq, Hkv, Dqk, Dv;
  bool causal;
  int64_t window, keyLength;
  double scale = 0; // 0: 1 / sqrt(Dqk)
};

std::string describe(const Case &c) {
  std::string shape = "B" + std::to_string(c.B) + " Tq" + std::to_string(c.Tq) +
                      " Tk" + std::to_string(c.Tk) + " H" +
                      std::to_string(c.Hq) + "/" + std::to_string(c.Hkv) +
                      " D" + std::to_string(c.Dqk) + "/" +
                      std::to_string(c.Dv) + " L" + std::to_string(c.keyLength);
  if (c.causal)
    shape += " causal";
  if (c.window > 0)
    shape += " window" + std::to_string(c.window);
  if (c.scale != 0)
    shape += " scale" + std::to_string(c.scale);
  return shape;
}

template <typename T> struct Kernels;
template <> struct Kernels<float> {
  static constexpr auto forward = ds_cuda_attention_f32;
  static constexpr auto backward = ds_cuda_attention_grad_f32;
  static constexpr const char *forwardName = "ds_cuda_attention_f32";
  static constexpr const char *backwardName = "ds_cuda_attention_grad_f32";
  static constexpr double tolerance = 1e-5;
};
template <> struct Kernels<double> {
  static constexpr auto forward = ds_cuda_attention_f64;
  static constexpr auto backward = ds_cuda_attention_grad_f64;
  static constexpr const char *forwardName = "ds_cuda_attention_f64";
  static constexpr const char *backwardName = "ds_cuda_attention_grad_f64";
  static constexpr double tolerance = 1e-12;
};

/// A device tensor, or none for an empty one (nothing to allocate; the
/// kernels must not touch it).
template <typename T> class Tensor {
public:
  /// A copy of `host`.
  explicit Tensor(const std::vector<T> &host) {
    if (!host.empty())
      buffer_ = std::make_unique<DeviceBuffer<T>>(host);
  }
  /// `count` poisoned elements, for an output.
  explicit Tensor(size_t count) {
    if (count == 0)
      return;
    buffer_ = std::make_unique<DeviceBuffer<T>>(count);
    buffer_->poison();
  }
  T *get() const { return buffer_ ? buffer_->get() : nullptr; }
  std::vector<T> download() const {
    return buffer_ ? buffer_->download() : std::vector<T>();
  }

private:
  std::unique_ptr<DeviceBuffer<T>> buffer_;
};

template <typename T>
void checkCase(Report &report, const Case &c, uint64_t seed) {
  using K = Kernels<T>;
  const std::string shape = describe(c);
  const size_t nq = c.B * c.Tq * c.Hq * c.Dqk, nk = c.B * c.Tk * c.Hkv * c.Dqk,
               nv = c.B * c.Tk * c.Hkv * c.Dv, no = c.B * c.Tq * c.Hq * c.Dv;
  const double scale = c.scale != 0 ? c.scale : 1.0 / std::sqrt(double(c.Dqk));

  // Rounded to T first, so that the reference sees the kernels' inputs.
  Random random(seed);
  const std::vector<T> q = convert<T>(random.uniform(nq));
  const std::vector<T> k = convert<T>(random.uniform(nk));
  const std::vector<T> v = convert<T>(random.uniform(nv));
  const std::vector<T> dout = convert<T>(random.uniform(no));
  const std::vector<double> qd = convert<double>(q), kd = convert<double>(k),
                            vd = convert<double>(v),
                            doutd = convert<double>(dout);

  std::vector<double> out(no), dq(nq), dk(nk), dv(nv);
  reference::attention(qd.data(), kd.data(), vd.data(), out.data(), c.B, c.Tq,
                       c.Tk, c.Hq, c.Hkv, c.Dqk, c.Dv, scale, c.causal,
                       c.window, c.keyLength);
  reference::attentionGrad(qd.data(), kd.data(), vd.data(), doutd.data(),
                           dq.data(), dk.data(), dv.data(), c.B, c.Tq, c.Tk,
                           c.Hq, c.Hkv, c.Dqk, c.Dv, scale, c.causal, c.window,
                           c.keyLength);

  const Tensor<T> qDev(q), kDev(k), vDev(v), doutDev(dout);
  const Tensor<T> outDev(no), dqDev(nq), dkDev(nk), dvDev(nv);
  auto compare = [&](const char *kernel, const std::string &what,
                     const std::vector<double> &expected,
                     const Tensor<T> &got) {
    if (!expected.empty())
      report.compare(kernel, shape + what, expected, got.download(),
                     K::tolerance);
  };

  K::forward(qDev.get(), kDev.get(), vDev.get(), outDev.get(), c.B, c.Tq, c.Tk,
             c.Hq, c.Hkv, c.Dqk, c.Dv, scale, c.causal ? 1 : 0, c.window,
             c.keyLength);
  if (report.launched(K::forwardName, shape))
    compare(K::forwardName, "", out, outDev);

  K::backward(qDev.get(), kDev.get(), vDev.get(), doutDev.get(), dqDev.get(),
              dkDev.get(), dvDev.get(), c.B, c.Tq, c.Tk, c.Hq, c.Hkv, c.Dqk,
              c.Dv, scale, c.causal ? 1 : 0, c.window, c.keyLength);
  if (report.launched(K::backwardName, shape)) {
    compare(K::backwardName, " dq", dq, dqDev);
    compare(K::backwardName, " dk", dk, dkDev);
    compare(K::backwardName, " dv", dv, dvDev);
  }
}

} // namespace

void checkAttention(Report &report) {
  // B, Tq, Tk, Hq, Hkv, Dqk, Dv, causal, window, keyLength[, scale]
  const std::vector<Case> cases = {
      // GQA, causal, one ragged tile of packed rows (37 · 2).
      {2, 37, 37, 4, 2, 16, 16, true, 0, 37},
      // Decoding from a KV cache filled to 33 of 50; groups of 4.
      {2, 1, 50, 8, 2, 32, 32, true, 0, 33},
      // Decoding with a window across key tiles.
      {1, 1, 300, 4, 4, 64, 64, true, 100, 270},
      // Sliding window, prefill.
      {1, 70, 70, 2, 2, 24, 24, true, 9, 70},
      // Several query and key tiles, one head.
      {1, 130, 130, 1, 1, 64, 64, true, 0, 130},
      {1, 130, 130, 1, 1, 64, 64, false, 0, 130, 0.5},
      // Groups of 3 straddling tile boundaries, with a window.
      {1, 40, 40, 6, 2, 16, 16, true, 5, 40},
      // Long causal GQA: 13 query tiles, 4 key tiles.
      {1, 200, 200, 4, 1, 64, 64, true, 0, 200},
      // MLA head sizes.
      {1, 20, 20, 2, 2, 192, 128, true, 0, 20},
      {1, 70, 70, 2, 1, 192, 128, true, 0, 70},
      // Queries 0..5 see no key (position < 0); the rest see a window of 2.
      {1, 10, 16, 2, 1, 8, 8, true, 2, 4},
      // Tq > keyLength, causal: the first 7 queries see nothing.
      {2, 12, 12, 3, 3, 20, 20, true, 0, 5},
      // Cross attention: non-causal, Tq != Tk, Dqk != Dv; window <= 0 is none.
      {2, 5, 77, 6, 3, 40, 24, false, -3, 77},
      // A chunk of prefill after a cache: Tq < Tk causal; heads wider than
      // one pass.
      {1, 9, 70, 2, 1, 300, 260, true, 0, 70},
      // Head sizes that rule out vector loads.
      {1, 33, 33, 3, 1, 13, 7, true, 0, 33},
      // One or two visible keys: dS cancels almost exactly, which only a
      // delta consistent with dP gets right in float.
      {1, 1, 5, 2, 1, 64, 64, true, 2, 5},
      {2, 3, 65, 6, 2, 64, 128, false, 0, 1},
      // No key at all, and keyLength beyond Tk (all keys).
      {1, 4, 8, 2, 2, 8, 8, true, 0, 0},
      {1, 6, 6, 1, 1, 8, 8, false, 0, 100},
      // No queries: dk and dv must still be zeroed.
      {1, 0, 5, 2, 1, 8, 8, true, 0, 5},
  };
  uint64_t seed = 1000;
  for (const Case &c : cases) {
    checkCase<float>(report, c, seed);
    checkCase<double>(report, c, seed);
    ++seed;
  }
}

} // namespace ds::devicecheck
