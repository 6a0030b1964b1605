// N-API entry points of the fused kernels: argument checks, ISA dispatch and threading. The loops live
// in fused_body.inc (one copy per ISA); the tfjs side is src/kernels/fused.ts.
//
// Every entry point writes into output buffers the caller allocated (fresh Float32Arrays) and checks
// that every buffer is long enough for the shape it is given.
#include <algorithm>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common.h"
#include "cpu.h"
#include "fused.h"
#include "pool.h"

namespace ml {
namespace fused {

const Isa& isa() {
  static const Isa* table = [] {
    switch (simd_level()) {
      case Simd::Avx512: return &isa_avx512();
      case Simd::Avx2: return &isa_avx2();
      default: return &isa_generic();
    }
  }();
  return *table;
}

namespace {

// Float32 array argument i with at least `need` elements.
float* f32_at_least(const Args& args, size_t i, int64_t need, const char* what) {
  size_t len = 0;
  float* p = args.f32(i, &len);
  if (need < 0 || static_cast<int64_t>(len) < need)
    throw ArgError{std::string(what) + ": buffer has " + std::to_string(len) + " elements, needs " +
                   std::to_string(need)};
  return p;
}

int64_t non_negative(const Args& args, size_t i, const char* what) {
  const int64_t v = args.i64(i);
  if (v < 0) throw ArgError{std::string(what) + " must be >= 0"};
  return v;
}

// Rows per task so a task has at least ~16K elements of work.
int64_t row_grain(int64_t d) { return std::max<int64_t>(1, 16384 / std::max<int64_t>(d, 1)); }

// Column sums over rows computed in fixed blocks of rows (independent of the thread count): each block
// adds its rows into its own accumulators with `accumulate(block_acc..., r0, r1)`, then the blocks are
// summed in order (in double) into `outs`.
void blocked_column_sums(int64_t rows, int64_t d, int nouts, float* const* outs,
                         const std::function<void(float* const* acc, int64_t r0, int64_t r1)>& accumulate) {
  if (d == 0) return;
  if (rows == 0) {
    for (int o = 0; o < nouts; ++o) std::fill(outs[o], outs[o] + d, 0.0f);
    return;
  }
  const int64_t block = std::max<int64_t>(16, (rows + 255) / 256);
  const int64_t nblocks = (rows + block - 1) / block;
  std::vector<float> part(static_cast<size_t>(nblocks * d * nouts), 0.0f);
  parallel_for(nblocks, std::max<int64_t>(1, 16384 / (block * d)), [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      float* acc[4];
      for (int o = 0; o < nouts; ++o) acc[o] = part.data() + (b * nouts + o) * d;
      accumulate(acc, b * block, std::min(rows, (b + 1) * block));
    }
  });
  parallel_for(d, 2048, [&](int64_t j0, int64_t j1) {
    std::vector<double> acc(static_cast<size_t>(j1 - j0));
    for (int o = 0; o < nouts; ++o) {
      std::fill(acc.begin(), acc.end(), 0.0);
      for (int64_t b = 0; b < nblocks; ++b) {
        const float* pb = part.data() + (b * nouts + o) * d;
        for (int64_t j = j0; j < j1; ++j) acc[static_cast<size_t>(j - j0)] += pb[j];
      }
      for (int64_t j = j0; j < j1; ++j) outs[o][j] = static_cast<float>(acc[static_cast<size_t>(j - j0)]);
    }
  });
}

// layerNorm(x, gamma, beta, y, rows, d, eps)
void layer_norm_impl(const Args& args) {
  const int64_t rows = non_negative(args, 4, "rows"), d = non_negative(args, 5, "d");
  const double eps = args.num(6);
  const float* x = f32_at_least(args, 0, rows * d, "x");
  const float* g = f32_at_least(args, 1, d, "gamma");
  const float* b = f32_at_least(args, 2, d, "beta");
  float* y = f32_at_least(args, 3, rows * d, "y");
  if (d == 0) return;
  const Isa& k = isa();
  parallel_for(rows, row_grain(d), [&](int64_t r0, int64_t r1) { k.layernorm(x, g, b, y, r0, r1, d, eps); });
}
napi_value layer_norm(napi_env env, napi_callback_info info) {
  ML_NAPI_BODY(env, info, 7, { layer_norm_impl(args); });
}
ML_EXPORT(fusedLayerNorm, layer_norm);

// layerNormGrad(dy, x, gamma, dx, rows, d, eps)
void layer_norm_grad_impl(const Args& args) {
  const int64_t rows = non_negative(args, 4, "rows"), d = non_negative(args, 5, "d");
  const double eps = args.num(6);
  const float* dy = f32_at_least(args, 0, rows * d, "dy");
  const float* x = f32_at_least(args, 1, rows * d, "x");
  const float* g = f32_at_least(args, 2, d, "gamma");
  float* dx = f32_at_least(args, 3, rows * d, "dx");
  if (d == 0) return;
  const Isa& k = isa();
  parallel_for(rows, row_grain(d), [&](int64_t r0, int64_t r1) { k.layernorm_dx(dy, x, g, dx, r0, r1, d, eps); });
}
napi_value layer_norm_grad(napi_env env, napi_callback_info info) {
  ML_NAPI_BODY(env, info, 7, { layer_norm_grad_impl(args); });
}
ML_EXPORT(fusedLayerNormGrad, layer_norm_grad);

// layerNormParamGrad(dy, x, dgamma | null, dbeta, rows, d, eps)
void layer_norm_param_grad_impl(const Args& args) {
  const int64_t rows = non_negative(args, 4, "rows"), d = non_negative(args, 5, "d");
  const double eps = args.num(6);
  const float* dy = f32_at_least(args, 0, rows * d, "dy");
  const bool with_gamma = !args.is_null(2);
  const float* x = with_gamma ? f32_at_least(args, 1, rows * d, "x") : nullptr;
  float* dg = with_gamma ? f32_at_least(args, 2, d, "dgamma") : nullptr;
  float* db = f32_at_least(args, 3, d, "dbeta");
  const Isa& k = isa();
  float* outs[2] = {db, dg};
  blocked_column_sums(rows, d, with_gamma ? 2 : 1, outs, [&](float* const* acc, int64_t r0, int64_t r1) {
    k.layernorm_param(dy, x, with_gamma ? acc[1] : nullptr, acc[0], r0, r1, d, eps);
  });
}
napi_value layer_norm_param_grad(napi_env env, napi_callback_info info) {
  ML_NAPI_BODY(env, info, 7, { layer_norm_param_grad_impl(args); });
}
ML_EXPORT(fusedLayerNormParamGrad, layer_norm_param_grad);

// rmsNorm(x, gamma, y, rows, d, eps)
void rms_norm_impl(const Args& args) {
  const int64_t rows = non_negative(args, 3, "rows"), d = non_negative(args, 4, "d");
  const double eps = args.num(5);
  const float* x = f32_at_least(args, 0, rows * d, "x");
  const float* g = f32_at_least(args, 1, d, "gamma");
  float* y = f32_at_least(args, 2, rows * d, "y");
  if (d == 0) return;
  const Isa& k = isa();
  parallel_for(rows, row_grain(d), [&](int64_t r0, int64_t r1) { k.rmsnorm(x, g, y, r0, r1, d, eps); });
}
napi_value rms_norm(napi_env env, napi_callback_info info) {
  ML_NAPI_BODY(env, info, 6, { rms_norm_impl(args); });
}
ML_EXPORT(fusedRmsNorm, rms_norm);

// rmsNormGrad(dy, x, gamma, dx, rows, d, eps)
void rms_norm_grad_impl(const Args& args) {
  const int64_t rows = non_negative(args, 4, "rows"), d = non_negative(args, 5, "d");
  const double eps = args.num(6);
  const float* dy = f32_at_least(args, 0, rows * d, "dy");
  const float* x = f32_at_least(args, 1, rows * d, "x");
  const float* g = f32_at_least(args, 2, d, "gamma");
  float* dx = f32_at_least(args, 3, rows * d, "dx");
  if (d == 0) return;
  const Isa& k = isa();
  parallel_for(rows, row_grain(d), [&](int64_t r0, int64_t r1) { k.rmsnorm_dx(dy, x, g, dx, r0, r1, d, eps); });
}
napi_value rms_norm_grad(napi_env env, napi_callback_info info) {
  ML_NAPI_BODY(env, info, 7, { rms_norm_grad_impl(args); });
}
ML_EXPORT(fusedRmsNormGrad, rms_norm_grad);

// rmsNormParamGrad(dy, x, dgamma, rows, d, eps)
void rms_norm_param_grad_impl(const Args& args) {
  const int64_t rows = non_negative(args, 3, "rows"), d = non_negative(args, 4, "d");
  const double eps = args.num(5);
  const float* dy = f32_at_least(args, 0, rows * d, "dy");
  const float* x = f32_at_least(args, 1, rows * d, "x");
  float* dg = f32_at_least(args, 2, d, "dgamma");
  const Isa& k = isa();
  float* outs[1] = {dg};
  blocked_column_sums(rows, d, 1, outs, [&](float* const* acc, int64_t r0, int64_t r1) {
    k.rmsnorm_param(dy, x, acc[0], r0, r1, d, eps);
  });
}
napi_value rms_norm_param_grad(napi_env env, napi_callback_info info) {
  ML_NAPI_BODY(env, info, 6, { rms_norm_param_grad_impl(args); });
}
ML_EXPORT(fusedRmsNormParamGrad, rms_norm_param_grad);

constexpr int64_t kElemGrain = 8192;

// gelu(x, y, n, approximate)
void gelu_impl(const Args& args) {
  const int64_t n = non_negative(args, 2, "n");
  const bool approx = args.boolean(3);
  const float* x = f32_at_least(args, 0, n, "x");
  float* y = f32_at_least(args, 1, n, "y");
  const Isa& k = isa();
  parallel_for(n, kElemGrain, [&](int64_t i0, int64_t i1) { k.gelu(x + i0, y + i0, i1 - i0, approx); });
}
napi_value gelu(napi_env env, napi_callback_info info) {
  ML_NAPI_BODY(env, info, 4, { gelu_impl(args); });
}
ML_EXPORT(fusedGelu, gelu);

// geluGrad(dy, x, dx, n, approximate)
void gelu_grad_impl(const Args& args) {
  const int64_t n = non_negative(args, 3, "n");
  const bool approx = args.boolean(4);
  const float* dy = f32_at_least(args, 0, n, "dy");
  const float* x = f32_at_least(args, 1, n, "x");
  float* dx = f32_at_least(args, 2, n, "dx");
  const Isa& k = isa();
  parallel_for(n, kElemGrain, [&](int64_t i0, int64_t i1) { k.gelu_dx(dy + i0, x + i0, dx + i0, i1 - i0, approx); });
}
napi_value gelu_grad(napi_env env, napi_callback_info info) {
  ML_NAPI_BODY(env, info, 5, { gelu_grad_impl(args); });
}
ML_EXPORT(fusedGeluGrad, gelu_grad);

// siluMul(gate, up, y, n)
void silu_mul_impl(const Args& args) {
  const int64_t n = non_negative(args, 3, "n");
  const float* gate = f32_at_least(args, 0, n, "gate");
  const float* up = f32_at_least(args, 1, n, "up");
  float* y = f32_at_least(args, 2, n, "y");
  const Isa& k = isa();
  parallel_for(n, kElemGrain, [&](int64_t i0, int64_t i1) { k.silu_mul(gate + i0, up + i0, y + i0, i1 - i0); });
}
napi_value silu_mul(napi_env env, napi_callback_info info) {
  ML_NAPI_BODY(env, info, 4, { silu_mul_impl(args); });
}
ML_EXPORT(fusedSiluMul, silu_mul);

// siluMulGrad(dy, gate, up, dgate | null, dup | null, n)
void silu_mul_grad_impl(const Args& args) {
  const int64_t n = non_negative(args, 5, "n");
  const float* dy = f32_at_least(args, 0, n, "dy");
  const float* gate = f32_at_least(args, 1, n, "gate");
  float* dg = args.is_null(3) ? nullptr : f32_at_least(args, 3, n, "dgate");
  const float* up = dg ? f32_at_least(args, 2, n, "up") : nullptr;
  float* du = args.is_null(4) ? nullptr : f32_at_least(args, 4, n, "dup");
  const Isa& k = isa();
  parallel_for(n, kElemGrain, [&](int64_t i0, int64_t i1) {
    if (dg) k.silu_mul_dgate(dy + i0, gate + i0, up + i0, dg + i0, i1 - i0);
    if (du) k.silu_mul_dup(dy + i0, gate + i0, du + i0, i1 - i0);
  });
}
napi_value silu_mul_grad(napi_env env, napi_callback_info info) {
  ML_NAPI_BODY(env, info, 6, { silu_mul_grad_impl(args); });
}
ML_EXPORT(fusedSiluMulGrad, silu_mul_grad);

// causalSoftmax(scores, p, rows, q, k, scale, offset): rows = batch * q.
void causal_softmax_impl(const Args& args) {
  const int64_t rows = non_negative(args, 2, "rows"), q = non_negative(args, 3, "q"),
                kk = non_negative(args, 4, "k");
  const float scale = static_cast<float>(args.num(5));
  const int64_t offset = args.i64(6);
  const float* s = f32_at_least(args, 0, rows * kk, "scores");
  float* p = f32_at_least(args, 1, rows * kk, "p");
  if (kk == 0 || rows == 0) return;
  if (q == 0 || rows % q != 0) throw ArgError{"rows must be a multiple of q"};
  const Isa& k = isa();
  parallel_for(rows, row_grain(kk), [&](int64_t r0, int64_t r1) { k.causal_softmax(s, p, r0, r1, q, kk, scale, offset); });
}
napi_value causal_softmax(napi_env env, napi_callback_info info) {
  ML_NAPI_BODY(env, info, 7, { causal_softmax_impl(args); });
}
ML_EXPORT(fusedCausalSoftmax, causal_softmax);

// causalSoftmaxGrad(dy, p, dscores, rows, q, k, scale, offset)
void causal_softmax_grad_impl(const Args& args) {
  const int64_t rows = non_negative(args, 3, "rows"), q = non_negative(args, 4, "q"),
                kk = non_negative(args, 5, "k");
  const float scale = static_cast<float>(args.num(6));
  const int64_t offset = args.i64(7);
  const float* dy = f32_at_least(args, 0, rows * kk, "dy");
  const float* p = f32_at_least(args, 1, rows * kk, "p");
  float* ds = f32_at_least(args, 2, rows * kk, "dscores");
  if (kk == 0 || rows == 0) return;
  if (q == 0 || rows % q != 0) throw ArgError{"rows must be a multiple of q"};
  const Isa& k = isa();
  parallel_for(rows, row_grain(kk), [&](int64_t r0, int64_t r1) {
    k.causal_softmax_dx(dy, p, ds, r0, r1, q, kk, scale, offset);
  });
}
napi_value causal_softmax_grad(napi_env env, napi_callback_info info) {
  ML_NAPI_BODY(env, info, 8, { causal_softmax_grad_impl(args); });
}
ML_EXPORT(fusedCausalSoftmaxGrad, causal_softmax_grad);

// rotary(x, cos, sin, y, B, T, H, D, rotDim, cosPerBatch, inverse): x [B, T, H, D]; cos/sin [T, rotDim]
// or, with cosPerBatch, [B, T, rotDim].
void rotary_impl(const Args& args) {
  const int64_t B = non_negative(args, 4, "B"), T = non_negative(args, 5, "T"), H = non_negative(args, 6, "H"),
                D = non_negative(args, 7, "D"), rot = non_negative(args, 8, "rotDim");
  const bool per_batch = args.boolean(9), inverse = args.boolean(10);
  if (rot > D || rot % 2 != 0) throw ArgError{"rotDim must be even and <= D"};
  const int64_t n = B * T * H * D;
  const float* x = f32_at_least(args, 0, n, "x");
  const float* cs = f32_at_least(args, 1, (per_batch ? B : 1) * T * rot, "cos");
  const float* sn = f32_at_least(args, 2, (per_batch ? B : 1) * T * rot, "sin");
  float* y = f32_at_least(args, 3, n, "y");
  if (n == 0) return;
  const Isa& k = isa();
  const int64_t bstride = per_batch ? T * rot : 0;
  parallel_for(B * T, row_grain(H * D), [&](int64_t r0, int64_t r1) {
    k.rotary(x, cs, sn, y, r0, r1, T, H, D, rot, bstride, inverse);
  });
}
napi_value rotary(napi_env env, napi_callback_info info) {
  ML_NAPI_BODY(env, info, 11, { rotary_impl(args); });
}
ML_EXPORT(fusedRotary, rotary);

}  // namespace
}  // namespace fused
}  // namespace ml
