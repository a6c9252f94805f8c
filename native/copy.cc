// copyStrided (gather into a contiguous buffer) and its reverse, scatterStridedAdd.
#include <algorithm>

#include "common.h"
#include "strided.h"

namespace pelt {

namespace {

i128 shapeTotal(const Args& a, const std::vector<int64_t>& shape) {
  i128 total = 1;
  for (int64_t d : shape) {
    if (d < 0) a.rangeError("shape entries must be >= 0");
    total *= d;
    if (total > (i128(1) << 53)) a.rangeError("shape is too large");
  }
  return total;
}

void gatherRun(const float* __restrict s, int64_t ss, float* __restrict d, int64_t n, bool acc) {
  if (ss == 1) {
    if (acc) {
#pragma omp simd
      for (int64_t j = 0; j < n; j++) d[j] += s[j];
    } else {
      std::copy(s, s + n, d);
    }
  } else if (ss == 0) {
    const float v = s[0];
    if (acc) {
#pragma omp simd
      for (int64_t j = 0; j < n; j++) d[j] += v;
    } else {
      std::fill(d, d + n, v);
    }
  } else if (acc) {
    for (int64_t j = 0; j < n; j++) d[j] += s[j * ss];
  } else {
    for (int64_t j = 0; j < n; j++) d[j] = s[j * ss];
  }
}

}  // namespace

// copyStrided(src, sOff, srcStrides, shape, dst, dOff, accumulate)
Napi::Value CopyStrided(const Napi::CallbackInfo& info) {
  Args a(info, "copyStrided", 7);
  F32 S = a.f32(0, "src"), D = a.f32(4, "dst");
  int64_t sOff = a.size(1, "sOff"), dOff = a.size(5, "dOff");
  auto ss = a.ints(2, "srcStrides"), shape = a.ints(3, "shape");
  bool acc = a.flag(6, "accumulate");
  if (ss.size() != shape.size()) a.rangeError("srcStrides and shape must have the same length");
  i128 total = shapeTotal(a, shape);
  a.need(D, "dst", static_cast<i128>(dOff) + total);
  i128 lo, hi;
  if (!stridedExtent(sOff, shape, ss, &lo, &hi)) return info.Env().Undefined();
  a.span(S, "src", lo, hi);
  // dst is contiguous, so merging/dropping dims keeps its linear order.
  Layout L = coalesce(shape, ss, nullptr);
  const int64_t n = L.inner(), R = L.rows(), sInner = L.s0.back();
  const float* src = S.p;
  float* dst = D.p + dOff;
#pragma omp parallel if (par(n * R))
  {
    int nt = omp_get_num_threads(), t = omp_get_thread_num();
    if (R == 1) {
      int64_t j0 = n * t / nt, j1 = n * (t + 1) / nt;
      gatherRun(src + sOff + j0 * sInner, sInner, dst + j0, j1 - j0, acc);
    } else {
      walkRows(L, R * t / nt, R * (t + 1) / nt, sOff, 0, [&](int64_t r, int64_t os, int64_t) {
        gatherRun(src + os, sInner, dst + r * n, n, acc);
      });
    }
  }
  return info.Env().Undefined();
}

namespace {

// True when distinct index tuples that differ in some non-zero-stride dim never hit the same
// target (strides sorted by size each step past everything the smaller ones can reach).
bool nonOverlapping(const Layout& L) {
  std::vector<std::pair<int64_t, int64_t>> dims;  // |stride|, shape
  for (size_t d = 0; d < L.shape.size(); d++) {
    if (L.s0[d] != 0) dims.emplace_back(L.s0[d] < 0 ? -L.s0[d] : L.s0[d], L.shape[d]);
  }
  std::sort(dims.begin(), dims.end());
  i128 reach = 0;
  for (auto& [st, sh] : dims) {
    if (st <= reach) return false;
    reach += static_cast<i128>(sh - 1) * st;
  }
  return true;
}

void scatterRun(const float* __restrict s, int64_t ss, float* __restrict d, int64_t ds, int64_t n) {
  if (ds == 0) {  // many sources into one target: add in index order, like the reference
    float acc = d[0];
    for (int64_t j = 0; j < n; j++) acc += s[j * ss];
    d[0] = acc;
  } else if (ds == 1 && ss == 1) {
#pragma omp simd
    for (int64_t j = 0; j < n; j++) d[j] += s[j];
  } else {
    for (int64_t j = 0; j < n; j++) d[j * ds] += s[j * ss];
  }
}

void scatterLayout(const Layout& L, const float* src, int64_t sOff, float* dst, int64_t dOff) {
  const int64_t n = L.inner();
  walkRows(L, 0, L.rows(), dOff, sOff, [&](int64_t, int64_t od, int64_t os) {
    scatterRun(src + os, L.s1.back(), dst + od, L.s0.back(), n);
  });
}

}  // namespace

// scatterStridedAdd(src, sOff, shape, dst, dOff, dstStrides)
Napi::Value ScatterStridedAdd(const Napi::CallbackInfo& info) {
  Args a(info, "scatterStridedAdd", 6);
  F32 S = a.f32(0, "src"), D = a.f32(3, "dst");
  int64_t sOff = a.size(1, "sOff"), dOff = a.size(4, "dOff");
  auto shape = a.ints(2, "shape"), ds = a.ints(5, "dstStrides");
  if (ds.size() != shape.size()) a.rangeError("dstStrides and shape must have the same length");
  i128 total = shapeTotal(a, shape);
  a.need(S, "src", static_cast<i128>(sOff) + total);
  i128 lo, hi;
  if (!stridedExtent(dOff, shape, ds, &lo, &hi)) return info.Env().Undefined();
  a.span(D, "dst", lo, hi);
  // src is contiguous: give it explicit row-major strides so dims can be split below.
  std::vector<int64_t> ss(shape.size());
  int64_t st = 1;
  for (size_t d = shape.size(); d-- > 0;) {
    ss[d] = st;
    st *= shape[d];
  }
  Layout L = coalesce(shape, ds, &ss);
  const float* src = S.p;
  float* dst = D.p;
  int nt = par(static_cast<int64_t>(total)) ? omp_get_max_threads() : 1;
  // Parallel only when threads provably write disjoint targets: split one non-zero-stride dim.
  int pd = -1;
  if (nt > 1 && nonOverlapping(L)) {
    for (size_t d = 0; d < L.shape.size(); d++) {
      if (L.s0[d] == 0) continue;
      if (pd < 0 || L.shape[d] > L.shape[pd]) pd = static_cast<int>(d);
      if (L.shape[d] >= 2 * nt) { pd = static_cast<int>(d); break; }
    }
  }
  if (pd < 0 || L.shape[pd] < 2) {
    scatterLayout(L, src, sOff, dst, dOff);
    return info.Env().Undefined();
  }
#pragma omp parallel num_threads(nt)
  {
    int t = omp_get_thread_num(), k = omp_get_num_threads();
    int64_t i0 = L.shape[pd] * t / k, i1 = L.shape[pd] * (t + 1) / k;
    if (i1 > i0) {
      Layout sub = L;
      sub.shape[pd] = i1 - i0;
      scatterLayout(sub, src, sOff + i0 * L.s1[pd], dst, dOff + i0 * L.s0[pd]);
    }
  }
  return info.Env().Undefined();
}

}  // namespace pelt
