// N-d strided index walking shared by binary, copyStrided and scatterStridedAdd.
// Dimensions are first coalesced (size-1 dims dropped, contiguous neighbours merged) so the
// innermost run is as long as possible and the per-element loop is a plain vectorizable loop.
#pragma once

#include <cstdint>
#include <vector>

namespace pelt {

struct Layout {
  std::vector<int64_t> shape;  // outer dims ... inner dim (last); at least one entry
  std::vector<int64_t> s0, s1;  // strides of up to two operands (s1 empty when unused)
  int64_t inner() const { return shape.back(); }
  int64_t rows() const {
    int64_t r = 1;
    for (size_t d = 0; d + 1 < shape.size(); d++) r *= shape[d];
    return r;
  }
};

// Merge dims d, d+1 when every operand steps over d exactly as one full run of d+1.
inline Layout coalesce(const std::vector<int64_t>& shape, const std::vector<int64_t>& s0,
                       const std::vector<int64_t>* s1) {
  Layout L;
  for (size_t d = 0; d < shape.size(); d++) {
    if (shape[d] == 1) continue;
    bool merge = !L.shape.empty() && L.s0.back() == s0[d] * shape[d] &&
                 (!s1 || L.s1.back() == (*s1)[d] * shape[d]);
    if (merge) {
      L.shape.back() *= shape[d];
      L.s0.back() = s0[d];
      if (s1) L.s1.back() = (*s1)[d];
    } else {
      L.shape.push_back(shape[d]);
      L.s0.push_back(s0[d]);
      if (s1) L.s1.push_back((*s1)[d]);
    }
  }
  if (L.shape.empty()) {  // scalar (all dims 1, or no dims)
    L.shape.push_back(1);
    L.s0.push_back(0);
    if (s1) L.s1.push_back(0);
  }
  return L;
}

// Calls f(row, off0, off1) for outer rows [r0, r1) in row-major order, where off0/off1 are the
// operands' element offsets of the row's first inner element (relative to base0/base1).
template <class F>
void walkRows(const Layout& L, int64_t r0, int64_t r1, int64_t base0, int64_t base1, F f) {
  if (r0 >= r1) return;
  const int nd = static_cast<int>(L.shape.size()) - 1;  // outer dims
  bool two = !L.s1.empty();
  int64_t idx[32];
  int64_t o0 = base0, o1 = base1;
  int64_t rem = r0;
  for (int d = nd - 1; d >= 0; d--) {
    idx[d] = rem % L.shape[d];
    rem /= L.shape[d];
    o0 += idx[d] * L.s0[d];
    if (two) o1 += idx[d] * L.s1[d];
  }
  for (int64_t r = r0; r < r1; r++) {
    f(r, o0, o1);
    for (int d = nd - 1; d >= 0; d--) {  // odometer increment
      idx[d]++;
      o0 += L.s0[d];
      if (two) o1 += L.s1[d];
      if (idx[d] < L.shape[d]) break;
      o0 -= L.s0[d] * L.shape[d];
      if (two) o1 -= L.s1[d] * L.shape[d];
      idx[d] = 0;
    }
  }
}

}  // namespace pelt
