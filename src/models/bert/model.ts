// BertModel as Hugging Face computes it: embeddings, post-LN encoder layers, tanh pooler on [CLS].
import { Tensor, reshape, slice, tanh, tensor } from '../../tensor/index.ts';
import { Module, Linear } from '../../nn/index.ts';
import { fail } from '../../util/errors.ts';
import { Rng } from '../../util/rng.ts';
import type { EncoderHooks, HookableEncoder } from '../hooks.ts';
import type { BertConfig } from './config.ts';
import { BertEmbeddings } from './embeddings.ts';
import { BertEncoder, type BertLayer } from './layer.ts';

/** A tokenized batch, row-major [batch, seqLen] (the tokenizer's BatchEncoding fits). */
export interface BertInput {
  inputIds: Int32Array;
  batch: number;
  seqLen: number;
  /** 1 for tokens, 0 for padding; all tokens when absent. */
  attentionMask?: ArrayLike<number>;
  /** Segment ids (0 for sentence A, 1 for B); all 0 when absent. */
  tokenTypeIds?: Int32Array;
}

export interface BertOutput {
  lastHiddenState: Tensor; // [B, T, H]
  pooledOutput: Tensor; // [B, H]
}

/**
 * torch.finfo(torch.float32).min: current Hugging Face BertModel (get_extended_attention_mask and the
 * SDPA mask helpers) fill masked positions with the dtype's minimum; versions before 4.x used -10000.0.
 */
export const MASK_MIN = -3.4028234663852886e38;

export class BertPooler extends Module {
  dense: Linear;
  constructor(config: BertConfig, rng: Rng) {
    super();
    this.dense = new Linear(config.hidden_size, config.hidden_size, rng, { std: config.initializer_range });
  }
  /** h [B, T, H]  ->  tanh(dense(h[:, 0])) [B, H] */
  forward(h: Tensor): Tensor {
    const [B, , H] = h.shape as [number, number, number];
    const first = reshape(slice(h, 1, 0, 1), [B, H]); // [B, T, H] -> [B, 1, H] -> [B, H]
    return tanh(this.dense.forward(first)); // [B, H]
  }
}

export class BertModel extends Module implements HookableEncoder {
  embeddings: BertEmbeddings;
  encoder: BertEncoder;
  pooler: BertPooler;
  /** Per-forward method hooks (see ../hooks.ts); null = none. */
  hooks: EncoderHooks | null = null;
  readonly _config: BertConfig;

  constructor(config: BertConfig, rng: Rng = new Rng(0)) {
    super();
    this.embeddings = new BertEmbeddings(config, rng.fork());
    this.encoder = new BertEncoder(config, rng.fork());
    this.pooler = new BertPooler(config, rng.fork());
    this._config = config;
  }

  get config(): BertConfig {
    return this._config;
  }
  get layers(): readonly BertLayer[] {
    return this.encoder.layer;
  }
  get hiddenSize(): number {
    return this._config.hidden_size;
  }
  get numHeads(): number {
    return this._config.num_attention_heads;
  }

  forward(input: BertInput): BertOutput {
    const { inputIds, batch: B, seqLen: T, attentionMask } = input;
    checkInput(input);
    const dtype = this.embeddings.word_embeddings.weight.dtype;
    // 0/1 mask m [B, T] -> additive (1 - m) * finfo(float32).min; none when every position is a token
    let tokenMask: Tensor | null = null, mask: Tensor | null = null;
    if (attentionMask && Array.prototype.some.call(attentionMask, (m: number) => m !== 1)) {
      tokenMask = tensor(attentionMask, [B, T], dtype); // [B, T]
      mask = tensor(Array.from(attentionMask, (m) => (1 - m) * MASK_MIN), [B, T], dtype); // [B, T]
    }
    this.hooks?.beforeLayers?.({ batch: B, seqLen: T, tokenMask });
    let h = this.embeddings.forward(inputIds, B, T, input.tokenTypeIds); // [B, T, H]
    for (const layer of this.encoder.layer) h = layer.forward(h, mask, tokenMask); // [B, T, H]
    return { lastHiddenState: h, pooledOutput: this.pooler.forward(h) }; // [B, T, H], [B, H]
  }
}

function checkInput(input: BertInput): void {
  const n = input.batch * input.seqLen;
  const check = (what: string, a: ArrayLike<number> | undefined) => {
    if (a && a.length !== n) fail('shape', `BERT input: ${what} has ${a.length} values, expected batch ${input.batch} x seqLen ${input.seqLen} = ${n}`);
  };
  check('inputIds', input.inputIds);
  check('attentionMask', input.attentionMask);
  check('tokenTypeIds', input.tokenTypeIds);
}
