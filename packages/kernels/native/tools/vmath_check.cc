// Accuracy check for vmath.h (not part of the addon build; build.mjs only compiles native/*.cc).
//   g++ -O3 -std=c++17 -fno-math-errno -fno-trapping-math -mavx2 -mfma -I.. vmath_check.cc -o /tmp/vmath_check
//   /tmp/vmath_check [stride]
// Sweeps float bit patterns with the given stride (default 17) and reports the max error in ULPs of the
// double-precision std:: reference rounded to float, plus special-value checks.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "vmath.h"

using namespace ml;

static double ulp_of(double ref) {
  float rf = static_cast<float>(ref);
  float a = std::fabs(rf);
  if (!(a < 3.4028235e38f)) a = 3.4028235e38f;
  float nx = std::nextafter(a, 1e30f);
  double u = static_cast<double>(nx) - static_cast<double>(a);
  return u;
}

template <class F, class R>
static void sweep(const char* name, F f, R ref, float lo, float hi, unsigned stride) {
  const size_t B = 4096;
  std::vector<float> in(B), out(B);
  double worst = 0;
  float worst_x = 0;
  size_t count = 0;
  auto flush = [&](size_t n) {
    for (size_t i = 0; i < n; ++i) out[i] = f(in[i]);
    for (size_t i = 0; i < n; ++i) {
      double r = ref(static_cast<double>(in[i]));
      double got = out[i];
      if (std::isnan(r) || std::isinf(r) || std::isnan(got) || std::isinf(got)) {
        if (!(std::isnan(r) && std::isnan(got)) && got != static_cast<float>(r) && !(std::isinf(got) && std::isinf(static_cast<float>(r)) && (got > 0) == (r > 0))) {
          if (worst < 1e30) { worst = 1e30; worst_x = in[i]; }
        }
        continue;
      }
      // results that round to ±Inf in float count as exact when got is Inf
      double e = std::fabs(got - r) / ulp_of(r);
      if (e > worst) { worst = e; worst_x = in[i]; }
    }
    count += n;
  };
  size_t n = 0;
  for (uint64_t b = 0; b < (1ull << 32); b += stride) {
    uint32_t u = static_cast<uint32_t>(b);
    float x;
    std::memcpy(&x, &u, 4);
    if (!(x >= lo && x <= hi)) continue;
    in[n++] = x;
    if (n == B) { flush(n); n = 0; }
  }
  flush(n);
  std::printf("%-8s [%g, %g]: %zu inputs, max %.3f ulp at x=%.9g (got %.9g, ref %.9g)\n", name, lo, hi, count, worst,
              worst_x, f(worst_x), ref(static_cast<double>(worst_x)));
}

static int fails = 0;
static void expect(const char* what, float got, float want) {
  bool ok = (std::isnan(want) && std::isnan(got)) || (got == want && std::signbit(got) == std::signbit(want));
  if (!ok) { std::printf("SPECIAL FAIL %s: got %g want %g\n", what, got, want); ++fails; }
}

int main(int argc, char** argv) {
  unsigned stride = argc > 1 ? std::atoi(argv[1]) : 17;
  const float INF = INFINITY, NAN_ = NAN, BIG = 3.4e38f;
  sweep("exp", [](float x) { return vm::exp(x); }, [](double x) { return std::exp(x); }, -BIG, BIG, stride);
  sweep("log", [](float x) { return vm::log(x); }, [](double x) { return std::log(x); }, 0, BIG, stride);
  sweep("log1p", [](float x) { return vm::log1p(x); }, [](double x) { return std::log1p(x); }, -1, BIG, stride);
  sweep("expm1", [](float x) { return vm::expm1(x); }, [](double x) { return std::expm1(x); }, -BIG, BIG, stride);
  sweep("tanh", [](float x) { return vm::tanh(x); }, [](double x) { return std::tanh(x); }, -BIG, BIG, stride);
  sweep("erf", [](float x) { return vm::erf(x); }, [](double x) { return std::erf(x); }, -BIG, BIG, stride);
  sweep("sigmoid", [](float x) { return vm::sigmoid(x); }, [](double x) { return 1.0 / (1.0 + std::exp(-x)); }, -BIG, BIG, stride);
  sweep("softplus", [](float x) { return vm::softplus(x); }, [](double x) { return x > 30 ? x : std::log1p(std::exp(x)); }, -BIG, BIG, stride);
  sweep("sin", [](float x) { return vm::sin_reduced(x); }, [](double x) { return std::sin(x); }, -vm::kTrigMaxArg, vm::kTrigMaxArg, stride);
  sweep("cos", [](float x) { return vm::cos_reduced(x); }, [](double x) { return std::cos(x); }, -vm::kTrigMaxArg, vm::kTrigMaxArg, stride);
  sweep("pow2.5", [](float x) { return vm::pow(x, 2.5f); }, [](double x) { return std::pow(x, 2.5); }, 0, BIG, stride);
  sweep("pow-1.7", [](float x) { return vm::pow(x, -1.7f); }, [](double x) { return std::pow(x, (double)-1.7f); }, 0, BIG, stride);
  sweep("pow(1.0001,y)", [](float y) { return vm::pow(1.0001f, y); }, [](double y) { return std::pow((double)1.0001f, y); }, -BIG, BIG, stride);
  sweep("pow(x,3)", [](float x) { return vm::pow(x, 3.0f); }, [](double x) { return std::pow(x, 3.0); }, -BIG, BIG, stride);
  sweep("pow(0.3,y)", [](float y) { return vm::pow(0.3f, y); }, [](double y) { return std::pow((double)0.3f, y); }, -BIG, BIG, stride);
  sweep("rint", [](float x) { return vm::rint(x); }, [](double x) { return std::nearbyint(x); }, -BIG, BIG, stride);
  sweep("floor", [](float x) { return vm::floor(x); }, [](double x) { return std::floor(x); }, -BIG, BIG, stride);
  sweep("ceil", [](float x) { return vm::ceil(x); }, [](double x) { return std::ceil(x); }, -BIG, BIG, stride);
  sweep("trunc", [](float x) { return vm::trunc(x); }, [](double x) { return std::trunc(x); }, -BIG, BIG, stride);

  expect("exp(-inf)", vm::exp(-INF), 0);
  expect("exp(inf)", vm::exp(INF), INF);
  expect("exp(nan)", vm::exp(NAN_), NAN_);
  expect("exp(89)", vm::exp(89), INF);
  expect("exp(-110)", vm::exp(-110), 0);
  expect("exp(0)", vm::exp(0), 1);
  expect("log(0)", vm::log(0), -INF);
  expect("log(-0)", vm::log(-0.0f), -INF);
  expect("log(-1)", vm::log(-1), NAN_);
  expect("log(inf)", vm::log(INF), INF);
  expect("log(nan)", vm::log(NAN_), NAN_);
  expect("log(1)", vm::log(1), 0);
  expect("log1p(-1)", vm::log1p(-1), -INF);
  expect("log1p(-2)", vm::log1p(-2), NAN_);
  expect("log1p(inf)", vm::log1p(INF), INF);
  expect("log1p(0)", vm::log1p(0), 0);
  expect("log1p(-0)", vm::log1p(-0.0f), -0.0f);
  expect("expm1(-inf)", vm::expm1(-INF), -1);
  expect("expm1(inf)", vm::expm1(INF), INF);
  expect("expm1(-0)", vm::expm1(-0.0f), -0.0f);
  expect("tanh(inf)", vm::tanh(INF), 1);
  expect("tanh(-inf)", vm::tanh(-INF), -1);
  expect("tanh(nan)", vm::tanh(NAN_), NAN_);
  expect("tanh(-0)", vm::tanh(-0.0f), -0.0f);
  expect("erf(inf)", vm::erf(INF), 1);
  expect("erf(-inf)", vm::erf(-INF), -1);
  expect("erf(nan)", vm::erf(NAN_), NAN_);
  expect("erf(-0)", vm::erf(-0.0f), -0.0f);
  expect("sigmoid(inf)", vm::sigmoid(INF), 1);
  expect("sigmoid(-inf)", vm::sigmoid(-INF), 0);
  expect("sigmoid(nan)", vm::sigmoid(NAN_), NAN_);
  expect("softplus(inf)", vm::softplus(INF), INF);
  expect("softplus(-inf)", vm::softplus(-INF), 0);
  expect("softplus(nan)", vm::softplus(NAN_), NAN_);
  // JavaScript Math.pow special cases
  expect("pow(nan,0)", vm::pow(NAN_, 0), 1);
  expect("pow(1,nan)", vm::pow(1, NAN_), NAN_);
  expect("pow(1,inf)", vm::pow(1, INF), NAN_);
  expect("pow(-1,-inf)", vm::pow(-1, -INF), NAN_);
  expect("pow(-2,0.5)", vm::pow(-2, 0.5f), NAN_);
  expect("pow(-2,3)", vm::pow(-2, 3), -8);
  expect("pow(-2,2)", vm::pow(-2, 2), 4);
  expect("pow(-2,-1)", vm::pow(-2, -1), -0.5f);
  expect("pow(0,-1)", vm::pow(0, -1), INF);
  expect("pow(-0,-1)", vm::pow(-0.0f, -1), -INF);
  expect("pow(-0,-2)", vm::pow(-0.0f, -2), INF);
  expect("pow(-0,3)", vm::pow(-0.0f, 3), -0.0f);
  expect("pow(-0,0.5)", vm::pow(-0.0f, 0.5f), 0);
  expect("pow(0,0.001)", vm::pow(0, 0.001f), 0);
  expect("pow(inf,0.001)", vm::pow(INF, 0.001f), INF);
  expect("pow(inf,-2)", vm::pow(INF, -2), 0);
  expect("pow(-inf,3)", vm::pow(-INF, 3), -INF);
  expect("pow(-inf,-3)", vm::pow(-INF, -3), -0.0f);
  expect("pow(-inf,0.5)", vm::pow(-INF, 0.5f), INF);
  expect("pow(2,inf)", vm::pow(2, INF), INF);
  expect("pow(0.5,inf)", vm::pow(0.5f, INF), 0);
  expect("pow(2,-inf)", vm::pow(2, -INF), 0);
  expect("pow(-2,inf)", vm::pow(-2, INF), INF);
  expect("pow(2,128)", vm::pow(2, 128), INF);
  expect("pow(2,-149)", vm::pow(2, -149), 1.4e-45f);
  expect("pow(2,-150)", vm::pow(2, -150), 0);
  expect("pow(-3,16777217)", vm::pow(-3, 16777216.f), INF);
  expect("pow(-1,16777215)", vm::pow(-1, 16777215.f), -1);
  expect("rint(2.5)", vm::rint(2.5f), 2);
  expect("rint(-0.5)", vm::rint(-0.5f), -0.0f);
  expect("floor(-0)", vm::floor(-0.0f), -0.0f);
  expect("floor(-0.5)", vm::floor(-0.5f), -1);
  expect("ceil(-0.5)", vm::ceil(-0.5f), -0.0f);
  expect("trunc(-2.7)", vm::trunc(-2.7f), -2);
  std::printf("special-value checks: %s\n", fails ? "FAILED" : "all passed");
  return fails ? 1 : 0;
}
