// LayerNorm forward/backward over the last dim. Row statistics and the gamma/beta gradient sums
// accumulate in double (cheap here: the kernels are memory-bound).
#include <algorithm>
#include <vector>

#include "common.h"

namespace pelt {

// layerNormForward(x, gamma, beta, rows, cols, eps, y, mean, rstd)
Napi::Value LayerNormForward(const Napi::CallbackInfo& info) {
  Args a(info, "layerNormForward", 9);
  F32 X = a.f32(0, "x"), G = a.f32(1, "gamma"), Bt = a.f32(2, "beta");
  int64_t rows = a.size(3, "rows"), cols = a.size(4, "cols");
  double eps = a.num(5, "eps");
  F32 Y = a.f32(6, "y"), MEAN = a.f32(7, "mean"), RSTD = a.f32(8, "rstd");
  i128 n = static_cast<i128>(rows) * cols;
  a.need(X, "x", n);
  a.need(Y, "y", n);
  a.need(G, "gamma", cols);
  a.need(Bt, "beta", cols);
  a.need(MEAN, "mean", rows);
  a.need(RSTD, "rstd", rows);
  if (cols == 0) return info.Env().Undefined();  // mean of nothing: leave outputs untouched
  const float *x = X.p, *g = G.p, *b = Bt.p;
  float *y = Y.p, *mo = MEAN.p, *ro = RSTD.p;
#pragma omp parallel for if (par(static_cast<int64_t>(n))) schedule(static)
  for (int64_t r = 0; r < rows; r++) {
    const float* xr = x + r * cols;
    double s = 0.0;
#pragma omp simd reduction(+ : s)
    for (int64_t j = 0; j < cols; j++) s += xr[j];
    const double mean = s / cols;
    double v = 0.0;
#pragma omp simd reduction(+ : v)
    for (int64_t j = 0; j < cols; j++) {
      double d = xr[j] - mean;
      v += d * d;
    }
    const double rstd = 1.0 / std::sqrt(v / cols + eps);
    const float mf = static_cast<float>(mean), rf = static_cast<float>(rstd);
    float* yr = y + r * cols;
#pragma omp simd
    for (int64_t j = 0; j < cols; j++) yr[j] = (xr[j] - mf) * rf * g[j] + b[j];
    mo[r] = mf;
    ro[r] = rf;
  }
  return info.Env().Undefined();
}

// layerNormBackward(dy, x, gamma, mean, rstd, rows, cols, dx, dgamma, dbeta)
Napi::Value LayerNormBackward(const Napi::CallbackInfo& info) {
  Args a(info, "layerNormBackward", 10);
  F32 DY = a.f32(0, "dy"), X = a.f32(1, "x");
  F32 G = a.f32OrNull(2, "gamma");
  F32 MEAN = a.f32(3, "mean"), RSTD = a.f32(4, "rstd");
  int64_t rows = a.size(5, "rows"), cols = a.size(6, "cols");
  F32 DX = a.f32OrNull(7, "dx"), DG = a.f32OrNull(8, "dgamma"), DB = a.f32OrNull(9, "dbeta");
  i128 n = static_cast<i128>(rows) * cols;
  a.need(DY, "dy", n);
  a.need(X, "x", n);
  a.need(MEAN, "mean", rows);
  a.need(RSTD, "rstd", rows);
  if (DX.p) {
    if (!G.p) a.typeError("argument gamma must be a Float32Array (got null)");
    a.need(G, "gamma", cols);
    a.need(DX, "dx", n);
  }
  if (DG.p) a.need(DG, "dgamma", cols);
  if (DB.p) a.need(DB, "dbeta", cols);
  if (cols == 0 || rows == 0) return info.Env().Undefined();

  const float *dy = DY.p, *x = X.p, *g = G.p, *mean = MEAN.p, *rstd = RSTD.p;
  float *dx = DX.p, *dg = DG.p, *db = DB.p;
  const bool wantParams = dg || db;
  const int nt = par(static_cast<int64_t>(n)) ? omp_get_max_threads() : 1;
  // Per-thread partial sums for dgamma / dbeta, combined in thread order afterwards.
  std::vector<double> part(wantParams ? static_cast<size_t>(nt) * 2 * cols : 0, 0.0);

#pragma omp parallel num_threads(nt)
  {
    const int t = omp_get_thread_num(), k = omp_get_num_threads();
    const int64_t r0 = rows * t / k, r1 = rows * (t + 1) / k;
    double* pg = wantParams ? part.data() + static_cast<size_t>(t) * 2 * cols : nullptr;
    double* pb = wantParams ? pg + cols : nullptr;
    for (int64_t r = r0; r < r1; r++) {
      const float* dyr = dy + r * cols;
      const float* xr = x + r * cols;
      const float m = mean[r], rs = rstd[r];
      if (wantParams) {
#pragma omp simd
        for (int64_t j = 0; j < cols; j++) {
          float xhat = (xr[j] - m) * rs;
          pg[j] += static_cast<double>(dyr[j] * xhat);
          pb[j] += dyr[j];
        }
      }
      if (!dx) continue;
      double s1 = 0.0, s2 = 0.0;  // sum g, sum g * xhat
#pragma omp simd reduction(+ : s1, s2)
      for (int64_t j = 0; j < cols; j++) {
        float gj = dyr[j] * g[j];
        float xhat = (xr[j] - m) * rs;
        s1 += gj;
        s2 += static_cast<double>(gj * xhat);
      }
      const float m1 = static_cast<float>(s1 / cols), m2 = static_cast<float>(s2 / cols);
      float* dxr = dx + r * cols;
#pragma omp simd
      for (int64_t j = 0; j < cols; j++) {
        float xhat = (xr[j] - m) * rs;
        dxr[j] = rs * (dyr[j] * g[j] - m1 - xhat * m2);
      }
    }
  }
  if (wantParams) {
    for (int64_t j = 0; j < cols; j++) {
      double sg = 0.0, sb = 0.0;
      for (int t = 0; t < nt; t++) {
        sg += part[static_cast<size_t>(t) * 2 * cols + j];
        sb += part[static_cast<size_t>(t) * 2 * cols + cols + j];
      }
      if (dg) dg[j] = static_cast<float>(dg[j] + sg);
      if (db) db[j] = static_cast<float>(db[j] + sb);
    }
  }
  return info.Env().Undefined();
}

}  // namespace pelt
