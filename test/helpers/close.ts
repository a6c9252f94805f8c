// Closeness scaled by the reference tensor: max |got - want| <= atol + rtol * max |want|.
import assert from 'node:assert/strict';

export function closeToScale(what: string, got: ArrayLike<number>, want: ArrayLike<number>, atol: number, rtol = 0): void {
  assert.equal(got.length, want.length, `${what}: ${got.length} values, expected ${want.length}`);
  let diff = 0, scale = 0;
  for (let i = 0; i < want.length; i++) {
    diff = Math.max(diff, Math.abs(got[i]! - want[i]!));
    scale = Math.max(scale, Math.abs(want[i]!));
  }
  assert.ok(diff <= atol + rtol * scale, `${what}: max |diff| ${diff.toExponential(3)} > ${atol} + ${rtol} * ${scale.toExponential(3)}`);
}
