// Elementwise kernels (binary with broadcasting, unary, select, addN): shared declarations.
// The loops live in elementwise_kernels.inc, compiled once per ISA (elementwise_{generic,avx2,avx512}.cc)
// into a function table; elementwise.cc builds the broadcast plan, splits work over the thread pool and
// picks the table from ml::simd_level(). Op codes must match packages/kernels/src/kernels/elementwise.ts.
#pragma once
#include <cstdint>

namespace ml {
namespace ew {

// Binary ops. Value semantics follow tfjs's cpu kernels (JavaScript double arithmetic rounded to the
// output type); see elementwise_kernels.inc for each.
enum BinOp : int {
  kAdd = 0,
  kSub = 1,
  kMul = 2,
  kDiv = 3,
  kMax = 4,
  kMin = 5,
  kPow = 6,
  kSqDiff = 7,
  kFloorDiv = 8,  // float or int32 in, int32 out (tfjs FloorDiv always returns int32)
  kMod = 9,
  kAtan2 = 10,
  kPrelu = 11,  // a = x, b = alpha
  kEqual = 12,  // comparisons: any input type, uint8 (bool) out
  kNotEqual = 13,
  kGreater = 14,
  kGreaterEqual = 15,
  kLess = 16,
  kLessEqual = 17,
  kLogicalAnd = 18,  // uint8 in, uint8 out
  kLogicalOr = 19,
  kBinOpCount = 20,
};

// Unary ops; p0/p1 carry attributes (alpha, clip bounds).
enum UnOp : int {
  kExp = 0,
  kLog = 1,
  kLog1p = 2,
  kExpm1 = 3,
  kTanh = 4,
  kErf = 5,
  kSqrt = 6,
  kRsqrt = 7,
  kSigmoid = 8,
  kRelu = 9,
  kRelu6 = 10,
  kElu = 11,
  kLeakyRelu = 12,  // p0 = alpha
  kNeg = 13,
  kSquare = 14,
  kAbs = 15,
  kSign = 16,
  kStep = 17,  // p0 = alpha
  kReciprocal = 18,
  kSin = 19,
  kCos = 20,
  kSoftplus = 21,
  kClip = 22,  // p0 = min, p1 = max
  kFloor = 23,
  kCeil = 24,
  kRound = 25,
  kIsNan = 26,     // float in, uint8 out
  kIsInf = 27,     // float in, uint8 out
  kIsFinite = 28,  // float in, uint8 out
  kCast = 29,      // float→int32, float→bool, int32→bool (tfjs Cast semantics)
  kLogicalNot = 30,
  kUnOpCount = 31,
};

enum class DType : int { F32 = 0, I32 = 1, U8 = 2 };

constexpr int kMaxRank = 8;

// Broadcast plan after dropping size-1 output dims and merging adjacent dims that are contiguous (or
// broadcast) in both inputs. Strides are in elements; the innermost stride of each input is 0 or 1.
struct BinaryPlan {
  int rank = 0;
  int64_t total = 0;
  int64_t shape[kMaxRank];
  int64_t sa[kMaxRank];
  int64_t sb[kMaxRank];
};

// One ISA's loops. Each processes the flat output range [begin, end) and returns false when the
// op/type combination is not implemented (the caller then falls back to tfjs).
struct Table {
  bool (*binary)(int op, DType in, DType out, const BinaryPlan& plan, const void* a, const void* b, void* o,
                 int64_t begin, int64_t end);
  bool (*unary)(int op, DType in, DType out, const void* x, void* o, int64_t begin, int64_t end, float p0,
                float p1);
  // out[i] = cond[i] ? t[i] : e[i] for 4-byte elements (float32 or int32) or 1-byte elements (bool).
  void (*select)(const uint8_t* cond, const void* t, const void* e, void* o, int elem_size, int64_t begin,
                 int64_t end);
  // out[i] = sum_k in[k][i] (float32 or int32 by `type`), summed in input order like tfjs.
  void (*addn)(const void* const* in, int n_in, DType type, void* o, int64_t begin, int64_t end);
};

const Table& table_generic();
const Table& table_avx2();
const Table& table_avx512();

// Cost class of an op, used to size parallel chunks: 0 = memory bound, 1 = a few flops, 2 = transcendental,
// 3 = scalar library call per element.
int binary_cost(int op);
int unary_cost(int op);

}  // namespace ew
}  // namespace ml
