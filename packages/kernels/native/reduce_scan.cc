// Cumsum (any axis; exclusive; reverse) and OneHot. Cumsum adds in the same order as tfjs cpu, one
// float32 (or wrapping int32) addition per element, so results are bit-identical; lines along the
// axis are independent, so threads split the outer dims and vector lanes run across the inner dims.
#include <algorithm>
#include <cstdint>
#include <cstring>

#include "common.h"
#include "pool.h"

namespace ml {
namespace {

template <typename T>
struct Adder {
  static T add(T a, T b) { return a + b; }
};
template <>
struct Adder<int32_t> {  // two's-complement wrap, like storing into an Int32Array
  static int32_t add(int32_t a, int32_t b) {
    return static_cast<int32_t>(static_cast<uint32_t>(a) + static_cast<uint32_t>(b));
  }
};

// One [L, inner] slab: y[j] = x[j] + y[prev] (inclusive) or y[j] = x[prev] + y[prev] (exclusive),
// walking j forwards or backwards; row j's inner values are contiguous.
template <typename T>
void cumsum_slab(const T* x, T* y, int64_t L, int64_t inner, int64_t c0, int64_t c1, bool exclusive,
                 bool reverse) {
  const int64_t step = reverse ? -1 : 1;
  int64_t j = reverse ? L - 1 : 0;
  {
    T* yr = y + j * inner;
    const T* xr = x + j * inner;
    for (int64_t c = c0; c < c1; ++c) yr[c] = exclusive ? T(0) : xr[c];
  }
  for (int64_t t = 1; t < L; ++t) {
    const int64_t prev = j;
    j += step;
    T* __restrict yr = y + j * inner;
    const T* __restrict yp = y + prev * inner;
    const T* __restrict xs = x + (exclusive ? prev : j) * inner;
    for (int64_t c = c0; c < c1; ++c) yr[c] = Adder<T>::add(xs[c], yp[c]);
  }
}

template <typename T>
void cumsum_run(const T* x, T* y, int64_t outer, int64_t L, int64_t inner, bool exclusive, bool reverse) {
  if (inner == 1) {
    parallel_for(outer, std::max<int64_t>(1, 65536 / L), [&](int64_t b, int64_t e) {
      for (int64_t o = b; o < e; ++o) cumsum_slab(x + o * L, y + o * L, L, 1, 0, 1, exclusive, reverse);
    });
    return;
  }
  // tasks: (outer slab, column block)
  const int64_t W = inner <= 2048 ? inner : 1024;
  const int64_t nb = (inner + W - 1) / W;
  parallel_for(outer * nb, std::max<int64_t>(1, 65536 / (L * W)), [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      const int64_t o = t / nb, c0 = (t % nb) * W, c1 = std::min(inner, c0 + W);
      cumsum_slab(x + o * L * inner, y + o * L * inner, L, inner, c0, c1, exclusive, reverse);
    }
  });
}

// cumsum(x, outer, L, inner, exclusive, reverse, out): Float32Array or Int32Array (both the same).
void cumsum_impl(napi_env env, const Args& args) {
  const int64_t outer = args.i64(1), L = args.i64(2), inner = args.i64(3);
  const bool exclusive = args.boolean(4), reverse = args.boolean(5);
  if (outer < 0 || L < 0 || inner < 0) throw ArgError{"cumsum: negative size"};
  napi_typedarray_type tx, ty;
  size_t nx, ny, off;
  void *dx, *dy;
  napi_value ab;
  bool is_ta = false;
  napi_is_typedarray(env, args.at(0), &is_ta);
  if (!is_ta) throw ArgError{"cumsum: x must be a typed array"};
  napi_is_typedarray(env, args.at(6), &is_ta);
  if (!is_ta) throw ArgError{"cumsum: out must be a typed array"};
  napi_get_typedarray_info(env, args.at(0), &tx, &nx, &dx, &ab, &off);
  napi_get_typedarray_info(env, args.at(6), &ty, &ny, &dy, &ab, &off);
  const int64_t total = outer * L * inner;
  if (static_cast<int64_t>(nx) < total || static_cast<int64_t>(ny) < total) throw ArgError{"cumsum: array too short"};
  if (total == 0) return;
  if (tx == napi_float32_array && ty == napi_float32_array) {
    cumsum_run(static_cast<const float*>(dx), static_cast<float*>(dy), outer, L, inner, exclusive, reverse);
  } else if (tx == napi_int32_array && ty == napi_int32_array) {
    cumsum_run(static_cast<const int32_t*>(dx), static_cast<int32_t*>(dy), outer, L, inner, exclusive, reverse);
  } else {
    throw ArgError{"cumsum: x and out must both be Float32Array or both Int32Array"};
  }
}

napi_value cumsum_entry(napi_env env, napi_callback_info info) {
  ML_NAPI_BODY(env, info, 7, { cumsum_impl(env, args); });
}
ML_EXPORT(cumsum, cumsum_entry);

template <typename T>
void one_hot_run(const int32_t* idx, int64_t n, int64_t depth, T on, T off, T* out) {
  parallel_for(n, std::max<int64_t>(1, 65536 / std::max<int64_t>(1, depth)), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      T* row = out + i * depth;
      for (int64_t d = 0; d < depth; ++d) row[d] = off;
      const int64_t v = idx[i];
      if (v >= 0 && v < depth) row[v] = on;
    }
  });
}

// oneHot(indices: Int32Array, depth, onValue, offValue, out: Float32Array | Int32Array)
void one_hot_impl(napi_env env, const Args& args) {
  size_t n;
  const int32_t* idx = args.i32arr(0, &n);
  const int64_t depth = args.i64(1);
  const double on = args.num(2), off = args.num(3);
  if (depth < 0) throw ArgError{"oneHot: negative depth"};
  napi_typedarray_type ty;
  size_t ny, boff;
  void* dy;
  napi_value ab;
  bool is_ta = false;
  napi_is_typedarray(env, args.at(4), &is_ta);
  if (!is_ta) throw ArgError{"oneHot: out must be a typed array"};
  napi_get_typedarray_info(env, args.at(4), &ty, &ny, &dy, &ab, &boff);
  if (static_cast<int64_t>(ny) < static_cast<int64_t>(n) * depth) throw ArgError{"oneHot: output too short"};
  if (depth == 0 || n == 0) return;
  if (ty == napi_float32_array) {
    one_hot_run(idx, static_cast<int64_t>(n), depth, static_cast<float>(on), static_cast<float>(off),
                static_cast<float*>(dy));
  } else if (ty == napi_int32_array) {
    one_hot_run(idx, static_cast<int64_t>(n), depth, static_cast<int32_t>(on), static_cast<int32_t>(off),
                static_cast<int32_t*>(dy));
  } else {
    throw ArgError{"oneHot: out must be a Float32Array or an Int32Array"};
  }
}

napi_value one_hot_entry(napi_env env, napi_callback_info info) {
  ML_NAPI_BODY(env, info, 5, { one_hot_impl(env, args); });
}
ML_EXPORT(oneHot, one_hot_entry);

}  // namespace
}  // namespace ml
