// Row softmax shared by softmaxForward, attention and cross-entropy.
#pragma once

#include <cstdint>

#include "vmath.h"

namespace pelt {

// y = softmax(x) over n entries (y may alias x); returns the row max and sets *sum to the sum of
// exp(x - max), which cross-entropy needs for log-sum-exp.
inline float softmaxRow(const float* x, float* y, int64_t n, float* sumOut = nullptr) {
  // Same conventions as the js backend: the max skips NaNs (a NaN entry stays NaN and zeroes the
  // rest of its row), and a row of all -inf (fully masked) gives zeros rather than NaN.
  float mx = -INFINITY;
#pragma omp simd reduction(max : mx)
  for (int64_t j = 0; j < n; j++) mx = x[j] > mx ? x[j] : mx;
  if (mx == -INFINITY) mx = 0.0f;
  float s = 0.0f;
#pragma omp simd reduction(+ : s)
  for (int64_t j = 0; j < n; j++) {
    float e = vexpf(x[j] - mx);
    y[j] = e;
    s += e;
  }
  const float inv = s > 0.0f ? 1.0f / s : 0.0f;
#pragma omp simd
  for (int64_t j = 0; j < n; j++) y[j] *= inv;
  if (sumOut) *sumOut = s;
  return mx;
}

// dx = y * (dy - sum(dy * y)) over n entries (dx may alias dy).
inline void softmaxBackRow(const float* y, const float* dy, float* dx, int64_t n) {
  float s = 0.0f;
#pragma omp simd reduction(+ : s)
  for (int64_t j = 0; j < n; j++) s += dy[j] * y[j];
#pragma omp simd
  for (int64_t j = 0; j < n; j++) dx[j] = y[j] * (dy[j] - s);
}

}  // namespace pelt
