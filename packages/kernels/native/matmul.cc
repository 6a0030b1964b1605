// N-API entry points of the matmul kernels (BatchMatMul, _FusedMatMul) and a raw SGEMM binding used by
// tests and benchmarks. Batch dimensions broadcast numpy-style; transposes are passed to the SGEMM as
// flags (never materialized); bias and activation run on each finished C block (GemmEpilogue).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "common.h"
#include "sgemm.h"

namespace ml {
namespace {

enum Act { kLinear = 0, kRelu = 1, kRelu6 = 2, kElu = 3, kLeakyRelu = 4, kSigmoid = 5, kPrelu = 6 };

int64_t prod(const std::vector<int64_t>& v, size_t from = 0, size_t to = SIZE_MAX) {
  int64_t n = 1;
  for (size_t i = from; i < v.size() && i < to; ++i) n *= v[i];
  return n;
}

// An operand broadcast against the output shape: element strides per output dim (0 = broadcast).
struct Bcast {
  const float* data = nullptr;
  std::vector<int64_t> strides;  // one per output dim
};

// Strides of `shape` (right-aligned) broadcast to `out`; throws if it does not broadcast to exactly `out`.
std::vector<int64_t> bcast_strides(const std::vector<int64_t>& shape, const std::vector<int64_t>& out, const char* what) {
  if (shape.size() > out.size()) throw ArgError{std::string(what) + " has more dims than the output"};
  std::vector<int64_t> st(out.size(), 0);
  int64_t s = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    const size_t si = shape.size() - 1 - i, oi = out.size() - 1 - i;
    if (shape[si] != out[oi] && shape[si] != 1) throw ArgError{std::string(what) + " does not broadcast to the output"};
    st[oi] = shape[si] == 1 ? 0 : s;
    s *= shape[si];
  }
  return st;
}

struct FusedCtx {
  std::vector<int64_t> out;  // output shape: batch dims..., M, N
  Bcast bias, prelu;
  int act = kLinear;
  double leaky = 0.2;
  int64_t N = 0;

  // Element offset of (global row R, column 0) in a broadcast operand.
  int64_t row_offset(const Bcast& b, int64_t R) const {
    int64_t off = 0;
    for (size_t d = out.size() - 1; d-- > 0;) {
      const int64_t n = out[d];
      off += (R % n) * b.strides[d];
      R /= n;
    }
    return off;
  }
};

inline float apply_act(int act, float v, double leaky, float slope) {
  switch (act) {
    case kRelu: return v != v ? v : (v > 0.0f ? v : 0.0f);
    case kRelu6: return v != v ? v : (v > 0.0f ? (v < 6.0f ? v : 6.0f) : 0.0f);
    case kElu: return v >= 0.0f ? v : static_cast<float>(std::exp(static_cast<double>(v)) - 1.0);
    case kLeakyRelu: return v < 0.0f ? static_cast<float>(leaky * static_cast<double>(v)) : v;
    case kSigmoid: return static_cast<float>(1.0 / (1.0 + std::exp(-static_cast<double>(v))));
    case kPrelu: return v < 0.0f ? slope * v : v;
    default: return v;
  }
}

template <int ACT>
void act_row(float* c, int64_t n, double leaky, const float* slopes, int64_t sstride) {
  for (int64_t j = 0; j < n; ++j) c[j] = apply_act(ACT, c[j], leaky, ACT == kPrelu ? slopes[j * sstride] : 0.0f);
}

void fused_epilogue(const void* vctx, int64_t row0, int64_t rows, int64_t col0, int64_t cols, float* c, int64_t ldc) {
  const FusedCtx& f = *static_cast<const FusedCtx*>(vctx);
  for (int64_t r = 0; r < rows; ++r) {
    float* cr = c + r * ldc;
    const int64_t R = row0 + r;
    if (f.bias.data) {
      const int64_t cs = f.bias.strides.back();
      const float* b = f.bias.data + f.row_offset(f.bias, R) + col0 * cs;
      if (cs == 1) {
        for (int64_t j = 0; j < cols; ++j) cr[j] = cr[j] + b[j];
      } else {
        const float bv = b[0];
        for (int64_t j = 0; j < cols; ++j) cr[j] = cr[j] + bv;
      }
    }
    const float* slopes = nullptr;
    int64_t ss = 0;
    if (f.act == kPrelu) {
      ss = f.prelu.strides.back();
      slopes = f.prelu.data + f.row_offset(f.prelu, R) + col0 * ss;
    }
    switch (f.act) {
      case kRelu: act_row<kRelu>(cr, cols, f.leaky, slopes, ss); break;
      case kRelu6: act_row<kRelu6>(cr, cols, f.leaky, slopes, ss); break;
      case kElu: act_row<kElu>(cr, cols, f.leaky, slopes, ss); break;
      case kLeakyRelu: act_row<kLeakyRelu>(cr, cols, f.leaky, slopes, ss); break;
      case kSigmoid: act_row<kSigmoid>(cr, cols, f.leaky, slopes, ss); break;
      case kPrelu: act_row<kPrelu>(cr, cols, f.leaky, slopes, ss); break;
      default: break;
    }
  }
}

// Per-output-batch element offsets of one operand whose batch dims `bd` broadcast to `outb`; returns
// true with a uniform `stride` when possible (0 = one matrix for all, or `mat` = stacked like the output).
bool batch_offsets(const std::vector<int64_t>& bd, const std::vector<int64_t>& outb, int64_t mat, int64_t* stride,
                   std::vector<int64_t>* offs) {
  const int64_t nb = prod(bd), nout = prod(outb);
  if (nb == 1) {
    *stride = 0;
    return true;
  }
  if (nb == nout) {  // same sizes after broadcasting: identical up to leading 1s
    *stride = mat;
    return true;
  }
  std::vector<int64_t> st = bcast_strides(bd, outb, "batch dims");
  offs->resize(static_cast<size_t>(nout));
  std::vector<int64_t> idx(outb.size(), 0);
  for (int64_t o = 0; o < nout; ++o) {
    int64_t off = 0;
    for (size_t d = 0; d < outb.size(); ++d) off += idx[d] * st[d];
    (*offs)[static_cast<size_t>(o)] = off * mat;
    for (size_t d = outb.size(); d-- > 0;) {
      if (++idx[d] < outb[d]) break;
      idx[d] = 0;
    }
  }
  return false;
}

// matmul(a, aShape, b, bShape, transposeA, transposeB, out,
//        bias|null, biasShape|null, activation, leakyreluAlpha, prelu|null, preluShape|null)
// out must hold prod(broadcast(batchA, batchB)) * M * N floats; it is fully overwritten (never read).
napi_value matmul_impl(napi_env env, const Args& args) {
  {
    size_t alen, blen, olen;
    const float* a = args.f32(0, &alen);
    const std::vector<int64_t> as = args.ints(1);
    const float* b = args.f32(2, &blen);
    const std::vector<int64_t> bs = args.ints(3);
    const bool ta = args.boolean(4), tb = args.boolean(5);
    float* out = args.f32(6, &olen);
    if (as.size() < 2 || bs.size() < 2) throw ArgError{"matmul: inputs must have rank >= 2"};
    for (int64_t d : as)
      if (d < 0) throw ArgError{"matmul: negative dim"};
    for (int64_t d : bs)
      if (d < 0) throw ArgError{"matmul: negative dim"};
    if (static_cast<int64_t>(alen) != prod(as) || static_cast<int64_t>(blen) != prod(bs))
      throw ArgError{"matmul: input length does not match its shape"};
    const size_t ar = as.size(), br = bs.size();
    const int64_t M = ta ? as[ar - 1] : as[ar - 2], K = ta ? as[ar - 2] : as[ar - 1];
    const int64_t Kb = tb ? bs[br - 1] : bs[br - 2], N = tb ? bs[br - 2] : bs[br - 1];
    if (K != Kb) throw ArgError{"matmul: inner dimensions differ"};
    const std::vector<int64_t> abd(as.begin(), as.end() - 2), bbd(bs.begin(), bs.end() - 2);
    const size_t rb = std::max(abd.size(), bbd.size());
    std::vector<int64_t> outb(rb, 1);
    for (size_t i = 0; i < rb; ++i) {
      const int64_t x = i < abd.size() ? abd[abd.size() - 1 - i] : 1;
      const int64_t y = i < bbd.size() ? bbd[bbd.size() - 1 - i] : 1;
      if (x != y && x != 1 && y != 1) throw ArgError{"matmul: batch dims do not broadcast"};
      outb[rb - 1 - i] = x == 1 ? y : x;
    }
    const int64_t batch = prod(outb);
    if (static_cast<int64_t>(olen) != batch * M * N) throw ArgError{"matmul: output length mismatch"};
    if (batch == 0 || M == 0 || N == 0) return nullptr;

    FusedCtx f;
    f.out = outb;
    f.out.push_back(M);
    f.out.push_back(N);
    f.N = N;
    if (!args.is_null(7)) {
      size_t len;
      f.bias.data = args.f32(7, &len);
      const std::vector<int64_t> s = args.ints(8);
      if (static_cast<int64_t>(len) != prod(s)) throw ArgError{"matmul: bias length does not match its shape"};
      f.bias.strides = bcast_strides(s, f.out, "bias");
    }
    f.act = args.i32(9);
    if (f.act < kLinear || f.act > kPrelu) throw ArgError{"matmul: unknown activation"};
    f.leaky = args.num(10);
    if (f.act == kPrelu) {
      if (args.is_null(11)) throw ArgError{"matmul: prelu needs weights"};
      size_t len;
      f.prelu.data = args.f32(11, &len);
      const std::vector<int64_t> s = args.ints(12);
      if (static_cast<int64_t>(len) != prod(s)) throw ArgError{"matmul: prelu weights length does not match its shape"};
      f.prelu.strides = bcast_strides(s, f.out, "prelu weights");
    }
    GemmEpilogue ep{fused_epilogue, &f};

    GemmArgs g;
    g.transA = ta;
    g.transB = tb;
    g.M = M;
    g.N = N;
    g.K = K;
    g.A = a;
    g.lda = ta ? M : K;
    g.B = b;
    g.ldb = tb ? K : N;
    g.C = out;
    g.ldc = N;
    g.batch = batch;
    g.strideC = M * N;
    std::vector<int64_t> offA, offB;
    if (!batch_offsets(abd, outb, M * K, &g.strideA, &offA)) g.offsetsA = offA.data();
    if (!batch_offsets(bbd, outb, K * N, &g.strideB, &offB)) g.offsetsB = offB.data();
    if (f.bias.data || f.act != kLinear) g.epilogue = &ep;
    gemm(g);
  }
  return nullptr;
}
napi_value matmul(napi_env env, napi_callback_info info) { ML_NAPI_BODY(env, info, 13, { return matmul_impl(env, args); }); }
ML_EXPORT(matmul, matmul);

// sgemmRaw(isa, transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc) → name of the ISA used.
// isa: "auto" | "avx512" | "avx2" | "generic" (lowered to what the CPU supports). Checks every bound.
napi_value sgemm_raw_impl(napi_env env, const Args& args) {
  {
    napi_value isa_v = args.at(0);
    char buf[16] = {0};
    size_t n = 0;
    if (napi_get_value_string_utf8(env, isa_v, buf, sizeof buf, &n) != napi_ok) throw ArgError{"isa must be a string"};
    const std::string isa_s(buf, n);
    GemmIsa isa = GemmIsa::Auto;
    if (isa_s == "avx512") isa = GemmIsa::Avx512;
    else if (isa_s == "avx2") isa = GemmIsa::Avx2;
    else if (isa_s == "generic") isa = GemmIsa::Generic;
    else if (isa_s != "auto") throw ArgError{"unknown isa " + isa_s};
    const bool ta = args.boolean(1), tb = args.boolean(2);
    const int64_t M = args.i64(3), N = args.i64(4), K = args.i64(5);
    const float alpha = static_cast<float>(args.num(6));
    size_t alen, blen, clen;
    const float* A = args.f32(7, &alen);
    const int64_t lda = args.i64(8);
    const float* B = args.f32(9, &blen);
    const int64_t ldb = args.i64(10);
    const float beta = static_cast<float>(args.num(11));
    float* C = args.f32(12, &clen);
    const int64_t ldc = args.i64(13);
    if (M < 0 || N < 0 || K < 0) throw ArgError{"negative size"};
    const int64_t ar = ta ? K : M, ac = ta ? M : K, br = tb ? N : K, bc = tb ? K : N;
    auto fits = [](int64_t rows, int64_t cols, int64_t ld, size_t len) {
      if (rows == 0 || cols == 0) return ld >= 0;
      return ld >= cols && (rows - 1) * ld + cols <= static_cast<int64_t>(len);
    };
    if (!fits(ar, ac, lda, alen)) throw ArgError{"A too small for M, K, lda"};
    if (!fits(br, bc, ldb, blen)) throw ArgError{"B too small for K, N, ldb"};
    if (!fits(M, N, ldc, clen)) throw ArgError{"C too small for M, N, ldc"};
    GemmArgs g;
    g.transA = ta;
    g.transB = tb;
    g.M = M;
    g.N = N;
    g.K = K;
    g.alpha = alpha;
    g.beta = beta;
    g.A = A;
    g.lda = lda;
    g.B = B;
    g.ldb = ldb;
    g.C = C;
    g.ldc = ldc;
    gemm(g, isa);
    napi_value r;
    napi_create_string_utf8(env, gemm_isa_name(isa), NAPI_AUTO_LENGTH, &r);
    return r;
  }
}
napi_value sgemm_raw(napi_env env, napi_callback_info info) { ML_NAPI_BODY(env, info, 14, { return sgemm_raw_impl(env, args); }); }
ML_EXPORT(sgemmRaw, sgemm_raw);

}  // namespace
}  // namespace ml
