// Module: a tree of named parameters whose paths are the Hugging Face checkpoint keys.
// Fields holding a Tensor are parameters; fields holding a Module (or an array of Modules) are
// children, named by field name (array items by index). Fields starting with "_" are skipped.

import { Tensor } from '../tensor/tensor.ts';
import { fail } from '../util/errors.ts';
import { fmt, sameShape } from '../util/assert.ts';

export class Module {
  training = true;

  /** [name, parameter] pairs in declaration order, e.g. "encoder.layer.0.attention.self.query.weight". */
  namedParameters(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [key, value] of Object.entries(this)) {
      if (key.startsWith('_')) continue;
      const name = prefix + key;
      if (value instanceof Tensor) out.push([name, value]);
      else if (value instanceof Module) out.push(...value.namedParameters(name + '.'));
      else if (Array.isArray(value) && value.length > 0 && value[0] instanceof Module) {
        value.forEach((m: Module, i: number) => out.push(...m.namedParameters(`${name}.${i}.`)));
      }
    }
    return out;
  }

  /** Child modules with their paths (this module first, as ""). */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [[prefix.replace(/\.$/, ''), this]];
    for (const [key, value] of Object.entries(this)) {
      if (key.startsWith('_')) continue;
      if (value instanceof Module) out.push(...value.namedModules(prefix + key + '.'));
      else if (Array.isArray(value) && value.length > 0 && value[0] instanceof Module) {
        value.forEach((m: Module, i: number) => out.push(...m.namedModules(`${prefix}${key}.${i}.`)));
      }
    }
    return out;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, p]) => p);
  }

  trainableParameters(): [string, Tensor][] {
    return this.namedParameters().filter(([, p]) => p.requiresGrad);
  }

  /** Switch dropout (and anything else mode-dependent) on or off in the whole tree. */
  train(on = true): this {
    for (const [, m] of this.namedModules()) m.training = on;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  stateDict(): Map<string, Tensor> {
    return new Map(this.namedParameters());
  }

  /**
   * Copy values into parameters by name. Returns the keys the model lacks (unexpected) and the
   * parameters the state did not supply (missing); shape mismatches are errors naming the tensor.
   */
  loadStateDict(state: Map<string, { shape: readonly number[]; data: ArrayLike<number> }>): { missing: string[]; unexpected: string[] } {
    const own = new Map(this.namedParameters());
    const unexpected: string[] = [];
    for (const [name, src] of state) {
      const p = own.get(name);
      if (!p) {
        unexpected.push(name);
        continue;
      }
      if (!sameShape(p.shape, src.shape)) fail('checkpoint', `${name}: checkpoint has shape ${fmt(src.shape)}, model expects ${fmt(p.shape)}`);
      p.data.set(src.data);
    }
    const missing = [...own.keys()].filter((k) => !state.has(k));
    return { missing, unexpected };
  }
}

/** Parameter groups for AdamW as Hugging Face's examples build them: no decay on biases and LayerNorm weights. */
export function noDecay(name: string): boolean {
  return name.endsWith('bias') || name.includes('LayerNorm.weight');
}

/** Set requiresGrad on every parameter whose name matches (regexps or a predicate). Returns the count changed. */
export function setTrainable(module: Module, match: RegExp | RegExp[] | ((name: string) => boolean), on: boolean): number {
  const test = typeof match === 'function' ? match : (n: string) => (Array.isArray(match) ? match : [match]).some((r) => r.test(n));
  let n = 0;
  for (const [name, p] of module.namedParameters()) {
    if (test(name)) {
      p.requiresGrad = on;
      if (!on) p.grad = null;
      n++;
    }
  }
  return n;
}
