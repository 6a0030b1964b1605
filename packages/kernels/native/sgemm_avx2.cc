// AVX2 + FMA SGEMM micro-kernel (6 x 16 register tile: 12 ymm accumulators) and packers (8 x 8
// in-register transposes).
#include <immintrin.h>

#include "sgemm_impl.h"

namespace ml {
namespace gemm_detail {
namespace avx2 {

constexpr int MR = 6;
constexpr int NR = 16;
constexpr int KC = 256;

#include "sgemm_portable.inc"

// Lanes < n set (n clamped to [0, 8]).
static inline __m256i lane_mask(int n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

template <int R, int NV>
static void ukernel(int cols, int64_t kc, const float* __restrict ap, const float* __restrict bp, float* c, int64_t ldc,
                    float alpha, float beta, bool accumulate) {
  __m256 acc0[R], acc1[R];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
    acc0[r] = _mm256_setzero_ps();
    if (NV == 2) acc1[r] = _mm256_setzero_ps();
  }
#pragma GCC unroll 2
  for (int64_t k = 0; k < kc; ++k) {
    const __m256 b0 = _mm256_load_ps(bp);
    __m256 b1 = b0;
    if (NV == 2) b1 = _mm256_load_ps(bp + 8);
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      const __m256 av = _mm256_broadcast_ss(ap + r);
      acc0[r] = _mm256_fmadd_ps(av, b0, acc0[r]);
      if (NV == 2) acc1[r] = _mm256_fmadd_ps(av, b1, acc1[r]);
    }
    ap += R;
    bp += NR;
  }
  const __m256 va = _mm256_set1_ps(alpha);
  const __m256 vb = _mm256_set1_ps(beta);
  const bool full = cols == 8 * NV;
  const __m256i m0 = lane_mask(cols);
  const __m256i m1 = lane_mask(cols - 8);
  const int mode = accumulate ? 1 : (beta == 0.0f ? 0 : 2);
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
    float* cr = c + r * ldc;
    __m256 x0 = _mm256_mul_ps(acc0[r], va);
    __m256 x1 = NV == 2 ? _mm256_mul_ps(acc1[r], va) : x0;
    if (full) {
      if (mode == 1) {
        x0 = _mm256_add_ps(_mm256_loadu_ps(cr), x0);
        if (NV == 2) x1 = _mm256_add_ps(_mm256_loadu_ps(cr + 8), x1);
      } else if (mode == 2) {
        x0 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(cr), x0);
        if (NV == 2) x1 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(cr + 8), x1);
      }
      _mm256_storeu_ps(cr, x0);
      if (NV == 2) _mm256_storeu_ps(cr + 8, x1);
    } else {
      if (mode == 1) {
        x0 = _mm256_add_ps(_mm256_maskload_ps(cr, m0), x0);
        if (NV == 2) x1 = _mm256_add_ps(_mm256_maskload_ps(cr + 8, m1), x1);
      } else if (mode == 2) {
        x0 = _mm256_fmadd_ps(vb, _mm256_maskload_ps(cr, m0), x0);
        if (NV == 2) x1 = _mm256_fmadd_ps(vb, _mm256_maskload_ps(cr + 8, m1), x1);
      }
      _mm256_maskstore_ps(cr, NV == 2 ? _mm256_set1_epi32(-1) : m0, x0);
      if (NV == 2) _mm256_maskstore_ps(cr + 8, m1, x1);
    }
  }
}

using UFn = void (*)(int, int64_t, const float*, const float*, float*, int64_t, float, float, bool);
#define ML_UK(R) {ukernel<R, 1>, ukernel<R, 2>}
static const UFn kTable[MR][2] = {ML_UK(1), ML_UK(2), ML_UK(3), ML_UK(4), ML_UK(5), ML_UK(6)};
#undef ML_UK

static void kernel(int rows, int cols, int64_t kc, const float* ap, const float* bp, float* c, int64_t ldc, float alpha,
                   float beta, bool accumulate) {
  kTable[rows - 1][cols > 8 ? 1 : 0](cols, kc, ap, bp, c, ldc, alpha, beta, accumulate);
}

// In-place transpose of the 8 x 8 matrix in v[0..7].
static inline void transpose8(__m256 v[8]) {
  __m256 t[8], u[8];
  for (int i = 0; i < 4; ++i) {
    t[2 * i] = _mm256_unpacklo_ps(v[2 * i], v[2 * i + 1]);
    t[2 * i + 1] = _mm256_unpackhi_ps(v[2 * i], v[2 * i + 1]);
  }
  for (int g = 0; g < 2; ++g) {
    const __m256 a = t[4 * g], b = t[4 * g + 1], c = t[4 * g + 2], d = t[4 * g + 3];
    u[4 * g + 0] = _mm256_shuffle_ps(a, c, 0x44);
    u[4 * g + 1] = _mm256_shuffle_ps(a, c, 0xEE);
    u[4 * g + 2] = _mm256_shuffle_ps(b, d, 0x44);
    u[4 * g + 3] = _mm256_shuffle_ps(b, d, 0xEE);
  }
  // u[4g + q], 128-bit lane L = rows 4g..4g+3 of column 4L + q.
  for (int q = 0; q < 4; ++q) {
    v[q] = _mm256_permute2f128_ps(u[q], u[4 + q], 0x20);
    v[4 + q] = _mm256_permute2f128_ps(u[q], u[4 + q], 0x31);
  }
}

static void pack_a(bool trans, const float* a, int64_t lda, int rows, int64_t kc, float* dst) {
  if (trans) {
    const __m256i m = lane_mask(rows);
    for (int64_t k = 0; k < kc; ++k) _mm256_maskstore_ps(dst + k * rows, m, _mm256_maskload_ps(a + k * lda, m));
    return;
  }
  const __m256i sm = lane_mask(rows);
  for (int64_t k = 0; k < kc; k += 8) {
    const int kn = kc - k < 8 ? static_cast<int>(kc - k) : 8;
    const __m256i lm = lane_mask(kn);
    __m256 v[8];
    for (int r = 0; r < 8; ++r) v[r] = r < rows ? _mm256_maskload_ps(a + r * lda + k, lm) : _mm256_setzero_ps();
    transpose8(v);
    for (int kk = 0; kk < kn; ++kk) _mm256_maskstore_ps(dst + (k + kk) * rows, sm, v[kk]);
  }
}

static void pack_b(bool trans, const float* b, int64_t ldb, int cols, int64_t kc, float* dst) {
  if (!trans) {
    const __m256i m0 = lane_mask(cols), m1 = lane_mask(cols - 8);
    for (int64_t k = 0; k < kc; ++k) {
      const float* src = b + k * ldb;
      _mm256_store_ps(dst + k * NR, _mm256_maskload_ps(src, m0));
      _mm256_store_ps(dst + k * NR + 8, _mm256_maskload_ps(src + 8, m1));
    }
    return;
  }
  for (int64_t k = 0; k < kc; k += 8) {
    const int kn = kc - k < 8 ? static_cast<int>(kc - k) : 8;
    const __m256i lm = lane_mask(kn);
    for (int half = 0; half < 2; ++half) {
      const int c0 = 8 * half;
      const int n = cols - c0 < 0 ? 0 : (cols - c0 > 8 ? 8 : cols - c0);
      __m256 v[8];
      for (int r = 0; r < 8; ++r) v[r] = r < n ? _mm256_maskload_ps(b + (c0 + r) * ldb + k, lm) : _mm256_setzero_ps();
      transpose8(v);
      for (int kk = 0; kk < kn; ++kk) _mm256_store_ps(dst + (k + kk) * NR + c0, v[kk]);
    }
  }
}

}  // namespace avx2

const KernelSet& kernels_avx2() {
  static const KernelSet ks{"avx2",        avx2::MR,     avx2::NR,     avx2::KC,
                            avx2::kernel,  avx2::pack_a, avx2::pack_b, avx2::axpy_rows_portable,
                            avx2::dot_rows_portable};
  return ks;
}

}  // namespace gemm_detail
}  // namespace ml
