// Fused transformer kernels (layer norm, RMS norm, GELU, causal softmax, SiLU·up, rotary) and their
// gradients: the inner loops, one table per ISA. fused_generic.cc / fused_avx2.cc / fused_avx512.cc fill
// the table from fused_body.inc; fused.cc holds the N-API entry points, threading and checks.
//
// Row functions process rows [r0, r1) of a row-major [rows, d] buffer; *_param functions ADD their
// contribution over rows [r0, r1) into per-column accumulators (the caller keeps one accumulator per
// fixed block of rows and sums the blocks in order, so results do not depend on the thread count).
#pragma once
#include <cstdint>

namespace ml {
namespace fused {

struct Isa {
  // y = (x - mean) / sqrt(var + eps) * g + b per row (biased variance).
  void (*layernorm)(const float* x, const float* g, const float* b, float* y, int64_t r0, int64_t r1, int64_t d,
                    double eps);
  // dx = rstd * (gg - mean(gg) - xhat * mean(gg * xhat)), gg = dy * g.
  void (*layernorm_dx)(const float* dy, const float* x, const float* g, float* dx, int64_t r0, int64_t r1,
                       int64_t d, double eps);
  // dg[j] += sum dy * xhat (skipped when dg is null); db[j] += sum dy.
  void (*layernorm_param)(const float* dy, const float* x, float* dg, float* db, int64_t r0, int64_t r1, int64_t d,
                          double eps);
  // y = x * rsqrt(mean(x^2) + eps) * g.
  void (*rmsnorm)(const float* x, const float* g, float* y, int64_t r0, int64_t r1, int64_t d, double eps);
  void (*rmsnorm_dx)(const float* dy, const float* x, const float* g, float* dx, int64_t r0, int64_t r1, int64_t d,
                     double eps);
  // dg[j] += sum dy * x * r.
  void (*rmsnorm_param)(const float* dy, const float* x, float* dg, int64_t r0, int64_t r1, int64_t d, double eps);
  // Elementwise over [0, n).
  void (*gelu)(const float* x, float* y, int64_t n, bool approximate);
  void (*gelu_dx)(const float* dy, const float* x, float* dx, int64_t n, bool approximate);
  void (*silu_mul)(const float* gate, const float* up, float* y, int64_t n);
  void (*silu_mul_dgate)(const float* dy, const float* gate, const float* up, float* dgate, int64_t n);
  void (*silu_mul_dup)(const float* dy, const float* gate, float* dup, int64_t n);
  // Rows of length k; row r has query index r % q and keeps keys j <= (r % q) + offset.
  void (*causal_softmax)(const float* s, float* p, int64_t r0, int64_t r1, int64_t q, int64_t k, float scale,
                         int64_t offset);
  void (*causal_softmax_dx)(const float* dy, const float* p, float* ds, int64_t r0, int64_t r1, int64_t q, int64_t k,
                            float scale, int64_t offset);
  // x [B, T, H, D]; rows r = b*T + t in [r0, r1); cos/sin rows at b*cs_bstride + t*rot (length rot).
  // inverse = the transposed rotation (the gradient wrt x).
  void (*rotary)(const float* x, const float* cs, const float* sn, float* y, int64_t r0, int64_t r1, int64_t T,
                 int64_t H, int64_t D, int64_t rot, int64_t cs_bstride, bool inverse);
};

const Isa& isa_generic();
const Isa& isa_avx2();
const Isa& isa_avx512();
// The table for this CPU (honours MECHLENS_SIMD).
const Isa& isa();

}  // namespace fused
}  // namespace ml
