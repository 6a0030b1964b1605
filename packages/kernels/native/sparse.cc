// Sparse-code kernels for sparse autoencoders: a batch of codes, each k (value, latent index) pairs over a
// dictionary W [n, d] (one row per latent), is decoded, differentiated and scattered back without ever
// forming the dense [rows, n] code.
//
//   sparseDecode(values, indices, W, out, rows, k, n, d)        out[r]    = sum_j values[r,j] * W[idx[r,j]]
//   sparseRowDot(G, indices, W, out, rows, k, n, d)             out[r,j]  = G[r] . W[idx[r,j]]
//   sparseScatterRows(G, values, indices, out, rows, k, n, d)   out[i]    = sum_{(r,j): idx[r,j]=i} values[r,j] * G[r]
//
// sparseScatterRows is the gradient of sparseDecode with respect to W (and, with G = the encoder input,
// the gradient of a row-major encoder [n, d] restricted to the selected latents). It is deterministic:
// contributions are bucketed by latent with a counting sort (stable in (r, j) order) and each latent's row
// is summed in that order by one thread, whatever the thread count.
//
// Indices are validated before any work (0 <= idx < n); a value of exactly 0 contributes nothing, so
// padded codes (variable k stored in a fixed width) cost nothing but their slot.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "common.h"
#include "pool.h"

namespace ml {
namespace sparse {
namespace {

#if defined(__GNUC__) && !defined(__clang__) && (defined(__x86_64__) || defined(__i386__))
#define ML_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define ML_CLONES
#endif

// y += a * x over d elements.
ML_CLONES void axpy(float a, const float* __restrict x, float* __restrict y, int64_t d) {
  for (int64_t i = 0; i < d; ++i) y[i] += a * x[i];
}

// x . y with 16 independent partial sums (vectorisable without reassociation; fixed order).
ML_CLONES float dot(const float* __restrict x, const float* __restrict y, int64_t d) {
  float acc[16] = {0};
  int64_t i = 0;
  for (; i + 16 <= d; i += 16)
    for (int l = 0; l < 16; ++l) acc[l] += x[i + l] * y[i + l];
  for (int l = 0; i + l < d; ++l) acc[l] += x[i + l] * y[i + l];
  float s = 0;
  for (int l = 0; l < 16; ++l) s += acc[l];
  return s;
}

float* f32_len(const Args& args, size_t i, int64_t need, const char* what) {
  size_t len = 0;
  float* p = args.f32(i, &len);
  if (static_cast<int64_t>(len) < need)
    throw ArgError{std::string(what) + ": buffer has " + std::to_string(len) + " elements, needs " +
                   std::to_string(need)};
  return p;
}

const int32_t* indices_checked(const Args& args, size_t i, int64_t count, int64_t n) {
  size_t len = 0;
  const int32_t* idx = args.i32arr(i, &len);
  if (static_cast<int64_t>(len) < count)
    throw ArgError{"indices: buffer has " + std::to_string(len) + " elements, needs " + std::to_string(count)};
  for (int64_t t = 0; t < count; ++t)
    if (idx[t] < 0 || idx[t] >= n)
      throw ArgError{"indices: entry " + std::to_string(t) + " is " + std::to_string(idx[t]) +
                     ", outside [0, " + std::to_string(n) + ")"};
  return idx;
}

struct Dims {
  int64_t rows, k, n, d;
};

Dims dims(const Args& args, size_t first) {
  Dims m{args.i64(first), args.i64(first + 1), args.i64(first + 2), args.i64(first + 3)};
  if (m.rows < 0 || m.k < 0 || m.n < 0 || m.d < 0) throw ArgError{"rows, k, n and d must be >= 0"};
  return m;
}

int64_t row_grain(int64_t work_per_row) { return std::max<int64_t>(1, 32768 / std::max<int64_t>(work_per_row, 1)); }

void decode_impl(const Args& args) {
  const Dims m = dims(args, 4);
  const float* v = f32_len(args, 0, m.rows * m.k, "values");
  const int32_t* idx = indices_checked(args, 1, m.rows * m.k, m.n);
  const float* W = f32_len(args, 2, m.n * m.d, "W");
  float* out = f32_len(args, 3, m.rows * m.d, "out");
  parallel_for(m.rows, row_grain(m.k * m.d), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      float* o = out + r * m.d;
      std::fill(o, o + m.d, 0.0f);
      for (int64_t j = 0; j < m.k; ++j) {
        const float a = v[r * m.k + j];
        if (a != 0.0f) axpy(a, W + static_cast<int64_t>(idx[r * m.k + j]) * m.d, o, m.d);
      }
    }
  });
}
napi_value decode(napi_env env, napi_callback_info info) {
  ML_NAPI_BODY(env, info, 8, { decode_impl(args); });
}
ML_EXPORT(sparseDecode, decode);

void row_dot_impl(const Args& args) {
  const Dims m = dims(args, 4);
  const float* G = f32_len(args, 0, m.rows * m.d, "G");
  const int32_t* idx = indices_checked(args, 1, m.rows * m.k, m.n);
  const float* W = f32_len(args, 2, m.n * m.d, "W");
  float* out = f32_len(args, 3, m.rows * m.k, "out");
  parallel_for(m.rows, row_grain(m.k * m.d), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r)
      for (int64_t j = 0; j < m.k; ++j)
        out[r * m.k + j] = dot(G + r * m.d, W + static_cast<int64_t>(idx[r * m.k + j]) * m.d, m.d);
  });
}
napi_value row_dot(napi_env env, napi_callback_info info) {
  ML_NAPI_BODY(env, info, 8, { row_dot_impl(args); });
}
ML_EXPORT(sparseRowDot, row_dot);

void scatter_impl(const Args& args) {
  const Dims m = dims(args, 4);
  const float* G = f32_len(args, 0, m.rows * m.d, "G");
  const float* v = f32_len(args, 1, m.rows * m.k, "values");
  const int32_t* idx = indices_checked(args, 2, m.rows * m.k, m.n);
  float* out = f32_len(args, 3, m.n * m.d, "out");
  const int64_t total = m.rows * m.k;
  // Counting sort of the (r, j) entries by latent, stable in (r, j) order.
  std::vector<int64_t> start(m.n + 1, 0);
  for (int64_t t = 0; t < total; ++t) ++start[idx[t] + 1];
  for (int64_t i = 0; i < m.n; ++i) start[i + 1] += start[i];
  std::vector<int64_t> order(total);
  {
    std::vector<int64_t> fill(start.begin(), start.end() - 1);
    for (int64_t t = 0; t < total; ++t) order[fill[idx[t]]++] = t;
  }
  parallel_for(m.n, row_grain(m.d + (total / std::max<int64_t>(m.n, 1)) * m.d), [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      float* o = out + i * m.d;
      std::fill(o, o + m.d, 0.0f);
      for (int64_t s = start[i]; s < start[i + 1]; ++s) {
        const int64_t t = order[s];
        const float a = v[t];
        if (a != 0.0f) axpy(a, G + (t / m.k) * m.d, o, m.d);
      }
    }
  });
}
napi_value scatter(napi_env env, napi_callback_info info) {
  ML_NAPI_BODY(env, info, 8, { scatter_impl(args); });
}
ML_EXPORT(sparseScatterRows, scatter);

// ---- optimiser helpers: a fused Adam update and unit-norm decoder rows ----

// adamUpdate(p, g, m, v, pOut, mOut, vOut, n, lr, beta1, beta2, eps, c1, c2):
//   m' = b1 m + (1 - b1) g;  v' = b2 v + (1 - b2) g^2;  p' = p - lr (m' / c1) / (sqrt(v' / c2) + eps)
ML_CLONES void adam_chunk(const float* __restrict p, const float* __restrict g, const float* __restrict m,
                          const float* __restrict v, float* __restrict po, float* __restrict mo,
                          float* __restrict vo, int64_t n, float lr, float b1, float b2, float eps, float ic1,
                          float ic2) {
  for (int64_t i = 0; i < n; ++i) {
    const float gi = g[i];
    const float mi = b1 * m[i] + (1.0f - b1) * gi;
    const float vi = b2 * v[i] + (1.0f - b2) * gi * gi;
    mo[i] = mi;
    vo[i] = vi;
    po[i] = p[i] - lr * (mi * ic1) / (std::sqrt(vi * ic2) + eps);
  }
}

void adam_impl(const Args& args) {
  const int64_t n = args.i64(7);
  if (n < 0) throw ArgError{"n must be >= 0"};
  const float* p = f32_len(args, 0, n, "param");
  const float* g = f32_len(args, 1, n, "grad");
  const float* m = f32_len(args, 2, n, "m");
  const float* v = f32_len(args, 3, n, "v");
  float* po = f32_len(args, 4, n, "paramOut");
  float* mo = f32_len(args, 5, n, "mOut");
  float* vo = f32_len(args, 6, n, "vOut");
  const float lr = static_cast<float>(args.num(8)), b1 = static_cast<float>(args.num(9));
  const float b2 = static_cast<float>(args.num(10)), eps = static_cast<float>(args.num(11));
  const float ic1 = static_cast<float>(1.0 / args.num(12)), ic2 = static_cast<float>(1.0 / args.num(13));
  parallel_for(n, 16384, [&](int64_t i0, int64_t i1) {
    adam_chunk(p + i0, g + i0, m + i0, v + i0, po + i0, mo + i0, vo + i0, i1 - i0, lr, b1, b2, eps, ic1, ic2);
  });
}
napi_value adam(napi_env env, napi_callback_info info) {
  ML_NAPI_BODY(env, info, 14, { adam_impl(args); });
}
ML_EXPORT(adamUpdate, adam);

ML_CLONES void scale_row(const float* __restrict x, float a, float* __restrict y, int64_t d) {
  for (int64_t i = 0; i < d; ++i) y[i] = a * x[i];
}

// rowNormalize(W, out, rows, d, eps): out[r] = W[r] / max(|W[r]|, eps)
void row_normalize_impl(const Args& args) {
  const int64_t rows = args.i64(2), d = args.i64(3);
  if (rows < 0 || d < 0) throw ArgError{"rows and d must be >= 0"};
  const float* W = f32_len(args, 0, rows * d, "W");
  float* out = f32_len(args, 1, rows * d, "out");
  const float eps = static_cast<float>(args.num(4));
  parallel_for(rows, row_grain(d), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* w = W + r * d;
      const float norm = std::sqrt(dot(w, w, d));
      scale_row(w, 1.0f / std::max(norm, eps), out + r * d, d);
    }
  });
}
napi_value row_normalize(napi_env env, napi_callback_info info) {
  ML_NAPI_BODY(env, info, 5, { row_normalize_impl(args); });
}
ML_EXPORT(rowNormalize, row_normalize);

// rowProject(G, W, out, rows, d): out[r] = G[r] - (G[r] . W[r]) W[r]
void row_project_impl(const Args& args) {
  const int64_t rows = args.i64(3), d = args.i64(4);
  if (rows < 0 || d < 0) throw ArgError{"rows and d must be >= 0"};
  const float* G = f32_len(args, 0, rows * d, "G");
  const float* W = f32_len(args, 1, rows * d, "W");
  float* out = f32_len(args, 2, rows * d, "out");
  parallel_for(rows, row_grain(2 * d), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const float c = dot(G + r * d, W + r * d, d);
      std::copy(G + r * d, G + (r + 1) * d, out + r * d);
      axpy(-c, W + r * d, out + r * d, d);
    }
  });
}
napi_value row_project(napi_env env, napi_callback_info info) {
  ML_NAPI_BODY(env, info, 5, { row_project_impl(args); });
}
ML_EXPORT(rowProject, row_project);

}  // namespace
}  // namespace sparse
}  // namespace ml
