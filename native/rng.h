// Counter-based hash RNG shared bit-for-bit with the JS backend (formula in kernels.ts).
// All arithmetic is uint32 wrap-around, which is exactly what Math.imul / >>> 0 do in JS.
#pragma once

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

}  // namespace pelt
