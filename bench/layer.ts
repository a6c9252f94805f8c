// One BERT encoder layer (post-LN) built from pelt's ops, matching bench/torch_peer.py's Layer,
// with an optional frozen-base LoRA pair on query and value.
import * as T from '../src/tensor/index.ts';
import { Tensor, zeros } from '../src/tensor/tensor.ts';
import { Rng } from '../src/util/rng.ts';
import { normal_, ones_ } from '../src/nn/init.ts';

export interface LayerShape {
  batch: number;
  seq: number;
  hidden: number;
  heads: number;
  ffn: number;
  loraRank: number;
}

export class BenchLayer {
  readonly params: Record<string, Tensor> = {};
  private readonly rng = new Rng(1);
  constructor(readonly s: LayerShape) {
    const H = s.hidden, F = s.ffn, rng = new Rng(0);
    const w = (o: number, i: number) => normal_(zeros([o, i], 'float32', true), rng, 0.02);
    const b = (o: number) => zeros([o], 'float32', true);
    Object.assign(this.params, {
      qw: w(H, H), qb: b(H), kw: w(H, H), kb: b(H), vw: w(H, H), vb: b(H), ow: w(H, H), ob: b(H),
      ln1w: ones_(zeros([H], 'float32', true)), ln1b: b(H), iw: w(F, H), ib: b(F), o2w: w(H, F), o2b: b(H),
      ln2w: ones_(zeros([H], 'float32', true)), ln2b: b(H),
    });
    if (s.loraRank > 0) {
      for (const p of Object.values(this.params)) p.requiresGrad = false;
      const r = s.loraRank;
      Object.assign(this.params, {
        qa: normal_(zeros([r, H], 'float32', true), rng, 0.02), qB: zeros([H, r], 'float32', true),
        va: normal_(zeros([r, H], 'float32', true), rng, 0.02), vB: zeros([H, r], 'float32', true),
      });
    }
  }
  trainable(): Tensor[] {
    return Object.values(this.params).filter((p) => p.requiresGrad);
  }
  forward(x: Tensor, mask: Tensor, training: boolean): Tensor {
    const p = this.params, s = this.s;
    const drop = (t: Tensor) => (training ? T.dropout(t, 0.1, this.rng) : t);
    let q: Tensor, v: Tensor; // [B, T, H]
    if (s.loraRank === 0) {
      q = T.linear(x, p.qw!, p.qb!);
      v = T.linear(x, p.vw!, p.vb!);
    } else {
      // x W^T + b + (alpha/r) x A^T B^T, as src/methods/lora computes it for this many tokens: one product
      // through W + (alpha/r) B A, gradients for A and B in factored form (T.linearLowRank)
      q = T.linearLowRank(x, p.qw!, p.qb!, p.qa!, p.qB!, 2);
      v = T.linearLowRank(x, p.vw!, p.vb!, p.va!, p.vB!, 2);
    }
    const k = T.linear(x, p.kw!, p.kb!); // [B, T, H]
    const ctx = T.attention(q, k, v, { numHeads: s.heads, mask, dropout: training ? { p: 0.1, rng: this.rng } : null }); // [B, T, H]
    const h1 = T.layerNorm(T.add(drop(T.linear(ctx, p.ow!, p.ob!)), x), p.ln1w!, p.ln1b!, 1e-12); // [B, T, H]
    const f = drop(T.linear(T.gelu(T.linear(h1, p.iw!, p.ib!)), p.o2w!, p.o2b!)); // [B, T, F] -> [B, T, H]
    return T.layerNorm(T.add(f, h1), p.ln2w!, p.ln2b!, 1e-12);
  }
}
