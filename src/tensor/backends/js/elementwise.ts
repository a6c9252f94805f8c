import { BinOp, UnOp, type Buf } from '../kernels.ts';
import { erf } from './erf.ts';

const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** Index iteration over `shape` with per-operand strides (broadcast = stride 0). */
export function binary(op: BinOp, a: Buf, aOff: number, aStrides: ArrayLike<number>, b: Buf, bOff: number,
  bStrides: ArrayLike<number>, out: Buf, shape: ArrayLike<number>): void {
  const nd = shape.length;
  const n = out.length;
  const idx = new Array<number>(nd).fill(0);
  let ai = aOff, bi = bOff;
  for (let o = 0; o < n; o++) {
    const x = a[ai]!, y = b[bi]!;
    out[o] = op === BinOp.Add ? x + y : op === BinOp.Sub ? x - y : op === BinOp.Mul ? x * y : x / y;
    for (let d = nd - 1; d >= 0; d--) {
      idx[d]!++;
      ai += aStrides[d]!;
      bi += bStrides[d]!;
      if (idx[d]! < shape[d]!) break;
      ai -= aStrides[d]! * shape[d]!;
      bi -= bStrides[d]! * shape[d]!;
      idx[d] = 0;
    }
  }
}

function f(op: UnOp, x: number): number {
  switch (op) {
    case UnOp.Gelu: return 0.5 * x * (1 + erf(x * SQRT1_2));
    case UnOp.Tanh: return Math.tanh(x);
    case UnOp.Sigmoid: return 1 / (1 + Math.exp(-x));
    case UnOp.Relu: return x > 0 ? x : 0;
    case UnOp.Exp: return Math.exp(x);
    case UnOp.Log: return Math.log(x);
    case UnOp.Neg: return -x;
    case UnOp.Sqrt: return Math.sqrt(x);
    case UnOp.Square: return x * x;
  }
}

function df(op: UnOp, x: number, y: number): number {
  switch (op) {
    // d/dx [x Phi(x)] = Phi(x) + x phi(x)
    case UnOp.Gelu: return 0.5 * (1 + erf(x * SQRT1_2)) + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x);
    case UnOp.Tanh: return 1 - y * y;
    case UnOp.Sigmoid: return y * (1 - y);
    case UnOp.Relu: return x > 0 ? 1 : 0;
    case UnOp.Exp: return y;
    case UnOp.Log: return 1 / x;
    case UnOp.Neg: return -1;
    case UnOp.Sqrt: return 0.5 / y;
    case UnOp.Square: return 2 * x;
  }
}

export function unary(op: UnOp, x: Buf, out: Buf, n: number): void {
  for (let i = 0; i < n; i++) out[i] = f(op, x[i]!);
}

export function unaryBackward(op: UnOp, x: Buf, y: Buf, dy: Buf, dx: Buf, n: number, accumulate: boolean): void {
  for (let i = 0; i < n; i++) {
    const g = dy[i]! * df(op, x[i]!, y[i]!);
    dx[i] = accumulate ? dx[i]! + g : g;
  }
}

export function affine(x: Buf, alpha: number, beta: number, out: Buf, n: number): void {
  for (let i = 0; i < n; i++) out[i] = alpha * x[i]! + beta;
}

export function axpy(alpha: number, x: Buf, y: Buf, n: number): void {
  for (let i = 0; i < n; i++) y[i]! += alpha * x[i]!;
}

export function fill(out: Buf, off: number, n: number, value: number): void {
  out.fill(value, off, off + n);
}
