// Fused multi-head attention on [B, T, H] layouts. Each (batch, head) pair is a strided view
// (row stride H = NH * HS), so OpenBLAS reads heads in place and no permute copies are made.
// Heads run in parallel across cores; OpenBLAS runs single-threaded inside the parallel region
// (it checks omp_in_parallel()), which measured faster than threading each small head product.
#include <cblas.h>

#include <algorithm>
#include <vector>

#include "common.h"
#include "rng.h"
#include "softmax.h"

namespace pelt {

namespace {

struct Dims {
  int64_t B, Tq, Tk, NH, HS, H;
};

Dims readDims(const Args& a, size_t i) {
  Dims d{a.size(i, "B"), a.size(i + 1, "Tq"), a.size(i + 2, "Tk"), a.size(i + 3, "NH"),
         a.size(i + 4, "HS"), 0};
  if (d.Tq > INT32_MAX || d.Tk > INT32_MAX || d.NH * d.HS > INT32_MAX) {
    a.rangeError("Tq, Tk and NH * HS must be < 2^31");
  }
  d.H = d.NH * d.HS;
  return d;
}

// Per-thread scratch reused across calls (a [Tq, Tk] score matrix per head in flight).
float* scratch(std::vector<float>& buf, int64_t n) {
  if (static_cast<int64_t>(buf.size()) < n) buf.resize(static_cast<size_t>(n));
  return buf.data();
}
thread_local std::vector<float> tlsA, tlsB;

inline void sgemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                  int64_t lda, const float* B, int64_t ldb, float* C, int64_t ldc) {
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
              static_cast<int>(M), static_cast<int>(N), static_cast<int>(K), alpha, A,
              static_cast<int>(lda), B, static_cast<int>(ldb), 0.0f, C, static_cast<int>(ldc));
}

}  // namespace

// The attention-dropout mask of element i of probs [B, NH, Tq, Tk]: bernoulliMask's stream at
// offset 0, drawn on the fly (dropKeep = 1: no dropout).
static bool readDrop(const Args& a, size_t i, KeepMask* m) {
  double keep = a.num(i, "dropKeep");
  if (!(keep > 0 && keep <= 1)) a.rangeError("dropKeep must be in (0, 1]");
  *m = KeepMask(keep, static_cast<uint32_t>(static_cast<uint64_t>(a.integer(i + 1, "dropSeed"))), 1u);
  return keep < 1;
}

// attentionForward(q, k, v, mask, dropKeep, dropSeed, B, Tq, Tk, NH, HS, scale, probs, out)
Napi::Value AttentionForward(const Napi::CallbackInfo& info) {
  Args a(info, "attentionForward", 14);
  F32 Q = a.f32(0, "q"), K = a.f32(1, "k"), V = a.f32(2, "v");
  F32 MASK = a.f32OrNull(3, "mask");
  KeepMask dm(1, 0, 1);
  const bool drop = readDrop(a, 4, &dm);
  Dims d = readDims(a, 6);
  float scale = static_cast<float>(a.num(11, "scale"));
  F32 P = a.f32(12, "probs"), OUT = a.f32(13, "out");
  const i128 nq = static_cast<i128>(d.B) * d.Tq * d.H, nk = static_cast<i128>(d.B) * d.Tk * d.H;
  const i128 np = static_cast<i128>(d.B) * d.NH * d.Tq * d.Tk;
  a.need(Q, "q", nq);
  a.need(K, "k", nk);
  a.need(V, "v", nk);
  if (MASK.p) a.need(MASK, "mask", static_cast<i128>(d.B) * d.Tk);
  a.need(P, "probs", np);
  a.need(OUT, "out", nq);
  if (d.B == 0 || d.NH == 0 || d.Tq == 0) return info.Env().Undefined();
  if (d.Tk == 0) a.rangeError("Tk must be > 0 (softmax over zero keys)");
  if (d.HS == 0) a.rangeError("HS must be > 0");

  const float *q = Q.p, *k = K.p, *v = V.p, *mask = MASK.p;
  float *probs = P.p, *out = OUT.p;
  const int64_t heads = d.B * d.NH, TT = d.Tq * d.Tk;
#pragma omp parallel for if (heads > 1 && blasNestsInOpenMP()) schedule(static)
  for (int64_t bh = 0; bh < heads; bh++) {
    const int64_t b = bh / d.NH, h = bh % d.NH;
    const float* qh = q + b * d.Tq * d.H + h * d.HS;
    const float* kh = k + b * d.Tk * d.H + h * d.HS;
    const float* vh = v + b * d.Tk * d.H + h * d.HS;
    float* ph = probs + bh * TT;
    // S = scale * Q K^T   [Tq, HS] x [HS, Tk]
    sgemm(false, true, d.Tq, d.Tk, d.HS, scale, qh, d.H, kh, d.H, ph, d.Tk);
    const float* mrow = mask ? mask + b * d.Tk : nullptr;
    for (int64_t i = 0; i < d.Tq; i++) {
      float* row = ph + i * d.Tk;
      if (mrow) {
#pragma omp simd
        for (int64_t j = 0; j < d.Tk; j++) row[j] += mrow[j];
      }
      softmaxRow(row, row, d.Tk);
    }
    const float* pUse = ph;
    if (drop) {  // P' = P * dropMask (probs keeps the undropped P for backward)
      float* pd = scratch(tlsA, TT);
      applyKeep(ph, pd, TT, bh * TT, dm);
      pUse = pd;
    }
    // out = P' V   [Tq, Tk] x [Tk, HS]
    sgemm(false, false, d.Tq, d.HS, d.Tk, 1.0f, pUse, d.Tk, vh, d.H,
          out + b * d.Tq * d.H + h * d.HS, d.H);
  }
  return info.Env().Undefined();
}

// attentionBackward(q, k, v, probs, dropKeep, dropSeed, dOut, B, Tq, Tk, NH, HS, scale, dq, dk, dv)
Napi::Value AttentionBackward(const Napi::CallbackInfo& info) {
  Args a(info, "attentionBackward", 16);
  F32 Q = a.f32(0, "q"), K = a.f32(1, "k"), V = a.f32(2, "v"), P = a.f32(3, "probs");
  KeepMask dm(1, 0, 1);
  const bool drop = readDrop(a, 4, &dm);
  F32 DOUT = a.f32(6, "dOut");
  Dims d = readDims(a, 7);
  float scale = static_cast<float>(a.num(12, "scale"));
  F32 DQ = a.f32OrNull(13, "dq"), DK = a.f32OrNull(14, "dk"), DV = a.f32OrNull(15, "dv");
  const i128 nq = static_cast<i128>(d.B) * d.Tq * d.H, nk = static_cast<i128>(d.B) * d.Tk * d.H;
  const i128 np = static_cast<i128>(d.B) * d.NH * d.Tq * d.Tk;
  a.need(Q, "q", nq);
  a.need(K, "k", nk);
  a.need(V, "v", nk);
  a.need(P, "probs", np);
  a.need(DOUT, "dOut", nq);
  if (DQ.p) a.need(DQ, "dq", nq);
  if (DK.p) a.need(DK, "dk", nk);
  if (DV.p) a.need(DV, "dv", nk);
  if (d.B == 0 || d.NH == 0 || d.HS == 0) return info.Env().Undefined();

  const float *q = Q.p, *k = K.p, *v = V.p, *probs = P.p, *dout = DOUT.p;
  float *dq = DQ.p, *dk = DK.p, *dv = DV.p;
  // With no queries (or no keys) the products are empty sums: gradients are zero.
  if (d.Tq == 0 || d.Tk == 0) {
    if (dq) std::fill(dq, dq + static_cast<int64_t>(nq), 0.0f);
    if (dk) std::fill(dk, dk + static_cast<int64_t>(nk), 0.0f);
    if (dv) std::fill(dv, dv + static_cast<int64_t>(nk), 0.0f);
    return info.Env().Undefined();
  }
  const bool wantS = dq || dk;
  const int64_t heads = d.B * d.NH, TT = d.Tq * d.Tk;
#pragma omp parallel for if (heads > 1 && blasNestsInOpenMP()) schedule(static)
  for (int64_t bh = 0; bh < heads; bh++) {
    const int64_t b = bh / d.NH, h = bh % d.NH;
    const int64_t qo = b * d.Tq * d.H + h * d.HS, ko = b * d.Tk * d.H + h * d.HS;
    const float* ph = probs + bh * TT;
    const int64_t m0 = bh * TT;
    if (dv) {  // dV = P'^T dOut   [Tk, Tq] x [Tq, HS]
      const float* pUse = ph;
      if (drop) {
        float* pd = scratch(tlsB, TT);
        applyKeep(ph, pd, TT, m0, dm);
        pUse = pd;
      }
      sgemm(true, false, d.Tk, d.HS, d.Tq, 1.0f, pUse, d.Tk, dout + qo, d.H, dv + ko, d.H);
    }
    if (!wantS) continue;
    // dP' = dOut V^T   [Tq, HS] x [HS, Tk]; then dP = dP' * dropMask; dS = softmax backward.
    float* ds = scratch(tlsA, TT);
    sgemm(false, true, d.Tq, d.Tk, d.HS, 1.0f, dout + qo, d.H, v + ko, d.H, ds, d.Tk);
    if (drop) applyKeep(ds, ds, TT, m0, dm);
    for (int64_t i = 0; i < d.Tq; i++) softmaxBackRow(ph + i * d.Tk, ds + i * d.Tk, ds + i * d.Tk, d.Tk);
    // dQ = scale * dS K   [Tq, Tk] x [Tk, HS];  dK = scale * dS^T Q   [Tk, Tq] x [Tq, HS]
    if (dq) sgemm(false, false, d.Tq, d.HS, d.Tk, scale, ds, d.Tk, k + ko, d.H, dq + qo, d.H);
    if (dk) sgemm(true, false, d.Tk, d.HS, d.Tq, scale, ds, d.Tk, q + qo, d.H, dk + ko, d.H);
  }
  return info.Env().Undefined();
}

}  // namespace pelt
