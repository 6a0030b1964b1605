// Reduction inner loops compiled for the generic ISA level (see reduce_body.inc).
#include <cstdint>
#include <cstring>
#include <limits>

#include "reduce.h"
#include "reduce_ops.h"
#include "reduce_vexp.h"

namespace ml {
namespace reduce {
namespace isa_generic_impl {
#include "reduce_body.inc"
}  // namespace isa_generic_impl

const Isa& isa_generic() { return isa_generic_impl::table(); }

}  // namespace reduce
}  // namespace ml
