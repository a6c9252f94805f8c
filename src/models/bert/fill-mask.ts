// Fill-mask with a BERT pretraining head: the quick check that a checkpoint loaded correctly.
// Output fields follow transformers' fill-mask pipeline (score, token, token_str, sequence).
import { Tensor, noGrad, softmax } from '../../tensor/index.ts';
import type { BertTokenizer } from '../../tokenizers/bert.ts';
import { fail } from '../../util/errors.ts';
import type { BertForPreTraining } from './heads.ts';

export interface FillMaskPrediction {
  score: number; // probability
  token: number; // id
  token_str: string;
  sequence: string; // the text with this token in place of the mask
}

/** Top-k predictions for each [MASK] of `text`, in order of appearance. */
export function fillMask(model: BertForPreTraining, tokenizer: BertTokenizer, text: string, topK = 5): FillMaskPrediction[][] {
  if (!Number.isInteger(topK) || topK < 1) fail('usage', `fill-mask: top-k must be a positive integer, got ${topK}`);
  const enc = tokenizer.encodeBatch([text], { maxLength: model._config.max_position_embeddings });
  const ids = Array.from(enc.inputIds);
  const positions = ids.flatMap((id, t) => (id === tokenizer.maskId ? [t] : []));
  if (positions.length === 0) fail('usage', `fill-mask: the text has no ${tokenizer.specialTokens.mask} token: ${JSON.stringify(text)}`);
  const wasTraining = model.training;
  model.eval();
  try {
    return noGrad(() => {
      const h = model.bert.forward(enc).lastHiddenState; // [1, T, H]
      const H = h.shape[2]!;
      const picked = new Tensor(gatherRows(h.data, positions, H), [positions.length, H]); // [N, H]
      const probs = softmax(model.cls.predictions.forward(picked)); // [N, H] -> [N, V]
      const V = probs.shape[1]!;
      return positions.map((t, i) =>
        topIndices(probs.data.subarray(i * V, (i + 1) * V), topK).map(([id, score]) => {
          const filled = ids.slice();
          filled[t] = id;
          return {
            score,
            token: id,
            token_str: tokenizer.idToToken(id) ?? String(id),
            sequence: tokenizer.decode(filled, { skipSpecialTokens: true }),
          };
        }),
      );
    });
  } finally {
    model.train(wasTraining);
  }
}

function gatherRows(data: Float32Array | Float64Array, rows: number[], H: number): Float32Array | Float64Array {
  const out = data instanceof Float64Array ? new Float64Array(rows.length * H) : new Float32Array(rows.length * H);
  rows.forEach((r, i) => out.set(data.subarray(r * H, (r + 1) * H), i * H));
  return out;
}

/** [index, value] of the k largest values, largest first (ties: lower index first). */
function topIndices(values: ArrayLike<number>, k: number): [number, number][] {
  const top: [number, number][] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (top.length === k && v <= top[k - 1]![1]) continue;
    let j = top.length < k ? top.length : k - 1;
    while (j > 0 && top[j - 1]![1] < v) j--;
    top.splice(j, 0, [i, v]);
    if (top.length > k) top.pop();
  }
  return top;
}
