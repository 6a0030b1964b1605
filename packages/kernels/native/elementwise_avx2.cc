// Elementwise loops compiled for AVX2 + FMA (build.mjs adds -mavx2 -mfma -mf16c); see elementwise_kernels.inc.
#include <cstdint>

#include "elementwise.h"
#include "vmath.h"

namespace ml {
namespace ew {
namespace isa_avx2 {
#include "elementwise_kernels.inc"
}  // namespace isa_avx2

const Table& table_avx2() { return isa_avx2::kTable; }

}  // namespace ew
}  // namespace ml
