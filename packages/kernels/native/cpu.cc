#include "cpu.h"

#include <cstdlib>
#include <cstring>

namespace ml {

static Simd detect() {
  Simd best = Simd::Generic;
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) best = Simd::Avx2;
  if (best == Simd::Avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl"))
    best = Simd::Avx512;
#endif
  if (const char* s = std::getenv("MECHLENS_SIMD")) {
    Simd want = best;
    if (!std::strcmp(s, "generic")) want = Simd::Generic;
    else if (!std::strcmp(s, "avx2")) want = Simd::Avx2;
    else if (!std::strcmp(s, "avx512")) want = Simd::Avx512;
    if (static_cast<int>(want) < static_cast<int>(best)) best = want;
  }
  return best;
}

Simd simd_level() {
  static const Simd level = detect();
  return level;
}

const char* simd_name(Simd s) {
  switch (s) {
    case Simd::Avx512: return "avx512";
    case Simd::Avx2: return "avx2";
    default: return "generic";
  }
}

}  // namespace ml
