// Internal interface between the SGEMM driver (sgemm.cc) and its ISA-specific micro-kernels and packers
// (sgemm_avx512.cc, sgemm_avx2.cc, portable ones in sgemm.cc).
#pragma once
#include <cstdint>

namespace ml {
namespace gemm_detail {

// C[rows x cols] (row stride ldc) = alpha * Ap·Bp + beta * C (accumulate == false; C unread when
// beta == 0), or C += alpha * Ap·Bp (accumulate == true). Ap is kc x rows, k-major (Ap[k * rows + r]);
// Bp is kc x nr (Bp[k * nr + c]), zero-padded past cols. 1 <= rows <= mr, 1 <= cols <= nr.
using MicroKernel = void (*)(int rows, int cols, int64_t kc, const float* ap, const float* bp, float* c,
                             int64_t ldc, float alpha, float beta, bool accumulate);

// Packs op(A)'s block of `rows` rows x kc columns whose (0,0) element is at `a`:
// element (r, k) is trans ? a[k * lda + r] : a[r * lda + k]; writes dst[k * rows + r].
using PackA = void (*)(bool trans, const float* a, int64_t lda, int rows, int64_t kc, float* dst);

// Packs op(B)'s block of kc rows x `cols` columns whose (0,0) element is at `b`:
// element (k, c) is trans ? b[c * ldb + k] : b[k * ldb + c]; writes dst[k * nr + c], zero for c >= cols.
using PackB = void (*)(bool trans, const float* b, int64_t ldb, int cols, int64_t kc, float* dst);

// y[0..n) = x[0..n) · ... helpers for matrix-vector products (M == 1 or N == 1):
// axpy_rows: acc[j] += sum_k s[k] * m[k * ldm + j] for j < n, k < kc (acc is n floats).
using AxpyRows = void (*)(int64_t n, int64_t kc, const float* s, const float* m, int64_t ldm, float* acc);
// dot_rows: out[i] = sum_k x[k] * m[i * ldm + k] for i < n, k < kc.
using DotRows = void (*)(int64_t n, int64_t kc, const float* x, const float* m, int64_t ldm, float* out);

struct KernelSet {
  const char* name;
  int mr, nr;  // register tile: at most mr rows x nr columns
  int kc;      // k-block size
  MicroKernel kernel;
  PackA pack_a;
  PackB pack_b;
  AxpyRows axpy_rows;
  DotRows dot_rows;
};

const KernelSet& kernels_generic();
#if defined(__x86_64__) || defined(__i386__)
const KernelSet& kernels_avx2();    // call only when simd_level() >= Simd::Avx2
const KernelSet& kernels_avx512();  // call only when simd_level() >= Simd::Avx512
#endif

}  // namespace gemm_detail
}  // namespace ml
