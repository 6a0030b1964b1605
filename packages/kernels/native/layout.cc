// The strided N-d copy engine behind the layout kernels, and its N-API entry points.
//
// A copy is a list of dims (size, destination stride, source stride), outermost first. After dropping
// size-1 dims and merging dims that stay adjacent in both buffers, the innermost dim picks the loop:
//   - contiguous in both buffers: one memcpy per row (Slice, SplitV, the [B,T,H,D] <-> [B,H,T,D]
//     head transposes, Pad's interior, Tile);
//   - contiguous in the destination only, with another dim contiguous in the source: a 2-D transpose
//     in 8x8 register tiles over 32x32 blocks (AVX2 when available);
//   - otherwise a strided gather loop (reversed or broadcast dims, bytes).
// The outer dims are walked with an odometer (no division per row); large copies are split over the
// thread pool in chunks of whole rows or tile slabs.
#include "layout.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "common.h"
#include "cpu.h"
#include "layout_args.h"
#include "pool.h"

namespace ml {
namespace layout {

TransposeBlockFn transpose_block() {
  static const TransposeBlockFn fn =
      simd_level() >= Simd::Avx2 ? &transpose_block_avx2 : &transpose_block_generic;
  return fn;
}

bool normalize(std::vector<Dim>& dims) {
  std::vector<Dim> out;
  out.reserve(dims.size());
  for (const Dim& d : dims) {
    if (d.n == 0) return false;
    if (d.n == 1) continue;
    if (!out.empty()) {
      Dim& p = out.back();
      if (p.ds == d.ds * d.n && p.ss == d.ss * d.n) {
        p = Dim{p.n * d.n, d.ds, d.ss};
        continue;
      }
    }
    out.push_back(d);
  }
  dims.swap(out);
  return true;
}

namespace {

// Elements moved per parallel chunk, at least; copies smaller than two chunks run inline.
constexpr int64_t kGrainElems = 32768;

// Walks items [b, e) of the row-major product of `d` (r dims), calling f(dst_offset, src_offset).
template <typename F>
inline void walk(const Dim* d, int r, int64_t b, int64_t e, F&& f) {
  int64_t idx[kMaxRank];
  int64_t doff = 0, soff = 0, rem = b;
  for (int k = r - 1; k >= 0; --k) {
    idx[k] = rem % d[k].n;
    rem /= d[k].n;
    doff += idx[k] * d[k].ds;
    soff += idx[k] * d[k].ss;
  }
  for (int64_t i = b; i < e; ++i) {
    f(doff, soff);
    for (int k = r - 1; k >= 0; --k) {
      doff += d[k].ds;
      soff += d[k].ss;
      if (++idx[k] < d[k].n) break;
      doff -= d[k].n * d[k].ds;
      soff -= d[k].n * d[k].ss;
      idx[k] = 0;
    }
  }
}

template <typename T>
inline void copy_row(T* __restrict d, const T* __restrict s, int64_t n) {
  if (n * static_cast<int64_t>(sizeof(T)) >= 64) {
    std::memcpy(d, s, static_cast<size_t>(n) * sizeof(T));
  } else {
    for (int64_t i = 0; i < n; ++i) d[i] = s[i];
  }
}

template <typename T>
inline void gather_row(T* __restrict d, int64_t ds, const T* __restrict s, int64_t ss, int64_t n) {
  if (ds == 1) {
    for (int64_t i = 0; i < n; ++i) d[i] = s[i * ss];
  } else {
    for (int64_t i = 0; i < n; ++i) d[i * ds] = s[i * ss];
  }
}

// Runs fn(b, e) over [0, items), in parallel when the copy moves enough elements.
template <typename F>
void run_items(int64_t items, int64_t elems_per_item, F&& fn) {
  const int64_t per = std::max<int64_t>(1, elems_per_item);
  if (items <= 1 || items * per < 2 * kGrainElems || num_threads() == 1) {
    fn(int64_t{0}, items);
    return;
  }
  const int64_t grain = std::max<int64_t>(1, kGrainElems / per);
  parallel_for(items, grain, [&](int64_t b, int64_t e) { fn(b, e); });
}

template <typename T>
void copy_nd(T* dst, const T* src, std::vector<Dim> dims) {
  if (dims.size() > static_cast<size_t>(kMaxRank)) throw ArgError{"layout copy: rank above 64"};
  if (!normalize(dims)) return;
  if (dims.empty()) {
    *dst = *src;
    return;
  }
  const int r = static_cast<int>(dims.size());
  const Dim L = dims[r - 1];

  // 1-D: a contiguous run or a single strided row, split into chunks.
  if (r == 1) {
    if (L.ds == 1 && L.ss == 1) {
      const int64_t chunk = 65536;
      const int64_t items = (L.n + chunk - 1) / chunk;
      run_items(items, chunk, [&](int64_t b, int64_t e) {
        const int64_t s = b * chunk, len = std::min(L.n, e * chunk) - s;
        std::memcpy(dst + s, src + s, static_cast<size_t>(len) * sizeof(T));
      });
    } else {
      const int64_t chunk = 16384;
      const int64_t items = (L.n + chunk - 1) / chunk;
      run_items(items, chunk, [&](int64_t b, int64_t e) {
        const int64_t s = b * chunk, len = std::min(L.n, e * chunk) - s;
        gather_row(dst + s * L.ds, L.ds, src + s * L.ss, L.ss, len);
      });
    }
    return;
  }

  // Contiguous rows in both buffers.
  if (L.ds == 1 && L.ss == 1) {
    int64_t rows = 1;
    for (int k = 0; k < r - 1; ++k) rows *= dims[k].n;
    run_items(rows, L.n, [&](int64_t b, int64_t e) {
      walk(dims.data(), r - 1, b, e, [&](int64_t d, int64_t s) { copy_row(dst + d, src + s, L.n); });
    });
    return;
  }

  // 2-D transpose tiles: destination-contiguous inner dim L, source-contiguous dim J elsewhere.
  if (sizeof(T) == 4 && L.ds == 1 && L.n >= 8) {
    int jpos = -1;
    for (int k = r - 2; k >= 0; --k)
      if (dims[k].ss == 1 && dims[k].n >= 8 && L.ss > 0 && dims[k].ds > 0) {
        jpos = k;
        break;
      }
    if (jpos >= 0) {
      const Dim J = dims[jpos];
      constexpr int64_t JB = 64;  // J elements per work item (a slab of JB x L.n)
      std::vector<Dim> outer;
      for (int k = 0; k < r - 1; ++k)
        if (k != jpos) outer.push_back(dims[k]);
      const int64_t nb = (J.n + JB - 1) / JB;
      outer.push_back(Dim{nb, J.ds * JB, JB});  // the block index, innermost in the walk
      int64_t items = 1;
      for (const Dim& o : outer) items *= o.n;
      const TransposeBlockFn tb = transpose_block();
      const int ro = static_cast<int>(outer.size());
      auto* d32 = reinterpret_cast<uint32_t*>(dst);
      auto* s32 = reinterpret_cast<const uint32_t*>(src);
      run_items(items, JB * L.n, [&](int64_t b, int64_t e) {
        int64_t i = b;
        walk(outer.data(), ro, b, e, [&](int64_t d, int64_t s) {
          const int64_t jb = i++ % nb;
          const int64_t nj = std::min(JB, J.n - jb * JB);
          tb(s32 + s, L.ss, d32 + d, J.ds, nj, L.n);
        });
      });
      return;
    }
  }

  // General: one strided row per outer index.
  int64_t rows = 1;
  for (int k = 0; k < r - 1; ++k) rows *= dims[k].n;
  run_items(rows, L.n, [&](int64_t b, int64_t e) {
    walk(dims.data(), r - 1, b, e, [&](int64_t d, int64_t s) { gather_row(dst + d, L.ds, src + s, L.ss, L.n); });
  });
}

// Bounds of every element a copy can touch (offset + sum over dims of the extreme strides).
void check_bounds(const std::vector<Dim>& dims, int64_t doff, int64_t soff, size_t dlen, size_t slen) {
  int64_t dlo = doff, dhi = doff, slo = soff, shi = soff;
  for (const Dim& d : dims) {
    if (d.n <= 0) {
      if (d.n < 0) throw ArgError{"layout copy: negative size"};
      return;
    }
    const int64_t dx = (d.n - 1) * d.ds, sx = (d.n - 1) * d.ss;
    (dx < 0 ? dlo : dhi) += dx;
    (sx < 0 ? slo : shi) += sx;
  }
  if (dlo < 0 || dhi >= static_cast<int64_t>(dlen) || slo < 0 || shi >= static_cast<int64_t>(slen))
    throw ArgError{"layout copy: index out of bounds"};
}

// copyStrided(dst, src, p: Float64Array [rank, dstOffset, srcOffset, (n, dstStride, srcStride) x rank])
napi_value copy_strided_impl(napi_env env, const Args& args) {
  const Raw d = raw_array(args, 0), s = raw_array(args, 1);
  if (d.elem != s.elem) throw ArgError{"copyStrided: element sizes differ"};
  size_t plen;
  const double* p = f64_array(args, 2, &plen);
  if (plen < 3) throw ArgError{"copyStrided: bad parameters"};
  const int64_t rank = static_cast<int64_t>(p[0]);
  if (rank < 0 || rank > kMaxRank || plen < static_cast<size_t>(3 + 3 * rank))
    throw ArgError{"copyStrided: bad rank"};
  const int64_t doff = static_cast<int64_t>(p[1]), soff = static_cast<int64_t>(p[2]);
  std::vector<Dim> dims(static_cast<size_t>(rank));
  for (int64_t k = 0; k < rank; ++k)
    dims[k] = Dim{static_cast<int64_t>(p[3 + 3 * k]), static_cast<int64_t>(p[4 + 3 * k]),
                  static_cast<int64_t>(p[5 + 3 * k])};
  check_bounds(dims, doff, soff, d.len, s.len);
  for (const Dim& x : dims)
    if (x.n == 0) return nullptr;
  if (d.elem == 4)
    copy_nd(static_cast<uint32_t*>(d.data) + doff, static_cast<const uint32_t*>(s.data) + soff, std::move(dims));
  else
    copy_nd(static_cast<uint8_t*>(d.data) + doff, static_cast<const uint8_t*>(s.data) + soff, std::move(dims));
  return nullptr;
}

napi_value copy_strided(napi_env env, napi_callback_info info) {
  ML_NAPI_BODY(env, info, 3, { return copy_strided_impl(env, args); });
}
ML_EXPORT(copyStrided, copy_strided);

// rowsCopy(toPieces, big, outer, pieces: TypedArray[], widths: Float64Array)
// `big` is [outer, sum(widths)] row-major; piece k is [outer, widths[k]]. toPieces: big → pieces
// (SplitV, Unpack); otherwise pieces → big (Concat, Pack). Empty pieces are skipped.
napi_value rows_copy_impl(napi_env env, const Args& args) {
  const bool to_pieces = args.boolean(0);
  const Raw big = raw_array(args, 1);
  const int64_t outer = args.i64(2);
  napi_value arr = args.at(3);
  bool is_arr = false;
  napi_is_array(env, arr, &is_arr);
  if (!is_arr) throw ArgError{"rowsCopy: pieces must be an array"};
  uint32_t np;
  napi_get_array_length(env, arr, &np);
  size_t wlen;
  const double* w = f64_array(args, 4, &wlen);
  if (wlen < np) throw ArgError{"rowsCopy: widths too short"};
  std::vector<char*> ptr(np);
  std::vector<int64_t> width(np), col(np);
  int64_t row = 0;
  for (uint32_t k = 0; k < np; ++k) {
    napi_value e;
    napi_get_element(env, arr, k, &e);
    Args one{env, &e, 1};
    const Raw r = raw_array(one, 0);
    if (r.elem != big.elem) throw ArgError{"rowsCopy: element sizes differ"};
    width[k] = static_cast<int64_t>(w[k]);
    if (width[k] < 0 || static_cast<int64_t>(r.len) < outer * width[k]) throw ArgError{"rowsCopy: piece too small"};
    ptr[k] = static_cast<char*>(r.data);
    col[k] = row;
    row += width[k];
  }
  if (outer < 0 || static_cast<int64_t>(big.len) < outer * row) throw ArgError{"rowsCopy: big array too small"};
  const size_t es = big.elem;
  char* bigp = static_cast<char*>(big.data);
  // Work item = (row, piece); one memcpy each.
  const int64_t items = outer * static_cast<int64_t>(np);
  const int64_t per = np ? row / np + 1 : 1;
  run_items(items, per, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const int64_t o = i / np, k = i % np;
      const int64_t n = width[k];
      if (n == 0) continue;
      char* pk = ptr[k] + static_cast<size_t>(o * n) * es;
      char* bk = bigp + static_cast<size_t>(o * row + col[k]) * es;
      if (to_pieces)
        std::memcpy(pk, bk, static_cast<size_t>(n) * es);
      else
        std::memcpy(bk, pk, static_cast<size_t>(n) * es);
    }
  });
  return nullptr;
}

napi_value rows_copy(napi_env env, napi_callback_info info) {
  ML_NAPI_BODY(env, info, 5, { return rows_copy_impl(env, args); });
}
ML_EXPORT(rowsCopy, rows_copy);

}  // namespace

void copy_nd_u32(uint32_t* dst, const uint32_t* src, std::vector<Dim> dims) { copy_nd(dst, src, std::move(dims)); }
void copy_nd_u8(uint8_t* dst, const uint8_t* src, std::vector<Dim> dims) { copy_nd(dst, src, std::move(dims)); }

}  // namespace layout
}  // namespace ml
