// Softmax over the last axis (tfjs's Softmax kernel: dim is always the last axis), in parallel over
// rows: y = exp(x - max) / sum(exp(x - max)) per row. The row loop lives in reduce_body.inc, compiled
// per ISA; exp is the one reduce_vexp.h selects.
#include <algorithm>
#include <cstdint>

#include "common.h"
#include "pool.h"
#include "reduce.h"

namespace ml {
namespace {

// softmax(x: Float32Array, rows, n, out: Float32Array)
void softmax_impl(const Args& args) {
  {
    size_t xlen, olen;
    const float* x = args.f32(0, &xlen);
    const int64_t rows = args.i64(1);
    const int64_t n = args.i64(2);
    float* y = args.f32(3, &olen);
    if (rows < 0 || n < 0) throw ArgError{"softmax: negative size"};
    if (static_cast<int64_t>(xlen) < rows * n || static_cast<int64_t>(olen) < rows * n)
      throw ArgError{"softmax: array too short"};
    if (rows == 0 || n == 0) return;
    const reduce::SoftmaxRowsFn fn = reduce::isa().softmax_rows_f32;
    parallel_for(rows, std::max<int64_t>(1, 16384 / n), [&](int64_t b, int64_t e) {
      fn(x + b * n, y + b * n, e - b, n);
    });
  }
}
napi_value softmax_entry(napi_env env, napi_callback_info info) {
  ML_NAPI_BODY(env, info, 4, { softmax_impl(args); });
}
ML_EXPORT(softmax, softmax_entry);

}  // namespace
}  // namespace ml
