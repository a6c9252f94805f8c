// `npm run bench:epoch [-- --json] [-- --examples N]`: examples per second of one training epoch of
// bert-mini (batch 16 x 128, padded to 128 as the UniPELT protocol does) on real SST-2 sentences, for
// UniPELT (APL) and full fine-tuning, pelt against an equivalent PyTorch training loop in the same run.
// Both sides read the same pre-tokenized batches (pelt's tokenizer; its time is reported apart).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Batcher } from '../src/data/batches.ts';
import { readTsv, column } from '../src/data/tsv.ts';
import { BertTokenizer } from '../src/tokenizers/bert.ts';
import { spec } from './method-spec.ts';
import { python, root, runJson, torchEnv } from './peer.ts';

const argv = process.argv.slice(2);
const json = argv.includes('--json');
const n = Number(argv[argv.indexOf('--examples') + 1] ?? 0) || 480;
const shared = join(root, '..', 'shared');

const file = join(shared, 'data', 'glue', 'SST-2', 'train.tsv');
const table = readTsv(file);
const s = column(table, 'sentence', file), l = column(table, 'label', file);
const examples = table.rows.slice(0, n).map((r) => ({ textA: r[s]!, label: Number(r[l]) }));
const tok = BertTokenizer.fromFolder(join(shared, 'models', 'pelt-bert-mini'));
const t0 = performance.now();
const batcher = new Batcher(examples, tok, { batchSize: 16, labels: { kind: 'classification', names: ['0', '1'] }, maxLength: 128, padding: 'max_length', shuffle: true, seed: 42 });
const batches = [...batcher.epoch(0)].map((b) => ({
  input_ids: [...b.inputIds], attention_mask: [...b.attentionMask], token_type_ids: [...b.tokenTypeIds], labels: [...b.labels], batch: b.batch, seq: b.seqLen,
}));
const tokenizeMs = performance.now() - t0;
const path = join(mkdtempSync(join(tmpdir(), 'pelt-epoch-')), 'batches.json');
writeFileSync(path, JSON.stringify(batches));

const config = { vocab_size: 30522, max_position_embeddings: 512, type_vocab_size: 2, hidden_dropout_prob: 0.1, attention_probs_dropout_prob: 0.1, layer_norm_eps: 1e-12, hidden_size: 256, num_hidden_layers: 4, num_attention_heads: 4, intermediate_size: 1024 };

interface Rate { examples_per_s: number; seconds: number }
const rows = ['unipelt-apl', 'full'].map((method) => {
  const { spec: sp, trains } = spec(method);
  const p = runJson<Rate>(process.execPath, ['--import', 'tsx', 'bench/epoch_worker.ts', JSON.stringify({ config, method, batches: path })]);
  const t = runJson<Rate>(python, ['bench/torch_peer.py', JSON.stringify({ kind: 'epoch', config, spec: sp, trains, batches: path, threads: cpus().length })], torchEnv());
  return { method, pelt_examples_per_s: p.examples_per_s, torch_examples_per_s: t.examples_per_s, ratio: p.examples_per_s / t.examples_per_s };
});
const meta = { date: new Date().toISOString().slice(0, 10), examples: n, batches: batches.length, tokenize_ms: tokenizeMs, cpus: cpus().length };
if (json) console.log(JSON.stringify({ meta, rows }, null, 2));
else {
  console.log(`one training epoch, bert-mini, SST-2 (${n} examples, ${batches.length} batches of 16 x 128), ${meta.date}, ${meta.cpus} cores; pelt tokenized them in ${tokenizeMs.toFixed(0)} ms (not timed below)`);
  console.log('| method | pelt examples/s | PyTorch examples/s | pelt / PyTorch |');
  console.log('|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.method} | ${r.pelt_examples_per_s.toFixed(1)} | ${r.torch_examples_per_s.toFixed(1)} | ${r.ratio.toFixed(2)} |`);
}
