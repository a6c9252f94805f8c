// Elementwise kernels: binary (with broadcasting strides), unary, unaryBackward, affine, axpy, fill.
#include <algorithm>

#include "common.h"
#include "strided.h"
#include "vmath.h"

namespace pelt {

namespace {

enum { kAdd = 0, kSub = 1, kMul = 2, kDiv = 3 };
enum { kGelu = 0, kTanh, kSigmoid, kRelu, kExp, kLog, kNeg, kSqrt, kSquare, kNumUnOps };

template <int OP>
inline float bin(float x, float y) {
  if constexpr (OP == kAdd) return x + y;
  if constexpr (OP == kSub) return x - y;
  if constexpr (OP == kMul) return x * y;
  return x / y;
}

// One inner run, specialised for the common stride patterns so each is a plain SIMD loop.
template <int OP>
void binRun(const float* __restrict a, int64_t sa, const float* __restrict b, int64_t sb,
            float* __restrict o, int64_t n) {
  if (sa == 1 && sb == 1) {
#pragma omp simd
    for (int64_t j = 0; j < n; j++) o[j] = bin<OP>(a[j], b[j]);
  } else if (sa == 1 && sb == 0) {
    const float y = b[0];
#pragma omp simd
    for (int64_t j = 0; j < n; j++) o[j] = bin<OP>(a[j], y);
  } else if (sa == 0 && sb == 1) {
    const float x = a[0];
#pragma omp simd
    for (int64_t j = 0; j < n; j++) o[j] = bin<OP>(x, b[j]);
  } else {
    for (int64_t j = 0; j < n; j++) o[j] = bin<OP>(a[j * sa], b[j * sb]);
  }
}

template <int OP>
void binAll(const Layout& L, const float* a, int64_t aOff, const float* b, int64_t bOff, float* out) {
  const int64_t n = L.inner(), R = L.rows();
  const int64_t sa = L.s0.back(), sb = L.s1.back();
#pragma omp parallel if (par(n * R))
  {
    int nt = omp_get_num_threads(), t = omp_get_thread_num();
    int64_t r0 = R * t / nt, r1 = R * (t + 1) / nt;
    if (R == 1) {  // a single long run: split it instead of the rows
      int64_t j0 = n * t / nt, j1 = n * (t + 1) / nt;
      binRun<OP>(a + aOff + j0 * sa, sa, b + bOff + j0 * sb, sb, out + j0, j1 - j0);
    } else {
      walkRows(L, r0, r1, aOff, bOff, [&](int64_t r, int64_t oa, int64_t ob) {
        binRun<OP>(a + oa, sa, b + ob, sb, out + r * n, n);
      });
    }
  }
}

}  // namespace

// binary(op, a, aOff, aStrides, b, bOff, bStrides, out, shape)
Napi::Value Binary(const Napi::CallbackInfo& info) {
  Args a(info, "binary", 9);
  int64_t op = a.integer(0, "op");
  F32 A = a.f32(1, "a"), B = a.f32(4, "b"), O = a.f32(7, "out");
  int64_t aOff = a.size(2, "aOff"), bOff = a.size(5, "bOff");
  auto as = a.ints(3, "aStrides"), bs = a.ints(6, "bStrides"), shape = a.ints(8, "shape");
  if (op < kAdd || op > kDiv) a.rangeError("unknown BinOp " + std::to_string(op));
  if (as.size() != shape.size() || bs.size() != shape.size()) {
    a.rangeError("aStrides, bStrides and shape must have the same length");
  }
  i128 total = 1;
  for (int64_t d : shape) {
    if (d < 0) a.rangeError("shape entries must be >= 0");
    total *= d;
    if (total > (i128(1) << 53)) a.rangeError("shape is too large");
  }
  a.need(O, "out", total);
  i128 lo, hi;
  if (!stridedExtent(aOff, shape, as, &lo, &hi)) return info.Env().Undefined();
  a.span(A, "a", lo, hi);
  stridedExtent(bOff, shape, bs, &lo, &hi);
  a.span(B, "b", lo, hi);
  Layout L = coalesce(shape, as, &bs);
  switch (op) {
    case kAdd: binAll<kAdd>(L, A.p, aOff, B.p, bOff, O.p); break;
    case kSub: binAll<kSub>(L, A.p, aOff, B.p, bOff, O.p); break;
    case kMul: binAll<kMul>(L, A.p, aOff, B.p, bOff, O.p); break;
    default: binAll<kDiv>(L, A.p, aOff, B.p, bOff, O.p); break;
  }
  return info.Env().Undefined();
}

namespace {

template <class F>
void mapN(const float* x, float* out, int64_t n, F f) {  // out may alias x
#pragma omp parallel for simd if (par(n)) schedule(static)
  for (int64_t i = 0; i < n; i++) out[i] = f(x[i]);
}

// Transcendentals that call libm cost ~10x a simple op; parallelize them earlier.
template <class F>
void mapHeavy(const float* x, float* out, int64_t n, F f) {
#pragma omp parallel for simd if (par(n * 8)) schedule(static)
  for (int64_t i = 0; i < n; i++) out[i] = f(x[i]);
}

}  // namespace

// unary(op, x, out, n)
Napi::Value Unary(const Napi::CallbackInfo& info) {
  Args a(info, "unary", 4);
  int64_t op = a.integer(0, "op");
  F32 X = a.f32(1, "x"), O = a.f32(2, "out");
  int64_t n = a.size(3, "n");
  if (op < 0 || op >= kNumUnOps) a.rangeError("unknown UnOp " + std::to_string(op));
  a.need(X, "x", n);
  a.need(O, "out", n);
  const float* x = X.p;
  float* o = O.p;
  switch (op) {
    case kGelu: mapHeavy(x, o, n, [](float v) { return geluF(v); }); break;
    case kTanh: mapHeavy(x, o, n, [](float v) { return std::tanh(v); }); break;
    case kSigmoid: mapHeavy(x, o, n, [](float v) { return 1.0f / (1.0f + vexpf(-v)); }); break;
    case kRelu: mapN(x, o, n, [](float v) { return v < 0.0f ? 0.0f : v; }); break;  // NaN stays NaN
    case kExp: mapHeavy(x, o, n, [](float v) { return vexpf(v); }); break;
    case kLog: mapHeavy(x, o, n, [](float v) { return std::log(v); }); break;
    case kNeg: mapN(x, o, n, [](float v) { return -v; }); break;
    case kSqrt: mapN(x, o, n, [](float v) { return std::sqrt(v); }); break;
    default: mapN(x, o, n, [](float v) { return v * v; }); break;
  }
  return info.Env().Undefined();
}

namespace {

template <class F>
void gradN(const float* x, const float* y, const float* dy, float* dx, int64_t n, bool acc,
           int64_t cost, F f) {
  if (acc) {
#pragma omp parallel for simd if (par(n * cost)) schedule(static)
    for (int64_t i = 0; i < n; i++) dx[i] += dy[i] * f(x[i], y[i]);
  } else {
#pragma omp parallel for simd if (par(n * cost)) schedule(static)
    for (int64_t i = 0; i < n; i++) dx[i] = dy[i] * f(x[i], y[i]);
  }
}

}  // namespace

// unaryBackward(op, x, y, dy, dx, n, accumulate). x or y may be null when the op's derivative
// does not read it (e.g. y for gelu, x for tanh).
Napi::Value UnaryBackward(const Napi::CallbackInfo& info) {
  Args a(info, "unaryBackward", 7);
  int64_t op = a.integer(0, "op");
  F32 X = a.f32OrNull(1, "x"), Y = a.f32OrNull(2, "y"), DY = a.f32(3, "dy"), DX = a.f32(4, "dx");
  int64_t n = a.size(5, "n");
  bool acc = a.flag(6, "accumulate");
  if (op < 0 || op >= kNumUnOps) a.rangeError("unknown UnOp " + std::to_string(op));
  bool needX = op == kGelu || op == kRelu || op == kLog || op == kSquare;
  bool needY = op == kTanh || op == kSigmoid || op == kExp || op == kSqrt;
  if (needX && !X.p) a.typeError("argument x must be a Float32Array (got null)");
  if (needY && !Y.p) a.typeError("argument y must be a Float32Array (got null)");
  if (needX) a.need(X, "x", n);
  if (needY) a.need(Y, "y", n);
  a.need(DY, "dy", n);
  a.need(DX, "dx", n);
  // An unused operand is pointed at dy (valid for n reads) so the loops stay branch-free.
  const float* x = needX ? X.p : DY.p;
  const float* y = needY ? Y.p : DY.p;
  switch (op) {
    case kGelu: gradN(x, y, DY.p, DX.p, n, acc, 8, [](float v, float) { return geluGradF(v); }); break;
    case kTanh: gradN(x, y, DY.p, DX.p, n, acc, 1, [](float, float w) { return 1.0f - w * w; }); break;
    case kSigmoid: gradN(x, y, DY.p, DX.p, n, acc, 1, [](float, float w) { return w * (1.0f - w); }); break;
    case kRelu: gradN(x, y, DY.p, DX.p, n, acc, 1, [](float v, float) { return v > 0.0f ? 1.0f : 0.0f; }); break;
    case kExp: gradN(x, y, DY.p, DX.p, n, acc, 1, [](float, float w) { return w; }); break;
    case kLog: gradN(x, y, DY.p, DX.p, n, acc, 1, [](float v, float) { return 1.0f / v; }); break;
    case kNeg: gradN(x, y, DY.p, DX.p, n, acc, 1, [](float, float) { return -1.0f; }); break;
    case kSqrt: gradN(x, y, DY.p, DX.p, n, acc, 1, [](float, float w) { return 0.5f / w; }); break;
    default: gradN(x, y, DY.p, DX.p, n, acc, 1, [](float v, float) { return 2.0f * v; }); break;
  }
  return info.Env().Undefined();
}

// affine(x, alpha, beta, out, n): out = alpha * x + beta; computed in double like the JS backend.
Napi::Value Affine(const Napi::CallbackInfo& info) {
  Args a(info, "affine", 5);
  F32 X = a.f32(0, "x"), O = a.f32(3, "out");
  double alpha = a.num(1, "alpha"), beta = a.num(2, "beta");
  int64_t n = a.size(4, "n");
  a.need(X, "x", n);
  a.need(O, "out", n);
  const float* x = X.p;
  float* o = O.p;
#pragma omp parallel for simd if (par(n)) schedule(static)
  for (int64_t i = 0; i < n; i++) o[i] = static_cast<float>(alpha * x[i] + beta);
  return info.Env().Undefined();
}

// axpy(alpha, x, y, n): y += alpha * x
Napi::Value Axpy(const Napi::CallbackInfo& info) {
  Args a(info, "axpy", 4);
  double alpha = a.num(0, "alpha");
  F32 X = a.f32(1, "x"), Y = a.f32(2, "y");
  int64_t n = a.size(3, "n");
  a.need(X, "x", n);
  a.need(Y, "y", n);
  const float* x = X.p;
  float* y = Y.p;
#pragma omp parallel for simd if (par(n)) schedule(static)
  for (int64_t i = 0; i < n; i++) y[i] = static_cast<float>(y[i] + alpha * x[i]);
  return info.Env().Undefined();
}

// fill(out, off, n, value)
Napi::Value Fill(const Napi::CallbackInfo& info) {
  Args a(info, "fill", 4);
  F32 O = a.f32(0, "out");
  int64_t off = a.size(1, "off"), n = a.size(2, "n");
  float v = static_cast<float>(a.num(3, "value"));
  a.need(O, "out", static_cast<i128>(off) + n);
  float* o = O.p + off;
#pragma omp parallel for simd if (par(n)) schedule(static)
  for (int64_t i = 0; i < n; i++) o[i] = v;
  return info.Env().Undefined();
}

}  // namespace pelt
