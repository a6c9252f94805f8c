// Loader for the native backend: the N-API addon built from native/*.cc (OpenBLAS + OpenMP).
// Loading is lazy and never throws: loadNative() returns null and nativeLoadError() says why,
// so the dispatcher can fall back to the js backend.

import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Kernels } from './kernels.ts';

const ADDON = 'build/Release/pelt_native.node';
const BUILD_HINT = 'run `npm run build:native` (needs g++ and libopenblas-openmp-dev)';

interface BlasInfo {
  corename: string;
  config: string;
  threads: number;
}
type RawAddon = Omit<Kernels, 'name'> & {
  setNumThreads(n: number): void;
  getNumThreads(): number;
  blasInfo(): BlasInfo;
};

export interface NativeInfo {
  /** The OpenBLAS kernel family in use, as OpenBLAS reports it (e.g. 'Haswell', 'Cooperlake'). */
  coretype: string;
  /** What pelt put in OPENBLAS_CORETYPE while loading (null: left as it was). */
  coretypeSet: string | null;
  /** The user's OPENBLAS_CORETYPE before loading (null: unset). */
  originalCoretype: string | null;
  /** Why pelt chose coretypeSet (or left the variable alone). */
  coretypeReason: string;
  /** Threads used by both the OpenMP kernels and OpenBLAS. */
  threads: number;
  blasConfig: string;
}

const KERNEL_NAMES = [
  'gemm', 'binary', 'unary', 'unaryBackward', 'affine', 'axpy', 'fill', 'sumAxis', 'copyStrided',
  'scatterStridedAdd', 'layerNormForward', 'layerNormBackward', 'softmaxForward',
  'softmaxBackward', 'attentionForward', 'attentionBackward', 'embeddingForward',
  'embeddingBackward', 'crossEntropyForward', 'crossEntropyBackward', 'bernoulliMask', 'dropoutApply',
  'sumSquares', 'countNonFinite', 'adamwStep',
] as const satisfies readonly (keyof RawAddon)[];

let state: { kernels: Kernels | null; error: string | null; info: NativeInfo | null } | null = null;

/** The repo (package) root: the nearest ancestor holding binding.gyp (works from src/ and dist/). */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'binding.gyp'))) return dir;
    dir = dirname(dir);
  }
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
}

function cpuFlags(): { flags: Set<string>; vendor: string; family: number } | null {
  if (process.platform !== 'linux') return null;
  try {
    const text = readFileSync('/proc/cpuinfo', 'utf8');
    const field = (name: string) => new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm').exec(text)?.[1] ?? '';
    return {
      flags: new Set(field('flags').split(/\s+/)),
      vendor: field('vendor_id'),
      family: Number(field('cpu family')),
    };
  } catch {
    return null;
  }
}

/**
 * Which OPENBLAS_CORETYPE to load OpenBLAS with (see docs/engine.md for the measurements).
 * Only an unset or 'Haswell' value is replaced (some environments force Haswell, which halves
 * sgemm on CPUs with full-width AVX-512); PELT_KEEP_OPENBLAS_CORETYPE=1 keeps the user's value.
 */
export function chooseCoretype(
  env: NodeJS.ProcessEnv,
  cpu: { flags: Set<string>; vendor: string; family: number } | null,
): { value: string | null; reason: string } {
  const current = env.OPENBLAS_CORETYPE;
  if (env.PELT_KEEP_OPENBLAS_CORETYPE === '1') {
    return { value: null, reason: 'PELT_KEEP_OPENBLAS_CORETYPE=1: left as set' };
  }
  if (current !== undefined && current !== '' && current.toLowerCase() !== 'haswell') {
    return { value: null, reason: `OPENBLAS_CORETYPE=${current} set by the user: respected` };
  }
  if (!cpu || !cpu.flags.has('avx512f')) {
    return { value: null, reason: 'no AVX-512 (or not Linux): left as set' };
  }
  // Zen 4 (AMD family 0x19) runs AVX-512 as two 256-bit halves: the AVX2 (Haswell) kernels match
  // the AVX-512 ones on large products and win on the small per-head attention products.
  if (cpu.vendor === 'AuthenticAMD' && cpu.family === 0x19) {
    return { value: 'Haswell', reason: 'AMD Zen 4 (double-pumped AVX-512): Haswell kernels measured fastest' };
  }
  const best = cpu.flags.has('avx512_bf16') ? 'Cooperlake' : 'SkylakeX';
  return { value: best, reason: `full-width AVX-512: ${best} kernels` };
}

function threadCount(): number {
  const env = process.env.PELT_NUM_THREADS;
  if (env !== undefined && env !== '') {
    const n = Number(env);
    if (Number.isInteger(n) && n >= 1) return n;
  }
  return availableParallelism();
}

function load(): NonNullable<typeof state> {
  const root = packageRoot();
  const file = join(root, ADDON);
  if (!existsSync(file)) {
    return { kernels: null, error: `${ADDON} not found: ${BUILD_HINT}`, info: null };
  }
  const original = process.env.OPENBLAS_CORETYPE;
  const choice = chooseCoretype(process.env, cpuFlags());
  let raw: RawAddon;
  try {
    // OpenBLAS reads OPENBLAS_CORETYPE once, when the shared library is loaded with the addon.
    if (choice.value !== null) process.env.OPENBLAS_CORETYPE = choice.value;
    raw = createRequire(import.meta.url)(file) as RawAddon;
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    return { kernels: null, error: `${ADDON} failed to load (${msg}): ${BUILD_HINT}`, info: null };
  } finally {
    // Child processes (e.g. a PyTorch baseline) keep seeing the user's own setting.
    if (original === undefined) delete process.env.OPENBLAS_CORETYPE;
    else process.env.OPENBLAS_CORETYPE = original;
  }
  const missing = KERNEL_NAMES.filter((k) => typeof raw[k] !== 'function');
  if (missing.length > 0) {
    return { kernels: null, error: `${ADDON} is out of date (missing ${missing.join(', ')}): ${BUILD_HINT}`, info: null };
  }
  raw.setNumThreads(threadCount());
  const blas = raw.blasInfo();
  const kernels: Kernels = {
    name: 'native',
    gemm: raw.gemm,
    binary: raw.binary,
    unary: raw.unary,
    unaryBackward: raw.unaryBackward,
    affine: raw.affine,
    axpy: raw.axpy,
    fill: raw.fill,
    sumAxis: raw.sumAxis,
    copyStrided: raw.copyStrided,
    scatterStridedAdd: raw.scatterStridedAdd,
    layerNormForward: raw.layerNormForward,
    layerNormBackward: raw.layerNormBackward,
    softmaxForward: raw.softmaxForward,
    softmaxBackward: raw.softmaxBackward,
    attentionForward: raw.attentionForward,
    attentionBackward: raw.attentionBackward,
    embeddingForward: raw.embeddingForward,
    embeddingBackward: raw.embeddingBackward,
    crossEntropyForward: raw.crossEntropyForward,
    crossEntropyBackward: raw.crossEntropyBackward,
    bernoulliMask: raw.bernoulliMask,
    dropoutApply: raw.dropoutApply,
    sumSquares: raw.sumSquares,
    countNonFinite: raw.countNonFinite,
    adamwStep: raw.adamwStep,
  };
  const info: NativeInfo = {
    coretype: blas.corename,
    coretypeSet: choice.value,
    originalCoretype: original ?? null,
    coretypeReason: choice.reason,
    threads: raw.getNumThreads(),
    blasConfig: blas.config,
  };
  return { kernels, error: null, info };
}

/** The native kernels, or null when the addon is not built or cannot load (see nativeLoadError). */
export function loadNative(): Kernels | null {
  state ??= load();
  return state.kernels;
}

/** Why loadNative() returned null; null when it loaded (or was not tried yet). */
export function nativeLoadError(): string | null {
  return state?.error ?? null;
}

/** Core type, thread count and OpenBLAS build of the loaded addon (loads it if needed). */
export function nativeInfo(): NativeInfo | null {
  state ??= load();
  return state.info;
}
