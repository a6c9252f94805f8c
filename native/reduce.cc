// Reductions: sumAxis (bias gradients, broadcast backward), sumSquares (grad norm), countNonFinite.
// Sums accumulate in double: a bias gradient adds up thousands of rows.
#include <algorithm>

#include "common.h"

namespace pelt {

namespace {

// out[j] (+)= sum_r x[r * inner + j] for j in [j0, j1), accumulated in double.
void sumColumns(const float* x, int64_t reduce, int64_t inner, int64_t j0, int64_t j1, float* out,
                bool acc) {
  double s[512];
  const int64_t w = j1 - j0;
  for (int64_t j = 0; j < w; j++) s[j] = 0.0;
  for (int64_t r = 0; r < reduce; r++) {
    const float* row = x + r * inner + j0;
#pragma omp simd
    for (int64_t j = 0; j < w; j++) s[j] += row[j];
  }
  for (int64_t j = 0; j < w; j++) {
    out[j0 + j] = static_cast<float>(acc ? out[j0 + j] + s[j] : s[j]);
  }
}

double sumRun(const float* x, int64_t n) {
  double s = 0.0;
#pragma omp simd reduction(+ : s)
  for (int64_t i = 0; i < n; i++) s += x[i];
  return s;
}

}  // namespace

// sumAxis(x, outer, reduce, inner, out, accumulate)
Napi::Value SumAxis(const Napi::CallbackInfo& info) {
  Args a(info, "sumAxis", 6);
  F32 X = a.f32(0, "x"), O = a.f32(4, "out");
  int64_t outer = a.size(1, "outer"), reduce = a.size(2, "reduce"), inner = a.size(3, "inner");
  bool acc = a.flag(5, "accumulate");
  a.need(O, "out", static_cast<i128>(outer) * inner);
  a.need(X, "x", static_cast<i128>(outer) * reduce * inner);
  if (outer == 0 || inner == 0) return info.Env().Undefined();
  const float* x = X.p;
  float* out = O.p;
  const int64_t work = outer * reduce * inner;
  const int nt = par(work) ? omp_get_max_threads() : 1;

  if (inner == 1) {
    if (outer >= nt) {
#pragma omp parallel for if (nt > 1) schedule(static)
      for (int64_t o = 0; o < outer; o++) {
        double s = sumRun(x + o * reduce, reduce);
        out[o] = static_cast<float>(acc ? out[o] + s : s);
      }
    } else {
      for (int64_t o = 0; o < outer; o++) {
        double s = 0.0;
        const float* xo = x + o * reduce;
#pragma omp parallel for reduction(+ : s) if (nt > 1) schedule(static)
        for (int64_t c = 0; c < nt; c++) s += sumRun(xo + reduce * c / nt, reduce * (c + 1) / nt - reduce * c / nt);
        out[o] = static_cast<float>(acc ? out[o] + s : s);
      }
    }
    return info.Env().Undefined();
  }

  // Column blocks of at most 512 (the double accumulator), about one block per thread.
  int64_t block = std::min<int64_t>(512, ((inner + nt - 1) / nt + 15) / 16 * 16);
  int64_t nb = (inner + block - 1) / block;
  int64_t tasks = outer * nb;
  if (tasks >= nt || reduce < 4 * nt) {
#pragma omp parallel for if (nt > 1 && tasks > 1) schedule(static)
    for (int64_t t = 0; t < tasks; t++) {
      int64_t o = t / nb, j0 = (t % nb) * block, j1 = std::min(inner, j0 + block);
      sumColumns(x + o * reduce * inner, reduce, inner, j0, j1, out + o * inner, acc);
    }
    return info.Env().Undefined();
  }
  // Few, narrow outputs but a long reduction: split the rows, then combine per-thread partials.
  std::vector<float> part(static_cast<size_t>(nt) * inner);
  for (int64_t o = 0; o < outer; o++) {
    const float* xo = x + o * reduce * inner;
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int c = 0; c < nt; c++) {
      int64_t r0 = reduce * c / nt, r1 = reduce * (c + 1) / nt;
      for (int64_t j0 = 0; j0 < inner; j0 += 512) {
        sumColumns(xo + r0 * inner, r1 - r0, inner, j0, std::min(inner, j0 + 512),
                   part.data() + static_cast<size_t>(c) * inner, false);
      }
    }
    for (int64_t j = 0; j < inner; j++) {
      double s = 0.0;
      for (int c = 0; c < nt; c++) s += part[static_cast<size_t>(c) * inner + j];
      out[o * inner + j] = static_cast<float>(acc ? out[o * inner + j] + s : s);
    }
  }
  return info.Env().Undefined();
}

// sumSquares(x, n) -> sum x^2 in double
Napi::Value SumSquares(const Napi::CallbackInfo& info) {
  Args a(info, "sumSquares", 2);
  F32 X = a.f32(0, "x");
  int64_t n = a.size(1, "n");
  a.need(X, "x", n);
  const float* x = X.p;
  double s = 0.0;
#pragma omp parallel for simd reduction(+ : s) if (par(n)) schedule(static)
  for (int64_t i = 0; i < n; i++) {
    double v = x[i];
    s += v * v;
  }
  return Napi::Number::New(info.Env(), s);
}

// countNonFinite(x, n): exponent bits all ones <=> NaN or +-Inf (an integer test, immune to
// any floating-point compiler assumptions).
Napi::Value CountNonFinite(const Napi::CallbackInfo& info) {
  Args a(info, "countNonFinite", 2);
  F32 X = a.f32(0, "x");
  int64_t n = a.size(1, "n");
  a.need(X, "x", n);
  const uint32_t* u = reinterpret_cast<const uint32_t*>(X.p);
  int64_t c = 0;
#pragma omp parallel for simd reduction(+ : c) if (par(n)) schedule(static)
  for (int64_t i = 0; i < n; i++) c += (u[i] & 0x7F800000u) == 0x7F800000u ? 1 : 0;
  return Napi::Number::New(info.Env(), static_cast<double>(c));
}

}  // namespace pelt
