// Cross-entropy over logits [N, C] with integer labels (ignoreIndex rows are skipped).
#include <algorithm>
#include <string>

#include "common.h"
#include "softmax.h"

namespace pelt {

namespace {

void checkLabels(const Args& a, const int32_t* labels, int64_t N, int64_t C, double ignore) {
  for (int64_t i = 0; i < N; i++) {
    int32_t l = labels[i];
    if (l != ignore && (l < 0 || l >= C)) {
      a.rangeError("labels[" + std::to_string(i) + "] = " + std::to_string(l) + " is outside [0, " +
                   std::to_string(C) + ") and is not ignoreIndex");
    }
  }
}

}  // namespace

// crossEntropyForward(logits, labels, N, C, ignoreIndex, probs) -> sum of losses
Napi::Value CrossEntropyForward(const Napi::CallbackInfo& info) {
  Args a(info, "crossEntropyForward", 6);
  F32 L = a.f32(0, "logits");
  I32 labels = a.i32(1, "labels");
  int64_t N = a.size(2, "N"), C = a.size(3, "C");
  double ignore = a.num(4, "ignoreIndex");
  F32 P = a.f32(5, "probs");
  a.need(L, "logits", static_cast<i128>(N) * C);
  a.need(P, "probs", static_cast<i128>(N) * C);
  a.need(labels, "labels", N);
  checkLabels(a, labels.p, N, C, ignore);
  if (C == 0) return Napi::Number::New(info.Env(), 0.0);
  const float* x = L.p;
  float* p = P.p;
  const int32_t* lab = labels.p;
  double total = 0.0;
#pragma omp parallel for reduction(+ : total) if (par(N * C * 4)) schedule(static)
  for (int64_t i = 0; i < N; i++) {
    const float* xr = x + i * C;
    float sum;
    float mx = softmaxRow(xr, p + i * C, C, &sum);
    if (lab[i] != ignore) {
      // -log softmax(x)[label] = log(sum exp(x - max)) - (x[label] - max): no log(0) for tiny p.
      total += std::log(static_cast<double>(sum)) - (static_cast<double>(xr[lab[i]]) - mx);
    }
  }
  return Napi::Number::New(info.Env(), total);
}

// crossEntropyBackward(probs, labels, N, C, ignoreIndex, scale, dLogits)
Napi::Value CrossEntropyBackward(const Napi::CallbackInfo& info) {
  Args a(info, "crossEntropyBackward", 7);
  F32 P = a.f32(0, "probs");
  I32 labels = a.i32(1, "labels");
  int64_t N = a.size(2, "N"), C = a.size(3, "C");
  double ignore = a.num(4, "ignoreIndex");
  float scale = static_cast<float>(a.num(5, "scale"));
  F32 D = a.f32(6, "dLogits");
  a.need(P, "probs", static_cast<i128>(N) * C);
  a.need(D, "dLogits", static_cast<i128>(N) * C);
  a.need(labels, "labels", N);
  checkLabels(a, labels.p, N, C, ignore);
  const float* p = P.p;
  float* d = D.p;
  const int32_t* lab = labels.p;
#pragma omp parallel for if (par(N * C)) schedule(static)
  for (int64_t i = 0; i < N; i++) {
    float* dr = d + i * C;
    const float* pr = p + i * C;
    if (lab[i] == ignore) {
      std::fill(dr, dr + C, 0.0f);
      continue;
    }
#pragma omp simd
    for (int64_t j = 0; j < C; j++) dr[j] = scale * pr[j];
    dr[lab[i]] = scale * (pr[lab[i]] - 1.0f);
  }
  return info.Env().Undefined();
}

}  // namespace pelt
