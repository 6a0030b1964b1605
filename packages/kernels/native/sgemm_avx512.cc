// AVX-512 SGEMM micro-kernel (14 x 32 register tile: 28 zmm accumulators, B rows loaded as 2 zmm, A
// broadcast straight from memory into the FMA) and packers (16 x 16 in-register transposes).
#include <immintrin.h>

#include "sgemm_impl.h"

// GCC 12 warns about the undefined pass-through operand inside the AVX-512 shuffle intrinsics.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace ml {
namespace gemm_detail {
namespace avx512 {

constexpr int MR = 14;
constexpr int NR = 32;
constexpr int KC = 256;

#include "sgemm_portable.inc"

static inline __mmask16 tail_mask(int n) { return n >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << n) - 1u); }

// One R x (16 * NV) tile. NV = 1: cols <= 16, NV = 2: 16 < cols <= 32.
template <int R, int NV>
static void ukernel(int cols, int64_t kc, const float* __restrict ap, const float* __restrict bp, float* c, int64_t ldc,
                    float alpha, float beta, bool accumulate) {
  __m512 acc0[R], acc1[R];
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) {
    acc0[r] = _mm512_setzero_ps();
    if (NV == 2) acc1[r] = _mm512_setzero_ps();
  }
#pragma GCC unroll 2
  for (int64_t k = 0; k < kc; ++k) {
    const __m512 b0 = _mm512_load_ps(bp);
    __m512 b1 = b0;
    if (NV == 2) b1 = _mm512_load_ps(bp + 16);
    _mm_prefetch(reinterpret_cast<const char*>(ap + 16 * R), _MM_HINT_T0);
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) {
      const __m512 av = _mm512_set1_ps(ap[r]);
      acc0[r] = _mm512_fmadd_ps(av, b0, acc0[r]);
      if (NV == 2) acc1[r] = _mm512_fmadd_ps(av, b1, acc1[r]);
    }
    ap += R;
    bp += NR;
  }
  const __m512 va = _mm512_set1_ps(alpha);
  const __m512 vb = _mm512_set1_ps(beta);
  const bool full = cols == 16 * NV;
  const __mmask16 m0 = NV == 2 ? static_cast<__mmask16>(0xFFFF) : tail_mask(cols);
  const __mmask16 m1 = NV == 2 ? tail_mask(cols - 16) : static_cast<__mmask16>(0);
  const int mode = accumulate ? 1 : (beta == 0.0f ? 0 : 2);
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) {
    float* cr = c + r * ldc;
    __m512 x0 = _mm512_mul_ps(acc0[r], va);
    __m512 x1 = NV == 2 ? _mm512_mul_ps(acc1[r], va) : x0;
    if (full) {
      if (mode == 1) {
        x0 = _mm512_add_ps(_mm512_loadu_ps(cr), x0);
        if (NV == 2) x1 = _mm512_add_ps(_mm512_loadu_ps(cr + 16), x1);
      } else if (mode == 2) {
        x0 = _mm512_fmadd_ps(vb, _mm512_loadu_ps(cr), x0);
        if (NV == 2) x1 = _mm512_fmadd_ps(vb, _mm512_loadu_ps(cr + 16), x1);
      }
      _mm512_storeu_ps(cr, x0);
      if (NV == 2) _mm512_storeu_ps(cr + 16, x1);
    } else {
      if (mode == 1) {
        x0 = _mm512_add_ps(_mm512_maskz_loadu_ps(m0, cr), x0);
        if (NV == 2) x1 = _mm512_add_ps(_mm512_maskz_loadu_ps(m1, cr + 16), x1);
      } else if (mode == 2) {
        x0 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m0, cr), x0);
        if (NV == 2) x1 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m1, cr + 16), x1);
      }
      _mm512_mask_storeu_ps(cr, m0, x0);
      if (NV == 2) _mm512_mask_storeu_ps(cr + 16, m1, x1);
    }
  }
}

using UFn = void (*)(int, int64_t, const float*, const float*, float*, int64_t, float, float, bool);
#define ML_UK(R) {ukernel<R, 1>, ukernel<R, 2>}
static const UFn kTable[MR][2] = {ML_UK(1), ML_UK(2),  ML_UK(3),  ML_UK(4),  ML_UK(5),  ML_UK(6),  ML_UK(7),
                                  ML_UK(8), ML_UK(9), ML_UK(10), ML_UK(11), ML_UK(12), ML_UK(13), ML_UK(14)};
#undef ML_UK

static void kernel(int rows, int cols, int64_t kc, const float* ap, const float* bp, float* c, int64_t ldc, float alpha,
                   float beta, bool accumulate) {
  kTable[rows - 1][cols > 16 ? 1 : 0](cols, kc, ap, bp, c, ldc, alpha, beta, accumulate);
}

// In-place transpose of the 16 x 16 matrix held in v[0..15] (row i = v[i]).
static inline void transpose16(__m512 v[16]) {
  __m512 t[16], u[16];
  for (int i = 0; i < 8; ++i) {
    t[2 * i] = _mm512_unpacklo_ps(v[2 * i], v[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_ps(v[2 * i], v[2 * i + 1]);
  }
  for (int g = 0; g < 4; ++g) {
    const __m512 a = t[4 * g], b = t[4 * g + 1], c = t[4 * g + 2], d = t[4 * g + 3];
    u[4 * g + 0] = _mm512_shuffle_ps(a, c, 0x44);
    u[4 * g + 1] = _mm512_shuffle_ps(a, c, 0xEE);
    u[4 * g + 2] = _mm512_shuffle_ps(b, d, 0x44);
    u[4 * g + 3] = _mm512_shuffle_ps(b, d, 0xEE);
  }
  // u[4g + q], 128-bit lane L = rows 4g..4g+3 of column 4L + q.
  for (int q = 0; q < 4; ++q) {
    const __m512 v0 = _mm512_shuffle_f32x4(u[q], u[4 + q], 0x88);
    const __m512 v1 = _mm512_shuffle_f32x4(u[q], u[4 + q], 0xDD);
    const __m512 v2 = _mm512_shuffle_f32x4(u[8 + q], u[12 + q], 0x88);
    const __m512 v3 = _mm512_shuffle_f32x4(u[8 + q], u[12 + q], 0xDD);
    v[q] = _mm512_shuffle_f32x4(v0, v2, 0x88);
    v[8 + q] = _mm512_shuffle_f32x4(v0, v2, 0xDD);
    v[4 + q] = _mm512_shuffle_f32x4(v1, v3, 0x88);
    v[12 + q] = _mm512_shuffle_f32x4(v1, v3, 0xDD);
  }
}

// Transposes `rows` (<= 16) rows of `kn` (<= 16) floats at src (row stride ld) and stores column k's
// first `rows` values at dst + k * dst_stride, for k < kn (masked stores: exactly `rows` floats each).
static inline void transpose_block(const float* src, int64_t ld, int rows, int kn, float* dst, int64_t dst_stride) {
  __m512 v[16];
  const __mmask16 lm = tail_mask(kn);
  for (int r = 0; r < 16; ++r) v[r] = r < rows ? _mm512_maskz_loadu_ps(lm, src + r * ld) : _mm512_setzero_ps();
  transpose16(v);
  const __mmask16 sm = tail_mask(rows);
  for (int k = 0; k < kn; ++k) _mm512_mask_storeu_ps(dst + k * dst_stride, sm, v[k]);
}

static void pack_a(bool trans, const float* a, int64_t lda, int rows, int64_t kc, float* dst) {
  if (trans) {
    const __mmask16 m = tail_mask(rows);
    for (int64_t k = 0; k < kc; ++k) _mm512_mask_storeu_ps(dst + k * rows, m, _mm512_maskz_loadu_ps(m, a + k * lda));
    return;
  }
  for (int64_t k = 0; k < kc; k += 16) {
    const int kn = kc - k < 16 ? static_cast<int>(kc - k) : 16;
    transpose_block(a + k, lda, rows, kn, dst + k * rows, rows);
  }
}

static void pack_b(bool trans, const float* b, int64_t ldb, int cols, int64_t kc, float* dst) {
  if (!trans) {
    const __mmask16 m0 = tail_mask(cols), m1 = tail_mask(cols - 16 < 0 ? 0 : cols - 16);
    for (int64_t k = 0; k < kc; ++k) {
      const float* src = b + k * ldb;
      _mm512_store_ps(dst + k * NR, _mm512_maskz_loadu_ps(m0, src));
      _mm512_store_ps(dst + k * NR + 16, _mm512_maskz_loadu_ps(m1, src + 16));
    }
    return;
  }
  for (int64_t k = 0; k < kc; k += 16) {
    const int kn = kc - k < 16 ? static_cast<int>(kc - k) : 16;
    for (int half = 0; half < 2; ++half) {
      const int c0 = 16 * half;
      const int n = cols - c0 < 0 ? 0 : (cols - c0 > 16 ? 16 : cols - c0);
      float* d = dst + k * NR + c0;
      if (n == 0) {
        for (int kk = 0; kk < kn; ++kk) _mm512_store_ps(d + kk * NR, _mm512_setzero_ps());
      } else {
        // Full 16-lane stores: lanes >= n come from zero rows, which pads the panel.
        __m512 v[16];
        const __mmask16 lm = tail_mask(kn);
        for (int r = 0; r < 16; ++r) v[r] = r < n ? _mm512_maskz_loadu_ps(lm, b + (c0 + r) * ldb + k) : _mm512_setzero_ps();
        transpose16(v);
        for (int kk = 0; kk < kn; ++kk) _mm512_store_ps(d + kk * NR, v[kk]);
      }
    }
  }
}

}  // namespace avx512

const KernelSet& kernels_avx512() {
  static const KernelSet ks{"avx512",          avx512::MR,     avx512::NR,
                            avx512::KC,        avx512::kernel, avx512::pack_a,
                            avx512::pack_b,    avx512::axpy_rows_portable, avx512::dot_rows_portable};
  return ks;
}

}  // namespace gemm_detail
}  // namespace ml
