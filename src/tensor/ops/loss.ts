// Losses (mean reduction, as PyTorch's defaults).
import { record } from '../autograd.ts';
import { Tensor } from '../tensor.ts';
import { fail } from '../../util/errors.ts';
import { fmt } from '../../util/assert.ts';
import { kern, emptyUninit, bufUninit } from './util.ts';
import { sub, square } from './elementwise.ts';
import { mean } from './reduce.ts';

/**
 * Mean cross-entropy from logits [N, C] and integer labels (ignoreIndex skipped, as torch's -100).
 *   =>  dlogits = (softmax - onehot) * dy / count
 */
export function crossEntropy(logits: Tensor, labels: Int32Array, ignoreIndex = -100): Tensor {
  if (logits.ndim !== 2 || logits.shape[0] !== labels.length) {
    fail('shape', `cross_entropy: logits ${fmt(logits.shape)} must be [N, C] with N = ${labels.length} labels`);
  }
  const [N, C] = logits.shape as [number, number];
  const k = kern('cross_entropy', logits);
  const probs = bufUninit(logits.data, N * C); // crossEntropyForward writes every row's softmax
  const total = k.crossEntropyForward(logits.data, labels, N, C, ignoreIndex, probs);
  let count = 0;
  for (const y of labels) if (y !== ignoreIndex) count++;
  const out = emptyUninit([], logits); // its one value is set below
  out.data[0] = count > 0 ? total / count : NaN; // torch gives NaN when every label is ignored
  return record('cross_entropy', out, [logits], (dy, ctx) => {
    ctx.put(0, (dx) => k.crossEntropyBackward(probs, labels, N, C, ignoreIndex, count > 0 ? dy[0]! / count : 0, dx));
  });
}

/** mean((pred - target)^2), target treated as a constant. */
export function mseLoss(pred: Tensor, target: Tensor): Tensor {
  if (pred.size !== target.size) fail('shape', `mse_loss: prediction ${fmt(pred.shape)} and target ${fmt(target.shape)} differ`);
  return mean(square(sub(pred, target.detach())));
}
