// The exp used by the softmax rows (reduce_body.inc): vmath.h's branch-free, vectorizable exp
// (≤ 1 ulp, IEEE results for ±Inf/NaN/underflow). One place to change it.
#pragma once
#include "vmath.h"

namespace ml {
namespace reduce {

ML_VINLINE float softmax_exp(float x) { return vm::exp(x); }

}  // namespace reduce
}  // namespace ml
