// Run-time CPU feature dispatch. Kernels with ISA-specific variants call simd_level() once and pick.
#pragma once

namespace ml {

enum class Simd { Generic = 0, Avx2 = 1, Avx512 = 2 };

// The best level this CPU supports, lowered by MECHLENS_SIMD=generic|avx2|avx512 (never raised past
// what the CPU has). Decided once, on first use.
Simd simd_level();
const char* simd_name(Simd s);

}  // namespace ml
