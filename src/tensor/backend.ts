// Chooses the kernels for each buffer: the native addon for float32 when it is built and selected,
// the pure-TypeScript kernels otherwise (always for float64). If the addon is missing, pelt says so
// once on stderr and carries on with js.

import type { Buf, Kernels } from './backends/kernels.ts';
import { jsKernels } from './backends/js/index.ts';
import { loadNative, nativeLoadError } from './backends/native.ts';
import { fail } from '../util/errors.ts';

export type BackendName = 'native' | 'js';

let native: Kernels | null | undefined; // undefined = not tried yet
let selected: BackendName | undefined = envChoice();
let warned = false;

function envChoice(): BackendName | undefined {
  const v = process.env.PELT_BACKEND;
  if (v === undefined || v === '') return undefined;
  if (v !== 'native' && v !== 'js') fail('usage', `PELT_BACKEND must be "native" or "js", got "${v}"`);
  return v;
}

function tryNative(): Kernels | null {
  if (native === undefined) native = loadNative();
  return native;
}

/** Select a backend explicitly; 'native' fails with the reason when the addon is not available. */
export function setBackend(name: BackendName): void {
  if (name === 'native' && !tryNative()) fail('native', `native backend unavailable: ${nativeLoadError()}`);
  selected = name;
}

export function backendName(): BackendName {
  return activeKernels().name;
}

export function nativeAvailable(): boolean {
  return tryNative() !== null;
}

/** The kernels float32 work runs on now. */
export function activeKernels(): Kernels {
  if (selected === 'js') return jsKernels;
  const k = tryNative();
  if (k) return k;
  if (selected === 'native') fail('native', `native backend unavailable: ${nativeLoadError()}`);
  if (!warned) {
    warned = true;
    process.stderr.write(`pelt: native backend not available (${nativeLoadError()}); using the pure-TypeScript backend, which is much slower\n`);
  }
  return jsKernels;
}

/** Kernels able to run on this buffer type. */
export function kernelsFor(buf: Buf): Kernels {
  return buf instanceof Float64Array ? jsKernels : activeKernels();
}
