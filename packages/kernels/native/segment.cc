// UnsortedSegmentSum for 1-D segment ids over the first axis: out[ids[r], :] += x[r, :] — the
// gradient of a gather (embedding backward). O(N·d) instead of tfjs cpu's O(numSegments·N·d).
// Ids outside [0, numSegments) are dropped, as in tfjs. Each output element adds its rows in row
// order (deterministic), in float32. Threads split the columns (wide rows) or the segment range
// (narrow rows), so no two threads ever write the same element.
#include <algorithm>
#include <cstdint>

#include "common.h"
#include "pool.h"

namespace ml {
namespace {

inline void add_row(float* __restrict o, const float* __restrict x, int64_t w) {
  for (int64_t c = 0; c < w; ++c) o[c] += x[c];
}

// unsortedSegmentSum(x: Float32Array, ids: Int32Array, n, inner, numSegments, out: Float32Array)
// out must be zero-filled (a fresh Float32Array) with numSegments * inner elements.
void segment_sum_impl(const Args& args) {
  size_t xlen, ilen, olen;
  const float* x = args.f32(0, &xlen);
  const int32_t* ids = args.i32arr(1, &ilen);
  const int64_t n = args.i64(2), inner = args.i64(3), ns = args.i64(4);
  float* out = args.f32(5, &olen);
  if (n < 0 || inner < 0 || ns < 0) throw ArgError{"unsortedSegmentSum: negative size"};
  if (static_cast<int64_t>(xlen) < n * inner || static_cast<int64_t>(ilen) < n ||
      static_cast<int64_t>(olen) < ns * inner)
    throw ArgError{"unsortedSegmentSum: array too short"};
  if (n == 0 || inner == 0 || ns == 0) return;
  const int nt = num_threads();
  const int64_t work = n * inner;
  if (nt == 1 || work < 65536) {
    for (int64_t r = 0; r < n; ++r) {
      const int64_t s = ids[r];
      if (s >= 0 && s < ns) add_row(out + s * inner, x + r * inner, inner);
    }
    return;
  }
  if (inner >= 64) {
    // column blocks of at least 32 floats, about 4 per thread
    int64_t cw = (inner + 4 * nt - 1) / (4 * nt);
    cw = std::max<int64_t>(32, (cw + 15) / 16 * 16);
    const int64_t nb = (inner + cw - 1) / cw;
    parallel_for(nb, 1, [&](int64_t b, int64_t e) {
      const int64_t c0 = b * cw, c1 = std::min(inner, e * cw);
      for (int64_t r = 0; r < n; ++r) {
        const int64_t s = ids[r];
        if (s >= 0 && s < ns) add_row(out + s * inner + c0, x + r * inner + c0, c1 - c0);
      }
    });
    return;
  }
  // narrow rows: each task owns a range of segment ids and scans all ids
  const int64_t nr = std::min<int64_t>(ns, 4 * nt);
  parallel_for(nr, 1, [&](int64_t b, int64_t e) {
    const int64_t s0 = ns * b / nr, s1 = ns * e / nr;
    for (int64_t r = 0; r < n; ++r) {
      const int64_t s = ids[r];
      if (s >= s0 && s < s1) add_row(out + s * inner, x + r * inner, inner);
    }
  });
}

napi_value segment_sum_entry(napi_env env, napi_callback_info info) {
  ML_NAPI_BODY(env, info, 6, { segment_sum_impl(args); });
}
ML_EXPORT(unsortedSegmentSum, segment_sum_entry);

}  // namespace
}  // namespace ml
