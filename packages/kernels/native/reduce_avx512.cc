// Reduction inner loops compiled for the avx512 ISA level (see reduce_body.inc).
#include <cstdint>
#include <cstring>
#include <limits>

#include "reduce.h"
#include "reduce_ops.h"
#include "reduce_vexp.h"

namespace ml {
namespace reduce {
namespace isa_avx512_impl {
#include "reduce_body.inc"
}  // namespace isa_avx512_impl

const Isa& isa_avx512() { return isa_avx512_impl::table(); }

}  // namespace reduce
}  // namespace ml
