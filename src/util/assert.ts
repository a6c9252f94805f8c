import { fail } from './errors.ts';

export const fmt = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Throws a 'shape' error naming the op and both shapes; -1 in `expected` matches any size. */
export function assertShape(op: string, what: string, got: readonly number[], expected: readonly number[]): void {
  const ok = got.length === expected.length && expected.every((d, i) => d === -1 || d === got[i]);
  if (!ok) fail('shape', `${op}: ${what} has shape ${fmt(got)}, expected ${fmt(expected)}`);
}
