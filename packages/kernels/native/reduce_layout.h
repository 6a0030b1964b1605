// Shape bookkeeping shared by the reduction drivers: canonical (merged) layouts and an odometer that
// walks the offsets of a set of strided dimensions.
#pragma once
#include <cstdint>
#include <utility>
#include <vector>

namespace ml {
namespace reduce {

struct Dim {
  int64_t n;
  int64_t stride;  // in elements, of the contiguous row-major input
  bool red;        // reduced (true) or kept
};

// The input's dims with size-1 dims dropped and adjacent dims of the same kind merged. Kept and
// reduced dims alternate in the result. Precondition: no dim is 0.
inline std::vector<Dim> canonical_dims(const std::vector<int64_t>& shape, const std::vector<bool>& red) {
  const size_t r = shape.size();
  std::vector<int64_t> strides(r);
  int64_t s = 1;
  for (size_t i = r; i-- > 0;) {
    strides[i] = s;
    s *= shape[i];
  }
  std::vector<Dim> out;
  for (size_t i = 0; i < r; ++i) {
    if (shape[i] == 1) continue;
    if (!out.empty() && out.back().red == red[i]) {
      // contiguous input: the previous dim's stride is this dim's stride times its size
      out.back().n *= shape[i];
      out.back().stride = strides[i];
    } else {
      out.push_back({shape[i], strides[i], red[i]});
    }
  }
  return out;
}

// Walks all index combinations of `dims` (outer to inner), giving the summed offset of each.
class Odometer {
 public:
  explicit Odometer(std::vector<Dim> dims) : dims_(std::move(dims)) {
    count_ = 1;
    for (const Dim& d : dims_) count_ *= d.n;
  }
  int64_t count() const { return count_; }
  // Offset of the linear combination `q` (q < count()).
  int64_t offset_of(int64_t q) const {
    int64_t off = 0;
    for (size_t i = dims_.size(); i-- > 0;) {
      off += (q % dims_[i].n) * dims_[i].stride;
      q /= dims_[i].n;
    }
    return off;
  }
  // Calls fn(offset) for every combination, in row-major order.
  template <typename Fn>
  void for_each(Fn&& fn) const {
    const size_t m = dims_.size();
    if (m == 0) {
      fn(int64_t{0});
      return;
    }
    if (m == 1) {
      for (int64_t q = 0; q < dims_[0].n; ++q) fn(q * dims_[0].stride);
      return;
    }
    std::vector<int64_t> idx(m, 0);
    int64_t off = 0;
    for (int64_t q = 0; q < count_; ++q) {
      fn(off);
      for (size_t i = m; i-- > 0;) {
        off += dims_[i].stride;
        if (++idx[i] < dims_[i].n) break;
        off -= dims_[i].stride * dims_[i].n;
        idx[i] = 0;
      }
    }
  }

 private:
  std::vector<Dim> dims_;
  int64_t count_;
};

}  // namespace reduce
}  // namespace ml
