// Row softmax kernels (the attention kernels fuse their own; see attention.cc).
#include "common.h"
#include "softmax.h"

namespace pelt {

// softmaxForward(x, rows, cols, y)
Napi::Value SoftmaxForward(const Napi::CallbackInfo& info) {
  Args a(info, "softmaxForward", 4);
  F32 X = a.f32(0, "x"), Y = a.f32(3, "y");
  int64_t rows = a.size(1, "rows"), cols = a.size(2, "cols");
  i128 n = static_cast<i128>(rows) * cols;
  a.need(X, "x", n);
  a.need(Y, "y", n);
  if (cols == 0) return info.Env().Undefined();
  const float* x = X.p;
  float* y = Y.p;
#pragma omp parallel for if (par(static_cast<int64_t>(n) * 4)) schedule(static)
  for (int64_t r = 0; r < rows; r++) softmaxRow(x + r * cols, y + r * cols, cols);
  return info.Env().Undefined();
}

// softmaxBackward(y, dy, rows, cols, dx)
Napi::Value SoftmaxBackward(const Napi::CallbackInfo& info) {
  Args a(info, "softmaxBackward", 5);
  F32 Y = a.f32(0, "y"), DY = a.f32(1, "dy"), DX = a.f32(4, "dx");
  int64_t rows = a.size(2, "rows"), cols = a.size(3, "cols");
  i128 n = static_cast<i128>(rows) * cols;
  a.need(Y, "y", n);
  a.need(DY, "dy", n);
  a.need(DX, "dx", n);
  const float *y = Y.p, *dy = DY.p;
  float* dx = DX.p;
#pragma omp parallel for if (par(static_cast<int64_t>(n))) schedule(static)
  for (int64_t r = 0; r < rows; r++) softmaxBackRow(y + r * cols, dy + r * cols, dx + r * cols, cols);
  return info.Env().Undefined();
}

}  // namespace pelt
