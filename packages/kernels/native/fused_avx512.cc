// The fused kernels compiled for the avx512 instruction set (see fused_body.inc).
#include <cmath>
#include <cstdint>
#include <cstring>

#include "fused.h"
#include "vmath.h"

namespace ml {
namespace fused {
namespace impl_avx512 {
#define ML_FUSED_LANES 32
#include "fused_body.inc"
#undef ML_FUSED_LANES
}  // namespace impl_avx512

const Isa& isa_avx512() { return impl_avx512::kIsa; }

}  // namespace fused
}  // namespace ml
