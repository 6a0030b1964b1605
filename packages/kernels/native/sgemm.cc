// SGEMM driver: cache blocking, packing, threading, matrix-vector special cases, batching; plus the
// portable micro-kernel. ISA-specific micro-kernels live in sgemm_avx512.cc / sgemm_avx2.cc.
//
// Blocking (Goto/BLIS): K is cut into balanced blocks of <= kc; M into balanced tiles of <= mr rows;
// N into panels of nr columns. One operand is packed once into a buffer shared by all threads (A when
// N >= M, else B, in super-blocks that keep one k-block slice L2-sized); the other is packed per task
// (a chunk of panels, or of row tiles) into a thread-local buffer. A task computes its whole C block over
// all of K and then runs the epilogue on it while it is still in cache. Tasks are claimed dynamically.
#include "sgemm.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "cpu.h"
#include "pool.h"
#include "sgemm_impl.h"

namespace ml {
namespace gemm_detail {
namespace generic {

constexpr int MR = 4;
constexpr int NR = 8;
constexpr int KC = 256;

#include "sgemm_portable.inc"

template <int R>
static void ukernel(int cols, int64_t kc, const float* __restrict ap, const float* __restrict bp, float* c, int64_t ldc,
                    float alpha, float beta, bool accumulate) {
  float acc[R][NR];
  for (int r = 0; r < R; ++r)
    for (int j = 0; j < NR; ++j) acc[r][j] = 0.0f;
  for (int64_t k = 0; k < kc; ++k) {
    const float* a = ap + k * R;
    const float* b = bp + k * NR;
    for (int r = 0; r < R; ++r) {
      const float av = a[r];
      for (int j = 0; j < NR; ++j) acc[r][j] += av * b[j];
    }
  }
  for (int r = 0; r < R; ++r) {
    float* cr = c + r * ldc;
    for (int j = 0; j < cols; ++j) {
      const float v = acc[r][j] * alpha;
      if (accumulate)
        cr[j] = cr[j] + v;
      else if (beta == 0.0f)
        cr[j] = v;
      else
        cr[j] = v + beta * cr[j];
    }
  }
}

static void kernel(int rows, int cols, int64_t kc, const float* ap, const float* bp, float* c, int64_t ldc, float alpha,
                   float beta, bool accumulate) {
  switch (rows) {
    case 1: return ukernel<1>(cols, kc, ap, bp, c, ldc, alpha, beta, accumulate);
    case 2: return ukernel<2>(cols, kc, ap, bp, c, ldc, alpha, beta, accumulate);
    case 3: return ukernel<3>(cols, kc, ap, bp, c, ldc, alpha, beta, accumulate);
    default: return ukernel<4>(cols, kc, ap, bp, c, ldc, alpha, beta, accumulate);
  }
}

}  // namespace generic

const KernelSet& kernels_generic() {
  static const KernelSet ks{"generic",       generic::MR,     generic::NR,
                            generic::KC,     generic::kernel, generic::pack_a_portable,
                            generic::pack_b_portable,         generic::axpy_rows_portable,
                            generic::dot_rows_portable};
  return ks;
}

}  // namespace gemm_detail

namespace {

using gemm_detail::KernelSet;

// Growable 64-byte aligned scratch buffer (one per thread and role; kept between calls).
struct Scratch {
  float* p = nullptr;
  size_t cap = 0;
  float* get(size_t n) {
    if (n > cap) {
      std::free(p);
      cap = std::max(n, cap + cap / 2);
      size_t bytes = (cap * sizeof(float) + 63) & ~static_cast<size_t>(63);
      p = static_cast<float*>(std::aligned_alloc(64, bytes));
      if (!p) std::abort();
    }
    return p;
  }
  ~Scratch() { std::free(p); }
};
thread_local Scratch tl_shared, tl_local_a, tl_local_b, tl_vec;

// Balanced partition of n items into `count` parts of at most `maxsz` (sizes differ by at most one).
struct Parts {
  int64_t n, count, base, extra;
  Parts(int64_t n_, int64_t maxsz) : n(n_) {
    count = n > 0 ? (n + maxsz - 1) / maxsz : 0;
    base = count ? n / count : 0;
    extra = count ? n % count : 0;
  }
  int64_t start(int64_t t) const { return t * base + (t < extra ? t : extra); }
  int64_t size(int64_t t) const { return base + (t < extra ? 1 : 0); }
};

struct Prob {
  bool ta, tb;
  int64_t M, N, K;
  float alpha, beta;
  const float* A;
  int64_t lda;
  const float* B;
  int64_t ldb;
  float* C;
  int64_t ldc;
  const GemmEpilogue* ep;
  int64_t row_base;  // epilogue row of C's row 0
};

inline const float* a_at(const Prob& p, int64_t i, int64_t k) { return p.ta ? p.A + k * p.lda + i : p.A + i * p.lda + k; }
inline const float* b_at(const Prob& p, int64_t k, int64_t j) { return p.tb ? p.B + j * p.ldb + k : p.B + k * p.ldb + j; }

inline void epilogue(const Prob& p, int64_t r0, int64_t rows, int64_t c0, int64_t cols) {
  if (p.ep && rows > 0 && cols > 0) p.ep->fn(p.ep->ctx, p.row_base + r0, rows, c0, cols, p.C + r0 * p.ldc + c0, p.ldc);
}

template <typename F>
void run_threads(int nthreads, const F& fn) {
  if (nthreads <= 1) {
    fn(0, 1);
  } else {
    parallel_run([&](int tid, int nt) { fn(tid, nt); });
  }
}

// Threads worth using for `flops` of work split into `tasks` independent pieces.
int threads_for(double flops, int64_t tasks) {
  int t = num_threads();
  if (flops < 1.5e6 || tasks < 2) return 1;
  return t;
}

// C = beta * C (K == 0 or alpha == 0), then the epilogue.
void scale_only(const Prob& p) {
  for (int64_t i = 0; i < p.M; ++i) {
    float* row = p.C + i * p.ldc;
    if (p.beta == 0.0f)
      std::memset(row, 0, sizeof(float) * static_cast<size_t>(p.N));
    else
      for (int64_t j = 0; j < p.N; ++j) row[j] *= p.beta;
  }
  epilogue(p, 0, p.M, 0, p.N);
}

// M == 1 or N == 1: matrix-vector products, parallel over output chunks.
void gemv(const KernelSet& ks, const Prob& p, int nthreads) {
  const bool row_out = p.M == 1;  // output is C's row 0 (length N), else C's column 0 (length M)
  const int64_t len = row_out ? p.N : p.M;
  // The vector operand, made contiguous when it is strided.
  const float* x;
  int64_t xstride;
  if (row_out) {
    x = p.A;
    xstride = p.ta ? p.lda : 1;
  } else {
    x = p.B;
    xstride = p.tb ? 1 : p.ldb;
  }
  if (xstride != 1) {
    float* xv = tl_vec.get(static_cast<size_t>(p.K));
    for (int64_t k = 0; k < p.K; ++k) xv[k] = x[k * xstride];
    x = xv;
  }
  // The matrix operand is either walked as rows of length `len` (axpy) or as `len` rows of length K (dot).
  const float* m;
  int64_t ldm;
  bool axpy;
  if (row_out) {
    m = p.B;
    ldm = p.ldb;
    axpy = !p.tb;
  } else {
    m = p.A;
    ldm = p.lda;
    axpy = p.ta;
  }
  const int64_t chunk = axpy ? 2048 : 64;
  const int64_t nchunks = (len + chunk - 1) / chunk;
  const int nt = threads_for(2.0 * static_cast<double>(len) * static_cast<double>(p.K), nchunks);
  std::atomic<int64_t> next{0};
  run_threads(nt, [&](int, int) {
    float* tmp = tl_local_b.get(static_cast<size_t>(chunk));
    for (;;) {
      const int64_t ci = next.fetch_add(1, std::memory_order_relaxed);
      if (ci >= nchunks) break;
      const int64_t e0 = ci * chunk;
      const int64_t n = std::min(chunk, len - e0);
      if (axpy) {
        std::memset(tmp, 0, sizeof(float) * static_cast<size_t>(n));
        ks.axpy_rows(n, p.K, x, m + e0, ldm, tmp);
      } else {
        ks.dot_rows(n, p.K, x, m + e0 * ldm, ldm, tmp);
      }
      const int64_t step = row_out ? 1 : p.ldc;
      float* dst = p.C + e0 * step;
      for (int64_t e = 0; e < n; ++e) {
        const float v = tmp[e] * p.alpha;
        dst[e * step] = p.beta == 0.0f ? v : v + p.beta * dst[e * step];
      }
      if (row_out)
        epilogue(p, 0, 1, e0, n);
      else
        epilogue(p, e0, n, 0, 1);
    }
  });
}

constexpr int64_t kL2SliceFloats = 256 * 1024;  // ~1 MiB: one k-block slice of the shared operand

void packed(const KernelSet& ks, const Prob& p, int max_threads) {
  const int MR = ks.mr, NR = ks.nr;
  const Parts mt(p.M, MR);    // row tiles
  const Parts kb(p.K, ks.kc);  // k blocks
  const int64_t kcmax = kb.size(0);
  const int64_t np = (p.N + NR - 1) / NR;  // column panels
  auto panel_cols = [&](int64_t jp) { return static_cast<int>(std::min<int64_t>(NR, p.N - jp * NR)); };
  const double flops = 2.0 * static_cast<double>(p.M) * static_cast<double>(p.N) * static_cast<double>(p.K);

  // Computes C[tiles t0..t1) x [panels j0..j1) over all of K. sharedA/sharedB, when given, hold the
  // packed super-block (A: rows from row a0, `arows` rows; B: panels from jb0, `bpanels` panels).
  auto compute = [&](int64_t t0, int64_t t1, int64_t j0, int64_t j1, const float* sharedA, int64_t a0, int64_t arows,
                     const float* sharedB, int64_t jb0, int64_t bpanels) {
    const int64_t r0 = mt.start(t0), r1 = mt.start(t1);
    for (int64_t q = 0; q < kb.count; ++q) {
      const int64_t k0 = kb.start(q), kc = kb.size(q);
      const float* Ab;
      int64_t arow0;
      if (sharedA) {
        Ab = sharedA + k0 * arows;
        arow0 = a0;
      } else {
        float* buf = tl_local_a.get(static_cast<size_t>((r1 - r0) * kcmax));
        for (int64_t t = t0; t < t1; ++t)
          ks.pack_a(p.ta, a_at(p, mt.start(t), k0), p.lda, static_cast<int>(mt.size(t)), kc,
                    buf + (mt.start(t) - r0) * kc);
        Ab = buf;
        arow0 = r0;
      }
      const float* Bb;
      int64_t bp0;
      if (sharedB) {
        Bb = sharedB + k0 * bpanels * NR;
        bp0 = jb0;
      } else {
        float* buf = tl_local_b.get(static_cast<size_t>((j1 - j0) * kcmax * NR));
        for (int64_t jp = j0; jp < j1; ++jp) ks.pack_b(p.tb, b_at(p, k0, jp * NR), p.ldb, panel_cols(jp), kc, buf + (jp - j0) * kc * NR);
        Bb = buf;
        bp0 = j0;
      }
      for (int64_t jp = j0; jp < j1; ++jp) {
        const float* bpan = Bb + (jp - bp0) * kc * NR;
        const int cols = panel_cols(jp);
        for (int64_t t = t0; t < t1; ++t) {
          const int64_t rs = mt.start(t);
          ks.kernel(static_cast<int>(mt.size(t)), cols, kc, Ab + (rs - arow0) * kc, bpan, p.C + rs * p.ldc + jp * NR, p.ldc,
                    p.alpha, p.beta, q > 0);
        }
      }
    }
    epilogue(p, r0, r1 - r0, j0 * NR, std::min<int64_t>(p.N, j1 * NR) - j0 * NR);
  };

  const int T = num_threads();
  if (p.N >= p.M) {
    // Share packed A (row super-blocks), tasks = chunks of column panels packing their own B.
    const int64_t tiles_per_sb = std::max<int64_t>(1, kL2SliceFloats / kcmax / MR);
    const Parts sbs(mt.count, tiles_per_sb);
    for (int64_t s = 0; s < sbs.count; ++s) {
      const int64_t t0 = sbs.start(s), t1 = t0 + sbs.size(s);
      const int64_t a0 = mt.start(t0), arows = mt.start(t1) - a0;
      float* shared = tl_shared.get(static_cast<size_t>(arows * p.K));
      const int64_t ppc = std::min<int64_t>(16, std::max<int64_t>(1, (np + 8 * T - 1) / (8 * T)));
      const Parts chunks(np, ppc);
      const int64_t npacks = kb.count * (t1 - t0);
      const int nt = std::min<int>(max_threads, threads_for(flops * static_cast<double>(arows) / p.M, chunks.count));
      std::atomic<int64_t> next_pack{0}, packs_done{0}, next_chunk{0};
      run_threads(nt, [&](int, int) {
        for (;;) {
          const int64_t i = next_pack.fetch_add(1, std::memory_order_relaxed);
          if (i >= npacks) break;
          const int64_t q = i / (t1 - t0), t = t0 + i % (t1 - t0);
          const int64_t k0 = kb.start(q), kc = kb.size(q);
          ks.pack_a(p.ta, a_at(p, mt.start(t), k0), p.lda, static_cast<int>(mt.size(t)), kc,
                    shared + k0 * arows + (mt.start(t) - a0) * kc);
          packs_done.fetch_add(1, std::memory_order_release);
        }
        for (int spin = 0; packs_done.load(std::memory_order_acquire) < npacks;) spin_backoff(spin);
        for (;;) {
          const int64_t c = next_chunk.fetch_add(1, std::memory_order_relaxed);
          if (c >= chunks.count) break;
          const int64_t j0 = chunks.start(c);
          compute(t0, t1, j0, j0 + chunks.size(c), shared, a0, arows, nullptr, 0, 0);
        }
      });
    }
  } else {
    // Share packed B (column super-blocks), tasks = chunks of row tiles packing their own A.
    const int64_t panels_per_sb = std::max<int64_t>(1, kL2SliceFloats / kcmax / NR);
    const Parts sbs(np, panels_per_sb);
    for (int64_t s = 0; s < sbs.count; ++s) {
      const int64_t j0 = sbs.start(s), j1 = j0 + sbs.size(s);
      const int64_t bpanels = j1 - j0;
      float* shared = tl_shared.get(static_cast<size_t>(bpanels * NR * p.K));
      const int64_t tpc = std::min<int64_t>(16, std::max<int64_t>(1, (mt.count + 8 * T - 1) / (8 * T)));
      const Parts chunks(mt.count, tpc);
      const int64_t npacks = kb.count * bpanels;
      const double sbflops = flops * static_cast<double>(std::min<int64_t>(p.N, j1 * NR) - j0 * NR) / p.N;
      const int nt = std::min<int>(max_threads, threads_for(sbflops, chunks.count));
      std::atomic<int64_t> next_pack{0}, packs_done{0}, next_chunk{0};
      run_threads(nt, [&](int, int) {
        for (;;) {
          const int64_t i = next_pack.fetch_add(1, std::memory_order_relaxed);
          if (i >= npacks) break;
          const int64_t q = i / bpanels, jp = j0 + i % bpanels;
          const int64_t k0 = kb.start(q), kc = kb.size(q);
          ks.pack_b(p.tb, b_at(p, k0, jp * NR), p.ldb, panel_cols(jp), kc, shared + k0 * bpanels * NR + (jp - j0) * kc * NR);
          packs_done.fetch_add(1, std::memory_order_release);
        }
        for (int spin = 0; packs_done.load(std::memory_order_acquire) < npacks;) spin_backoff(spin);
        for (;;) {
          const int64_t c = next_chunk.fetch_add(1, std::memory_order_relaxed);
          if (c >= chunks.count) break;
          const int64_t t0 = chunks.start(c);
          compute(t0, t0 + chunks.size(c), j0, j1, nullptr, 0, 0, shared, j0, bpanels);
        }
      });
    }
  }
}

void run_one(const KernelSet& ks, const Prob& p, int max_threads) {
  if (p.M <= 0 || p.N <= 0) return;
  if (p.K <= 0 || p.alpha == 0.0f) return scale_only(p);
  if (p.M == 1 || p.N == 1) return gemv(ks, p, max_threads);
  packed(ks, p, max_threads);
}

const KernelSet& kernel_set(GemmIsa isa) {
  int level = static_cast<int>(simd_level());
  int want = isa == GemmIsa::Auto ? level : std::min(level, static_cast<int>(isa));
#if defined(__x86_64__) || defined(__i386__)
  if (want >= static_cast<int>(Simd::Avx512)) return gemm_detail::kernels_avx512();
  if (want >= static_cast<int>(Simd::Avx2)) return gemm_detail::kernels_avx2();
#endif
  (void)want;
  return gemm_detail::kernels_generic();
}

}  // namespace

const char* gemm_isa_name(GemmIsa isa) { return kernel_set(isa).name; }

void gemm(const GemmArgs& g, GemmIsa isa) {
  if (g.M <= 0 || g.N <= 0 || g.batch <= 0) return;
  const KernelSet& ks = kernel_set(isa);
  auto offA = [&](int64_t b) { return g.offsetsA ? g.offsetsA[b] : b * g.strideA; };
  auto offB = [&](int64_t b) { return g.offsetsB ? g.offsetsB[b] : b * g.strideB; };
  auto item = [&](int64_t b) {
    return Prob{g.transA, g.transB, g.M,        g.N,       g.K,   g.alpha,    g.beta,        g.A + offA(b), g.lda,
                g.B + offB(b),    g.ldb,    g.C + b * g.strideC, g.ldc, g.epilogue, b * g.M};
  };
  const int T = num_threads();
  if (g.batch == 1) return run_one(ks, item(0), T);

  // Same B for every item and A/C items stacked row after row: one GEMM with batch * M rows.
  if (!g.transA && g.strideC == g.M * g.ldc) {
    bool fold = true;
    for (int64_t b = 1; b < g.batch && fold; ++b)
      fold = offB(b) == offB(0) && offA(b) == offA(0) + b * g.M * g.lda;
    if (fold) {
      Prob p = item(0);
      p.M = g.M * g.batch;
      return run_one(ks, p, T);
    }
  }

  const double per = 2.0 * static_cast<double>(g.M) * static_cast<double>(g.N) * static_cast<double>(g.K);
  if (T > 1 && (per < 32e6 || g.batch >= 4 * T) && per * static_cast<double>(g.batch) >= 1.5e6) {
    std::atomic<int64_t> next{0};
    parallel_run([&](int, int) {
      for (;;) {
        const int64_t b = next.fetch_add(1, std::memory_order_relaxed);
        if (b >= g.batch) break;
        run_one(ks, item(b), 1);
      }
    });
    return;
  }
  for (int64_t b = 0; b < g.batch; ++b) run_one(ks, item(b), T);
}

void sgemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
           const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  GemmArgs g;
  g.transA = transA;
  g.transB = transB;
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
  gemm(g);
}

void sgemm_strided_batched(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                           int64_t lda, int64_t strideA, const float* B, int64_t ldb, int64_t strideB, float beta,
                           float* C, int64_t ldc, int64_t strideC, int64_t batch) {
  GemmArgs g;
  g.transA = transA;
  g.transB = transB;
  g.M = M;
  g.N = N;
  g.K = K;
  g.alpha = alpha;
  g.beta = beta;
  g.A = A;
  g.lda = lda;
  g.strideA = strideA;
  g.B = B;
  g.ldb = ldb;
  g.strideB = strideB;
  g.C = C;
  g.ldc = ldc;
  g.strideC = strideC;
  g.batch = batch;
  gemm(g);
}

}  // namespace ml
