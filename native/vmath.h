// Vectorizable exp and GELU helpers. glibc's expf/erf are scalar calls that block loop
// vectorization (their SIMD variants need -ffast-math, which we refuse so NaNs stay visible),
// so the hot transcendental loops (softmax, cross-entropy, GELU) use these branch-free versions.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

namespace pelt {

inline float bitsToFloat(int32_t b) { float f; std::memcpy(&f, &b, 4); return f; }

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

// Standard normal CDF Phi(x) and pdf phi(x) in float (16 lanes per AVX-512 vector; GELU is the
// hottest elementwise op of a BERT step). Upper tail Q(a) = phi(a) * R(a), a = |x|, where R is the
// Mills ratio, fitted (our own least-squares fit, relative error < 3e-9 on a in [0, 16]) as
// R = t * P(t), t = 1 / (1 + a/3). This avoids the 1 - erf cancellation, so Phi is accurate in
// relative terms on both tails. a^2 is split exactly (hi + lo, by fma) so the exponent carries no
// rounding error; the result is within ~5e-7 relative of Phi computed in double.
inline void normalCdfPdfF(float x, float* cdf, float* pdf) {
  float a = std::fabs(x);
  float a2 = a * a, a2lo = __builtin_fmaf(a, a, -a2);  // a^2 = a2 + a2lo exactly
  a2lo = a < 16.0f ? a2lo : 0.0f;  // phi underflows there anyway; keeps inf and NaN out of the fma
  float ph = vexpf(-0.5f * a2) * __builtin_fmaf(-0.5f, a2lo, 1.0f) * 0.3989422804f;
  float t = 1.0f / __builtin_fmaf(a, 1.0f / 3.0f, 1.0f);
  float p = 0.047886972767609635f;
  p = __builtin_fmaf(p, t, -0.2964100498975081f);
  p = __builtin_fmaf(p, t, 0.742457771901941f);
  p = __builtin_fmaf(p, t, -0.9097921982669605f);
  p = __builtin_fmaf(p, t, 0.5256846347770615f);
  p = __builtin_fmaf(p, t, -0.22709180695859718f);
  p = __builtin_fmaf(p, t, 0.19861426133025467f);
  p = __builtin_fmaf(p, t, 0.20722359981297697f);
  p = __builtin_fmaf(p, t, 0.29821069829750874f);
  p = __builtin_fmaf(p, t, 0.33319238313955624f);
  p = __builtin_fmaf(p, t, 0.33333787365094375f);
  float q = ph * (t * p);
  float c = x >= 0.0f ? 1.0f - q : q;
  *cdf = (x != x) ? x : c;
  *pdf = ph;
}

// gelu(x) = x * Phi(x)  (erf form: Phi(x) = 0.5 * (1 + erf(x / sqrt 2)))
inline float geluF(float x) {
  float c, p;
  normalCdfPdfF(x, &c, &p);
  return x * c;
}
// gelu'(x) = Phi(x) + x * phi(x)
inline float geluGradF(float x) {
  float c, p;
  normalCdfPdfF(x, &c, &p);
  return __builtin_fmaf(x, p, c);
}

}  // namespace pelt
