// Vectorizable exp and GELU helpers. glibc's expf/erf are scalar calls that block loop
// vectorization (their SIMD variants need -ffast-math, which we refuse so NaNs stay visible),
// so the hot transcendental loops (softmax, cross-entropy, GELU) use these branch-free versions.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

namespace pelt {

inline float bitsToFloat(int32_t b) { float f; std::memcpy(&f, &b, 4); return f; }
inline double bitsToDouble(int64_t b) { double d; std::memcpy(&d, &b, 8); return d; }

// exp(x) in float, within ~2 ulp on the normal range; 0 below, +inf above, NaN in -> NaN out.
// Range reduction x = k ln2 + r (|r| <= ln2/2), degree-7 Taylor on r (truncation < 6e-9).
inline float vexpf(float x) {
  const float kHi = 88.72283f, kLo = -87.33654f;
  float xc = x > kHi ? kHi : (x < kLo ? kLo : x);
  xc = (x != x) ? 0.0f : xc;  // keep NaN out of the float->int conversion
  float k = __builtin_rintf(xc * 1.44269504088896341f);
  float r = __builtin_fmaf(k, -0.693145751953125f, xc);  // ln2 split: hi has 12 bits, exact k*hi
  r = __builtin_fmaf(k, -1.428606765330187045e-06f, r);
  float p = 1.0f / 5040;
  p = __builtin_fmaf(p, r, 1.0f / 720);
  p = __builtin_fmaf(p, r, 1.0f / 120);
  p = __builtin_fmaf(p, r, 1.0f / 24);
  p = __builtin_fmaf(p, r, 1.0f / 6);
  p = __builtin_fmaf(p, r, 0.5f);
  p = __builtin_fmaf(p, r, 1.0f);
  p = __builtin_fmaf(p, r, 1.0f);
  // k can reach 128 near the top of the range: scale by 2^(k-1) * 2 so the exponent never overflows.
  int32_t ki = static_cast<int32_t>(k);
  int32_t hi = ki > 0 ? 1 : 0;
  float y = p * (hi ? 2.0f : 1.0f) * bitsToFloat((ki - hi + 127) << 23);
  y = x > kHi ? INFINITY : y;
  y = x < kLo ? 0.0f : y;
  return (x != x) ? x : y;
}

// exp(x) in double for x <= 0 (GELU's exp(-x^2/2)); relative error ~1e-15.
inline double vexpNeg(double x) {
  const double kLo = -708.0;
  double xc = x < kLo ? kLo : x;
  xc = (x != x) ? 0.0 : xc;
  double k = __builtin_rint(xc * 1.4426950408889634);
  double r = __builtin_fma(k, -0.6931471803691238, xc);  // ln2 hi (28 bits) + lo
  r = __builtin_fma(k, -1.9082149292705877e-10, r);
  double p = 1.0 / 39916800;
  p = __builtin_fma(p, r, 1.0 / 3628800);
  p = __builtin_fma(p, r, 1.0 / 362880);
  p = __builtin_fma(p, r, 1.0 / 40320);
  p = __builtin_fma(p, r, 1.0 / 5040);
  p = __builtin_fma(p, r, 1.0 / 720);
  p = __builtin_fma(p, r, 1.0 / 120);
  p = __builtin_fma(p, r, 1.0 / 24);
  p = __builtin_fma(p, r, 1.0 / 6);
  p = __builtin_fma(p, r, 0.5);
  p = __builtin_fma(p, r, 1.0);
  p = __builtin_fma(p, r, 1.0);
  int64_t ki = static_cast<int64_t>(k);
  double y = p * bitsToDouble((ki + 1023) << 52);
  y = x < kLo ? 0.0 : y;
  return (x != x) ? x : y;
}

// Standard normal CDF Phi(x) and pdf phi(x), computed in double.
// Upper tail Q(a) = phi(a) * R(a), a = |x|, where R is the Mills ratio, fitted (our own
// least-squares fit, relative error < 3e-9 on a in [0, 16]) as R = t * P(t), t = 1 / (1 + a/3).
// This avoids the 1 - erf cancellation, so Phi is accurate in relative terms on both tails.
inline void normalCdfPdf(double x, double* cdf, double* pdf) {
  double a = std::fabs(x);
  double ph = vexpNeg(-0.5 * a * a) * 0.39894228040143268;  // 1/sqrt(2 pi)
  double t = 1.0 / (1.0 + a * (1.0 / 3.0));
  double p = 0.047886972767609635;
  p = __builtin_fma(p, t, -0.2964100498975081);
  p = __builtin_fma(p, t, 0.742457771901941);
  p = __builtin_fma(p, t, -0.9097921982669605);
  p = __builtin_fma(p, t, 0.5256846347770615);
  p = __builtin_fma(p, t, -0.22709180695859718);
  p = __builtin_fma(p, t, 0.19861426133025467);
  p = __builtin_fma(p, t, 0.20722359981297697);
  p = __builtin_fma(p, t, 0.29821069829750874);
  p = __builtin_fma(p, t, 0.33319238313955624);
  p = __builtin_fma(p, t, 0.33333787365094375);
  double q = ph * (t * p);
  *cdf = x >= 0 ? 1.0 - q : q;
  *cdf = (x != x) ? x : *cdf;
  *pdf = ph;
}

// gelu(x) = x * Phi(x)  (erf form: Phi(x) = 0.5 * (1 + erf(x / sqrt 2)))
inline float geluF(float x) {
  double c, p;
  normalCdfPdf(x, &c, &p);
  return static_cast<float>(x * c);
}
// gelu'(x) = Phi(x) + x * phi(x)
inline float geluGradF(float x) {
  double c, p;
  normalCdfPdf(x, &c, &p);
  return static_cast<float>(c + x * p);
}

}  // namespace pelt
