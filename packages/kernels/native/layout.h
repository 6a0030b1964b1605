// Data-movement ("layout") kernels: one strided N-d copy engine that Transpose, Slice, StridedSlice,
// Reverse, Tile, PadV2 and MirrorPad reduce to, row copies for SplitV / Concat / Pack / Unpack, and
// row gathers for GatherV2 / GatherNd (gather.cc). Elements are moved as opaque 4-byte words
// (float32 and int32 share one path, NaN payloads are preserved bit for bit) or as bytes (bool).
#pragma once
#include <cstdint>
#include <vector>

namespace ml {
namespace layout {

// One dimension of a strided copy: n elements, destination and source strides in elements (source
// strides may be negative or zero: reversed or broadcast dims).
struct Dim {
  int64_t n;
  int64_t ds;
  int64_t ss;
};

constexpr int kMaxRank = 64;

// Drops size-1 dims and merges neighbours that stay adjacent in both destination and source.
// Returns false when some dim has size 0 (nothing to copy). `dims` is given outermost first.
bool normalize(std::vector<Dim>& dims);

// dst[sum i_k*ds_k] = src[sum i_k*ss_k] over every index tuple; dims outermost first (destination
// order). Regions must not overlap. Splits large copies over the thread pool.
void copy_nd_u32(uint32_t* dst, const uint32_t* src, std::vector<Dim> dims);
void copy_nd_u8(uint8_t* dst, const uint8_t* src, std::vector<Dim> dims);

// d[j*ds + l] = s[l*ss + j] for j < nj, l < nl (a 2-D transpose of 4-byte words; ss, ds >= 1).
using TransposeBlockFn = void (*)(const uint32_t* s, int64_t ss, uint32_t* d, int64_t ds, int64_t nj, int64_t nl);

// Per-ISA implementations (layout_generic.cc, layout_avx2.cc).
void transpose_block_generic(const uint32_t* s, int64_t ss, uint32_t* d, int64_t ds, int64_t nj, int64_t nl);
void transpose_block_avx2(const uint32_t* s, int64_t ss, uint32_t* d, int64_t ds, int64_t nj, int64_t nl);

// The best transpose_block for this CPU (honours MECHLENS_SIMD).
TransposeBlockFn transpose_block();

}  // namespace layout
}  // namespace ml
