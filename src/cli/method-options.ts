// The method options every command that attaches a method accepts (params, train), and how they
// become a method config: flat for single methods, nested per submodule for UniPELT.
import { methodDef } from '../methods/registry.ts';
import { fail } from '../util/errors.ts';

export const METHOD_OPTIONS = {
  r: { type: 'string' }, alpha: { type: 'string' }, targets: { type: 'string' }, 'lora-dropout': { type: 'string' }, rslora: { type: 'boolean' },
  'reduction-factor': { type: 'string' }, placement: { type: 'string' }, 'non-linearity': { type: 'string' },
  'prefix-length': { type: 'string' }, 'mlp-width': { type: 'string' }, 'no-projection': { type: 'boolean' },
  'no-gates': { type: 'boolean' }, 'gate-mean': { type: 'string' }, 'no-adapter': { type: 'boolean' }, 'no-prefix': { type: 'boolean' }, 'no-lora': { type: 'boolean' },
} as const;

export const METHOD_HELP = `method options:
  LoRA      --r N (8)  --alpha A (16)  --targets query,value  --lora-dropout P (0)  --rslora
  adapter   --reduction-factor N (16)  --placement pfeiffer|houlsby  --non-linearity relu|swish
  prefix    --prefix-length P (10)  --mlp-width W (512)  --no-projection
  UniPELT   --no-gates  --gate-mean all|masked  --no-adapter  --no-prefix  --no-lora`;

/** A numeric flag's value (undefined when absent); a non-number is a usage error naming the flag. */
export const num = (v: unknown, flag: string): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) fail('usage', `--${flag}: "${String(v)}" is not a number`);
  return n;
};

const drop = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, x]) => x !== undefined));

/** The method config the flags in `v` (parseArgs values) describe. */
export function methodConfigFromArgs(method: string, v: Record<string, unknown>): Record<string, unknown> {
  const lora = drop({
    r: num(v.r, 'r'), alpha: num(v.alpha, 'alpha'), dropout: num(v['lora-dropout'], 'lora-dropout'),
    targets: typeof v.targets === 'string' ? v.targets.split(',').map((t) => t.trim()) : undefined, rslora: v.rslora || undefined,
  });
  const adapter = drop({ reductionFactor: num(v['reduction-factor'], 'reduction-factor'), placement: v.placement, nonLinearity: v['non-linearity'] });
  const prefix = drop({
    prefixLength: num(v['prefix-length'], 'prefix-length'), mlpWidth: num(v['mlp-width'], 'mlp-width'),
    projection: v['no-projection'] ? false : undefined,
  });
  const def = methodDef(method).name;
  if (def === 'lora') return lora;
  if (def === 'adapter') return adapter;
  if (def === 'prefix') return prefix;
  if (def !== 'unipelt') return {};
  const part = (off: unknown, o: Record<string, unknown>) => (off ? null : Object.keys(o).length ? o : undefined);
  return drop({
    adapter: part(v['no-adapter'], adapter), prefix: part(v['no-prefix'], prefix), lora: part(v['no-lora'], lora),
    gates: v['no-gates'] ? false : undefined, gateMean: v['gate-mean'],
  });
}

/** b over a, recursing into plain objects (a file's method config, then the flags). */
export function mergeDeep(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, x] of Object.entries(b)) {
    const y = out[k];
    const plain = (o: unknown): o is Record<string, unknown> => !!o && typeof o === 'object' && !Array.isArray(o);
    out[k] = plain(x) && plain(y) ? mergeDeep(y, x) : x;
  }
  return out;
}
