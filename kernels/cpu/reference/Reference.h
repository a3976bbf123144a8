//===- Reference.h - obviously correct twins of the kernels -----*- C++ -*-===//
//
// Each function computes what its kernel in kernels/cpu/Kernels.h documents,
// with the same arguments, by the plainest loops available: doubles
// throughout, no blocking, no threads, gradients written straight from their
// definitions. Tests compare the kernels against these; benchmarks use them
// to check that what they time is right. Compiled code never calls them.
//
// Integer-valued kernels (scatter-add on i32/i64) are checked against the
// double version on small integers, where doubles are exact.
//
//===----------------------------------------------------------------------===//

#ifndef DS_KERNELS_CPU_REFERENCE_REFERENCE_H
#define DS_KERNELS_CPU_REFERENCE_REFERENCE_H

#include "kernels/cpu/Status.h"

#include <cstdint>

namespace ds::kernels::reference {

void matmul(const double *A, const double *B, double *C, int64_t batch,
            int64_t M, int64_t N, int64_t K, bool transA, bool transB,
            int64_t strideA, int64_t strideB);

void attention(const double *q, const double *k, const double *v, double *out,
               int64_t B, int64_t Tq, int64_t Tk, int64_t Hq, int64_t Hkv,
               int64_t Dqk, int64_t Dv, double scale, bool causal,
               int64_t window, int64_t keyLength);

void attentionGrad(const double *q, const double *k, const double *v,
                   const double *dout, double *dq, double *dk, double *dv,
                   int64_t B, int64_t Tq, int64_t Tk, int64_t Hq, int64_t Hkv,
                   int64_t Dqk, int64_t Dv, double scale, bool causal,
                   int64_t window, int64_t keyLength);

void moeRoute(const double *logits, const double *bias, double *weights,
              int64_t *indices, int64_t N, int64_t E, int64_t topK,
              int64_t nGroup, int64_t topkGroup, int32_t scoring,
              int32_t groupScore, bool normalize, double factor);

void moeRouteGrad(ds_status *status, int32_t site, const double *logits,
                  const int64_t *indices, const double *grad, double *out,
                  int64_t N, int64_t E, int64_t K, int32_t scoring,
                  bool normalize, double factor);

void moeFfn(ds_status *status, int32_t site, const double *x, const double *w,
            const int64_t *idx, const double *gate, const double *up,
            const double *down, double *out, int64_t N, int64_t D, int64_t K,
            int64_t E, int64_t I);

void moeFfnGrad(ds_status *status, int32_t site, const double *x,
                const double *w, const int64_t *idx, const double *gate,
                const double *up, const double *down, const double *dy,
                double *dx, double *dw, double *dgate, double *dup,
                double *ddown, int64_t N, int64_t D, int64_t K, int64_t E,
                int64_t I);

void crossEntropy(ds_status *status, int32_t site, const double *logits,
                  const int64_t *targets, double *loss, int64_t P, int64_t V,
                  int64_t ignoreIndex);

void crossEntropyGrad(ds_status *status, int32_t site, const double *logits,
                      const int64_t *targets, const double *dloss,
                      double *dlogits, int64_t P, int64_t V,
                      int64_t ignoreIndex);

void gather(ds_status *status, int32_t site, const void *src,
            const int64_t *indices, void *out, int64_t outer, int64_t axisSize,
            int64_t innerBytes, int64_t numIndices);

void scatterAdd(ds_status *status, int32_t site, const double *updates,
                const int64_t *indices, double *out, int64_t outer,
                int64_t axisSize, int64_t inner, int64_t numIndices);

void rope(const double *in, const int64_t *positions, double *out,
          int64_t leading, int64_t T, int64_t H, int64_t D, int64_t offset,
          int64_t dim, bool interleaved, bool positionsShared,
          const double *frequencies, double magnitude, bool adjoint);

} // namespace ds::kernels::reference

#endif // DS_KERNELS_CPU_REFERENCE_REFERENCE_H
