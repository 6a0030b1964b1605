// Reduction kernels: the inner loops (one table per ISA, filled from reduce_body.inc by
// reduce_generic.cc / reduce_avx2.cc / reduce_avx512.cc) and the scalar combine rules shared by the
// drivers in reduce.cc, softmax.cc and friends.
//
// Semantics follow tfjs-backend-cpu 4.22:
// - float sums and products accumulate in double (tfjs accumulates in a JS number), then round once;
// - Max/Min propagate NaN (a NaN anywhere in the reduced set gives NaN);
// - ArgMax/ArgMin scan with a strict comparison from the first element: ties give the first index,
//   NaN is skipped unless it is the first element (then the answer is 0).
#pragma once
#include <cmath>
#include <cstdint>
#include <limits>

namespace ml {
namespace reduce {

// Rows: out[r] = reduce(x[r*ld .. r*ld+L)) for r < nrows, or out[r] = combine(out[r], reduce(row))
// when `accumulate` is set. L >= 1.
template <typename T, typename Acc>
using RowsFn = void (*)(const T* x, int64_t nrows, int64_t L, int64_t ld, Acc* out, bool accumulate);
// Columns: acc[k] = combine(acc[k], x[r*ld + k]) for r < R, k < K.
template <typename T, typename Acc>
using ColsFn = void (*)(const T* x, int64_t R, int64_t ld, int64_t K, Acc* acc);
// Arg rows: out[r] = first index of the max (min) of row r (see the file comment). L >= 1.
using ArgRowsFn = void (*)(const float* x, int64_t nrows, int64_t L, int64_t ld, int32_t* out);
// Arg columns: for r < R, k < K: if x[r*ld+k] beats best[k] (strictly): best[k] = it, idx[k] = r0 + r.
using ArgColsFn = void (*)(const float* x, int64_t R, int64_t ld, int64_t K, int64_t r0, float* best,
                           int32_t* idx);
// TopK's filter: from the start of x, skips whole 64-value blocks with no value > thr and returns the
// start of the first block that has one (or the end of the last whole block); ORs into *nonfinite a
// nonzero value if any scanned block holds ±Inf or NaN.
using ScanAboveFn = int64_t (*)(const float* x, int64_t n, float thr, int32_t* nonfinite);
// Softmax over rows of length n (contiguous, n >= 1): y = exp(x - max) / sum(exp(x - max)).
using SoftmaxRowsFn = void (*)(const float* x, float* y, int64_t nrows, int64_t n);

struct Isa {
  RowsFn<float, double> sum_rows_f32;
  RowsFn<float, double> prod_rows_f32;
  RowsFn<float, float> max_rows_f32;
  RowsFn<float, float> min_rows_f32;
  RowsFn<int32_t, int64_t> sum_rows_i32;
  RowsFn<int32_t, int32_t> max_rows_i32;
  RowsFn<int32_t, int32_t> min_rows_i32;
  ColsFn<float, double> sum_cols_f32;
  ColsFn<float, double> prod_cols_f32;
  ColsFn<float, float> max_cols_f32;
  ColsFn<float, float> min_cols_f32;
  ColsFn<int32_t, int64_t> sum_cols_i32;
  ColsFn<int32_t, int32_t> max_cols_i32;
  ColsFn<int32_t, int32_t> min_cols_i32;
  ArgRowsFn argmax_rows_f32;
  ArgRowsFn argmin_rows_f32;
  ArgColsFn argmax_cols_f32;
  ArgColsFn argmin_cols_f32;
  SoftmaxRowsFn softmax_rows_f32;
  ScanAboveFn scan_above_f32;
};

const Isa& isa_generic();
const Isa& isa_avx2();
const Isa& isa_avx512();
// The table for this CPU (honours MECHLENS_SIMD).
const Isa& isa();

}  // namespace reduce
}  // namespace ml
