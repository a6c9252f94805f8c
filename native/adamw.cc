// AdamW step (torch.optim.AdamW semantics), fused over param, grad, m, v in one pass.
#include "common.h"

namespace pelt {

// adamwStep(param, grad, m, v, n, lr, beta1, beta2, eps, weightDecay, bc1, bc2, gradMask)
Napi::Value AdamwStep(const Napi::CallbackInfo& info) {
  Args a(info, "adamwStep", 13);
  F32 P = a.f32(0, "param"), G = a.f32(1, "grad"), M = a.f32(2, "m"), V = a.f32(3, "v");
  int64_t n = a.size(4, "n");
  double lr = a.num(5, "lr"), b1 = a.num(6, "beta1"), b2 = a.num(7, "beta2"), eps = a.num(8, "eps");
  double wd = a.num(9, "weightDecay"), bc1 = a.num(10, "bc1"), bc2 = a.num(11, "bc2");
  F32 MASK = a.f32OrNull(12, "gradMask");
  a.need(P, "param", n);
  a.need(G, "grad", n);
  a.need(M, "m", n);
  a.need(V, "v", n);
  if (MASK.p) a.need(MASK, "gradMask", n);
  // Scalars folded like torch's single-tensor AdamW:
  //   param -= (lr / bc1) * m / (sqrt(v) / sqrt(bc2) + eps)
  // which equals the kernels.ts formula lr * (m / bc1) / (sqrt(v / bc2) + eps); all-float32
  // tensor math, like torch, so the step is memory-bound rather than divide-bound.
  const float decay = static_cast<float>(1.0 - lr * wd);
  const float fb1 = static_cast<float>(b1), fb2 = static_cast<float>(b2);
  const float gb1 = static_cast<float>(1.0 - b1), gb2 = static_cast<float>(1.0 - b2);
  const float step = static_cast<float>(lr / bc1);
  const float invSqrtBc2 = static_cast<float>(1.0 / std::sqrt(bc2));
  const float feps = static_cast<float>(eps);
  float *p = P.p, *m = M.p, *v = V.p;
  const float *g = G.p, *mask = MASK.p;
  if (mask) {
#pragma omp parallel for simd if (par(n)) schedule(static)
    for (int64_t i = 0; i < n; i++) {
      const float gi = g[i] * mask[i];
      const float mi = fb1 * m[i] + gb1 * gi;
      const float vi = fb2 * v[i] + gb2 * gi * gi;
      m[i] = mi;
      v[i] = vi;
      p[i] = p[i] * decay - step * (mi / (std::sqrt(vi) * invSqrtBc2 + feps));
    }
  } else {
#pragma omp parallel for simd if (par(n)) schedule(static)
    for (int64_t i = 0; i < n; i++) {
      const float gi = g[i];
      const float mi = fb1 * m[i] + gb1 * gi;
      const float vi = fb2 * v[i] + gb2 * gi * gi;
      m[i] = mi;
      v[i] = vi;
      p[i] = p[i] * decay - step * (mi / (std::sqrt(vi) * invSqrtBc2 + feps));
    }
  }
  return info.Env().Undefined();
}

}  // namespace pelt
