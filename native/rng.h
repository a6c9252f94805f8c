// Counter-based hash RNG shared bit-for-bit with the JS backend (formula in kernels.ts).
// All arithmetic is uint32 wrap-around, which is exactly what Math.imul / >>> 0 do in JS.
#pragma once

#include <cmath>
#include <cstdint>

namespace pelt {

// 24-bit uniform integer for counter value c = i + offset + 1 (taken mod 2^32, as imul does).
inline uint32_t hash24(uint32_t c, uint32_t seed) {
  uint32_t h = c * 0x9E3779B9u + seed;
  h ^= h >> 16;
  h *= 0x85EBCA6Bu;
  h ^= h >> 13;
  h *= 0xC2B2AE35u;
  h ^= h >> 16;
  return h >> 8;  // u = (h >>> 8) * 2^-24
}

// u = h24 * 2^-24 is exact, so `u < keep` (compared in double in JS) is `h24 < ceil(keep * 2^24)`.
inline uint32_t keepThreshold(double keep) {
  double t = std::ceil(keep * 16777216.0);
  return keep != keep ? 0u : t <= 0 ? 0u : t >= 16777216.0 ? 16777216u : static_cast<uint32_t>(t);
}

// A dropout mask drawn on the fly: element i (counter i + offset + 1) keeps with probability keep
// and is scaled by 1/keep. The same (seed, offset) regenerates it bit for bit in backward, so no
// mask is ever stored.
struct KeepMask {
  uint32_t thr, seed, base;
  float scale;
  KeepMask(double keep, uint32_t seed_, uint32_t base_)
      : thr(keepThreshold(keep)), seed(seed_), base(base_), scale(static_cast<float>(1.0 / keep)) {}
};

// out[i] = x[i] * mask(first + i) for i < n (out may alias x). The mask's fields are copied to locals
// so the loop vectorizes (16 hashes per AVX-512 step).
inline void applyKeep(const float* x, float* out, int64_t n, int64_t first, const KeepMask& m) {
  const uint32_t thr = m.thr, seed = m.seed, base = m.base + static_cast<uint32_t>(first);
  const float scale = m.scale;
#pragma omp simd
  for (int64_t i = 0; i < n; i++) {
    out[i] = x[i] * (hash24(base + static_cast<uint32_t>(i), seed) < thr ? scale : 0.0f);
  }
}

}  // namespace pelt
