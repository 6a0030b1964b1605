// N-API entry points of the elementwise kernels: broadcast planning (drop size-1 dims, merge dims that
// are contiguous or broadcast in both inputs), work splitting over the thread pool, ISA dispatch.
//
//   ewBinary(op, a, aShape, b, bShape, out) -> boolean   (false: op/type not handled, use tfjs)
//   ewUnary(op, x, out, p0, p1) -> boolean
//   ewSelect(cond, t, e, out) -> boolean
//   ewAddN([x0, x1, ...], out) -> boolean
//
// Typed arrays decide the types: Float32Array = float32, Int32Array = int32, Uint8Array = bool.
#include "elementwise.h"

#include <vector>

#include "common.h"
#include "cpu.h"
#include "pool.h"

namespace ml {
namespace ew {

int binary_cost(int op) {
  switch (op) {
    case kPow:
      return 2;
    case kMod:
    case kAtan2:
    case kFloorDiv:
      return 3;
    case kDiv:
    case kSqDiff:
      return 1;
    default:
      return 0;
  }
}

int unary_cost(int op) {
  switch (op) {
    case kExp:
    case kLog:
    case kLog1p:
    case kExpm1:
    case kTanh:
    case kErf:
    case kSigmoid:
    case kElu:
    case kSoftplus:
    case kSin:
    case kCos:
      return 2;
    case kSqrt:
    case kRsqrt:
    case kReciprocal:
      return 1;
    default:
      return 0;
  }
}

namespace {

const Table& table() {
  static const Table* t = [] {
#if defined(__x86_64__) || defined(__i386__)
    switch (simd_level()) {
      case Simd::Avx512:
        return &table_avx512();
      case Simd::Avx2:
        return &table_avx2();
      default:
        return &table_generic();
    }
#else
    return &table_generic();
#endif
  }();
  return *t;
}

// Elements per parallel chunk by cost class: a chunk should take ≳ 20 µs so waking a worker pays off.
int64_t grain_for(int cost) {
  switch (cost) {
    case 0:
      return 32768;
    case 1:
      return 16384;
    case 2:
      return 4096;
    default:
      return 1024;
  }
}

// Runs fn over [0, n) in chunks aligned to 64 elements (whole cache lines of output for 1-4 byte types).
template <class F>
void run_parallel(int64_t n, int cost, const F& fn) {
  const int64_t kAlign = 64;
  const int64_t blocks = (n + kAlign - 1) / kAlign;
  const int64_t grain = grain_for(cost) / kAlign;
  if (blocks <= grain) {
    fn(int64_t{0}, n);
    return;
  }
  parallel_for(blocks, grain, [&](int64_t b0, int64_t b1) {
    const int64_t s = b0 * kAlign;
    const int64_t e = b1 * kAlign < n ? b1 * kAlign : n;
    fn(s, e);
  });
}

struct Typed {
  void* data = nullptr;
  size_t length = 0;
  bool ok = false;  // one of the supported array types
  DType type = DType::F32;
  int elem_size = 4;
};

Typed typed_of(napi_env env, napi_value v, size_t index) {
  bool is_ta = false;
  napi_is_typedarray(env, v, &is_ta);
  if (!is_ta) throw ArgError{"argument " + std::to_string(index) + " must be a typed array"};
  napi_typedarray_type type;
  napi_value ab;
  size_t off;
  Typed t;
  napi_get_typedarray_info(env, v, &type, &t.length, &t.data, &ab, &off);
  switch (type) {
    case napi_float32_array:
      t.ok = true, t.type = DType::F32, t.elem_size = 4;
      break;
    case napi_int32_array:
      t.ok = true, t.type = DType::I32, t.elem_size = 4;
      break;
    case napi_uint8_array:
      t.ok = true, t.type = DType::U8, t.elem_size = 1;
      break;
    default:
      break;
  }
  return t;
}

napi_value make_bool(napi_env env, bool v) {
  napi_value r;
  napi_get_boolean(env, v, &r);
  return r;
}

// Builds the collapsed broadcast plan; returns false when the rank after collapsing exceeds kMaxRank.
bool make_plan(const std::vector<int64_t>& as, const std::vector<int64_t>& bs, BinaryPlan& p) {
  const int ra = static_cast<int>(as.size()), rb = static_cast<int>(bs.size());
  const int R = ra > rb ? ra : rb;
  std::vector<int64_t> n(R), sa(R), sb(R);
  int64_t stride_a = 1, stride_b = 1;
  for (int d = R - 1; d >= 0; --d) {
    const int ka = d - (R - ra), kb = d - (R - rb);
    const int64_t da = ka >= 0 ? as[ka] : 1;
    const int64_t db = kb >= 0 ? bs[kb] : 1;
    if (da < 0 || db < 0) throw ArgError{"negative dimension"};
    if (da != db && da != 1 && db != 1) throw ArgError{"shapes do not broadcast"};
    n[d] = da == 1 ? db : da;
    sa[d] = da == 1 ? 0 : stride_a;
    sb[d] = db == 1 ? 0 : stride_b;
    stride_a *= da;
    stride_b *= db;
  }
  p.total = 1;
  for (int d = 0; d < R; ++d) p.total *= n[d];
  // drop size-1 dims, merge mergeable neighbours
  int r = 0;
  for (int d = 0; d < R; ++d) {
    if (n[d] == 1) continue;
    if (r > 0 && sa[d] * n[d] == p.sa[r - 1] && sb[d] * n[d] == p.sb[r - 1]) {
      p.shape[r - 1] *= n[d];
      p.sa[r - 1] = sa[d];
      p.sb[r - 1] = sb[d];
      continue;
    }
    if (r == kMaxRank) return false;
    p.shape[r] = n[d];
    p.sa[r] = sa[d];
    p.sb[r] = sb[d];
    ++r;
  }
  if (r == 0) {  // every dim is 1: a single element
    p.shape[0] = 1;
    p.sa[0] = 0;
    p.sb[0] = 0;
    r = 1;
  }
  p.rank = r;
  return true;
}

size_t product(const std::vector<int64_t>& s) {
  size_t n = 1;
  for (int64_t d : s) n *= static_cast<size_t>(d);
  return n;
}

napi_value ew_binary(napi_env env, napi_callback_info info) {
  ML_NAPI_BODY(env, info, 6, {
    const int op = args.i32(0);
    if (op < 0 || op >= kBinOpCount) throw ArgError{"unknown binary op"};
    const Typed a = typed_of(env, args.at(1), 1);
    const std::vector<int64_t> ashape = args.ints(2);
    const Typed b = typed_of(env, args.at(3), 3);
    const std::vector<int64_t> bshape = args.ints(4);
    const Typed o = typed_of(env, args.at(5), 5);
    if (!a.ok || !b.ok || !o.ok || a.type != b.type) return make_bool(env, false);
    if (a.length != product(ashape) || b.length != product(bshape))
      throw ArgError{"ewBinary: input length does not match its shape"};
    BinaryPlan plan;
    if (!make_plan(ashape, bshape, plan)) return make_bool(env, false);
    if (o.length != static_cast<size_t>(plan.total)) throw ArgError{"ewBinary: output length does not match the broadcast shape"};
    if (plan.total == 0) return make_bool(env, true);
    const Table& t = table();
    // probe support on an empty range first, so an unsupported op never runs partially
    if (!t.binary(op, a.type, o.type, plan, a.data, b.data, o.data, 0, 0)) return make_bool(env, false);
    run_parallel(plan.total, binary_cost(op), [&](int64_t s, int64_t e) {
      t.binary(op, a.type, o.type, plan, a.data, b.data, o.data, s, e);
    });
    return make_bool(env, true);
  });
}
ML_EXPORT(ewBinary, ew_binary);

napi_value ew_unary(napi_env env, napi_callback_info info) {
  ML_NAPI_BODY(env, info, 5, {
    const int op = args.i32(0);
    if (op < 0 || op >= kUnOpCount) throw ArgError{"unknown unary op"};
    const Typed x = typed_of(env, args.at(1), 1);
    const Typed o = typed_of(env, args.at(2), 2);
    const float p0 = args.is_null(3) ? 0.0f : static_cast<float>(args.num(3));
    const float p1 = args.is_null(4) ? 0.0f : static_cast<float>(args.num(4));
    if (!x.ok || !o.ok) return make_bool(env, false);
    if (x.length != o.length) throw ArgError{"ewUnary: input and output lengths differ"};
    const Table& t = table();
    if (!t.unary(op, x.type, o.type, x.data, o.data, 0, 0, p0, p1)) return make_bool(env, false);
    run_parallel(static_cast<int64_t>(x.length), unary_cost(op), [&](int64_t s, int64_t e) {
      t.unary(op, x.type, o.type, x.data, o.data, s, e, p0, p1);
    });
    return make_bool(env, true);
  });
}
ML_EXPORT(ewUnary, ew_unary);

napi_value ew_select(napi_env env, napi_callback_info info) {
  ML_NAPI_BODY(env, info, 4, {
    const Typed c = typed_of(env, args.at(0), 0);
    const Typed tv = typed_of(env, args.at(1), 1);
    const Typed ev = typed_of(env, args.at(2), 2);
    const Typed o = typed_of(env, args.at(3), 3);
    if (!c.ok || !tv.ok || !ev.ok || !o.ok || c.type != DType::U8 || tv.type != ev.type || o.type != tv.type)
      return make_bool(env, false);
    if (c.length != o.length || tv.length != o.length || ev.length != o.length)
      throw ArgError{"ewSelect: lengths differ"};
    const Table& t = table();
    run_parallel(static_cast<int64_t>(o.length), 0, [&](int64_t s, int64_t e) {
      t.select(static_cast<const uint8_t*>(c.data), tv.data, ev.data, o.data, o.elem_size, s, e);
    });
    return make_bool(env, true);
  });
}
ML_EXPORT(ewSelect, ew_select);

napi_value ew_addn(napi_env env, napi_callback_info info) {
  ML_NAPI_BODY(env, info, 2, {
    napi_value list = args.at(0);
    bool is_arr = false;
    napi_is_array(env, list, &is_arr);
    if (!is_arr) throw ArgError{"ewAddN: argument 0 must be an array of typed arrays"};
    uint32_t count = 0;
    napi_get_array_length(env, list, &count);
    const Typed o = typed_of(env, args.at(1), 1);
    if (count == 0 || !o.ok || o.type == DType::U8) return make_bool(env, false);
    std::vector<const void*> ins(count);
    for (uint32_t k = 0; k < count; ++k) {
      napi_value e;
      napi_get_element(env, list, k, &e);
      const Typed x = typed_of(env, e, 0);
      if (!x.ok || x.type != o.type) return make_bool(env, false);
      if (x.length != o.length) throw ArgError{"ewAddN: lengths differ"};
      ins[k] = x.data;
    }
    const Table& t = table();
    const int n_in = static_cast<int>(count);
    run_parallel(static_cast<int64_t>(o.length), 0, [&](int64_t s, int64_t e) {
      t.addn(ins.data(), n_in, o.type, o.data, s, e);
    });
    return make_bool(env, true);
  });
}
ML_EXPORT(ewAddN, ew_addn);

}  // namespace
}  // namespace ew
}  // namespace ml
