// Embedding lookup and its scatter-add backward; N = ids.length.
#include <algorithm>
#include <string>

#include "common.h"

namespace pelt {

namespace {

// Throws a RangeError naming the first id outside [0, V): a bad id must never become a wild read
// or write. A parallel min/max pass keeps the common (valid) case cheap.
void checkIds(const Args& a, const int32_t* ids, int64_t n, int64_t V) {
  int32_t mn = INT32_MAX, mx = INT32_MIN;
#pragma omp parallel for simd reduction(min : mn) reduction(max : mx) if (par(n)) schedule(static)
  for (int64_t i = 0; i < n; i++) {
    mn = ids[i] < mn ? ids[i] : mn;
    mx = ids[i] > mx ? ids[i] : mx;
  }
  if (n == 0 || (mn >= 0 && mx < V)) return;
  for (int64_t i = 0; i < n; i++) {
    if (ids[i] < 0 || ids[i] >= V) {
      a.rangeError("ids[" + std::to_string(i) + "] = " + std::to_string(ids[i]) +
                   " is outside [0, " + std::to_string(V) + ")");
    }
  }
}

}  // namespace

// embeddingForward(weight, ids, V, H, out)
Napi::Value EmbeddingForward(const Napi::CallbackInfo& info) {
  Args a(info, "embeddingForward", 5);
  F32 W = a.f32(0, "weight");
  I32 ids = a.i32(1, "ids");
  int64_t V = a.size(2, "V"), H = a.size(3, "H");
  F32 O = a.f32(4, "out");
  const int64_t N = ids.n;
  a.need(W, "weight", static_cast<i128>(V) * H);
  a.need(O, "out", static_cast<i128>(N) * H);
  checkIds(a, ids.p, N, V);
  const float* w = W.p;
  float* out = O.p;
  const int32_t* id = ids.p;
#pragma omp parallel for if (par(N * H)) schedule(static)
  for (int64_t i = 0; i < N; i++) {
    const float* src = w + static_cast<int64_t>(id[i]) * H;
    std::copy(src, src + H, out + i * H);
  }
  return info.Env().Undefined();
}

// embeddingBackward(dOut, ids, V, H, dWeight): dWeight[ids[i], :] += dOut[i, :]
Napi::Value EmbeddingBackward(const Napi::CallbackInfo& info) {
  Args a(info, "embeddingBackward", 5);
  F32 DO = a.f32(0, "dOut");
  I32 ids = a.i32(1, "ids");
  int64_t V = a.size(2, "V"), H = a.size(3, "H");
  F32 DW = a.f32(4, "dWeight");
  const int64_t N = ids.n;
  a.need(DO, "dOut", static_cast<i128>(N) * H);
  a.need(DW, "dWeight", static_cast<i128>(V) * H);
  checkIds(a, ids.p, N, V);
  const float* dout = DO.p;
  float* dw = DW.p;
  const int32_t* id = ids.p;
  // Repeated ids make rows collide, so threads split the columns instead: each thread adds the
  // rows in order over its own column range (race-free and deterministic).
#pragma omp parallel if (par(N * H))
  {
    const int t = omp_get_thread_num(), k = omp_get_num_threads();
    const int64_t c0 = H * t / k, c1 = H * (t + 1) / k;
    for (int64_t i = 0; i < N; i++) {
      const float* src = dout + i * H;
      float* dst = dw + static_cast<int64_t>(id[i]) * H;
#pragma omp simd
      for (int64_t c = c0; c < c1; c++) dst[c] += src[c];
    }
  }
  return info.Env().Undefined();
}

}  // namespace pelt
