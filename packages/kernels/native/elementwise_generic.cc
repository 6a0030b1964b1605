// Elementwise loops compiled for baseline x86-64 (SSE2) or any other architecture; see elementwise_kernels.inc.
#include <cstdint>

#include "elementwise.h"
#include "vmath.h"

namespace ml {
namespace ew {
namespace isa_generic {
#include "elementwise_kernels.inc"
}  // namespace isa_generic

const Table& table_generic() { return isa_generic::kTable; }

}  // namespace ew
}  // namespace ml
