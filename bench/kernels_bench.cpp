//===- kernels_bench.cpp - the CPU kernels against what users would call --===//
//
// Prints tables of the CPU kernels' speed on shapes from the models DS is
// held against (tiny test models, GPT-2 124M, DeepSeek-V2-Lite/V3-style MoE
// layers scaled to a CPU):
//  - GEMM: ds_matmul_f32 against cblas_sgemm called directly, including the
//    transposed forms backward passes use (Aᵀ·B, A·Bᵀ) and batched forms;
//  - attention forward and backward;
//  - the MoE expert FFN forward and backward, against the time OpenBLAS
//    takes for the same FLOPs as three (nine) plain GEMMs;
//  - the cross-entropy loss over a GPT-2 vocabulary.
// Each timing is the median of several runs after a warm-up. Every kernel's
// result is checked (against OpenBLAS or the references) before it is timed.
//
// OpenBLAS picks its kernels when the library loads, from the CPU or from
// OPENBLAS_CORETYPE. 0.3.21 does not know AMD Zen 5; where the CPU has
// AVX-512 and the variable is unset, this program sets SkylakeX and
// re-executes itself. Without AVX-512 (a VM may hide it) SkylakeX kernels
// die of an illegal instruction, so then OpenBLAS keeps its own choice.
//
//   kernels_bench [--quick] [gemm|attention|moe|loss]...
//     --quick: fewer repetitions; sections: only those (default: all)
//
//===----------------------------------------------------------------------===//

#include "kernels/cpu/Kernels.h"
#include "kernels/cpu/reference/Reference.h"

#include <cblas.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

namespace ref = ds::kernels::reference;

namespace {

double timeBudget = 0.4; // seconds of timed runs per measurement

/// OpenBLAS's own thread count at start-up. The kernels set OpenBLAS to one
/// thread (they split products over their OpenMP threads instead), so each
/// baseline restores it: the reference is OpenBLAS as a user calls it.
int blasThreads = 1;
void useAllBlasThreads() { openblas_set_num_threads(blasThreads); }

/// Median wall time of f in seconds, after one warm-up run.
double medianSeconds(const std::function<void()> &f) {
  using Clock = std::chrono::steady_clock;
  auto once = [&] {
    const auto start = Clock::now();
    f();
    return std::chrono::duration<double>(Clock::now() - start).count();
  };
  once();
  const double first = once();
  const int reps = std::clamp(int(timeBudget / std::max(first, 1e-6)), 3, 51);
  std::vector<double> times{first};
  for (int r = 1; r < reps; ++r)
    times.push_back(once());
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

std::vector<float> randomFloats(int64_t n, uint64_t seed, float scale = 1) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> dist(-scale, scale);
  std::vector<float> v(n);
  for (float &x : v)
    x = dist(rng);
  return v;
}

template <typename A, typename B>
double relativeDifference(const std::vector<A> &got,
                          const std::vector<B> &want) {
  double diff = 0, norm = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double d = double(got[i]) - double(want[i]);
    diff += d * d;
    norm += double(want[i]) * double(want[i]);
  }
  return std::sqrt(diff / std::max(norm, 1e-300));
}

std::vector<double> toDouble(const std::vector<float> &v) {
  return std::vector<double>(v.begin(), v.end());
}

/// Sets OPENBLAS_CORETYPE and re-executes when that helps (see the top).
void chooseOpenBlasCore(char **argv) {
  if (std::getenv("OPENBLAS_CORETYPE"))
    return;
  if (!__builtin_cpu_supports("avx512f")) {
    std::printf("note: OPENBLAS_CORETYPE unset and no AVX-512 visible: "
                "OpenBLAS keeps its own kernel choice\n");
    return;
  }
  setenv("OPENBLAS_CORETYPE", "SkylakeX", 1);
  execv("/proc/self/exe", argv);
  std::printf("warning: could not re-execute with OPENBLAS_CORETYPE=SkylakeX; "
              "set it yourself for full GEMM speed\n");
}

//===----------------------------------------------------------------------===//
// GEMM
//===----------------------------------------------------------------------===//

struct GemmCase {
  const char *what;
  int64_t batch, M, N, K;
  bool transA, transB, broadcastB;
};

void benchGemm() {
  const GemmCase cases[] = {
      {"tiny attn proj", 1, 64, 256, 256, false, false, false},
      {"tiny MLP up", 1, 64, 512, 256, false, false, false},
      {"tiny MLP down", 1, 64, 256, 512, false, false, false},
      {"tiny lm_head (vocab 512)", 1, 64, 512, 256, false, false, false},
      {"tiny lm_head dW = XᵀdY", 1, 256, 512, 64, true, false, false},
      {"tiny lm_head dX = dY·Wᵀ", 1, 64, 256, 512, false, true, false},
      {"gpt-10m qkv proj", 1, 1024, 960, 320, false, false, false},
      {"gpt-10m attn out", 1, 1024, 320, 320, false, false, false},
      {"gpt-10m MLP up", 1, 1024, 1280, 320, false, false, false},
      {"gpt-10m MLP down", 1, 1024, 320, 1280, false, false, false},
      {"gpt-10m MLP up dW", 1, 320, 1280, 1024, true, false, false},
      {"gpt-10m lm_head (tied)", 1, 1024, 8192, 320, false, true, false},
      {"gpt-10m lm_head dW", 1, 8192, 320, 1024, true, false, false},
      {"gpt-10m lm_head dX", 1, 1024, 320, 8192, false, false, false},
      {"512 cube", 1, 512, 512, 512, false, false, false},
      {"512 cube AᵀB", 1, 512, 512, 512, true, false, false},
      {"512 cube ABᵀ", 1, 512, 512, 512, false, true, false},
      {"GPT-2 attn proj", 1, 2048, 768, 768, false, false, false},
      {"GPT-2 attn proj dW", 1, 768, 768, 2048, true, false, false},
      {"GPT-2 attn proj dX", 1, 2048, 768, 768, false, true, false},
      {"GPT-2 MLP up", 1, 2048, 3072, 768, false, false, false},
      {"GPT-2 MLP up dW", 1, 768, 3072, 2048, true, false, false},
      {"GPT-2 MLP up dX", 1, 2048, 768, 3072, false, true, false},
      {"batched 16×64³", 16, 64, 64, 64, false, false, false},
      {"batched 8×256³, shared B", 8, 256, 256, 256, false, false, true},
  };
  std::printf("\nGEMM, f32 (GFLOP/s; ratio = ds / cblas)\n");
  std::printf("%-26s %5s %5s %5s %5s %3s %9s %9s %6s %9s\n", "shape", "batch",
              "M", "N", "K", "op", "ds", "cblas", "ratio", "rel.diff");
  for (const GemmCase &c : cases) {
    const int64_t strideA = c.M * c.K;
    const int64_t strideB = c.broadcastB ? 0 : c.K * c.N;
    const auto A = randomFloats(c.batch * c.M * c.K, 1);
    const auto B =
        randomFloats(c.broadcastB ? c.K * c.N : c.batch * c.K * c.N, 2);
    std::vector<float> C(c.batch * c.M * c.N), D(C.size());
    const int64_t lda = c.transA ? c.M : c.K, ldb = c.transB ? c.K : c.N;
    auto ds = [&] {
      ds_matmul_f32(A.data(), B.data(), C.data(), c.batch, c.M, c.N, c.K,
                    c.transA, c.transB, strideA, strideB);
    };
    // What a user would write by hand: one sgemm per batch.
    auto blas = [&] {
      useAllBlasThreads();
      for (int64_t b = 0; b < c.batch; ++b)
        cblas_sgemm(CblasRowMajor, c.transA ? CblasTrans : CblasNoTrans,
                    c.transB ? CblasTrans : CblasNoTrans, int(c.M), int(c.N),
                    int(c.K), 1.0f, A.data() + b * strideA, int(lda),
                    B.data() + b * strideB, int(ldb), 0.0f,
                    D.data() + b * c.M * c.N, int(c.N));
    };
    ds();
    blas();
    const double flops = 2.0 * c.batch * c.M * c.N * c.K;
    const double tDs = medianSeconds(ds), tBlas = medianSeconds(blas);
    const char *op =
        c.transA ? (c.transB ? "TT" : "TN") : (c.transB ? "NT" : "NN");
    std::printf("%-26s %5lld %5lld %5lld %5lld %3s %9.1f %9.1f %6.2f %9.1e\n",
                c.what, (long long)c.batch, (long long)c.M, (long long)c.N,
                (long long)c.K, op, flops / tDs / 1e9, flops / tBlas / 1e9,
                tBlas / tDs, relativeDifference(C, D));
  }
}

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

struct AttentionCase {
  const char *what;
  int64_t B, T, Hq, Hkv, Dqk, Dv;
  bool causal;
  int64_t window;
};

void benchAttention() {
  const AttentionCase cases[] = {
      {"tiny (T 64, 4 heads of 32)", 8, 64, 4, 4, 32, 32, true, 0},
      {"tiny GQA (T 256, 8q/2kv)", 4, 256, 8, 2, 64, 64, true, 0},
      {"GPT-2 (T 1024, 12×64)", 1, 1024, 12, 12, 64, 64, true, 0},
      {"GPT-2, window 256", 1, 1024, 12, 12, 64, 64, true, 256},
      {"MLA-like (T 512, 16×192/128)", 1, 512, 16, 16, 192, 128, true, 0},
      {"non-causal (T 512, 8×64)", 2, 512, 8, 8, 64, 64, false, 0},
  };
  std::printf("\nAttention, f32 (ms; GFLOP/s counts visible pairs only)\n");
  std::printf("%-30s %7s %8s %9s %8s %9s %9s\n", "shape", "pairs", "fwd ms",
              "fwd GF/s", "bwd ms", "bwd GF/s", "rel.diff");
  for (const AttentionCase &c : cases) {
    const int64_t T = c.T;
    const auto q = randomFloats(c.B * T * c.Hq * c.Dqk, 3);
    const auto k = randomFloats(c.B * T * c.Hkv * c.Dqk, 4);
    const auto v = randomFloats(c.B * T * c.Hkv * c.Dv, 5);
    const auto dout = randomFloats(c.B * T * c.Hq * c.Dv, 6);
    std::vector<float> out(dout.size()), dq(q.size()), dk(k.size()),
        dv(v.size());
    const double scale = 1.0 / std::sqrt(double(c.Dqk));
    auto fwd = [&] {
      ds_attention_f32(q.data(), k.data(), v.data(), out.data(), c.B, T, T,
                       c.Hq, c.Hkv, c.Dqk, c.Dv, scale, c.causal, c.window, T);
    };
    auto bwd = [&] {
      ds_attention_grad_f32(q.data(), k.data(), v.data(), dout.data(),
                            dq.data(), dk.data(), dv.data(), c.B, T, T, c.Hq,
                            c.Hkv, c.Dqk, c.Dv, scale, c.causal, c.window, T);
    };
    // Checked against the reference on the first batch entry only (the
    // reference is slow), through a B = 1 call of the kernel.
    fwd();
    std::vector<float> one(T * c.Hq * c.Dv);
    std::vector<double> want(one.size());
    ds_attention_f32(q.data(), k.data(), v.data(), one.data(), 1, T, T, c.Hq,
                     c.Hkv, c.Dqk, c.Dv, scale, c.causal, c.window, T);
    ref::attention(toDouble(q).data(), toDouble(k).data(), toDouble(v).data(),
                   want.data(), 1, T, T, c.Hq, c.Hkv, c.Dqk, c.Dv, scale,
                   c.causal, c.window, T);
    int64_t pairs = 0; // visible (query, key) pairs per head
    for (int64_t i = 0; i < T; ++i) {
      int64_t lo = c.window > 0 ? std::max<int64_t>(0, i - c.window + 1) : 0;
      int64_t hi = c.causal ? i + 1 : T;
      pairs += hi - lo;
    }
    const double work = double(c.B) * c.Hq * pairs;
    const double fwdFlops = 2 * work * (c.Dqk + c.Dv);
    const double bwdFlops = 2 * work * (3 * c.Dqk + 2 * c.Dv);
    const double tf = medianSeconds(fwd), tb = medianSeconds(bwd);
    std::printf("%-30s %6.1fM %8.2f %9.1f %8.2f %9.1f %9.1e\n", c.what,
                work / 1e6, tf * 1e3, fwdFlops / tf / 1e9, tb * 1e3,
                bwdFlops / tb / 1e9, relativeDifference(one, want));
  }
}

//===----------------------------------------------------------------------===//
// MoE expert FFN
//===----------------------------------------------------------------------===//

struct MoeCase {
  const char *what;
  int64_t N, D, K, E, I;
};

void benchMoe() {
  const MoeCase cases[] = {
      {"tiny-moe (8 experts, top-2)", 256, 256, 2, 8, 512},
      {"V2-Lite-like /4 (64, top-6)", 1024, 512, 6, 64, 352},
      {"V3-like /16 (256, top-8)", 512, 448, 8, 256, 128},
      {"GPT-2-size (8 experts, top-2)", 1024, 768, 2, 8, 768},
  };
  std::printf("\nMoE expert FFN, f32 (ms; \"dense\" = the same FLOPs as 3 "
              "(fwd) or 9 (bwd) plain sgemm calls on all N·K rows)\n");
  std::printf("%-30s %5s %4s %4s %4s %4s %8s %8s %6s %8s %8s %6s %8s\n",
              "shape", "N", "D", "K", "E", "I", "fwd ms", "dense", "ratio",
              "bwd ms", "dense", "ratio", "rel.diff");
  for (const MoeCase &c : cases) {
    const auto x = randomFloats(c.N * c.D, 7);
    const auto w = randomFloats(c.N * c.K, 8);
    const auto gate = randomFloats(c.E * c.I * c.D, 9, 0.1f);
    const auto up = randomFloats(c.E * c.I * c.D, 10, 0.1f);
    const auto down = randomFloats(c.E * c.D * c.I, 11, 0.1f);
    const auto dy = randomFloats(c.N * c.D, 12);
    // Distinct experts per token, uniformly spread.
    std::vector<int64_t> idx(c.N * c.K);
    std::mt19937_64 rng(13);
    for (int64_t n = 0; n < c.N; ++n) {
      std::vector<int64_t> all(c.E);
      for (int64_t e = 0; e < c.E; ++e)
        all[e] = e;
      std::shuffle(all.begin(), all.end(), rng);
      std::copy(all.begin(), all.begin() + c.K, idx.begin() + n * c.K);
    }
    std::vector<float> out(c.N * c.D), dx(x.size()), dw(w.size()),
        dgate(gate.size()), dup(up.size()), ddown(down.size());
    ds_status status{};
    auto fwd = [&] {
      ds_moe_ffn_f32(&status, 0, x.data(), w.data(), idx.data(), gate.data(),
                     up.data(), down.data(), out.data(), c.N, c.D, c.K, c.E,
                     c.I);
    };
    auto bwd = [&] {
      ds_moe_ffn_grad_f32(&status, 0, x.data(), w.data(), idx.data(),
                          gate.data(), up.data(), down.data(), dy.data(),
                          dx.data(), dw.data(), dgate.data(), dup.data(),
                          ddown.data(), c.N, c.D, c.K, c.E, c.I);
    };
    fwd();
    // The reference on the first 16 tokens.
    const int64_t n16 = std::min<int64_t>(16, c.N);
    std::vector<float> head(out.begin(), out.begin() + n16 * c.D);
    std::vector<double> want(n16 * c.D);
    ref::moeFfn(nullptr, 0, toDouble(x).data(), toDouble(w).data(), idx.data(),
                toDouble(gate).data(), toDouble(up).data(),
                toDouble(down).data(), want.data(), n16, c.D, c.K, c.E, c.I);

    // The same FLOPs as plain GEMMs over all N·K rows with one weight.
    const int64_t rows = c.N * c.K;
    std::vector<float> X(rows * c.D, 0.5f), H(rows * c.I), Y(rows * c.D);
    auto gemmRows = [&](int64_t M, int64_t N, int64_t K, const float *A,
                        const float *B, float *C) {
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, int(M), int(N),
                  int(K), 1.0f, A, int(K), B, int(K), 0.0f, C, int(N));
    };
    auto dense = [&](int calls) {
      useAllBlasThreads();
      for (int i = 0; i < calls; ++i) {
        if (i % 3 == 2)
          gemmRows(rows, c.D, c.I, H.data(), down.data(), Y.data());
        else
          gemmRows(rows, c.I, c.D, X.data(), gate.data(), H.data());
      }
    };
    const double tf = medianSeconds(fwd), tb = medianSeconds(bwd);
    const double df = medianSeconds([&] { dense(3); });
    const double db = medianSeconds([&] { dense(9); });
    std::printf("%-30s %5lld %4lld %4lld %4lld %4lld %8.2f %8.2f %6.2f %8.2f "
                "%8.2f %6.2f %8.1e\n",
                c.what, (long long)c.N, (long long)c.D, (long long)c.K,
                (long long)c.E, (long long)c.I, tf * 1e3, df * 1e3, df / tf,
                tb * 1e3, db * 1e3, db / tb, relativeDifference(head, want));
  }
}

//===----------------------------------------------------------------------===//
// Cross-entropy
//===----------------------------------------------------------------------===//

void benchLoss() {
  std::printf("\nCross-entropy, f32 (GB/s of logits read)\n");
  std::printf("%-30s %6s %6s %8s %8s %8s %8s %9s\n", "shape", "P", "V",
              "fwd ms", "GB/s", "bwd ms", "GB/s", "rel.diff");
  const struct {
    const char *what;
    int64_t P, V;
  } cases[] = {{"tiny (vocab 512)", 512, 512},
               {"GPT-2 (vocab 50257)", 1024, 50257}};
  for (const auto &c : cases) {
    const auto logits = randomFloats(c.P * c.V, 14, 4.0f);
    std::vector<int64_t> targets(c.P);
    for (int64_t p = 0; p < c.P; ++p)
      targets[p] = (p * 7919) % c.V;
    std::vector<float> dlogits(logits.size());
    float loss = 0;
    const float dloss = 1;
    auto fwd = [&] {
      ds_cross_entropy_f32(nullptr, 0, logits.data(), targets.data(), &loss,
                           c.P, c.V, -100);
    };
    auto bwd = [&] {
      ds_cross_entropy_grad_f32(nullptr, 0, logits.data(), targets.data(),
                                &dloss, dlogits.data(), c.P, c.V, -100);
    };
    fwd();
    double want = 0;
    ref::crossEntropy(nullptr, 0, toDouble(logits).data(), targets.data(),
                      &want, c.P, c.V, -100);
    const double bytes = 4.0 * c.P * c.V;
    const double tf = medianSeconds(fwd), tb = medianSeconds(bwd);
    std::printf("%-30s %6lld %6lld %8.2f %8.1f %8.2f %8.1f %9.1e\n", c.what,
                (long long)c.P, (long long)c.V, tf * 1e3, bytes / tf / 1e9,
                tb * 1e3, 2 * bytes / tb / 1e9,
                std::abs(double(loss) - want) / want);
  }
}

/// Starts OpenBLAS's and OpenMP's threads and lets the clock settle before
/// the first measurement (otherwise the first table row pays for both).
void warmUp() {
  const int64_t n = 512;
  const auto a = randomFloats(n * n, 15);
  std::vector<float> c(n * n);
  const auto start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - start <
         std::chrono::milliseconds(300)) {
    ds_matmul_f32(a.data(), a.data(), c.data(), 1, n, n, n, 0, 0, 0, 0);
    ds_attention_f32(a.data(), a.data(), a.data(), c.data(), 1, 64, 64, 8, 8,
                     64, 64, 0.125, 1, 0, 64);
  }
}

} // namespace

int main(int argc, char **argv) {
  chooseOpenBlasCore(argv);
  blasThreads = openblas_get_num_threads();
  const char *sections[] = {"gemm", "attention", "moe", "loss"};
  std::vector<std::string> chosen;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) {
      timeBudget = 0.05;
    } else if (std::find_if(std::begin(sections), std::end(sections),
                            [&](const char *s) {
                              return std::strcmp(s, argv[i]) == 0;
                            }) != std::end(sections)) {
      chosen.push_back(argv[i]);
    } else {
      std::fprintf(stderr, "usage: %s [--quick] [gemm|attention|moe|loss]...\n",
                   argv[0]);
      return 2;
    }
  }
  auto run = [&](const char *section) {
    return chosen.empty() ||
           std::find(chosen.begin(), chosen.end(), section) != chosen.end();
  };
  const char *coretype = std::getenv("OPENBLAS_CORETYPE");
  std::printf("DS CPU kernels benchmark:%s, core %s "
              "(OPENBLAS_CORETYPE=%s), %d BLAS threads, %ld CPUs online\n",
              OPENBLAS_VERSION, openblas_get_corename(),
              coretype ? coretype : "unset", openblas_get_num_threads(),
              sysconf(_SC_NPROCESSORS_ONLN));
  std::printf("median of repeated runs after a warm-up; rel.diff compares "
              "with cblas or the double reference\n");
  warmUp();
  if (run("gemm"))
    benchGemm();
  if (run("attention"))
    benchAttention();
  if (run("moe"))
    benchMoe();
  if (run("loss"))
    benchLoss();
  return 0;
}
