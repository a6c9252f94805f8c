// Batched strided GEMM on top of OpenBLAS cblas_sgemm (row-major, no copies).
#include <cblas.h>

#include <algorithm>

#include "common.h"

namespace pelt {

namespace {

// Below this many flops per matrix, OpenBLAS's own threading barely helps; with a batch we
// instead run whole matrices on separate cores (OpenBLAS goes single-threaded inside an
// OpenMP parallel region: it checks omp_in_parallel()).
constexpr double kSmallGemmFlops = 16.0e6;

// A single product that is small or skinny (LoRA's rank-r factors: [2048, 256] x [256, 8]) runs
// about 2x faster as one single-threaded cblas_sgemm per core on a slice of its output rows or
// columns than with OpenBLAS's own threading (bench: 0.17 -> 0.08 ms at 2048x8x256 on 2 cores).
// Large square-ish products stay with OpenBLAS, which splits them at least as well.
bool splitsWell(int64_t M, int64_t N, double flops) {
  return flops >= 1.0e6 && (flops < 32.0e6 || (std::min(M, N) <= 64 && flops < 512.0e6));
}

struct Operand {
  const char* name;
  F32 buf;
  int64_t off, ld, stride, rows, cols;
};

void checkOperand(const Args& a, const Operand& o, int64_t batch) {
  if (o.ld < std::max<int64_t>(1, o.cols)) {
    a.rangeError(std::string("leading dimension of ") + o.name + " is " + std::to_string(o.ld) +
                 ", must be >= " + std::to_string(std::max<int64_t>(1, o.cols)));
  }
  if (o.ld > INT32_MAX) a.rangeError(std::string("leading dimension of ") + o.name + " is too large");
  if (o.rows == 0 || o.cols == 0 || batch == 0) return;
  i128 first = o.off, last = o.off + static_cast<i128>(batch - 1) * o.stride;
  i128 lo = std::min(first, last), hi = std::max(first, last);
  a.span(o.buf, o.name, lo, hi + static_cast<i128>(o.rows - 1) * o.ld + o.cols - 1);
}

// C = beta * C for the K == 0 / alpha == 0 cases (beta == 0 writes zeros, ignoring NaNs).
void scaleC(float* c, int64_t M, int64_t N, int64_t ldc, float beta) {
  for (int64_t i = 0; i < M; i++) {
    float* row = c + i * ldc;
    if (beta == 0.0f) {
      std::fill(row, row + N, 0.0f);
    } else if (beta != 1.0f) {
      for (int64_t j = 0; j < N; j++) row[j] *= beta;
    }
  }
}

}  // namespace

bool blasNestsInOpenMP() {
  static const bool ok = openblas_get_parallel() != 1;  // 0 sequential, 1 pthreads, 2 OpenMP
  return ok;
}

// gemm(transA, transB, M, N, K, alpha, A, aOff, lda, strideA, B, bOff, ldb, strideB,
//      beta, C, cOff, ldc, strideC, batch)
Napi::Value Gemm(const Napi::CallbackInfo& info) {
  Args a(info, "gemm", 20);
  bool tA = a.flag(0, "transA"), tB = a.flag(1, "transB");
  int64_t M = a.size(2, "M"), N = a.size(3, "N"), K = a.size(4, "K");
  float alpha = static_cast<float>(a.num(5, "alpha"));
  Operand A{"A", a.f32(6, "A"), a.size(7, "aOff"), a.size(8, "lda"), a.integer(9, "strideA"),
            tA ? K : M, tA ? M : K};
  Operand B{"B", a.f32(10, "B"), a.size(11, "bOff"), a.size(12, "ldb"), a.integer(13, "strideB"),
            tB ? N : K, tB ? K : N};
  float beta = static_cast<float>(a.num(14, "beta"));
  Operand C{"C", a.f32(15, "C"), a.size(16, "cOff"), a.size(17, "ldc"), a.integer(18, "strideC"),
            M, N};
  int64_t batch = a.size(19, "batch");
  if (M > INT32_MAX || N > INT32_MAX || K > INT32_MAX) a.rangeError("M, N and K must be < 2^31");
  checkOperand(a, C, batch);
  if (M == 0 || N == 0 || batch == 0) return info.Env().Undefined();
  bool noProduct = K == 0 || alpha == 0.0f;
  if (!noProduct) {
    checkOperand(a, A, batch);
    checkOperand(a, B, batch);
  }

  const CBLAS_TRANSPOSE ta = tA ? CblasTrans : CblasNoTrans;
  const CBLAS_TRANSPOSE tb = tB ? CblasTrans : CblasNoTrans;
  float *pa = A.buf.p, *pb = B.buf.p, *pc = C.buf.p;
  auto one = [&](int64_t i) {
    float* c = pc + C.off + i * C.stride;
    if (noProduct) {
      scaleC(c, M, N, C.ld, beta);
      return;
    }
    cblas_sgemm(CblasRowMajor, ta, tb, static_cast<int>(M), static_cast<int>(N), static_cast<int>(K),
                alpha, pa + A.off + i * A.stride, static_cast<int>(A.ld),
                pb + B.off + i * B.stride, static_cast<int>(B.ld), beta, c, static_cast<int>(C.ld));
  };

  // Outputs of different batch items must not overlap to run them concurrently.
  int64_t cSpan = (M - 1) * C.ld + N;
  bool disjoint = C.stride >= cSpan || -C.stride >= cSpan;
  double flops = 2.0 * M * N * K;
  if (batch > 1 && disjoint && flops < kSmallGemmFlops && omp_get_max_threads() > 1 && blasNestsInOpenMP() &&
      flops * batch > 2.0e5) {
#pragma omp parallel for schedule(dynamic, 1)
    for (int64_t i = 0; i < batch; i++) one(i);
  } else if (batch == 1 && !noProduct && splitsWell(M, N, flops) && omp_get_max_threads() > 1 &&
             blasNestsInOpenMP()) {
    // Slice C along its longer side: rows [r0, r1) read rows of op(A); columns [c0, c1) read
    // columns of op(B). Column cuts fall on multiples of 16 floats (64-byte lines).
    const bool byRows = M >= N;
#pragma omp parallel
    {
      const int64_t nt = omp_get_num_threads(), t = omp_get_thread_num();
      const int64_t len = byRows ? M : N, unit = byRows ? 1 : 16;
      const int64_t chunks = (len + unit - 1) / unit;
      const int64_t lo = std::min(len, chunks * t / nt * unit), hi = std::min(len, chunks * (t + 1) / nt * unit);
      if (hi > lo) {
        const int64_t aOff = byRows ? (tA ? lo : lo * A.ld) : 0;
        const int64_t bOff = byRows ? 0 : (tB ? lo * B.ld : lo);
        const int64_t cOff = byRows ? lo * C.ld : lo;
        cblas_sgemm(CblasRowMajor, ta, tb, static_cast<int>(byRows ? hi - lo : M),
                    static_cast<int>(byRows ? N : hi - lo), static_cast<int>(K), alpha, pa + A.off + aOff,
                    static_cast<int>(A.ld), pb + B.off + bOff, static_cast<int>(B.ld), beta,
                    pc + C.off + cOff, static_cast<int>(C.ld));
      }
    }
  } else {
    for (int64_t i = 0; i < batch; i++) one(i);
  }
  return info.Env().Undefined();
}

}  // namespace pelt
