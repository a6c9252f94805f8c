// BERT's input embeddings: words + token types + learned absolute positions, then LayerNorm and dropout.
import { Tensor, add, record } from '../../tensor/index.ts';
import { Module, Embedding, LayerNorm, Dropout } from '../../nn/index.ts';
import { fail } from '../../util/errors.ts';
import type { Rng } from '../../util/rng.ts';
import type { BertConfig } from './config.ts';

export class BertEmbeddings extends Module {
  word_embeddings: Embedding;
  position_embeddings: Embedding;
  token_type_embeddings: Embedding;
  LayerNorm: LayerNorm;
  dropout: Dropout;
  readonly _padId: number | null;

  constructor(config: BertConfig, rng: Rng) {
    super();
    const H = config.hidden_size, std = config.initializer_range;
    this.word_embeddings = new Embedding(config.vocab_size, H, rng.fork(), std);
    this.position_embeddings = new Embedding(config.max_position_embeddings, H, rng.fork(), std);
    this.token_type_embeddings = new Embedding(config.type_vocab_size, H, rng.fork(), std);
    this.LayerNorm = new LayerNorm(H, config.layer_norm_eps);
    this.dropout = new Dropout(config.hidden_dropout_prob, rng.fork());
    this._padId = config.pad_token_id;
    if (this._padId !== null) this.word_embeddings.weight.data.fill(0, this._padId * H, (this._padId + 1) * H); // HF zeroes the padding row
  }

  /** ids [B, T] (row-major), token types default 0, positions 0..T-1  ->  [B, T, H] */
  forward(inputIds: Int32Array, B: number, T: number, tokenTypeIds?: Int32Array): Tensor {
    const maxT = this.position_embeddings.weight.shape[0]!;
    if (T > maxT) fail('usage', `BERT: sequence length ${T} exceeds max_position_embeddings (${maxT})`);
    checkIds('input_ids', inputIds, this.word_embeddings.weight.shape[0]!, 'vocab_size');
    if (tokenTypeIds) checkIds('token_type_ids', tokenTypeIds, this.token_type_embeddings.weight.shape[0]!, 'type_vocab_size');
    const positions = Int32Array.from({ length: T }, (_, t) => t);
    let words = this.word_embeddings.forward(inputIds, [B, T]); // [B, T, H]
    if (this._padId !== null) words = noPadGrad(words, inputIds, this._padId); // [B, T, H]
    const types = this.token_type_embeddings.forward(tokenTypeIds ?? new Int32Array(B * T), [B, T]); // [B, T, H]
    const pos = this.position_embeddings.forward(positions, [1, T]); // [1, T, H]
    const x = add(add(words, types), pos); // [B, T, H]
    return this.dropout.forward(this.LayerNorm.forward(x)); // [B, T, H]
  }
}

/**
 * Identity forward; the backward drops the gradient of tokens equal to the padding id, as torch's
 * nn.Embedding(padding_idx = config.pad_token_id) does, so the padding row never trains.
 */
function noPadGrad(x: Tensor, ids: Int32Array, padId: number): Tensor {
  if (!x.requiresGrad || !ids.includes(padId)) return x;
  const H = x.shape[x.ndim - 1]!;
  return record('embedding_padding_idx', new Tensor(x.data, x.shape), [x], (dy, ctx) => {
    const g = dy.slice();
    ids.forEach((id, i) => {
      if (id === padId) g.fill(0, i * H, (i + 1) * H);
    });
    ctx.pass(0, g);
  });
}

function checkIds(what: string, ids: Int32Array, n: number, field: string): void {
  const i = ids.findIndex((id) => id < 0 || id >= n);
  if (i >= 0) fail('data', `${what}: id ${ids[i]} at position ${i} is outside 0..${n - 1} (config.${field} = ${n})`);
}
