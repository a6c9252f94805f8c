// How bench/torch_peer.py's spec-side implementation (scripts/fixtures/methods_torch.py) is told which
// method to build: from pelt's resolved config of the same method.
import { resolveMethod } from '../src/methods/index.ts';

export /** The spec-side description of a method for methods_torch.py, from pelt's resolved config. */
function spec(method: string): { spec: Record<string, unknown>; trains: 'all' | 'bias' | 'method' } {
  const { def, config } = resolveMethod(method);
  const c = config as Record<string, unknown>;
  const none = { adapter: null, prefix: null, lora: null, gates: false, gate_mean: 'all' };
  if (def.name === 'full') return { spec: none, trains: 'all' };
  if (def.name === 'bitfit') return { spec: none, trains: 'bias' };
  if (def.name === 'unipelt') return { spec: { adapter: c.adapter, prefix: c.prefix, lora: c.lora, gates: c.gates, gate_mean: c.gateMean }, trains: 'method' };
  return { spec: { ...none, [def.name]: c }, trains: 'method' };
}
