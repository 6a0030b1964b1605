// The fused kernels compiled for the generic instruction set (see fused_body.inc).
#include <cmath>
#include <cstdint>
#include <cstring>

#include "fused.h"
#include "vmath.h"

namespace ml {
namespace fused {
namespace impl_generic {
#define ML_FUSED_LANES 16
#include "fused_body.inc"
#undef ML_FUSED_LANES
}  // namespace impl_generic

const Isa& isa_generic() { return impl_generic::kIsa; }

}  // namespace fused
}  // namespace ml
