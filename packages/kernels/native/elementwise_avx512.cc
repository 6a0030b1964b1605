// Elementwise loops compiled for AVX-512 F/BW/DQ/VL (build.mjs adds the -mavx512* flags); see elementwise_kernels.inc.
#include <cstdint>

#include "elementwise.h"
#include "vmath.h"

namespace ml {
namespace ew {
namespace isa_avx512 {
#include "elementwise_kernels.inc"
}  // namespace isa_avx512

const Table& table_avx512() { return isa_avx512::kTable; }

}  // namespace ew
}  // namespace ml
