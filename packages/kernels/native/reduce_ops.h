// Scalar combine rules of the reductions, shared by the ISA loops (reduce_body.inc) and the drivers.
// In an anonymous namespace on purpose: files compiled with different ISA flags each get their own
// copy, so the linker can never hand an AVX-512 instantiation to baseline code.
#pragma once

namespace ml {
namespace reduce {
namespace {

struct SumOp {
  template <typename A>
  static A combine(A a, A b) { return a + b; }
};
struct ProdOp {
  template <typename A>
  static A combine(A a, A b) { return a * b; }
};
// NaN-propagating max/min: b replaces a when b is NaN or strictly better.
struct MaxOp {
  template <typename A>
  static A combine(A a, A b) { return (b > a || b != b) ? b : a; }
};
struct MinOp {
  template <typename A>
  static A combine(A a, A b) { return (b < a || b != b) ? b : a; }
};

}  // namespace
}  // namespace reduce
}  // namespace ml
