// A one-line progress bar on stderr, drawn only when stderr is a terminal: logs, pipes and CI
// output stay clean, and stdout stays free for results (`--json`).

export interface Progress {
  tick(bytes: number): void;
  done(): void;
}

/** The parts of a stream the bar needs (a fake one in tests). */
export interface BarStream {
  isTTY?: boolean;
  columns?: number;
  write(text: string): unknown;
}

const SILENT: Progress = { tick() {}, done() {} };

export function progressBar(label: string, total: number | undefined, stream: BarStream = process.stderr): Progress {
  if (!stream.isTTY) return SILENT;
  let seen = 0;
  let last = 0;
  let finished = false;
  const draw = () => {
    const size = `${mb(seen)}${total ? `/${mb(total)}` : ''} MB`;
    let line = `${label} ${size}`;
    if (total) {
      const frac = Math.min(1, seen / total);
      const width = Math.max(10, Math.min(30, (stream.columns ?? 80) - line.length - 10));
      const fill = Math.round(frac * width);
      line = `${label} [${'#'.repeat(fill)}${'-'.repeat(width - fill)}] ${Math.floor(frac * 100)}% ${size}`;
    }
    stream.write(`\r${line}\x1b[K`);
  };
  return {
    tick(bytes) {
      seen += bytes;
      const now = Date.now();
      if (now - last >= 100) {
        last = now; // at most ten redraws a second
        draw();
      }
    },
    done() {
      if (finished) return;
      finished = true;
      draw();
      stream.write('\n');
    },
  };
}

function mb(bytes: number): string {
  return (bytes / 1e6).toFixed(1);
}
