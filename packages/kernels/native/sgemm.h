// Single-precision GEMM for row-major matrices: C = alpha * op(A) * op(B) + beta * C.
//
// op(A) is M x K: A(i, k) = transA ? A[k * lda + i] : A[i * lda + k]   (A is stored K x M when transposed)
// op(B) is K x N: B(k, j) = transB ? B[j * ldb + k] : B[k * ldb + j]   (B is stored N x K when transposed)
// C is M x N:     C(i, j) = C[i * ldc + j]
//
// Cache-blocked and packed (Goto/BLIS scheme) with an AVX-512, an AVX2+FMA and a portable micro-kernel
// chosen at run time by ml::simd_level(); threaded over ml::parallel_run. No -ffast-math: NaN and
// ±Inf propagate as in a naive triple loop. beta == 0 never reads C (C may hold garbage/NaN), and
// K == 0 or alpha == 0 gives C = beta * C without reading A or B (BLAS semantics).
//
// Safe to call from inside a pool job (e.g. a fused kernel parallel over heads): it then runs on the
// calling thread only.
#pragma once
#include <cstdint>

namespace ml {

// Called once per finished block of C (all of K accumulated, alpha/beta applied), possibly from several
// threads at once on disjoint blocks. `row0` is the block's first row counted across the whole batch
// (batch_index * M + i), `col0` its first column; `c` points at C(row0, col0) of that batch item.
struct GemmEpilogue {
  void (*fn)(const void* ctx, int64_t row0, int64_t rows, int64_t col0, int64_t cols, float* c, int64_t ldc);
  const void* ctx;
};

// Full description of a (batched) GEMM. Batch item b uses A + offA(b), B + offB(b), C + b * strideC,
// where offA(b) = offsetsA ? offsetsA[b] : b * strideA (likewise B). A stride of 0 broadcasts.
struct GemmArgs {
  bool transA = false, transB = false;
  int64_t M = 0, N = 0, K = 0;
  float alpha = 1.0f, beta = 0.0f;
  const float* A = nullptr;
  int64_t lda = 0;
  const float* B = nullptr;
  int64_t ldb = 0;
  float* C = nullptr;
  int64_t ldc = 0;
  int64_t batch = 1;
  int64_t strideA = 0, strideB = 0, strideC = 0;
  const int64_t* offsetsA = nullptr;  // optional, batch entries
  const int64_t* offsetsB = nullptr;  // optional, batch entries
  const GemmEpilogue* epilogue = nullptr;
};

// Which micro-kernel family to use; Auto = the best one simd_level() allows.
enum class GemmIsa { Auto = -1, Generic = 0, Avx2 = 1, Avx512 = 2 };

// The general entry point. Throws nothing; invalid leading dimensions are the caller's responsibility.
// `isa` above simd_level() is lowered to it.
void gemm(const GemmArgs& args, GemmIsa isa = GemmIsa::Auto);

// C = alpha * op(A) * op(B) + beta * C.
void sgemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
           const float* B, int64_t ldb, float beta, float* C, int64_t ldc);

// For b in [0, batch): C_b = alpha * op(A_b) * op(B_b) + beta * C_b with X_b = X + b * strideX
// (strideA or strideB 0 = the same matrix for every item). Small items run in parallel over the batch.
void sgemm_strided_batched(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                           int64_t lda, int64_t strideA, const float* B, int64_t ldb, int64_t strideB, float beta,
                           float* C, int64_t ldc, int64_t strideC, int64_t batch);

// Name of the micro-kernel family gemm() uses for `isa` ("avx512", "avx2", "generic").
const char* gemm_isa_name(GemmIsa isa = GemmIsa::Auto);

}  // namespace ml
