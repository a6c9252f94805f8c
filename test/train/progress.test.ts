// The training progress line: drawn on a terminal with step, epoch, loss, examples/s and time left;
// nothing at all when the stream is not a terminal (logs, pipes, CI).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { trainProgress } from '../../src/train/progress.ts';

test('progress draws step, epoch, loss, rate and time left on a TTY', () => {
  const out: string[] = [];
  const p = trainProgress(10, 2, { isTTY: true, write: (s: string) => out.push(s) });
  for (let step = 1; step <= 10; step++) p.update(step, step > 5 ? 1 : 0, 0.5, 16);
  p.clear();
  const last = out.filter((l) => l.includes('step')).at(-1)!;
  assert.match(last, /step 10\/10 epoch 2\/2 loss 0\.5000 [\d.]+ ex\/s \S+ left/);
  assert.equal(out.at(-1), '\r\x1b[K');
});

test('progress stays silent when the stream is not a terminal', () => {
  const out: string[] = [];
  const p = trainProgress(10, 1, { isTTY: false, write: (s: string) => out.push(s) });
  p.update(1, 0, 0.7, 16);
  p.clear();
  assert.deepEqual(out, []);
});
