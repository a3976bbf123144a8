/*===- Kernels.h - the CPU kernels' C ABI ---------------------------------===*
 *
 * Hand-written CPU kernels that compiled model code (and the runtime) call
 * for the operations the compiler does not generate itself: GEMM, attention,
 * MoE routing and expert FFNs, the loss, gather/scatter and rotary
 * embeddings. kernels/cpu/reference/Reference.h has an obviously correct
 * double-precision twin of each, which the tests compare against.
 *
 * The arguments of every function here are also declared in
 * kernels/KernelAbi.h, the one table the compiler's calls are checked
 * against; KernelAbiCheck.cpp stops the build if the two differ.
 *
 * Conventions shared by every function:
 *  - Tensors are contiguous, row-major buffers; shapes are given as
 *    [outer, ..., inner]. Every size and every index is an int64_t.
 *  - `_f32` kernels take float buffers, `_f64` ones double buffers; their
 *    contracts are the same.
 *  - The caller owns every buffer. Inputs are only read; outputs are fully
 *    overwritten (never accumulated into) and must not overlap the inputs,
 *    unless a function says otherwise.
 *  - Kernels that read indices from data take a `ds_status` and a `site`
 *    (see Status.h). An index outside its range is recorded with
 *    ds_status_fail (the first failure wins) and the kernel carries on with
 *    a safe choice, documented per function; it never reads or writes
 *    outside a buffer. `status` may be null, in which case failures are not
 *    recorded.
 *  - Kernels thread with OpenMP over independent rows/tokens/heads and call
 *    OpenBLAS (never from inside an OpenMP region). They are reentrant: two
 *    calls may run at once on different outputs.
 *  - OpenBLAS picks its GEMM kernels when it loads; 0.3.21 does not know
 *    AMD Zen 5 (see kernels/README.md for OPENBLAS_CORETYPE).
 *
 *===----------------------------------------------------------------------===*/

#ifndef DS_KERNELS_CPU_KERNELS_H
#define DS_KERNELS_CPU_KERNELS_H

#include "kernels/cpu/Status.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*===-- GEMM (Matmul.cpp) -------------------------------------------------===*/

/* Batched matrix product. For b in [0, batch):
 *   C[b] = op(A + b*strideA) · op(B + b*strideB)
 * where the A block is M×K row-major (K×M when transA, op = transpose), the
 * B block is K×N (N×K when transB), and C[b] is M×N at C + b*M*N. strideA and
 * strideB are element strides between batches; 0 broadcasts one matrix to
 * every batch. K == 0 gives zeros. Each of M, N, K must be below 2^31
 * (OpenBLAS takes 32-bit sizes). */
void ds_matmul_f32(const float *A, const float *B, float *C, int64_t batch,
                   int64_t M, int64_t N, int64_t K, int32_t transA,
                   int32_t transB, int64_t strideA, int64_t strideB);
void ds_matmul_f64(const double *A, const double *B, double *C, int64_t batch,
                   int64_t M, int64_t N, int64_t K, int32_t transA,
                   int32_t transB, int64_t strideA, int64_t strideB);

/*===-- Attention (Attention.cpp) -----------------------------------------===*/

/* Softmax attention with grouped key/value heads.
 *   q [B, Tq, Hq, Dqk], k [B, Tk, Hkv, Dqk], v [B, Tk, Hkv, Dv],
 *   out [B, Tq, Hq, Dv].
 * Hq must be a multiple of Hkv; query head h reads kv head h / (Hq / Hkv).
 *   out[b,i,h] = Σ_j softmax_j(scale · q[b,i,h]·k[b,j,kv]) · v[b,j,kv]
 * over the keys j that query i sees. Only keys j < L hold data, with
 * L = keyLength clamped to [0, Tk] (pass Tk for all keys; less for a KV
 * cache filled up to L). Query i sits at position pos(i) = i + L − Tq (the
 * queries are the last Tq of the L positions). With `causal` it sees only
 * keys j <= pos(i); with window > 0 it also sees only keys with
 * pos(i) − j < window (window <= 0: no window). A query that
 * sees no key gets zeros. Scores and softmax are computed in the element
 * type, with the row maximum subtracted. */
void ds_attention_f32(const float *q, const float *k, const float *v,
                      float *out, int64_t B, int64_t Tq, int64_t Tk,
                      int64_t Hq, int64_t Hkv, int64_t Dqk, int64_t Dv,
                      double scale, int32_t causal, int64_t window,
                      int64_t keyLength);
void ds_attention_f64(const double *q, const double *k, const double *v,
                      double *out, int64_t B, int64_t Tq, int64_t Tk,
                      int64_t Hq, int64_t Hkv, int64_t Dqk, int64_t Dv,
                      double scale, int32_t causal, int64_t window,
                      int64_t keyLength);

/* The gradient of ds_attention for an output gradient dout [B, Tq, Hq, Dv]:
 * dq [B, Tq, Hq, Dqk], dk [B, Tk, Hkv, Dqk], dv [B, Tk, Hkv, Dv]. P and O are
 * recomputed from q, k, v (nothing is saved by the forward pass):
 *   dV = Pᵀ·dO, dP = dO·Vᵀ, dS = P ⊙ (dP − rowsum(dO ⊙ O)),
 *   dQ = scale·dS·K, dK = scale·dSᵀ·Q.
 * A kv head's gradients sum the contributions of all its query heads; keys a
 * query does not see contribute nothing. Same sizes and masking as
 * ds_attention. */
void ds_attention_grad_f32(const float *q, const float *k, const float *v,
                           const float *dout, float *dq, float *dk, float *dv,
                           int64_t B, int64_t Tq, int64_t Tk, int64_t Hq,
                           int64_t Hkv, int64_t Dqk, int64_t Dv, double scale,
                           int32_t causal, int64_t window,
                           int64_t keyLength);
void ds_attention_grad_f64(const double *q, const double *k, const double *v,
                           const double *dout, double *dq, double *dk,
                           double *dv, int64_t B, int64_t Tq, int64_t Tk,
                           int64_t Hq, int64_t Hkv, int64_t Dqk, int64_t Dv,
                           double scale, int32_t causal, int64_t window,
                      int64_t keyLength);

/*===-- MoE routing (Moe.cpp) ---------------------------------------------===*/

/* DeepSeekMoE router for N tokens over E experts. logits [N, E], bias [E]
 * (nullable), weights [N, top_k], indices [N, top_k]. Per token:
 *   s = softmax(logits) (scoring 0) or sigmoid(logits) (scoring 1);
 *   c = s + bias (s when bias is null): the selection score;
 *   the experts form n_group consecutive groups of E / n_group (E must be a
 *   multiple of n_group); a group's score is its largest c (group_score 0)
 *   or the sum of its two largest (group_score 1); the topk_group best
 *   groups are kept (ties: lower group index) and the other experts
 *   excluded (no restriction when n_group <= 1, topk_group >= n_group or
 *   E is not a multiple of n_group);
 *   the top_k kept experts with the largest c are chosen, in descending
 *   order of c (ties: lower expert index). Should fewer than top_k experts
 *   be kept, the remaining slots take the best excluded ones;
 *   weights = s (without the bias) of the chosen experts, divided by
 *   (their sum + 1e-20) when norm_topk_prob, then times
 *   routed_scaling_factor.
 * Scores are computed in double for both element types. */
void ds_moe_route_f32(const float *logits, const float *bias, float *weights,
                      int64_t *indices, int64_t N, int64_t E, int64_t top_k,
                      int64_t n_group, int64_t topk_group, int32_t scoring,
                      int32_t group_score, int32_t norm_topk_prob,
                      double routed_scaling_factor);
void ds_moe_route_f64(const double *logits, const double *bias,
                      double *weights, int64_t *indices, int64_t N, int64_t E,
                      int64_t top_k, int64_t n_group, int64_t topk_group,
                      int32_t scoring, int32_t group_score,
                      int32_t norm_topk_prob, double routed_scaling_factor);

/* The gradient of the router's weights with respect to its logits (the
 * selection itself is piecewise constant and has none). logits [N, E],
 * indices [N, K] (the chosen experts), grad [N, K] (d loss / d weights),
 * out [N, E]. With s the scores of the row, c = routed_scaling_factor and
 * Z = Σ_k s[idx_k] + 1e-20 when norm_topk_prob (else Z = 1):
 *   weights_k = c · s[idx_k] / Z,  out = (d weights / d logits)ᵀ · grad.
 * An index outside [0, E) is recorded (bound E) and its entry skipped (it
 * is in neither the weights nor Z). */
void ds_moe_route_grad_f32(ds_status *status, int32_t site,
                           const float *logits, const int64_t *indices,
                           const float *grad, float *out, int64_t N,
                           int64_t E, int64_t K, int32_t scoring,
                           int32_t norm_topk_prob,
                           double routed_scaling_factor);
void ds_moe_route_grad_f64(ds_status *status, int32_t site,
                           const double *logits, const int64_t *indices,
                           const double *grad, double *out, int64_t N,
                           int64_t E, int64_t K, int32_t scoring,
                           int32_t norm_topk_prob,
                           double routed_scaling_factor);

/*===-- MoE expert FFN (MoeFfn.cpp) ---------------------------------------===*/

/* The routed experts' SwiGLU FFNs, combined. x [N, D], w and idx [N, K],
 * gate and up [E, I, D], down [E, D, I], out [N, D]:
 *   out[n] = Σ_k w[n,k] · down[e] · (silu(gate[e]·x[n]) ⊙ (up[e]·x[n])),
 *   e = idx[n,k], silu(z) = z / (1 + exp(−z)).
 * Tokens are grouped by expert and each expert is three GEMMs. An index
 * outside [0, E) is recorded (bound E) and its term skipped. */
void ds_moe_ffn_f32(ds_status *status, int32_t site, const float *x,
                    const float *w, const int64_t *idx, const float *gate,
                    const float *up, const float *down, float *out, int64_t N,
                    int64_t D, int64_t K, int64_t E, int64_t I);
void ds_moe_ffn_f64(ds_status *status, int32_t site, const double *x,
                    const double *w, const int64_t *idx, const double *gate,
                    const double *up, const double *down, double *out,
                    int64_t N, int64_t D, int64_t K, int64_t E, int64_t I);

/* The gradient of ds_moe_ffn for dy [N, D]: dx [N, D], dw [N, K],
 * dgate and dup [E, I, D], ddown [E, D, I]. For token n's k-th choice e,
 * with g = gate[e]·x[n], u = up[e]·x[n], h = silu(g) ⊙ u, y = down[e]·h and
 * c = w[n,k]·dy[n]:
 *   dw[n,k] = <dy[n], y>, ddown[e] += c·hᵀ, dh = down[e]ᵀ·c,
 *   du = dh ⊙ silu(g), dg = dh ⊙ u ⊙ silu'(g),
 *   dgate[e] += dg·x[n]ᵀ, dup[e] += du·x[n]ᵀ,
 *   dx[n] += gate[e]ᵀ·dg + up[e]ᵀ·du.
 * Outputs start from zero (experts no token chose get zero gradients). An
 * index outside [0, E) is recorded (bound E), its term skipped, and its dw
 * is 0. */
void ds_moe_ffn_grad_f32(ds_status *status, int32_t site, const float *x,
                         const float *w, const int64_t *idx, const float *gate,
                         const float *up, const float *down, const float *dy,
                         float *dx, float *dw, float *dgate, float *dup,
                         float *ddown, int64_t N, int64_t D, int64_t K,
                         int64_t E, int64_t I);
void ds_moe_ffn_grad_f64(ds_status *status, int32_t site, const double *x,
                         const double *w, const int64_t *idx,
                         const double *gate, const double *up,
                         const double *down, const double *dy, double *dx,
                         double *dw, double *dgate, double *dup,
                         double *ddown, int64_t N, int64_t D, int64_t K,
                         int64_t E, int64_t I);

/*===-- Loss (Loss.cpp) ---------------------------------------------------===*/

/* Mean token cross-entropy. logits [P, V], targets [P], loss [1]:
 *   loss = mean over p with targets[p] != ignore_index of
 *          logsumexp(logits[p]) − logits[p, targets[p]],
 * 0 when every position is ignored. Accumulated in double. A target outside
 * [0, V) other than ignore_index is recorded (bound V) and its position
 * skipped (not counted in the mean either). */
void ds_cross_entropy_f32(ds_status *status, int32_t site,
                          const float *logits, const int64_t *targets,
                          float *loss, int64_t P, int64_t V,
                          int64_t ignore_index);
void ds_cross_entropy_f64(ds_status *status, int32_t site,
                          const double *logits, const int64_t *targets,
                          double *loss, int64_t P, int64_t V,
                          int64_t ignore_index);

/* The gradient of ds_cross_entropy for dloss [1]: dlogits [P, V],
 *   dlogits[p] = dloss / count · (softmax(logits[p]) − onehot(targets[p]))
 * for counted positions and 0 for the others (count = the positions the
 * loss averages over; all zeros when it is 0). Bad targets as in
 * ds_cross_entropy. */
void ds_cross_entropy_grad_f32(ds_status *status, int32_t site,
                               const float *logits, const int64_t *targets,
                               const float *dloss, float *dlogits, int64_t P,
                               int64_t V, int64_t ignore_index);
void ds_cross_entropy_grad_f64(ds_status *status, int32_t site,
                               const double *logits, const int64_t *targets,
                               const double *dloss, double *dlogits,
                               int64_t P, int64_t V, int64_t ignore_index);

/*===-- Gather and scatter (Indexing.cpp) ---------------------------------===*/

/* Byte-generic gather along one axis. src [outer, axis_size, inner] with
 * inner_bytes bytes per slice, indices [num_indices],
 * out [outer, num_indices, inner]:  out[o, i] = src[o, indices[i]].
 * An index outside [0, axis_size) is recorded (bound axis_size) and its
 * slices are zero-filled. */
void ds_gather(ds_status *status, int32_t site, const void *src,
               const int64_t *indices, void *out, int64_t outer,
               int64_t axis_size, int64_t inner_bytes, int64_t num_indices);

/* Scatter-add along one axis. updates [outer, num_indices, inner],
 * indices [num_indices], out [outer, axis_size, inner]:
 *   out = 0; out[o, indices[i], :] += updates[o, i, :].
 * Repeated indices add up, in order of i (the result does not depend on the
 * number of threads). An index outside [0, axis_size) is recorded (bound
 * axis_size) and its updates skipped. Integer sums wrap around. */
void ds_scatter_add_f32(ds_status *status, int32_t site, const float *updates,
                        const int64_t *indices, float *out, int64_t outer,
                        int64_t axis_size, int64_t inner, int64_t num_indices);
void ds_scatter_add_f64(ds_status *status, int32_t site,
                        const double *updates, const int64_t *indices,
                        double *out, int64_t outer, int64_t axis_size,
                        int64_t inner, int64_t num_indices);
void ds_scatter_add_i32(ds_status *status, int32_t site,
                        const int32_t *updates, const int64_t *indices,
                        int32_t *out, int64_t outer, int64_t axis_size,
                        int64_t inner, int64_t num_indices);
void ds_scatter_add_i64(ds_status *status, int32_t site,
                        const int64_t *updates, const int64_t *indices,
                        int64_t *out, int64_t outer, int64_t axis_size,
                        int64_t inner, int64_t num_indices);

/*===-- Rotary embeddings (Rope.cpp) --------------------------------------===*/

/* Rotary position embedding of channels [offset, offset + dim) of the last
 * axis; the other channels are copied. in and out [leading, T, H, D] (out
 * may equal in); positions [T] when positions_shared, else [leading, T];
 * frequencies [dim / 2]. For i < dim/2 the pair is (offset+2i, offset+2i+1)
 * when interleaved, else (offset+i, offset+i+dim/2); with a = position ·
 * frequencies[i], c = cos(a)·magnitude and s = sin(a)·magnitude (s = −s
 * when adjoint: the transpose, which the gradient uses):
 *   (x1, x2) -> (x1·c − x2·s, x2·c + x1·s).
 * Angles and the rotation are computed in double. */
void ds_rope_f32(const float *in, const int64_t *positions, float *out,
                 int64_t leading, int64_t T, int64_t H, int64_t D,
                 int64_t offset, int64_t dim, int32_t interleaved,
                 int32_t positions_shared, const double *frequencies,
                 double magnitude, int32_t adjoint);
void ds_rope_f64(const double *in, const int64_t *positions, double *out,
                 int64_t leading, int64_t T, int64_t H, int64_t D,
                 int64_t offset, int64_t dim, int32_t interleaved,
                 int32_t positions_shared, const double *frequencies,
                 double magnitude, int32_t adjoint);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* DS_KERNELS_CPU_KERNELS_H */
