// The one kernel interface every backend implements. Kernels are plain functions over contiguous
// row-major buffers; all shape bookkeeping and autograd live above them (src/tensor/ops/*).
// The js backend accepts Float32Array and Float64Array; the native backend Float32Array only
// (the dispatcher routes float64 to js). Offsets are in elements. Outputs are written, never
// allocated, so the caller owns all memory.

export type Buf = Float32Array | Float64Array;

/** Binary elementwise op codes (binary kernel). */
export const BinOp = { Add: 0, Sub: 1, Mul: 2, Div: 3 } as const;
export type BinOp = (typeof BinOp)[keyof typeof BinOp];

/** Unary elementwise op codes (unary / unaryBackward kernels). */
export const UnOp = {
  Gelu: 0, // x * 0.5 * (1 + erf(x / sqrt(2)))     (BERT's "gelu", erf form)
  Tanh: 1,
  Sigmoid: 2,
  Relu: 3,
  Exp: 4,
  Log: 5,
  Neg: 6,
  Sqrt: 7,
  Square: 8,
} as const;
export type UnOp = (typeof UnOp)[keyof typeof UnOp];

export interface Kernels {
  readonly name: 'native' | 'js';

  /**
   * Batched strided GEMM: for i in [0, batch):
   *   C_i[M,N] = alpha * op(A_i) @ op(B_i) + beta * C_i
   * A_i starts at aOff + i*strideA; op(A_i) is [M,K]; A_i is stored row-major as [M,K] with row
   * stride lda, or (transA) as [K,M] with row stride lda. Likewise B_i ([K,N], or [N,K] if transB)
   * and C_i ([M,N], row stride ldc). beta = 0 must ignore C's old contents (NaN-safe).
   */
  gemm(
    transA: boolean, transB: boolean, M: number, N: number, K: number, alpha: number,
    A: Buf, aOff: number, lda: number, strideA: number,
    B: Buf, bOff: number, ldb: number, strideB: number,
    beta: number, C: Buf, cOff: number, ldc: number, strideC: number, batch: number,
  ): void;

  /**
   * out[idx] = a[aIdx] op b[bIdx] over an N-d index space `shape` (out contiguous, row-major).
   * aStrides / bStrides are element strides per dim (0 = broadcast). Offsets aOff, bOff.
   */
  binary(op: BinOp, a: Buf, aOff: number, aStrides: ArrayLike<number>, b: Buf, bOff: number,
    bStrides: ArrayLike<number>, out: Buf, shape: ArrayLike<number>): void;

  /** out[i] = f(x[i]) for i < n. */
  unary(op: UnOp, x: Buf, out: Buf, n: number): void;
  /**
   * dx[i] (+)= dy[i] * f'(x[i]); y = f(x) is passed for ops whose derivative uses it
   * (tanh, sigmoid, exp, sqrt). accumulate: add into dx instead of overwrite.
   */
  unaryBackward(op: UnOp, x: Buf, y: Buf, dy: Buf, dx: Buf, n: number, accumulate: boolean): void;

  /** out[i] = alpha * x[i] + beta for i < n (out may alias x). */
  affine(x: Buf, alpha: number, beta: number, out: Buf, n: number): void;
  /** y[i] += alpha * x[i] for i < n. */
  axpy(alpha: number, x: Buf, y: Buf, n: number): void;
  /** out[i] = value for i < n (offset off). */
  fill(out: Buf, off: number, n: number, value: number): void;

  /**
   * View x as [outer, reduce, inner] (contiguous) and sum over the middle axis:
   * out[o, j] (+)= sum_r x[o, r, j]. accumulate: add into out.
   */
  sumAxis(x: Buf, outer: number, reduce: number, inner: number, out: Buf, accumulate: boolean): void;

  /**
   * Strided N-d copy into a contiguous destination: dst[dOff + linear(idx)] (+)= src[sOff + sum idx_d * srcStrides_d].
   * Serves permute, transpose, slice, broadcast-expand. accumulate: add into dst (used by backward of
   * gathers; never called with overlapping dst indices).
   */
  copyStrided(src: Buf, sOff: number, srcStrides: ArrayLike<number>, shape: ArrayLike<number>,
    dst: Buf, dOff: number, accumulate: boolean): void;
  /**
   * Reverse of copyStrided: dst[dOff + sum idx_d * dstStrides_d] += src[sOff + linear(idx)].
   * dstStrides may repeat targets (0 strides = broadcast), so this performs a true scatter-add.
   */
  scatterStridedAdd(src: Buf, sOff: number, shape: ArrayLike<number>, dst: Buf, dOff: number,
    dstStrides: ArrayLike<number>): void;

  /**
   * LayerNorm over the last dim: y = (x - mean) * rstd * gamma + beta, rows x cols.
   * Writes mean[rows], rstd[rows] (rstd = 1/sqrt(var + eps), biased variance).
   */
  layerNormForward(x: Buf, gamma: Buf, beta: Buf, rows: number, cols: number, eps: number,
    y: Buf, mean: Buf, rstd: Buf): void;
  /**
   * dx (overwrite), dgamma and dbeta (accumulate; may be null when not needed).
   *   xhat = (x-mean)*rstd; g = dy*gamma
   *   dx = rstd * (g - mean_j(g) - xhat * mean_j(g * xhat))
   *   dgamma += sum_rows dy*xhat; dbeta += sum_rows dy
   */
  layerNormBackward(dy: Buf, x: Buf, gamma: Buf, mean: Buf, rstd: Buf, rows: number, cols: number,
    dx: Buf | null, dgamma: Buf | null, dbeta: Buf | null): void;

  /**
   * Row softmax: y[r, :] = softmax(x[r, :]) over cols, rows x cols. Also used inside attention and
   * cross-entropy. A row that is entirely -inf (fully masked) yields zeros, not NaN; a NaN entry
   * yields NaN there (the rest of that row is unspecified).
   */
  softmaxForward(x: Buf, rows: number, cols: number, y: Buf): void;
  /** dx (overwrite) = y * (dy - sum_j(dy * y)). */
  softmaxBackward(y: Buf, dy: Buf, rows: number, cols: number, dx: Buf): void;

  /**
   * Fused multi-head attention on [B, T, H] layouts (H = NH * HS), no permute copies:
   *   S[b,h] = scale * Q[b,:,h] @ K[b,:,h]^T + mask[b, :]      [Tq, Tk]
   *   P = softmax(S) (saved to probs [B, NH, Tq, Tk])
   *   P' = P * dropMask, dropMask[i] = the mask bernoulliMask(.., n = B*NH*Tq*Tk, dropKeep, 1/dropKeep,
   *        dropSeed, offset 0) would write, drawn on the fly and never stored (dropKeep = 1: no dropout)
   *   out[b,:,h] = P' @ V[b,:,h]                                [Tq, HS]
   * q: [B, Tq, H]; k, v: [B, Tk, H]; mask: additive [B, Tk] or null; out: [B, Tq, H].
   */
  attentionForward(q: Buf, k: Buf, v: Buf, mask: Buf | null, dropKeep: number, dropSeed: number,
    B: number, Tq: number, Tk: number, NH: number, HS: number, scale: number,
    probs: Buf, out: Buf): void;
  /**
   * Backward of attentionForward (same dropKeep, dropSeed); dq, dk, dv are overwritten (each may be null):
   *   dP' = dOut @ V^T; dV = P'^T @ dOut; dP = dP' * dropMask;
   *   dS = P * (dP - rowsum(dP * P)); dQ = scale * dS @ K; dK = scale * dS^T @ Q.
   */
  attentionBackward(q: Buf, k: Buf, v: Buf, probs: Buf, dropKeep: number, dropSeed: number, dOut: Buf,
    B: number, Tq: number, Tk: number, NH: number, HS: number, scale: number,
    dq: Buf | null, dk: Buf | null, dv: Buf | null): void;

  /** out[i, :] = weight[ids[i], :], weight [V, H], out [N, H], N = ids.length. Throws on an id outside [0, V). */
  embeddingForward(weight: Buf, ids: Int32Array, V: number, H: number, out: Buf): void;
  /** dWeight[ids[i], :] += dOut[i, :] for i < ids.length. Throws on an id outside [0, V). */
  embeddingBackward(dOut: Buf, ids: Int32Array, V: number, H: number, dWeight: Buf): void;

  /**
   * Cross-entropy from logits [N, C] with integer labels; labels equal to ignoreIndex are skipped.
   * Writes probs (softmax of logits, [N, C]); returns the SUM of losses over counted rows.
   */
  crossEntropyForward(logits: Buf, labels: Int32Array, N: number, C: number, ignoreIndex: number,
    probs: Buf): number;
  /** dLogits (overwrite) = scale * (probs - onehot(label)), zero rows for ignored labels. */
  crossEntropyBackward(probs: Buf, labels: Int32Array, N: number, C: number, ignoreIndex: number,
    scale: number, dLogits: Buf): void;

  /**
   * Counter-based uniform numbers shared bit-for-bit by every backend, so masks are reproducible:
   *   h = (imul(i + offset + 1, 0x9E3779B9) + seed) >>> 0
   *   h ^= h >>> 16; h = imul(h, 0x85EBCA6B); h ^= h >>> 13; h = imul(h, 0xC2B2AE35); h ^= h >>> 16
   *   u_i = (h >>> 8) * 2^-24                               (u in [0, 1), 24 bits)
   * bernoulliMask: out[i] = u_i < keep ? scale : 0 for i < n. Used by dropout (keep = 1-p,
   * scale = 1/(1-p)) and Child-Tuning_F (keep = p_F, scale = 1/p_F). seed is a uint32.
   */
  bernoulliMask(out: Buf, n: number, keep: number, scale: number, seed: number, offset: number): void;
  /**
   * Dropout without a mask buffer: out[i] = x[i] * (u_i < keep ? 1/keep : 0) for i < n, the mask
   * bernoulliMask(.., keep, 1/keep, seed, offset) writes, applied on the fly (x * 0 keeps NaN).
   * The same call on dy gives dropout's backward. keep in (0, 1]; out may alias x.
   */
  dropoutApply(x: Buf, out: Buf, n: number, keep: number, seed: number, offset: number): void;

  /** sum_i x[i]^2 for i < n, accumulated in float64. */
  sumSquares(x: Buf, n: number): number;
  /** Returns the number of non-finite (NaN or +-Inf) entries among x[0..n). */
  countNonFinite(x: Buf, n: number): number;

  /**
   * One AdamW step (torch.optim.AdamW semantics), in place on param, m, v, for i < n:
   *   g = grad[i] * (gradMask ? gradMask[i] : 1)
   *   param *= 1 - lr * weightDecay             (decoupled decay, before the moment update)
   *   m = beta1 m + (1-beta1) g;  v = beta2 v + (1-beta2) g^2
   *   param -= lr * (m / bc1) / (sqrt(v / bc2) + eps)     bc1 = 1-beta1^t, bc2 = 1-beta2^t
   */
  adamwStep(param: Buf, grad: Buf, m: Buf, v: Buf, n: number, lr: number, beta1: number,
    beta2: number, eps: number, weightDecay: number, bc1: number, bc2: number,
    gradMask: Buf | null): void;
}
