// Sum / Mean / Max / Min / Prod / All / Any and ArgMax / ArgMin over any set of axes, without
// transposing: the input's dims are merged into alternating kept/reduced runs (reduce_layout.h) and
// reduced either along contiguous rows (innermost axis reduced) or down columns (innermost axis
// kept: acc[k] op= x[r, k], e.g. the bias gradient [B*T, N] -> [N]), in parallel over outputs, over
// column blocks or, when there are few outputs, over slices of the reduced axis with partials
// combined in a fixed order (so results do not depend on the thread count's scheduling).
#include "reduce.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <vector>

#include "common.h"
#include "cpu.h"
#include "pool.h"
#include "reduce_layout.h"
#include "reduce_ops.h"

namespace ml {
namespace reduce {

const Isa& isa() {
  static const Isa* t = [] {
    switch (simd_level()) {
      case Simd::Avx512: return &isa_avx512();
      case Simd::Avx2: return &isa_avx2();
      default: return &isa_generic();
    }
  }();
  return *t;
}

namespace {

constexpr int64_t kWork = 32768;  // input elements per parallel chunk, at least

int64_t prod_of(const std::vector<Dim>& d) {
  int64_t p = 1;
  for (const Dim& x : d) p *= x.n;
  return p;
}

// Reduces x (contiguous, canonical dims `dims`, at least one dim) into out (row-major over the kept
// dims). rows/cols are the inner loops; fin converts an accumulator to the output type.
template <typename T, typename Acc, typename Op, typename OutT, typename Fin>
void run_reduce(const T* x, const std::vector<Dim>& dims, OutT* out, RowsFn<T, Acc> rows,
                ColsFn<T, Acc> cols, Acc identity, Fin fin) {
  bool any_red = false, any_kept = false;
  for (const Dim& d : dims) (d.red ? any_red : any_kept) = true;
  const int64_t total = prod_of(dims);

  if (!any_red) {  // nothing to reduce (only size-1 axes were named): a conversion
    parallel_for(total, kWork * 4, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) out[i] = fin(static_cast<Acc>(x[i]));
    });
    return;
  }

  if (!any_kept) {  // everything reduced: one contiguous run, split into ordered partials
    const int64_t n = total;
    const int64_t nchunks = std::min<int64_t>(std::max<int64_t>(1, n / (kWork * 2)), 64);
    if (nchunks <= 1 || num_threads() == 1) {
      Acc a;
      rows(x, 1, n, n, &a, false);
      out[0] = fin(a);
      return;
    }
    const int64_t cs = (n + nchunks - 1) / nchunks;
    std::vector<Acc> part(nchunks, identity);
    parallel_for(nchunks, 1, [&](int64_t b, int64_t e) {
      for (int64_t c = b; c < e; ++c) {
        const int64_t s = c * cs;
        const int64_t len = std::min(cs, n - s);
        if (len > 0) rows(x + s, 1, len, len, &part[c], false);
      }
    });
    Acc a = part[0];
    for (int64_t c = 1; c < nchunks; ++c) a = Op::combine(a, part[c]);
    out[0] = fin(a);
    return;
  }

  const Dim last = dims.back();
  std::vector<Dim> kept, red;
  for (size_t i = 0; i + 1 < dims.size(); ++i) (dims[i].red ? red : kept).push_back(dims[i]);

  if (last.red) {
    // Case A: contiguous rows of length L; the output runs over the kept dims.
    const int64_t L = last.n;
    const Dim kin = kept.back();
    const Odometer kouter(std::vector<Dim>(kept.begin(), kept.end() - 1));
    const Odometer qod(red);
    const int64_t O = prod_of(kept);
    const int64_t nk = kin.n, sk = kin.stride;
    const int64_t per_out = qod.count() * L;
    parallel_for(O, std::max<int64_t>(1, kWork / per_out), [&](int64_t o0, int64_t o1) {
      std::vector<Acc> acc(o1 - o0);
      for (int64_t o = o0; o < o1;) {
        const int64_t g = o / nk, i0 = o % nk;
        const int64_t cnt = std::min(nk - i0, o1 - o);
        const T* base = x + kouter.offset_of(g) + i0 * sk;
        Acc* a = acc.data() + (o - o0);
        bool first = true;
        qod.for_each([&](int64_t qo) {
          rows(base + qo, cnt, L, sk, a, !first);
          first = false;
        });
        o += cnt;
      }
      for (int64_t i = 0; i < o1 - o0; ++i) out[o0 + i] = fin(acc[i]);
    });
    return;
  }

  // Case B: the innermost dim (K, contiguous) is kept: accumulate rows of K down the reduced dims.
  const int64_t K = last.n;
  const Odometer pod(kept);  // outer kept dims
  const int64_t P = pod.count();
  const Dim rin = red.back();
  const int64_t R = rin.n, ldr = rin.stride;
  const Odometer qod(std::vector<Dim>(red.begin(), red.end() - 1));
  const int64_t Q = qod.count();
  const int64_t W = K <= 4096 ? K : 512;  // column block: its double accumulators stay in L1
  const int64_t nkb = (K + W - 1) / W;
  const int64_t T0 = P * nkb;
  const int64_t work_task = Q * R * W;
  const int nt = num_threads();
  int64_t S = 1;
  if (nt > 1 && T0 < 2 * nt && T0 * work_task >= 2 * kWork && R >= 8)
    S = std::max<int64_t>(1, std::min<int64_t>((4 * nt + T0 - 1) / T0, R / 4));

  if (S == 1) {
    parallel_for(T0, std::max<int64_t>(1, kWork / work_task), [&](int64_t t0, int64_t t1) {
      std::vector<Acc> acc(W);
      for (int64_t t = t0; t < t1; ++t) {
        const int64_t p = t / nkb, k0 = (t % nkb) * W;
        const int64_t w = std::min(W, K - k0);
        std::fill(acc.begin(), acc.begin() + w, identity);
        const T* base = x + pod.offset_of(p) + k0;
        qod.for_each([&](int64_t qo) { cols(base + qo, R, ldr, w, acc.data()); });
        OutT* o = out + p * K + k0;
        for (int64_t k = 0; k < w; ++k) o[k] = fin(acc[k]);
      }
    });
    return;
  }

  const int64_t rs = (R + S - 1) / S;
  std::vector<Acc> part(static_cast<size_t>(S * P * K), identity);
  parallel_for(T0 * S, 1, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t s = t / T0, tt = t % T0;
      const int64_t p = tt / nkb, k0 = (tt % nkb) * W;
      const int64_t w = std::min(W, K - k0);
      const int64_t rb = s * rs;
      const int64_t rl = std::min(rs, R - rb);
      if (rl <= 0) continue;
      Acc* acc = part.data() + (s * P + p) * K + k0;
      const T* base = x + pod.offset_of(p) + k0 + rb * ldr;
      qod.for_each([&](int64_t qo) { cols(base + qo, rl, ldr, w, acc); });
    }
  });
  const int64_t PK = P * K;
  parallel_for(PK, kWork, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      Acc a = part[i];
      for (int64_t s = 1; s < S; ++s) a = Op::combine(a, part[s * PK + i]);
      out[i] = fin(a);
    }
  });
}

// ---- bool (uint8) inner loops: All, Any and Sum of a bool tensor (baseline code, rare) ----------

template <typename Acc, typename Op>
void u8_rows(const uint8_t* x, int64_t nrows, int64_t L, int64_t ld, Acc* out, bool accumulate) {
  for (int64_t r = 0; r < nrows; ++r) {
    const uint8_t* row = x + r * ld;
    Acc a = row[0] != 0;
    for (int64_t j = 1; j < L; ++j) a = Op::combine(a, static_cast<Acc>(row[j] != 0));
    out[r] = accumulate ? Op::combine(out[r], a) : a;
  }
}
template <typename Acc, typename Op>
void u8_cols(const uint8_t* x, int64_t R, int64_t ld, int64_t K, Acc* acc) {
  for (int64_t r = 0; r < R; ++r)
    for (int64_t k = 0; k < K; ++k) acc[k] = Op::combine(acc[k], static_cast<Acc>(x[r * ld + k] != 0));
}

enum Op { kSum = 0, kMean = 1, kMax = 2, kMin = 3, kProd = 4, kAll = 5, kAny = 6 };
enum Kind { kF32, kI32, kU8, kOther };

Kind typed_kind(napi_env env, napi_value v, void** data, size_t* len) {
  bool is_ta = false;
  napi_is_typedarray(env, v, &is_ta);
  if (!is_ta) throw ArgError{"expected a typed array"};
  napi_typedarray_type type;
  napi_value ab;
  size_t off;
  napi_get_typedarray_info(env, v, &type, len, data, &ab, &off);
  switch (type) {
    case napi_float32_array: return kF32;
    case napi_int32_array: return kI32;
    case napi_uint8_array: return kU8;
    default: return kOther;
  }
}

float f32_nan() { return std::numeric_limits<float>::quiet_NaN(); }

// reduce(op, x, shape, axes, out): out is allocated by the caller with the output's size and dtype
// (float32 for float sums/means/max/min/prod; int32 for int32 or bool sums and int32 max/min; uint8 for
// All/Any).
void reduce_impl(napi_env env, const Args& args) {
  {
    const int op = args.i32(0);
    void* xd;
    size_t xlen;
    const Kind xk = typed_kind(env, args.at(1), &xd, &xlen);
    const std::vector<int64_t> shape = args.ints(2);
    const std::vector<int64_t> axes = args.ints(3);
    void* od;
    size_t olen;
    const Kind ok = typed_kind(env, args.at(4), &od, &olen);
    const int64_t rank = static_cast<int64_t>(shape.size());
    std::vector<bool> red(shape.size(), false);
    for (int64_t a : axes) {
      const int64_t ax = a < 0 ? a + rank : a;
      if (ax < 0 || ax >= rank) throw ArgError{"reduce: axis out of range"};
      red[ax] = true;
    }
    int64_t total = 1, outsize = 1, redsize = 1;
    for (int64_t i = 0; i < rank; ++i) {
      if (shape[i] < 0) throw ArgError{"reduce: negative dim"};
      total *= shape[i];
      (red[i] ? redsize : outsize) *= shape[i];
    }
    if (static_cast<int64_t>(xlen) < total) throw ArgError{"reduce: input shorter than its shape"};
    if (static_cast<int64_t>(olen) < outsize) throw ArgError{"reduce: output too short"};
    if (outsize == 0) return;

    const bool want_f32 = xk == kF32 && ok == kF32 && op <= kProd;
    const bool want_i32 = xk == kI32 && ok == kI32 && (op == kSum || op == kMax || op == kMin);
    const bool want_u8 = xk == kU8 && ((ok == kI32 && op == kSum) || (ok == kU8 && (op == kAll || op == kAny)));
    if (!want_f32 && !want_i32 && !want_u8) throw ArgError{"reduce: unsupported op/dtype combination"};

    if (redsize == 0) {  // empty reduction: tfjs's values (sum/mean 0, prod 1, float max/min NaN)
      if (ok == kF32) {
        const float v = op == kProd ? 1.0f : (op == kMax || op == kMin) ? f32_nan() : 0.0f;
        std::fill(static_cast<float*>(od), static_cast<float*>(od) + outsize, v);
      } else if (ok == kI32) {
        std::fill(static_cast<int32_t*>(od), static_cast<int32_t*>(od) + outsize, 0);
      } else {
        std::fill(static_cast<uint8_t*>(od), static_cast<uint8_t*>(od) + outsize, 0);
      }
      return;
    }
    const std::vector<Dim> dims = canonical_dims(shape, red);
    if (dims.empty()) {  // a single element
      if (want_f32) static_cast<float*>(od)[0] = static_cast<const float*>(xd)[0];
      else if (want_i32) static_cast<int32_t*>(od)[0] = static_cast<const int32_t*>(xd)[0];
      else if (ok == kI32) static_cast<int32_t*>(od)[0] = static_cast<const uint8_t*>(xd)[0] != 0;
      else static_cast<uint8_t*>(od)[0] = static_cast<const uint8_t*>(xd)[0] != 0;
      return;
    }
    const Isa& t = isa();
    if (want_f32) {
      const float* x = static_cast<const float*>(xd);
      float* o = static_cast<float*>(od);
      const auto to_f = [](double a) { return static_cast<float>(a); };
      const auto same = [](float a) { return a; };
      switch (op) {
        case kSum:
          run_reduce<float, double, SumOp>(x, dims, o, t.sum_rows_f32, t.sum_cols_f32, 0.0, to_f);
          break;
        case kMean: {
          const double n = static_cast<double>(redsize);
          run_reduce<float, double, SumOp>(x, dims, o, t.sum_rows_f32, t.sum_cols_f32, 0.0,
                                           [n](double a) { return static_cast<float>(a / n); });
          break;
        }
        case kProd:
          run_reduce<float, double, ProdOp>(x, dims, o, t.prod_rows_f32, t.prod_cols_f32, 1.0, to_f);
          break;
        case kMax:
          run_reduce<float, float, MaxOp>(x, dims, o, t.max_rows_f32, t.max_cols_f32,
                                          -std::numeric_limits<float>::infinity(), same);
          break;
        case kMin:
          run_reduce<float, float, MinOp>(x, dims, o, t.min_rows_f32, t.min_cols_f32,
                                          std::numeric_limits<float>::infinity(), same);
          break;
      }
    } else if (want_i32) {
      const int32_t* x = static_cast<const int32_t*>(xd);
      int32_t* o = static_cast<int32_t*>(od);
      const auto same = [](int32_t a) { return a; };
      switch (op) {
        case kSum:
          // int32 wrap-around, like storing the exact sum into an Int32Array
          run_reduce<int32_t, int64_t, SumOp>(
              x, dims, o, t.sum_rows_i32, t.sum_cols_i32, int64_t{0},
              [](int64_t a) { return static_cast<int32_t>(static_cast<uint32_t>(static_cast<uint64_t>(a))); });
          break;
        case kMax:
          run_reduce<int32_t, int32_t, MaxOp>(x, dims, o, t.max_rows_i32, t.max_cols_i32,
                                              std::numeric_limits<int32_t>::lowest(), same);
          break;
        case kMin:
          run_reduce<int32_t, int32_t, MinOp>(x, dims, o, t.min_rows_i32, t.min_cols_i32,
                                              std::numeric_limits<int32_t>::max(), same);
          break;
      }
    } else {
      const uint8_t* x = static_cast<const uint8_t*>(xd);
      if (op == kSum) {
        run_reduce<uint8_t, int64_t, SumOp>(x, dims, static_cast<int32_t*>(od), u8_rows<int64_t, SumOp>,
                                            u8_cols<int64_t, SumOp>, int64_t{0},
                                            [](int64_t a) { return static_cast<int32_t>(a); });
      } else if (op == kAll) {
        run_reduce<uint8_t, int32_t, MinOp>(x, dims, static_cast<uint8_t*>(od), u8_rows<int32_t, MinOp>,
                                            u8_cols<int32_t, MinOp>, 1,
                                            [](int32_t a) { return static_cast<uint8_t>(a); });
      } else {
        run_reduce<uint8_t, int32_t, MaxOp>(x, dims, static_cast<uint8_t*>(od), u8_rows<int32_t, MaxOp>,
                                            u8_cols<int32_t, MaxOp>, 0,
                                            [](int32_t a) { return static_cast<uint8_t>(a); });
      }
    }
  }
}
napi_value reduce_entry(napi_env env, napi_callback_info info) {
  ML_NAPI_BODY(env, info, 5, { reduce_impl(env, args); });
}
ML_EXPORT(reduce, reduce_entry);

// argReduce(isMax, x: Float32Array, shape, axis, out: Int32Array): the first index of the max/min
// along one axis (tfjs semantics: strict comparison from the first element).
void arg_reduce_impl(const Args& args) {
  {
    const bool is_max = args.boolean(0);
    size_t xlen, olen;
    const float* x = args.f32(1, &xlen);
    const std::vector<int64_t> shape = args.ints(2);
    const int64_t rank = static_cast<int64_t>(shape.size());
    int64_t axis = args.i64(3);
    if (axis < 0) axis += rank;
    if (axis < 0 || axis >= rank) throw ArgError{"argReduce: axis out of range"};
    int32_t* out = args.i32arr(4, &olen);
    int64_t outer = 1, inner = 1;
    for (int64_t i = 0; i < axis; ++i) outer *= shape[i];
    for (int64_t i = axis + 1; i < rank; ++i) inner *= shape[i];
    const int64_t L = shape[axis];
    if (static_cast<int64_t>(olen) < outer * inner || static_cast<int64_t>(xlen) < outer * L * inner)
      throw ArgError{"argReduce: array too short"};
    if (outer * inner == 0) return;
    if (L <= 1) {
      std::fill(out, out + outer * inner, 0);
      return;
    }
    const Isa& t = isa();
    if (inner == 1) {
      const ArgRowsFn fn = is_max ? t.argmax_rows_f32 : t.argmin_rows_f32;
      parallel_for(outer, std::max<int64_t>(1, kWork / L), [&](int64_t b, int64_t e) {
        fn(x + b * L, e - b, L, L, out + b);
      });
      return;
    }
    const ArgColsFn fn = is_max ? t.argmax_cols_f32 : t.argmin_cols_f32;
    const int64_t W = inner <= 1024 ? inner : 512;
    const int64_t nkb = (inner + W - 1) / W;
    parallel_for(outer * nkb, std::max<int64_t>(1, kWork / (L * W)), [&](int64_t t0, int64_t t1) {
      std::vector<float> best(W);
      for (int64_t tt = t0; tt < t1; ++tt) {
        const int64_t o = tt / nkb, k0 = (tt % nkb) * W;
        const int64_t w = std::min(W, inner - k0);
        const float* base = x + o * L * inner + k0;
        int32_t* idx = out + o * inner + k0;
        std::memcpy(best.data(), base, w * sizeof(float));
        std::fill(idx, idx + w, 0);
        fn(base + inner, L - 1, inner, w, 1, best.data(), idx);
      }
    });
  }
}
napi_value arg_reduce_entry(napi_env env, napi_callback_info info) {
  ML_NAPI_BODY(env, info, 5, { arg_reduce_impl(args); });
}
ML_EXPORT(argReduce, arg_reduce_entry);

}  // namespace
}  // namespace reduce
}  // namespace ml
