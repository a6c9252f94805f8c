// The training progress line: step, epoch, loss, examples per second and time left, on stderr, only when
// stderr is a terminal (logs and pipes stay quiet).
export interface TrainProgress {
  update(step: number, epoch: number, loss: number, examples: number): void;
  clear(): void;
}

export function trainProgress(total: number, epochs: number, stream: { isTTY?: boolean; write(s: string): unknown } = process.stderr): TrainProgress {
  if (!stream.isTTY) return { update() {}, clear() {} };
  const t0 = performance.now();
  let last = 0, seen = 0, first = -1;
  return {
    update(step, epoch, loss, examples) {
      if (first < 0) first = step - 1;
      seen += examples;
      const now = performance.now();
      if (now - last < 200 && step < total) return;
      last = now;
      const secs = (now - t0) / 1000;
      const rate = seen / secs;
      const left = ((total - step) * secs) / Math.max(1, step - first);
      const w = 24, fill = Math.round((w * step) / total);
      stream.write(`\r[${'#'.repeat(fill)}${'-'.repeat(w - fill)}] step ${step}/${total} epoch ${epoch + 1}/${epochs} loss ${loss.toFixed(4)} ${rate.toFixed(1)} ex/s ${fmtTime(left)} left\x1b[K`);
    },
    clear() {
      stream.write('\r\x1b[K');
    },
  };
}

function fmtTime(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.round(s)}s`;
}
