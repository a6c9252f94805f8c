// bernoulliMask: dropout and Child-Tuning_F masks, reproducible across backends.
#include "common.h"
#include "rng.h"

namespace pelt {

// bernoulliMask(out, n, keep, scale, seed, offset)
Napi::Value BernoulliMask(const Napi::CallbackInfo& info) {
  Args a(info, "bernoulliMask", 6);
  F32 out = a.f32(0, "out");
  int64_t n = a.size(1, "n");
  double keep = a.num(2, "keep");
  double scale = a.num(3, "scale");
  int64_t seedI = a.integer(4, "seed");
  int64_t offset = a.integer(5, "offset");
  a.need(out, "out", n);
  // seed is a uint32; `(imul(..) + seed) >>> 0` reduces any integer seed mod 2^32.
  uint32_t seed = static_cast<uint32_t>(static_cast<uint64_t>(seedI));
  // u = h24 * 2^-24 is exact, so `u < keep` (compared in double in JS) is `h24 < ceil(keep * 2^24)`.
  double thrD = std::ceil(keep * 16777216.0);
  uint32_t thr = keep != keep ? 0u
               : thrD <= 0 ? 0u
               : thrD >= 16777216.0 ? 16777216u : static_cast<uint32_t>(thrD);
  float s = static_cast<float>(scale);
  // i + offset + 1 mod 2^32: only the low 32 bits of offset matter (ToInt32 semantics of imul).
  uint32_t base = static_cast<uint32_t>(static_cast<uint64_t>(offset) + 1u);
  float* o = out.p;
#pragma omp parallel for simd if (par(n)) schedule(static)
  for (int64_t i = 0; i < n; i++) {
    o[i] = hash24(base + static_cast<uint32_t>(i), seed) < thr ? s : 0.0f;
  }
  return info.Env().Undefined();
}

}  // namespace pelt
