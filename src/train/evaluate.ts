// Evaluation: predictions over a split in eval mode without a tape, their metrics, and (for gated
// methods) each gate's mean value per layer over the split.
import type { Batcher } from '../data/batches.ts';
import { argmax, computeMetrics } from '../data/metrics.ts';
import type { MetricName } from '../data/glue/tasks.ts';
import type { Attached } from '../methods/types.ts';
import type { BertForSequenceClassification } from '../models/bert/heads.ts';
import { noGrad } from '../tensor/autograd.ts';
import { scope } from '../tensor/pool.ts';

export interface Evaluation {
  metrics: Partial<Record<MetricName, number>>;
  selection: number;
  loss: number;
  /** Predicted class index, or the regression value, per example in split order. */
  predictions: Float64Array;
  /** Mean gate value by "layer.gate" (gated methods only). */
  gates?: Record<string, number>;
}

export function evaluate(
  model: BertForSequenceClassification, attached: Attached | null, batches: Batcher,
  metrics: readonly MetricName[], selectionMetric: MetricName,
): Evaluation {
  const wasTraining = model.training;
  model.eval();
  const preds = new Float64Array(batches.size), golds = new Float64Array(batches.size);
  const gateSums = new Map<string, number>();
  let lossSum = 0;
  noGrad(() => {
    for (const b of batches.epoch(0)) {
      // everything this batch computes is recycled when the scope ends: read it out before then
      scope(() => {
        const { logits, loss } = model.forward(b, b.labels);
        lossSum += loss!.item() * b.batch;
        const C = logits.shape[1]!;
        const p = C === 1 ? logits.data : argmax(logits.data, b.batch, C);
        b.indices.forEach((ex, r) => {
          preds[ex] = p[r]!;
          golds[ex] = b.labels[r]!;
        });
        for (const g of attached?.gates?.() ?? []) {
          const key = `${g.layer}.${g.gate}`;
          gateSums.set(key, (gateSums.get(key) ?? 0) + g.values.reduce((s, v) => s + v, 0));
        }
      });
    }
  });
  model.train(wasTraining);
  const m = computeMetrics(metrics, preds, golds);
  const out: Evaluation = { metrics: m, selection: m[selectionMetric]!, loss: lossSum / batches.size, predictions: preds };
  if (gateSums.size > 0) out.gates = Object.fromEntries([...gateSums].map(([k, s]) => [k, s / batches.size]));
  return out;
}
