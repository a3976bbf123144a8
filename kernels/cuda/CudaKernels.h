/*===- CudaKernels.h - the CUDA kernels' C ABI ----------------------------===*
 *
 * The CUDA twins of the CPU kernels (kernels/cpu/Kernels.h), which a CUDA
 * artifact's host code calls instead of them: the same arguments and the
 * same contracts (see that header), with three differences:
 *  - every buffer, and the ds_status, is in device memory;
 *  - a call only queues work on the current context's stream
 *    (Context.h): it returns before the work is done, and errors that
 *    concern the call itself (a failed launch, sizes the kernel cannot
 *    take) go to the context's error;
 *  - the names start with ds_cuda_, so that one process can hold a CPU
 *    artifact and a CUDA one (the runtime exports these for model.so).
 * KernelAbiCheck.cpp checks every prototype against kernels/KernelAbi.h.
 *
 * The float kernels compute in float where the CPU ones do and accumulate
 * in float (GEMMs: cuBLASLt with CUBLAS_COMPUTE_32F, no TF32), so results
 * match the CPU's within float rounding (test/device checks 1e-5 relative
 * on random data against the double references).
 *
 *===----------------------------------------------------------------------===*/

#ifndef DS_KERNELS_CUDA_CUDAKERNELS_H
#define DS_KERNELS_CUDA_CUDAKERNELS_H

#include "kernels/cpu/Status.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

void ds_cuda_matmul_f32(const float *A, const float *B, float *C, int64_t batch,
                        int64_t M, int64_t N, int64_t K, int32_t transA,
                        int32_t transB, int64_t strideA, int64_t strideB);
void ds_cuda_matmul_f64(const double *A, const double *B, double *C, int64_t batch,
                        int64_t M, int64_t N, int64_t K, int32_t transA,
                        int32_t transB, int64_t strideA, int64_t strideB);

/*===-- Attention (Attention.cu) -----------------------------------------===*/

void ds_cuda_attention_f32(const float *q, const float *k, const float *v,
                           float *out, int64_t B, int64_t Tq, int64_t Tk,
                           int64_t Hq, int64_t Hkv, int64_t Dqk, int64_t Dv,
                           double scale, int32_t causal, int64_t window,
                           int64_t keyLength);
void ds_cuda_attention_f64(const double *q, const double *k, const double *v,
                           double *out, int64_t B, int64_t Tq, int64_t Tk,
                           int64_t Hq, int64_t Hkv, int64_t Dqk, int64_t Dv,
                           double scale, int32_t causal, int64_t window,
                           int64_t keyLength);

void ds_cuda_attention_grad_f32(const float *q, const float *k, const float *v,
                                const float *dout, float *dq, float *dk, float *dv,
                                int64_t B, int64_t Tq, int64_t Tk, int64_t Hq,
                                int64_t Hkv, int64_t Dqk, int64_t Dv, double scale,
                                int32_t causal, int64_t window,
                                int64_t keyLength);
void ds_cuda_attention_grad_f64(const double *q, const double *k, const double *v,
                                const double *dout, double *dq, double *dk,
                                double *dv, int64_t B, int64_t Tq, int64_t Tk,
                                int64_t Hq, int64_t Hkv, int64_t Dqk, int64_t Dv,
                                double scale, int32_t causal, int64_t window,
                           int64_t keyLength);

/*===-- MoE routing (Moe.cu) ---------------------------------------------===*/

void ds_cuda_moe_route_f32(const float *logits, const float *bias, float *weights,
                           int64_t *indices, int64_t N, int64_t E, int64_t top_k,
                           int64_t n_group, int64_t topk_group, int32_t scoring,
                           int32_t group_score, int32_t norm_topk_prob,
                           double routed_scaling_factor);
void ds_cuda_moe_route_f64(const double *logits, const double *bias,
                           double *weights, int64_t *indices, int64_t N, int64_t E,
                           int64_t top_k, int64_t n_group, int64_t topk_group,
                           int32_t scoring, int32_t group_score,
                           int32_t norm_topk_prob, double routed_scaling_factor);

void ds_cuda_moe_route_grad_f32(ds_status *status, int32_t site,
                                const float *logits, const int64_t *indices,
                                const float *grad, float *out, int64_t N,
                                int64_t E, int64_t K, int32_t scoring,
                                int32_t norm_topk_prob,
                                double routed_scaling_factor);
void ds_cuda_moe_route_grad_f64(ds_status *status, int32_t site,
                                const double *logits, const int64_t *indices,
                                const double *grad, double *out, int64_t N,
                                int64_t E, int64_t K, int32_t scoring,
                                int32_t norm_topk_prob,
                                double routed_scaling_factor);

/*===-- MoE expert FFN (MoeFfn.cu) ---------------------------------------===*/

void ds_cuda_moe_ffn_f32(ds_status *status, int32_t site, const float *x,
                         const float *w, const int64_t *idx, const float *gate,
                         const float *up, const float *down, float *out, int64_t N,
                         int64_t D, int64_t K, int64_t E, int64_t I);
void ds_cuda_moe_ffn_f64(ds_status *status, int32_t site, const double *x,
                         const double *w, const int64_t *idx, const double *gate,
                         const double *up, const double *down, double *out,
                         int64_t N, int64_t D, int64_t K, int64_t E, int64_t I);

void ds_cuda_moe_ffn_grad_f32(ds_status *status, int32_t site, const float *x,
                              const float *w, const int64_t *idx, const float *gate,
                              const float *up, const float *down, const float *dy,
                              float *dx, float *dw, float *dgate, float *dup,
                              float *ddown, int64_t N, int64_t D, int64_t K,
                              int64_t E, int64_t I);
void ds_cuda_moe_ffn_grad_f64(ds_status *status, int32_t site, const double *x,
                              const double *w, const int64_t *idx,
                              const double *gate, const double *up,
                              const double *down, const double *dy, double *dx,
                              double *dw, double *dgate, double *dup,
                              double *ddown, int64_t N, int64_t D, int64_t K,
                              int64_t E, int64_t I);

/*===-- Loss (Loss.cu) ---------------------------------------------------===*/

void ds_cuda_cross_entropy_f32(ds_status *status, int32_t site,
                               const float *logits, const int64_t *targets,
                               float *loss, int64_t P, int64_t V,
                               int64_t ignore_index);
void ds_cuda_cross_entropy_f64(ds_status *status, int32_t site,
                               const double *logits, const int64_t *targets,
                               double *loss, int64_t P, int64_t V,
                               int64_t ignore_index);

void ds_cuda_cross_entropy_grad_f32(ds_status *status, int32_t site,
                                    const float *logits, const int64_t *targets,
                                    const float *dloss, float *dlogits, int64_t P,
                                    int64_t V, int64_t ignore_index);
void ds_cuda_cross_entropy_grad_f64(ds_status *status, int32_t site,
                                    const double *logits, const int64_t *targets,
                                    const double *dloss, double *dlogits,
                                    int64_t P, int64_t V, int64_t ignore_index);

/*===-- Gather and scatter (Indexing.cu) ---------------------------------===*/

void ds_cuda_gather(ds_status *status, int32_t site, const void *src,
                    const int64_t *indices, void *out, int64_t outer,
                    int64_t axis_size, int64_t inner_bytes, int64_t num_indices);

void ds_cuda_scatter_add_f32(ds_status *status, int32_t site, const float *updates,
                             const int64_t *indices, float *out, int64_t outer,
                             int64_t axis_size, int64_t inner, int64_t num_indices);
void ds_cuda_scatter_add_f64(ds_status *status, int32_t site,
                             const double *updates, const int64_t *indices,
                             double *out, int64_t outer, int64_t axis_size,
                             int64_t inner, int64_t num_indices);
void ds_cuda_scatter_add_i32(ds_status *status, int32_t site,
                             const int32_t *updates, const int64_t *indices,
                             int32_t *out, int64_t outer, int64_t axis_size,
                             int64_t inner, int64_t num_indices);
void ds_cuda_scatter_add_i64(ds_status *status, int32_t site,
                             const int64_t *updates, const int64_t *indices,
                             int64_t *out, int64_t outer, int64_t axis_size,
                             int64_t inner, int64_t num_indices);

/*===-- Rotary embeddings (Rope.cu) --------------------------------------===*/

void ds_cuda_rope_f32(const float *in, const int64_t *positions, float *out,
                      int64_t leading, int64_t T, int64_t H, int64_t D,
                      int64_t offset, int64_t dim, int32_t interleaved,
                      int32_t positions_shared, const double *frequencies,
                      double magnitude, int32_t adjoint);
void ds_cuda_rope_f64(const double *in, const int64_t *positions, double *out,
                      int64_t leading, int64_t T, int64_t H, int64_t D,
                      int64_t offset, int64_t dim, int32_t interleaved,
                      int32_t positions_shared, const double *frequencies,
                      double magnitude, int32_t adjoint);

/* Host code's reads of a scalar in device memory (decoding's position, the
 * filled length of a KV cache): waits for the work queued before it, then
 * copies the value back. Not in kernels/KernelAbi.h: the lowering never
 * calls them; --ds-gpu-kernels does, for host-side scalar loads. A failed
 * copy records the context's error and reads 0. */
int32_t ds_cuda_read_i32(const void *address);
int64_t ds_cuda_read_i64(const void *address);
float ds_cuda_read_f32(const void *address);
double ds_cuda_read_f64(const void *address);

/* ds_status_fail for host code: records a failure in the device-resident
 * status (a small kernel on the stream). */
void ds_cuda_status_fail(ds_status *status, int32_t code, int32_t site,
                         int64_t value, int64_t bound);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* DS_KERNELS_CUDA_CUDAKERNELS_H */
