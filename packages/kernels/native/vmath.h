// vmath.h — branch-free inline float math that GCC auto-vectorizes inside plain loops at -O3 (SSE2, AVX2
// or AVX-512, whatever the including file is compiled for), without -ffast-math: every function returns
// the IEEE answer for ±0, ±Inf, NaN, overflow and underflow (subnormal results included).
//
// Rules that keep loops vectorizable: no branches (selects via `c ? a : b`), no libm calls (sqrtf is an
// instruction under -fno-math-errno), bit casts via __builtin_memcpy, rounding via the 1.5·2^23 trick.
// Everything is `always_inline`; call these from a simple `for (i...) out[i] = vm::f(in[i]);` loop.
//
// Polynomials were fitted for this file (least squares on Chebyshev nodes in double precision, then
// checked in float32). Accuracy, measured by native/tools/vmath_check.cc (not part of the addon build)
// against the double-precision std:: function, over every 97th float bit pattern in the range (tens of
// millions of inputs each; identical results for the SSE2, AVX2 and AVX-512 builds, since -std=c++17
// keeps FMA contraction off). Max error in float ULPs of the exact value (0.5 = correctly rounded):
//   exp      1.00  all floats; subnormal results rounded once (two-step scaling); ±Inf/NaN exact
//   log      0.80  all positive floats incl. subnormals; log(0) = -Inf, log(<0) = NaN
//   log1p    1.44  expm1 1.72 (polynomial for |x| < ln 2, exp(x) - 1 beyond)
//   tanh     1.31  erf 1.10  sigmoid 2.28 (relative, tiny tails included)  softplus 1.88
//   sin/cos  0.50  for |x| ≤ kTrigMaxArg = 2^20 (reduction in double); callers patch larger |x|
//   pow      0.50  (double-precision log2/exp2; JavaScript Math.pow special cases)
//   rint/floor/ceil/trunc exact (roundps on SSE4.1+, integer tricks on SSE2)
// All of ±0 (sign kept), ±Inf, NaN, overflow and underflow are checked by vmath_check's special cases.
// Vectorization (g++ 12, -O3 -fno-math-errno -fno-trapping-math): every function vectorizes in a plain
// loop at SSE2, AVX2 and AVX-512, except pow with a per-element exponent at SSE2 (AVX2+ is fine).
#pragma once
#include <cstdint>

// `static`: every including translation unit gets its own copy, compiled for its own ISA flags (a shared
// inline definition could be resolved to the AVX-512 copy from a generic file).
#define ML_VINLINE static inline __attribute__((always_inline))

namespace ml {
namespace vm {

// ---------------------------------------------------------------------------------------------------
// bit helpers
ML_VINLINE int32_t as_i(float x) {
  int32_t i;
  __builtin_memcpy(&i, &x, 4);
  return i;
}
ML_VINLINE float as_f(int32_t i) {
  float x;
  __builtin_memcpy(&x, &i, 4);
  return x;
}
ML_VINLINE int64_t as_i64(double x) {
  int64_t i;
  __builtin_memcpy(&i, &x, 8);
  return i;
}
ML_VINLINE double as_d(int64_t i) {
  double x;
  __builtin_memcpy(&x, &i, 8);
  return x;
}
ML_VINLINE float inf() { return __builtin_inff(); }
ML_VINLINE float nan() { return __builtin_nanf(""); }
ML_VINLINE float fabs(float x) { return as_f(as_i(x) & 0x7fffffff); }
// |mag| with the sign bit of sgn.
ML_VINLINE float copysign(float mag, float sgn) {
  return as_f((as_i(mag) & 0x7fffffff) | (as_i(sgn) & static_cast<int32_t>(0x80000000u)));
}
ML_VINLINE bool isnan(float x) { return x != x; }
ML_VINLINE bool isinf(float x) { return fabs(x) == inf(); }
ML_VINLINE bool isfinite(float x) { return fabs(x) < inf(); }

// Round to nearest, ties to even, for |x| < 2^22 (default rounding mode).
ML_VINLINE float rint_small(float x) {
  const float magic = 12582912.0f;  // 1.5 * 2^23
  return (x + magic) - magic;
}
#if defined(__SSE4_1__)
// SSE4.1+ has a rounding instruction (roundps) that GCC vectorizes these builtins to.
ML_VINLINE float rint(float x) { return __builtin_rintf(x); }  // half to even (tfjs Round)
ML_VINLINE float trunc(float x) { return __builtin_truncf(x); }
ML_VINLINE float floor(float x) { return __builtin_floorf(x); }
ML_VINLINE float ceil(float x) { return __builtin_ceilf(x); }
#else
// SSE2: integer conversions (exact below 2^23, where every float with a fraction lives).
// Round half to even, all floats (tfjs Round semantics). NaN/Inf pass through; -0 stays -0.
ML_VINLINE float rint(float x) {
  const float a = fabs(x);
  const float r = copysign((a + 8388608.0f) - 8388608.0f, x);
  return a < 8388608.0f ? r : x;
}
// Truncation toward zero, all floats.
ML_VINLINE float trunc(float x) {
  const float a = fabs(x);
  const float t = copysign(static_cast<float>(static_cast<int32_t>(a < 8388608.0f ? x : 0.0f)), x);
  return a < 8388608.0f ? t : x;
}
ML_VINLINE float floor(float x) {
  const float a = fabs(x);
  float t = static_cast<float>(static_cast<int32_t>(a < 8388608.0f ? x : 0.0f));
  t = t > x ? t - 1.0f : t;
  return a < 8388608.0f ? copysign(t, x) : x;
}
ML_VINLINE float ceil(float x) {
  const float a = fabs(x);
  float t = static_cast<float>(static_cast<int32_t>(a < 8388608.0f ? x : 0.0f));
  t = t < x ? t + 1.0f : t;
  return a < 8388608.0f ? copysign(t, x) : x;
}
#endif
ML_VINLINE float sqrt(float x) { return __builtin_sqrtf(x); }

// ---------------------------------------------------------------------------------------------------
// exp

// exp for x already clamped to [-104, 88.73] (no NaN): 2^n · e^r, |r| ≤ ln2/2, Cody–Waite reduction,
// scale applied as two factors so subnormal results round once, correctly.
ML_VINLINE float exp_core(float x) {
  const float n = rint_small(x * 1.44269504088896341f);
  float r = x - n * 0.693359375f;  // ln2 high part (9 bits: n·hi is exact)
  r = r - n * -2.12194440e-4f;     // ln2 - hi
  float p = 0.00137514074f;
  p = p * r + 0.00836891588f;
  p = p * r + 0.0416695327f;
  p = p * r + 0.166665182f;
  p = p * r + 0.499999881f;
  const float y = (r * r) * p + r + 1.0f;
  const int32_t ni = static_cast<int32_t>(n);
  const int32_t n1 = ni >> 1;
  const int32_t n2 = ni - n1;
  return (y * as_f((n1 + 127) << 23)) * as_f((n2 + 127) << 23);
}

ML_VINLINE float exp(float x) {
  float xc = x < 88.7228394f ? x : 88.7228394f;
  xc = xc > -104.0f ? xc : -104.0f;
  float r = exp_core(xc);
  r = x > 88.7228394f ? inf() : r;
  r = x < -104.0f ? 0.0f : r;
  return x != x ? x : r;
}

// ---------------------------------------------------------------------------------------------------
// log

ML_VINLINE float log(float x) {
  const bool sub = x < 1.17549435e-38f;
  const float xs = sub ? x * 8388608.0f : x;
  const int32_t ix = as_i(xs);
  int32_t e = ((ix >> 23) & 0xff) - 127 - (sub ? 23 : 0);
  float m = as_f((ix & 0x007fffff) | 0x3f800000);  // [1, 2)
  const bool big = m > 1.41421356f;
  m = big ? m * 0.5f : m;  // [√½, √2)
  e = big ? e + 1 : e;
  const float f = m - 1.0f;
  const float fe = static_cast<float>(e);
  const float z = f * f;
  float p = 0.0667527169f;
  p = p * f + -0.116464347f;
  p = p * f + 0.11904712f;
  p = p * f + -0.124112688f;
  p = p * f + 0.142178908f;
  p = p * f + -0.166676432f;
  p = p * f + 0.200022042f;
  p = p * f + -0.250000149f;
  p = p * f + 0.333333105f;
  float y = f * z * p - 0.5f * z + fe * -2.12194440e-4f;
  float r = (f + y) + fe * 0.693359375f;
  r = x == inf() ? x : r;
  r = x == 0.0f ? -inf() : r;
  r = x < 0.0f ? nan() : r;
  return x != x ? x : r;
}

// log(1 + x) with the rounding error of 1 + x compensated (u = fl(1+x); log(u) - ((u-1) - x)/u).
ML_VINLINE float log1p(float x) {
  const float u = 1.0f + x;
  const float l = log(u);
  const float c = l - ((u - 1.0f) - x) / u;
  // u == 0 (x == -1), u == Inf, u NaN or x < -1: log(u) already holds the answer.
  const float r = (u > 0.0f && u < inf()) ? c : l;
  return x == 0.0f ? x : r;  // keeps -0
}

// exp(x) - 1: a polynomial near 0 (no cancellation), exp(x) - 1 elsewhere.
ML_VINLINE float expm1(float x) {
  float p = 2.46817654e-05f;
  p = p * x + 0.000200960843f;
  p = p * x + 0.00138913188f;
  p = p * x + 0.00833262596f;
  p = p * x + 0.0416665971f;
  p = p * x + 0.166666716f;
  p = p * x + 0.5f;
  const float small = x + (x * x) * p;
  const float big = exp(x) - 1.0f;
  const float r = fabs(x) < 0.6931f ? small : big;  // NaN takes `big` (NaN)
  return x == 0.0f ? x : r;                          // keeps -0
}

// ---------------------------------------------------------------------------------------------------
// hyperbolic / special

ML_VINLINE float tanh(float x) {
  const float a = fabs(x);
  const float z = x * x;
  float p = -0.00571896276f;
  p = p * z + 0.0206531249f;
  p = p * z + -0.0537446588f;
  p = p * z + 0.133315131f;
  p = p * z + -0.333332866f;
  const float small = x + (x * z) * p;
  const float ac = a < 10.0f ? a : 10.0f;  // tanh(10) rounds to 1; NaN handled below
  const float e = exp_core(2.0f * ac);
  const float big = copysign(1.0f - 2.0f / (e + 1.0f), x);
  const float r = a < 0.625f ? small : big;
  return (x != x || x == 0.0f) ? x : r;
}

// 1 / (1 + e^-x); for x < 0 as e^x / (1 + e^x) so tiny results stay accurate (no e^-x overflow).
ML_VINLINE float sigmoid(float x) {
  const float e = exp(-fabs(x));
  return (x < 0.0f ? e : 1.0f) / (1.0f + e);  // NaN: e is NaN
}

// erf: x·(1 + P(x²)) below 0.921875, 1 - exp(Q(|x|)) (Q ≈ log erfc) up to 3.93, ±1 beyond.
ML_VINLINE float erf(float x) {
  const float a = fabs(x);
  const float z = x * x;
  float p = 8.43876842e-05f;
  p = p * z + -0.000816078391f;
  p = p * z + 0.00520283589f;
  p = p * z + -0.0268602408f;
  p = p * z + 0.112837136f;
  p = p * z + -0.376126349f;
  p = p * z + 0.128379166f;
  const float small = x + x * p;
  float ac = a < 3.93f ? a : 3.93f;
  ac = ac > 0.921875f ? ac : 0.921875f;
  float q = 1.63417474e-06f;
  q = q * ac + -4.59671428e-05f;
  q = q * ac + 0.000595766003f;
  q = q * ac + -0.00475343456f;
  q = q * ac + 0.0263999421f;
  q = q * ac + -0.110036284f;
  q = q * ac + -0.631879508f;
  q = q * ac + -1.13019812f;
  q = q * ac + 0.000310450996f;
  const float big = copysign(1.0f - exp_core(q), x);
  const float r = a < 0.921875f ? small : big;
  return x != x ? x : r;
}

// log(1 + exp(x)) evaluated without overflow.
ML_VINLINE float softplus(float x) {
  const float l = log1p(exp(x > 20.0f ? 20.0f : x));
  return x > 20.0f ? x : l;  // NaN: l is NaN
}

// ---------------------------------------------------------------------------------------------------
// sin / cos: reduction and polynomials in double, accurate for |x| ≤ kTrigMaxArg. Callers must patch
// |x| > kTrigMaxArg, ±Inf and NaN (`!(fabs(x) <= kTrigMaxArg)`) with a scalar std::sin/std::cos pass.
constexpr float kTrigMaxArg = 1048576.0f;  // 2^20

ML_VINLINE double sincos_poly_(double r, bool want_cos) {
  const double z = r * r;
  double s = 1.6059043836821613e-10;  // 1/13!
  s = s * z - 2.5052108385441720e-08;
  s = s * z + 2.7557319223985893e-06;
  s = s * z - 1.9841269841269841e-04;
  s = s * z + 8.3333333333333333e-03;
  s = s * z - 1.6666666666666667e-01;
  s = r + r * z * s;
  double c = -1.1470745597729725e-11;  // -1/14!
  c = c * z + 2.0876756987868099e-09;
  c = c * z - 2.7557319223985891e-07;
  c = c * z + 2.4801587301587302e-05;
  c = c * z - 1.3888888888888889e-03;
  c = c * z + 4.1666666666666667e-02;
  c = c * z - 0.5;
  c = 1.0 + z * c;
  return want_cos ? c : s;
}

// quadrant_offset: 0 for sin, 1 for cos.
ML_VINLINE float sincos_(float x, int32_t quadrant_offset) {
  const double xd = static_cast<double>(fabs(x) <= kTrigMaxArg ? x : 0.0f);
  const double magic = 6755399441055744.0;  // 1.5 * 2^52
  const double kd = (xd * 0.63661977236758134 + magic) - magic;
  // π/2 split into 30 + 30 + 53 bits: k·P1 and k·P2 are exact for |k| < 2^23.
  double r = xd - kd * 1.5707963258028030e+00;
  r = r - kd * 9.920935791635221e-10;
  r = r - kd * 5.170182981794105e-19;
  const int32_t q = static_cast<int32_t>(kd) + quadrant_offset;
  const double s = sincos_poly_(r, false);
  const double c = sincos_poly_(r, true);
  double v = (q & 1) ? c : s;
  v = (q & 2) ? -v : v;
  return static_cast<float>(v);
}
ML_VINLINE float sin_reduced(float x) { return sincos_(x, 0); }
ML_VINLINE float cos_reduced(float x) { return sincos_(x, 1); }

// ---------------------------------------------------------------------------------------------------
// pow in double precision with JavaScript Math.pow semantics (which tfjs's cpu Pow uses):
//   pow(x, ±0) = 1 (even for NaN x); pow(±1, ±Inf) = NaN and pow(1, NaN) = NaN (unlike C);
//   pow(finite x < 0, non-integer y) = NaN; signs of ±0 / -Inf bases follow odd-integer exponents.

// log2(a) for a positive, finite, normal-or-subnormal float a, in double (~1e-16 relative).
ML_VINLINE double log2_pos_(float a) {
  const bool sub = a < 1.17549435e-38f;
  const float as = sub ? a * 16777216.0f : a;
  const int32_t ia = as_i(as);
  int32_t e = ((ia >> 23) & 0xff) - 127 - (sub ? 24 : 0);
  float m = as_f((ia & 0x007fffff) | 0x3f800000);
  const bool big = m > 1.41421356f;
  m = big ? m * 0.5f : m;
  e = big ? e + 1 : e;
  const double md = static_cast<double>(m);
  const double s = (md - 1.0) / (md + 1.0);  // |s| ≤ 0.1716
  const double s2 = s * s;
  double p = 1.0 / 17;
  p = p * s2 + 1.0 / 15;
  p = p * s2 + 1.0 / 13;
  p = p * s2 + 1.0 / 11;
  p = p * s2 + 1.0 / 9;
  p = p * s2 + 1.0 / 7;
  p = p * s2 + 1.0 / 5;
  p = p * s2 + 1.0 / 3;
  const double ln_m = 2.0 * s + 2.0 * s * s2 * p;
  return static_cast<double>(e) + ln_m * 1.4426950408889634;
}

// 2^t for t in [-200, 200], double.
ML_VINLINE double exp2_d_(double t) {
  const double magic = 6755399441055744.0;
  const double kd = t + magic;
  const double n = kd - magic;
  const double g = (t - n) * 0.69314718055994531;  // |g| ≤ ln2/2
  double p = 2.08767569878680990e-09;               // 1/12!
  p = p * g + 2.50521083854417188e-08;
  p = p * g + 2.75573192239858907e-07;
  p = p * g + 2.75573192239858907e-06;
  p = p * g + 2.48015873015873016e-05;
  p = p * g + 1.98412698412698413e-04;
  p = p * g + 1.38888888888888889e-03;
  p = p * g + 8.33333333333333333e-03;
  p = p * g + 4.16666666666666667e-02;
  p = p * g + 1.66666666666666667e-01;
  p = p * g + 0.5;
  p = p * g + 1.0;
  p = p * g + 1.0;
  const double scale = as_d((as_i64(kd) + 1023) << 52);
  return p * scale;
}

ML_VINLINE float pow(float x, float y) {
  const float a = fabs(x);
  const float ay = fabs(y);
  const float ap = (a > 0.0f && a < inf()) ? a : 1.0f;  // keep the core in range; patched below
  double t = static_cast<double>(y) * log2_pos_(ap);
  t = t < 200.0 ? t : 200.0;
  t = t > -200.0 ? t : -200.0;
  float r = static_cast<float>(exp2_d_(t));
  // integer-ness and parity of y (|y| ≥ 2^30 is always an even integer, ±Inf included). Bitwise &, |
  // instead of &&, || keep the loop free of control flow (GCC then vectorizes it).
  const float yc = ay < 1073741824.0f ? y : 0.0f;
  const int32_t yi = static_cast<int32_t>(yc);
  const bool y_int = static_cast<float>(yi) == yc;
  // sign bit set iff x has its sign bit set and y is an odd integer
  const int32_t odd_sign = static_cast<int32_t>(static_cast<uint32_t>(yi) << 31) & as_i(x);
  // |y| = Inf with finite a ≠ 0: t clamped already gives 0 / Inf, except |x| = 1 (NaN in JS).
  r = ((ay == inf()) & (a == 1.0f)) ? nan() : r;
  r = a == 0.0f ? (y > 0.0f ? 0.0f : inf()) : r;
  r = a == inf() ? (y > 0.0f ? inf() : 0.0f) : r;
  r = as_f(as_i(r) ^ odd_sign);
  r = ((x < 0.0f) & (x > -inf()) & !y_int) ? nan() : r;
  r = ((x != x) | (y != y)) ? nan() : r;
  return y == 0.0f ? 1.0f : r;
}

}  // namespace vm
}  // namespace ml
