// TopK over the last axis, in parallel over rows, with tfjs's order: values descending, ties broken
// by the lower index. Small k (the common case: k = 32 of 24576 SAE latents, or a few of a 50257
// vocabulary) keeps a k-element heap of the best seen so far and skips every 64-value block with
// nothing above the heap's worst value (a vectorized scan from the ISA table, reduce_body.inc); large
// k uses nth_element and a sort of the k winners.
// Rows with ±Inf or NaN make the call report failure so the caller defers to tfjs (its comparator
// treats Inf - Inf as NaN, whose order is implementation-defined).
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <vector>

#include "common.h"
#include "pool.h"
#include "reduce.h"

namespace ml {
namespace {

struct Item {
  float v;
  int32_t i;
};
// a ranks before b: larger value, or the same value at a lower index.
inline bool ranks_before(const Item& a, const Item& b) { return a.v > b.v || (a.v == b.v && a.i < b.i); }

inline bool is_finite(float v) { return v - v == 0.0f; }

// Restores the heap property (worst item at 0, by ranks_before) after heap[0] was replaced.
inline void sift_down(Item* h, int64_t k) {
  int64_t p = 0;
  const Item it = h[0];
  for (;;) {
    int64_t c = 2 * p + 1;
    if (c >= k) break;
    if (c + 1 < k && ranks_before(h[c], h[c + 1])) ++c;  // the worse child
    if (!ranks_before(it, h[c])) break;                 // the child is not worse than it
    h[p] = h[c];
    p = c;
  }
  h[p] = it;
}

// Offers x[j] (index j, later than every heap member) to the heap.
inline void offer(Item* h, int64_t k, float v, int64_t j) {
  if (v > h[0].v) {  // equal values lose: the heap's items have lower indices
    h[0] = {v, static_cast<int32_t>(j)};
    sift_down(h, k);
  }
}

// Returns false if the row has a non-finite value.
bool topk_heap(const float* x, int64_t n, int64_t k, Item* h, reduce::ScanAboveFn scan) {
  bool finite = true;
  for (int64_t j = 0; j < k; ++j) {
    h[j] = {x[j], static_cast<int32_t>(j)};
    finite &= is_finite(x[j]);
  }
  std::make_heap(h, h + k, ranks_before);  // the max by ranks_before is the worst item
  int64_t j = k;
  int32_t bad = 0;
  for (;;) {
    const int64_t hit = j + scan(x + j, n - j, h[0].v, &bad);
    if (hit + 64 > n) {  // no whole block left: the rest one by one
      for (j = hit; j < n; ++j) {
        finite &= is_finite(x[j]);
        offer(h, k, x[j], j);
      }
      break;
    }
    for (int64_t l = hit; l < hit + 64; ++l) offer(h, k, x[l], l);  // the block's flags are in `bad`
    j = hit + 64;
  }
  std::sort(h, h + k, ranks_before);
  return finite && bad == 0;
}

bool topk_partial_sort(const float* x, int64_t n, int64_t k, Item* items) {
  bool finite = true;
  for (int64_t j = 0; j < n; ++j) {
    items[j] = {x[j], static_cast<int32_t>(j)};
    finite &= is_finite(x[j]);
  }
  if (!finite) return false;
  if (k < n) std::nth_element(items, items + k, items + n, ranks_before);
  std::sort(items, items + k, ranks_before);
  return true;
}

// topk(x: Float32Array, rows, n, k, values: Float32Array, indices: Int32Array) -> boolean
// false: some value was ±Inf/NaN and the outputs are incomplete (use tfjs's kernel instead).
napi_value topk_impl(napi_env env, const Args& args) {
  size_t xlen, vlen, ilen;
  const float* x = args.f32(0, &xlen);
  const int64_t rows = args.i64(1), n = args.i64(2), k = args.i64(3);
  float* ov = args.f32(4, &vlen);
  int32_t* oi = args.i32arr(5, &ilen);
  if (rows < 0 || n < 0 || k < 0 || k > n) throw ArgError{"topk: bad sizes"};
  if (static_cast<int64_t>(xlen) < rows * n || static_cast<int64_t>(vlen) < rows * k ||
      static_cast<int64_t>(ilen) < rows * k)
    throw ArgError{"topk: array too short"};
  std::atomic<bool> ok{true};
  if (k > 0 && rows > 0) {
    const bool use_heap = n >= 64 && k * 8 < n;
    const reduce::ScanAboveFn scan = reduce::isa().scan_above_f32;
    parallel_for(rows, std::max<int64_t>(1, 65536 / n), [&](int64_t b, int64_t e) {
      std::vector<Item> buf(use_heap ? k : n);
      for (int64_t r = b; r < e && ok.load(std::memory_order_relaxed); ++r) {
        const float* xr = x + r * n;
        bool fine;
        if (use_heap) {
          fine = topk_heap(xr, n, k, buf.data(), scan);
        } else {
          fine = topk_partial_sort(xr, n, k, buf.data());
        }
        if (!fine) {
          ok.store(false, std::memory_order_relaxed);
          break;
        }
        for (int64_t j = 0; j < k; ++j) {
          ov[r * k + j] = buf[j].v;
          oi[r * k + j] = buf[j].i;
        }
      }
    });
  }
  napi_value result;
  napi_get_boolean(env, ok.load(), &result);
  return result;
}

napi_value topk_entry(napi_env env, napi_callback_info info) {
  ML_NAPI_BODY(env, info, 6, { return topk_impl(env, args); });
}
ML_EXPORT(topk, topk_entry);

}  // namespace
}  // namespace ml
