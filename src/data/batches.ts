// Deterministic batches: each epoch's order is a seeded shuffle that depends only on (seed, epoch),
// so batch b of epoch e is the same in every run and after a resume (batch(e, b) is random access).
// Texts go through the tokenizer given ([CLS] A [SEP] (B [SEP]), longest-first truncation to
// maxLength, 128 by default), once per example, then each batch is padded to its longest sequence
// (or to maxLength), with the same ids, masks and token types BertTokenizer.encodeBatch gives.
import { fail } from '../util/errors.ts';
import { Rng } from '../util/rng.ts';
import type { Example, LabelSpace } from './examples.ts';

/** What batching needs from a tokenizer (BertTokenizer has it). */
export interface Encoder {
  encode(text: string, pair?: string, opts?: { maxLength?: number }): { ids: number[]; typeIds: number[] };
  readonly padId: number;
}

export interface Batch {
  inputIds: Int32Array; // [batch, seqLen], row-major
  attentionMask: Int32Array; // 1 for tokens, 0 for padding
  tokenTypeIds: Int32Array; // 0 for [CLS] A [SEP] and padding, 1 for B [SEP]
  batch: number;
  seqLen: number;
  labels: Int32Array | Float32Array; // class indices, or float targets for regression
  indices: Int32Array; // which examples, by index into the examples given
}

export interface BatcherOptions {
  batchSize: number;
  labels: LabelSpace;
  maxLength?: number; // including special tokens; default 128
  padding?: 'longest' | 'max_length'; // default 'longest'
  shuffle?: boolean; // default true for training; false keeps example order (evaluation)
  seed?: number; // shuffle seed; default 0
}

interface Encoded {
  ids: Int32Array;
  nA: number; // tokens of type 0 ([CLS] A [SEP]); the rest are type 1
}

export class Batcher {
  readonly size: number;
  readonly batchSize: number;
  readonly batchesPerEpoch: number;
  private readonly maxLength: number;
  private readonly padding: 'longest' | 'max_length';
  private readonly shuffle: boolean;
  private readonly seed: number;
  private readonly regression: boolean;
  private readonly encoded: Array<Encoded | undefined>;
  private cachedOrder: { epoch: number; order: Int32Array } | undefined;

  constructor(
    private readonly examples: readonly Example[],
    private readonly tokenizer: Encoder,
    opts: BatcherOptions,
  ) {
    if (!Number.isInteger(opts.batchSize) || opts.batchSize < 1) fail('usage', `batch size must be a positive integer, got ${opts.batchSize}`);
    if (examples.length === 0) fail('data', 'no examples to batch');
    this.size = examples.length;
    this.batchSize = opts.batchSize;
    this.batchesPerEpoch = Math.ceil(examples.length / opts.batchSize); // the last batch may be smaller
    this.maxLength = opts.maxLength ?? 128;
    this.padding = opts.padding ?? 'longest';
    this.shuffle = opts.shuffle ?? true;
    this.seed = (opts.seed ?? 0) >>> 0;
    this.regression = opts.labels.kind === 'regression';
    this.encoded = new Array(examples.length);
    checkExamples(examples, opts.labels);
  }

  /** The example indices of an epoch, in the order they are batched. */
  order(epoch: number): Int32Array {
    if (this.cachedOrder?.epoch === epoch) return this.cachedOrder.order;
    const order = Int32Array.from({ length: this.size }, (_, i) => i);
    if (this.shuffle) new Rng(epochSeed(this.seed, epoch)).shuffle(order as unknown as number[]);
    this.cachedOrder = { epoch, order };
    return order;
  }

  /** Batch b (0-based) of an epoch. */
  batch(epoch: number, b: number): Batch {
    if (!Number.isInteger(b) || b < 0 || b >= this.batchesPerEpoch) fail('usage', `batch ${b} out of range (0..${this.batchesPerEpoch - 1})`);
    const indices = this.order(epoch).slice(b * this.batchSize, (b + 1) * this.batchSize);
    const rows = Array.from(indices, (i) => this.encodedAt(i));
    const batch = rows.length;
    const seqLen = this.padding === 'max_length' ? this.maxLength : Math.max(...rows.map((r) => r.ids.length));
    const inputIds = new Int32Array(batch * seqLen).fill(this.tokenizer.padId);
    const attentionMask = new Int32Array(batch * seqLen);
    const tokenTypeIds = new Int32Array(batch * seqLen);
    rows.forEach((r, i) => {
      inputIds.set(r.ids, i * seqLen);
      attentionMask.fill(1, i * seqLen, i * seqLen + r.ids.length);
      tokenTypeIds.fill(1, i * seqLen + r.nA, i * seqLen + r.ids.length);
    });
    const labels = this.regression ? new Float32Array(batch) : new Int32Array(batch);
    indices.forEach((ex, i) => (labels[i] = this.examples[ex]!.label));
    return { inputIds, attentionMask, tokenTypeIds, batch, seqLen, labels, indices };
  }

  /** The batches of an epoch from batch `from` on (a resumed run starts mid-epoch). */
  *epoch(epoch: number, from = 0): Generator<Batch> {
    for (let b = from; b < this.batchesPerEpoch; b++) yield this.batch(epoch, b);
  }

  private encodedAt(i: number): Encoded {
    let e = this.encoded[i];
    if (!e) {
      const ex = this.examples[i]!;
      const enc = this.tokenizer.encode(ex.textA, ex.textB, { maxLength: this.maxLength });
      const nA = enc.typeIds.indexOf(1);
      e = { ids: Int32Array.from(enc.ids), nA: nA < 0 ? enc.ids.length : nA };
      this.encoded[i] = e;
    }
    return e;
  }
}

/** An epoch's shuffle seed: a hash of (seed, epoch), so epochs get unrelated streams. */
export function epochSeed(seed: number, epoch: number): number {
  return mix32((seed >>> 0) ^ mix32((epoch + 0x632be5ab) >>> 0));
}

function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
  return (x ^ (x >>> 16)) >>> 0;
}

// Examples built by hand (not by pelt's readers) get the same checks: no garbage reaches training.
function checkExamples(examples: readonly Example[], labels: LabelSpace): void {
  examples.forEach((e, i) => {
    if (typeof e.textA !== 'string' || e.textA.trim() === '') fail('data', `example ${i}: empty text`);
    if (e.textB !== undefined && (typeof e.textB !== 'string' || e.textB.trim() === '')) fail('data', `example ${i}: empty second text`);
    if (labels.kind === 'classification') {
      if (!Number.isInteger(e.label) || e.label < 0 || e.label >= labels.names.length) fail('data', `example ${i}: label ${e.label} is not a class index (0..${labels.names.length - 1})`);
    } else if (!Number.isFinite(e.label)) fail('data', `example ${i}: label ${e.label} is not a finite number`);
  });
}
