// bernoulliMask: dropout and Child-Tuning_F masks, reproducible across backends; dropoutApply: the
// same mask applied on the fly (forward and backward of dropout, no mask buffer).
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
  uint32_t thr = keepThreshold(keep);
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

// dropoutApply(x, out, n, keep, seed, offset): out[i] = x[i] * (u_i < keep ? 1/keep : 0), the mask
// of bernoulliMask(.., keep, 1/keep, seed, offset) without storing it. x * 0 keeps NaN visible. out may alias x.
Napi::Value DropoutApply(const Napi::CallbackInfo& info) {
  Args a(info, "dropoutApply", 6);
  F32 X = a.f32(0, "x"), O = a.f32(1, "out");
  int64_t n = a.size(2, "n");
  double keep = a.num(3, "keep");
  if (!(keep > 0 && keep <= 1)) a.rangeError("keep must be in (0, 1]");
  uint32_t seed = static_cast<uint32_t>(static_cast<uint64_t>(a.integer(4, "seed")));
  uint32_t base = static_cast<uint32_t>(static_cast<uint64_t>(a.integer(5, "offset")) + 1u);
  a.need(X, "x", n);
  a.need(O, "out", n);
  const KeepMask m(keep, seed, base);
  const float* x = X.p;
  float* o = O.p;
#pragma omp parallel if (par(n))
  {
    const int64_t nt = omp_get_num_threads(), t = omp_get_thread_num();
    const int64_t lo = n * t / nt, hi = n * (t + 1) / nt;
    applyKeep(x + lo, o + lo, hi - lo, lo, m);
  }
  return info.Env().Undefined();
}

}  // namespace pelt
