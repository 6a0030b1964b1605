// The fused kernels compiled for the avx2 instruction set (see fused_body.inc).
#include <cmath>
#include <cstdint>
#include <cstring>

#include "fused.h"
#include "vmath.h"

namespace ml {
namespace fused {
namespace impl_avx2 {
#define ML_FUSED_LANES 16
#include "fused_body.inc"
#undef ML_FUSED_LANES
}  // namespace impl_avx2

const Isa& isa_avx2() { return impl_avx2::kIsa; }

}  // namespace fused
}  // namespace ml
