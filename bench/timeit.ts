// Shared timing for the bench workers: warm-up runs, then the median and the best of the timed runs.
export function timeit(fn: () => void, warmup: number, iters: number): { ms: number; best: number } {
  for (let i = 0; i < warmup; i++) fn();
  const ts: number[] = [];
  for (let i = 0; i < iters; i++) {
    const t0 = performance.now();
    fn();
    ts.push(performance.now() - t0);
  }
  ts.sort((a, b) => a - b);
  return { ms: ts[Math.floor(ts.length / 2)]!, best: ts[0]! };
}
