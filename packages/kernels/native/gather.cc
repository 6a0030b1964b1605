// GatherV2 and GatherNd: every index is validated first (so an error leaves nothing half done and
// the caller can report the first bad index exactly like tfjs), then each gathered slice is one
// memcpy (an embedding lookup [vocab, d] by ids copies d contiguous words per id).
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "common.h"
#include "layout.h"
#include "layout_args.h"
#include "pool.h"

namespace ml {
namespace layout {
namespace {

constexpr int64_t kGrainBytes = 128 * 1024;

// Copies items [0, items) of `bytes` each; src_of(i) and dst_of(i) give byte offsets.
template <typename Src, typename Dst>
void copy_items(char* out, const char* in, int64_t items, int64_t bytes, Src src_of, Dst dst_of) {
  auto body = [&](int64_t b, int64_t e) {
    if (bytes == 4) {
      for (int64_t i = b; i < e; ++i) std::memcpy(out + dst_of(i), in + src_of(i), 4);
    } else {
      for (int64_t i = b; i < e; ++i) std::memcpy(out + dst_of(i), in + src_of(i), static_cast<size_t>(bytes));
    }
  };
  if (items * bytes < 2 * kGrainBytes || num_threads() == 1) {
    body(0, items);
  } else {
    parallel_for(items, std::max<int64_t>(1, kGrainBytes / std::max<int64_t>(1, bytes)), body);
  }
}

// gather(x, indices: Int32Array, out, batch, outer, dimSize, slice) → -1, or the position in
// `indices` of the first index outside [0, dimSize) (nothing is written then).
// x is [batch, outer, dimSize, slice]; indices [batch, n]; out [batch, outer, n, slice].
napi_value gather_impl(napi_env env, const Args& args) {
  const Raw x = raw_array(args, 0), out = raw_array(args, 2);
  size_t nidx_total;
  const int32_t* idx = args.i32arr(1, &nidx_total);
  if (x.elem != out.elem) throw ArgError{"gather: element sizes differ"};
  const int64_t batch = args.i64(3), outer = args.i64(4), dim = args.i64(5), slice = args.i64(6);
  if (batch <= 0 || outer < 0 || dim < 0 || slice < 0) throw ArgError{"gather: bad shape"};
  const int64_t total = static_cast<int64_t>(nidx_total);
  for (int64_t i = 0; i < total; ++i)
    if (idx[i] < 0 || idx[i] >= dim) return make_number(env, static_cast<double>(i));
  if (total % batch != 0) throw ArgError{"gather: indices not divisible by batch"};
  const int64_t n = total / batch;
  if (static_cast<int64_t>(x.len) < batch * outer * dim * slice ||
      static_cast<int64_t>(out.len) < batch * outer * n * slice)
    throw ArgError{"gather: arrays too small"};
  const int64_t es = static_cast<int64_t>(x.elem), bytes = slice * es;
  if (bytes > 0) {
    const int64_t items = batch * outer * n;
    // item i = ((b * outer + o) * n + j)
    copy_items(
        static_cast<char*>(out.data), static_cast<const char*>(x.data), items, bytes,
        [&](int64_t i) {
          const int64_t j = i % n, bo = i / n, b = bo / outer;
          return ((bo * dim) + idx[b * n + j]) * bytes;
        },
        [&](int64_t i) { return i * bytes; });
  }
  return make_number(env, -1);
}

napi_value gather(napi_env env, napi_callback_info info) {
  ML_NAPI_BODY(env, info, 7, { return gather_impl(env, args); });
}
ML_EXPORT(gather, gather);

// gatherNd(params, indices: Int32Array, out, numSlices, sliceRank, sliceSize, strides: number[])
// → -1, or the first slice whose flat index sum(indices[i, k] * strides[k]) is outside
// [0, params.length / sliceSize) (tfjs checks the flat index only; nothing is written then).
napi_value gather_nd_impl(napi_env env, const Args& args) {
  const Raw p = raw_array(args, 0), out = raw_array(args, 2);
  size_t ilen;
  const int32_t* idx = args.i32arr(1, &ilen);
  if (p.elem != out.elem) throw ArgError{"gatherNd: element sizes differ"};
  const int64_t ns = args.i64(3), rank = args.i64(4), slice = args.i64(5);
  const std::vector<int64_t> strides = args.ints(6);
  if (ns < 0 || rank < 0 || slice <= 0 || static_cast<int64_t>(strides.size()) < rank ||
      static_cast<int64_t>(ilen) < ns * rank || static_cast<int64_t>(out.len) < ns * slice)
    throw ArgError{"gatherNd: bad shape"};
  const int64_t nslices_in = static_cast<int64_t>(p.len) / slice;
  std::vector<int64_t> flat(static_cast<size_t>(ns));
  for (int64_t i = 0; i < ns; ++i) {
    int64_t f = 0;
    for (int64_t k = 0; k < rank; ++k) f += static_cast<int64_t>(idx[i * rank + k]) * strides[k];
    if (f < 0 || f >= nslices_in) return make_number(env, static_cast<double>(i));
    flat[i] = f;
  }
  const int64_t bytes = slice * static_cast<int64_t>(p.elem);
  copy_items(
      static_cast<char*>(out.data), static_cast<const char*>(p.data), ns, bytes,
      [&](int64_t i) { return flat[i] * bytes; }, [&](int64_t i) { return i * bytes; });
  return make_number(env, -1);
}

napi_value gather_nd(napi_env env, napi_callback_info info) {
  ML_NAPI_BODY(env, info, 7, { return gather_nd_impl(env, args); });
}
ML_EXPORT(gatherNd, gather_nd);

}  // namespace
}  // namespace layout
}  // namespace ml
