// GLUE's metrics, with the definitions scikit-learn and SciPy use (what Hugging Face's `glue` metric
// calls): accuracy, binary F1 (positive class 1), Matthews correlation (multi-class form), Pearson r,
// Spearman rho (Pearson of average ranks, so ties share their mean rank). Sums run in float64.
// Where a value is undefined (a constant input, no positives at all), pelt returns 0, as scikit-learn
// does for MCC and F1; SciPy would give NaN for Pearson/Spearman, which would poison model selection.
import { fail } from '../util/errors.ts';
import type { MetricName } from './glue/tasks.ts';

type Values = ArrayLike<number>;

function check(what: string, a: Values, b: Values): number {
  if (a.length !== b.length) fail('usage', `${what}: ${a.length} predictions for ${b.length} labels`);
  if (a.length === 0) fail('usage', `${what}: no examples`);
  return a.length;
}

export function accuracy(preds: Values, labels: Values): number {
  const n = check('accuracy', preds, labels);
  let hit = 0;
  for (let i = 0; i < n; i++) if (preds[i] === labels[i]) hit++;
  return hit / n;
}

/** F1 of the positive class: 2 TP / (2 TP + FP + FN); 0 when there is no positive anywhere. */
export function f1(preds: Values, labels: Values, positive = 1): number {
  const n = check('f1', preds, labels);
  let tp = 0, fp = 0, fn = 0;
  for (let i = 0; i < n; i++) {
    const p = preds[i] === positive, l = labels[i] === positive;
    if (p && l) tp++;
    else if (p) fp++;
    else if (l) fn++;
  }
  return tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
}

/**
 * Matthews correlation from the confusion matrix C (Gorodkin's multi-class form, sklearn's):
 * (c s - sum_k p_k t_k) / sqrt((s^2 - sum p_k^2)(s^2 - sum t_k^2)), c = correct, s = samples,
 * p_k / t_k = predicted / true count of class k. For two classes it is (TP TN - FP FN) / sqrt(...).
 */
export function matthews(preds: Values, labels: Values): number {
  const n = check('matthews', preds, labels);
  const p = new Map<number, number>(), t = new Map<number, number>();
  let c = 0;
  for (let i = 0; i < n; i++) {
    p.set(preds[i]!, (p.get(preds[i]!) ?? 0) + 1);
    t.set(labels[i]!, (t.get(labels[i]!) ?? 0) + 1);
    if (preds[i] === labels[i]) c++;
  }
  let pt = 0, pp = 0, tt = 0;
  for (const [k, pk] of p) {
    pt += pk * (t.get(k) ?? 0);
    pp += pk * pk;
  }
  for (const tk of t.values()) tt += tk * tk;
  const den = Math.sqrt((n * n - pp) * (n * n - tt));
  return den === 0 ? 0 : (c * n - pt) / den;
}

/** Pearson's r, two-pass (means first) for accuracy; 0 when either input is constant. */
export function pearson(x: Values, y: Values): number {
  const n = check('pearson', x, y);
  let mx = 0, my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i]!;
    my += y[i]!;
  }
  mx /= n;
  my /= n;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i]! - mx, dy = y[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return 0;
  return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
}

/** 1-based ranks; tied values share the mean of the ranks they span (scipy.stats.rankdata 'average'). */
export function rank(xs: Values): Float64Array {
  const n = xs.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => xs[a]! - xs[b]! || a - b);
  const ranks = new Float64Array(n);
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && xs[order[j + 1]!] === xs[order[i]!]) j++;
    const r = (i + j) / 2 + 1; // mean of ranks i+1 .. j+1
    for (let k = i; k <= j; k++) ranks[order[k]!] = r;
    i = j + 1;
  }
  return ranks;
}

export function spearman(x: Values, y: Values): number {
  check('spearman', x, y);
  return pearson(rank(x), rank(y));
}

const METRICS: Record<MetricName, (p: Values, l: Values) => number> = {
  accuracy, f1: (p, l) => f1(p, l), mcc: matthews, pearson, spearman,
};

/** The named metrics of predictions (class indices, or values for regression) against labels. */
export function computeMetrics(names: readonly MetricName[], preds: Values, labels: Values): Partial<Record<MetricName, number>> {
  const out: Partial<Record<MetricName, number>> = {};
  for (const name of names) out[name] = METRICS[name](preds, labels);
  return out;
}

/** A task's metrics (GLUE's, see the task table) and the one that selects models and heads the results. */
export function scoreTask(task: { metrics: readonly MetricName[]; selectionMetric: MetricName }, preds: Values, labels: Values): { metrics: Partial<Record<MetricName, number>>; selection: number } {
  const metrics = computeMetrics(task.metrics, preds, labels);
  return { metrics, selection: metrics[task.selectionMetric]! };
}

/** Row-wise argmax of [rows, cols] logits (the first maximum wins, as numpy's argmax). */
export function argmax(logits: ArrayLike<number>, rows: number, cols: number): Int32Array {
  if (logits.length !== rows * cols) fail('shape', `argmax: ${logits.length} values for [${rows}, ${cols}]`);
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < cols; c++) if (logits[r * cols + c]! > logits[r * cols + best]!) best = c;
    out[r] = best;
  }
  return out;
}
