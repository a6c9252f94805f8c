// Broadcasting binary ops, scalar affine ops and unary activations.
import { BinOp, UnOp, type Buf } from '../backends/kernels.ts';
import { record } from '../autograd.ts';
import { Tensor } from '../tensor.ts';
import { sameShape } from '../../util/assert.ts';
import { kern, emptyUninit, bufUninit, broadcastShape, broadcastStrides, contiguousStrides } from './util.ts';

const NAMES = ['add', 'sub', 'mul', 'div'] as const;

function binaryOp(op: BinOp, a: Tensor, b: Tensor): Tensor {
  const name = NAMES[op];
  const k = kern(name, a, b);
  const shape = broadcastShape(name, a.shape, b.shape);
  const sa = broadcastStrides(a.shape, shape), sb = broadcastStrides(b.shape, shape);
  const out = emptyUninit(shape, a); // binary writes every element
  k.binary(op, a.data, 0, sa, b.data, 0, sb, out.data, shape);
  const own = contiguousStrides(shape);
  // Reduce a full-size gradient g onto input i's (possibly broadcast) shape.
  const reduceInto = (g: Buf, st: number[]) => (buf: Buf, accumulate: boolean) => {
    if (!accumulate) buf.fill(0);
    k.scatterStridedAdd(g, 0, shape, buf, 0, st);
  };
  return record(name, out, [a, b], (dy, ctx) => {
    // dy (op) y, with y broadcast to the output shape
    const full = (y: Tensor, sy: number[], bop: BinOp): Buf => {
      const g = bufUninit(dy, dy.length); // binary overwrites
      k.binary(bop, dy, 0, own, y.data, 0, sy, g, shape);
      return g;
    };
    const give = (i: number, t: Tensor, st: number[], g: Buf) => {
      if (sameShape(t.shape, shape)) ctx.pass(i, g);
      else ctx.acc(i, reduceInto(g, st));
    };
    if (op === BinOp.Add || op === BinOp.Sub) {
      // y = a + b  =>  da = dy, db = dy   (y = a - b  =>  db = -dy)
      if (ctx.needs(0)) give(0, a, sa, dy);
      if (ctx.needs(1)) {
        let g = dy;
        if (op === BinOp.Sub) { g = bufUninit(dy, dy.length); k.affine(dy, -1, 0, g, dy.length); }
        else if (ctx.needs(0)) { // a and b must not share one gradient buffer: a pooled copy (a residual's two branches)
          g = bufUninit(dy, dy.length);
          k.copyStrided(dy, 0, [1], [dy.length], g, 0, false);
        }
        give(1, b, sb, g);
      }
    } else if (op === BinOp.Mul) {
      // y = a * b  =>  da = dy * b, db = dy * a
      if (ctx.needs(0)) give(0, a, sa, full(b, sb, BinOp.Mul));
      if (ctx.needs(1)) give(1, b, sb, full(a, sa, BinOp.Mul));
    } else {
      // y = a / b  =>  da = dy / b, db = -dy * a / b^2 = -(dy / b) * y
      const dyb = full(b, sb, BinOp.Div);
      if (ctx.needs(1)) {
        const g = bufUninit(dy, dy.length); // binary overwrites
        k.binary(BinOp.Mul, dyb, 0, own, out.data, 0, own, g, shape);
        k.affine(g, -1, 0, g, g.length);
        give(1, b, sb, g);
      }
      if (ctx.needs(0)) give(0, a, sa, dyb);
    }
  });
}

export const add = (a: Tensor, b: Tensor): Tensor => binaryOp(BinOp.Add, a, b);
export const sub = (a: Tensor, b: Tensor): Tensor => binaryOp(BinOp.Sub, a, b);
export const mul = (a: Tensor, b: Tensor): Tensor => binaryOp(BinOp.Mul, a, b);
export const div = (a: Tensor, b: Tensor): Tensor => binaryOp(BinOp.Div, a, b);

/** y = alpha * x + beta  =>  dx = alpha * dy */
export function affine(x: Tensor, alpha: number, beta = 0): Tensor {
  const k = kern('affine', x);
  const out = emptyUninit(x.shape, x); // affine overwrites
  k.affine(x.data, alpha, beta, out.data, x.size);
  return record('affine', out, [x], (dy, ctx) => {
    ctx.acc(0, (buf, accumulate) => {
      if (accumulate) k.axpy(alpha, dy, buf, buf.length);
      else k.affine(dy, alpha, 0, buf, buf.length);
    });
  });
}
export const scale = (x: Tensor, alpha: number): Tensor => affine(x, alpha, 0);

function unaryOp(name: string, op: UnOp, x: Tensor): Tensor {
  const k = kern(name, x);
  const out = emptyUninit(x.shape, x); // unary overwrites
  k.unary(op, x.data, out.data, x.size);
  return record(name, out, [x], (dy, ctx) => {
    ctx.acc(0, (buf, accumulate) => k.unaryBackward(op, x.data, out.data, dy, buf, x.size, accumulate));
  });
}

/** GELU, erf form (BERT's "gelu"): x * Phi(x)  =>  dx = dy * (Phi(x) + x phi(x)) */
export const gelu = (x: Tensor): Tensor => unaryOp('gelu', UnOp.Gelu, x);
/** y = tanh x  =>  dx = dy (1 - y^2) */
export const tanh = (x: Tensor): Tensor => unaryOp('tanh', UnOp.Tanh, x);
/** y = 1/(1+e^-x)  =>  dx = dy y (1 - y) */
export const sigmoid = (x: Tensor): Tensor => unaryOp('sigmoid', UnOp.Sigmoid, x);
/** y = max(x, 0)  =>  dx = dy [x > 0] */
export const relu = (x: Tensor): Tensor => unaryOp('relu', UnOp.Relu, x);
/** y = e^x  =>  dx = dy y */
export const exp = (x: Tensor): Tensor => unaryOp('exp', UnOp.Exp, x);
/** y = ln x  =>  dx = dy / x */
export const log = (x: Tensor): Tensor => unaryOp('log', UnOp.Log, x);
/** y = sqrt x  =>  dx = dy / (2 y) */
export const sqrt = (x: Tensor): Tensor => unaryOp('sqrt', UnOp.Sqrt, x);
/** y = x^2  =>  dx = 2 x dy */
export const square = (x: Tensor): Tensor => unaryOp('square', UnOp.Square, x);
export const neg = (x: Tensor): Tensor => unaryOp('neg', UnOp.Neg, x);
