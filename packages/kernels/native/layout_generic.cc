// Portable (SSE2 baseline) 2-D transpose tile for the layout kernels.
#include <cstdint>

#include "layout.h"

namespace ml {
namespace layout {
namespace {

inline void tile8(const uint32_t* s, int64_t ss, uint32_t* d, int64_t ds) {
  uint32_t t[8][8];
  for (int l = 0; l < 8; ++l)
    for (int j = 0; j < 8; ++j) t[j][l] = s[l * ss + j];
  for (int j = 0; j < 8; ++j)
    for (int l = 0; l < 8; ++l) d[j * ds + l] = t[j][l];
}

#include "layout_transpose.inc"

}  // namespace

void transpose_block_generic(const uint32_t* s, int64_t ss, uint32_t* d, int64_t ds, int64_t nj, int64_t nl) {
  transpose_block_body(s, ss, d, ds, nj, nl);
}

}  // namespace layout
}  // namespace ml
