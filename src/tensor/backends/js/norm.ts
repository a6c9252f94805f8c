import type { Buf } from '../kernels.ts';

export function layerNormForward(x: Buf, gamma: Buf, beta: Buf, rows: number, cols: number, eps: number,
  y: Buf, mean: Buf, rstd: Buf): void {
  for (let r = 0; r < rows; r++) {
    const b = r * cols;
    let s = 0;
    for (let j = 0; j < cols; j++) s += x[b + j]!;
    const mu = s / cols;
    let v = 0;
    for (let j = 0; j < cols; j++) { const d = x[b + j]! - mu; v += d * d; }
    const rs = 1 / Math.sqrt(v / cols + eps);
    mean[r] = mu;
    rstd[r] = rs;
    for (let j = 0; j < cols; j++) y[b + j] = (x[b + j]! - mu) * rs * gamma[j]! + beta[j]!;
  }
}

export function layerNormBackward(dy: Buf, x: Buf, gamma: Buf, mean: Buf, rstd: Buf, rows: number, cols: number,
  dx: Buf | null, dgamma: Buf | null, dbeta: Buf | null): void {
  for (let r = 0; r < rows; r++) {
    const b = r * cols;
    const mu = mean[r]!, rs = rstd[r]!;
    let sg = 0, sgx = 0;
    for (let j = 0; j < cols; j++) {
      const xh = (x[b + j]! - mu) * rs;
      const g = dy[b + j]! * gamma[j]!;
      sg += g;
      sgx += g * xh;
      if (dgamma) dgamma[j]! += dy[b + j]! * xh;
      if (dbeta) dbeta[j]! += dy[b + j]!;
    }
    if (dx) {
      const mg = sg / cols, mgx = sgx / cols;
      for (let j = 0; j < cols; j++) {
        const xh = (x[b + j]! - mu) * rs;
        dx[b + j] = rs * (dy[b + j]! * gamma[j]! - mg - xh * mgx);
      }
    }
  }
}

export function softmaxForward(x: Buf, rows: number, cols: number, y: Buf): void {
  for (let r = 0; r < rows; r++) softmaxRow(x, r * cols, cols, y, r * cols);
}

/** y[yo..yo+cols) = softmax(x[xo..xo+cols)), max-subtracted. */
export function softmaxRow(x: Buf, xo: number, cols: number, y: Buf, yo: number): void {
  let m = -Infinity;
  for (let j = 0; j < cols; j++) if (x[xo + j]! > m) m = x[xo + j]!;
  if (m === -Infinity) m = 0; // a fully masked row: all -inf -> uniform NaN-free zeros below
  let s = 0;
  for (let j = 0; j < cols; j++) { const e = Math.exp(x[xo + j]! - m); y[yo + j] = e; s += e; }
  const inv = s > 0 ? 1 / s : 0;
  for (let j = 0; j < cols; j++) y[yo + j]! *= inv;
}

export function softmaxBackward(y: Buf, dy: Buf, rows: number, cols: number, dx: Buf): void {
  for (let r = 0; r < rows; r++) {
    const b = r * cols;
    let s = 0;
    for (let j = 0; j < cols; j++) s += dy[b + j]! * y[b + j]!;
    for (let j = 0; j < cols; j++) dx[b + j] = y[b + j]! * (dy[b + j]! - s);
  }
}
