// A user's own data: TSV (tabs, no quoting, as GLUE), CSV (RFC 4180 quoting) or JSON lines, with the
// text, optional pair and label columns named by the user. Class labels become indices, either in the
// order the user gives or sorted (numerically when every label is a number, else by code point, as
// Hugging Face's run_glue.py sorts them); the mapping is returned so it can be saved with the adapter.
import { extname } from 'node:path';
import { parseCsv } from './csv.ts';
import type { Example, LabelSpace } from './examples.ts';
import { dataError, readText, show, splitLines } from './read.ts';
import { readTsv } from './tsv.ts';

export type DataFormat = 'tsv' | 'csv' | 'jsonl';

export interface UserDataOptions {
  text: string; // column (or JSON key) of the first text
  pair?: string; // column of the second text, for pair tasks
  label: string; // column of the label
  format?: DataFormat; // default: from the extension (.tsv/.tab, .csv, .jsonl/.ndjson/.json)
  labels?: readonly string[]; // class labels in index order; any other label is an error
  regression?: boolean; // labels are numbers (e.g. similarity scores), not classes
}

export interface UserData {
  file: string;
  examples: Example[];
  labels: LabelSpace; // save this with the adapter (see labelMaps in examples.ts)
}

interface RawRow {
  line: number;
  get(column: string): string | undefined; // undefined: the row has no such column
}

/** Reads one file; without `labels`, the classes are the sorted unique labels of this file. */
export function readUserData(file: string, opts: UserDataOptions): UserData {
  const rows = readRows(file, opts.format ?? formatOf(file), [opts.text, ...(opts.pair ? [opts.pair] : []), opts.label]);
  const texts = rows.map((r) => {
    const a = text(file, r, opts.text);
    return opts.pair === undefined ? { textA: a } : { textA: a, textB: text(file, r, opts.pair) };
  });
  const raw = rows.map((r) => {
    const v = r.get(opts.label);
    if (v === undefined) dataError(file, r.line, `missing column "${opts.label}"`);
    if (v.trim() === '') dataError(file, r.line, `empty label in column "${opts.label}"`);
    return v;
  });
  if (opts.regression) {
    if (opts.labels) dataError(file, undefined, 'labels were given for a regression task');
    const examples = raw.map((v, i) => {
      const x = Number(v);
      if (!Number.isFinite(x)) dataError(file, rows[i]!.line, `label ${show(v)} is not a number (regression)`);
      return { ...texts[i]!, label: x };
    });
    return { file, examples, labels: { kind: 'regression' } };
  }
  const names = opts.labels ? [...opts.labels] : sortLabels(new Set(raw));
  if (new Set(names).size !== names.length) dataError(file, undefined, `the label list has duplicates: ${names.join(', ')}`);
  const index = new Map(names.map((n, i) => [n, i]));
  const examples = raw.map((v, i) => {
    const label = index.get(v) ?? dataError(file, rows[i]!.line, `unknown label ${show(v)} (labels: ${names.join(', ')})`);
    return { ...texts[i]!, label };
  });
  return { file, examples, labels: { kind: 'classification', names } };
}

/** Train, dev and test files of one task: dev and test use the label mapping of train. */
export function readUserSplits(files: { train: string; dev?: string; test?: string }, opts: UserDataOptions): { train: UserData; dev?: UserData; test?: UserData } {
  const train = readUserData(files.train, opts);
  const same = train.labels.kind === 'classification' ? { ...opts, labels: train.labels.names } : opts;
  return {
    train,
    ...(files.dev ? { dev: readUserData(files.dev, same) } : {}),
    ...(files.test ? { test: readUserData(files.test, same) } : {}),
  };
}

/** Sorted unique labels: numerically if all are numbers, else by UTF-16 code units (locale-free). */
export function sortLabels(labels: Iterable<string>): string[] {
  const all = [...new Set(labels)];
  const numeric = all.every((l) => l.trim() !== '' && Number.isFinite(Number(l)));
  return numeric ? all.sort((a, b) => Number(a) - Number(b) || (a < b ? -1 : a > b ? 1 : 0)) : all.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

export function formatOf(file: string): DataFormat {
  const ext = extname(file).toLowerCase();
  if (ext === '.tsv' || ext === '.tab') return 'tsv';
  if (ext === '.csv') return 'csv';
  if (ext === '.jsonl' || ext === '.ndjson' || ext === '.json') return 'jsonl';
  return dataError(file, undefined, `cannot tell the format from the extension "${ext}" (use .tsv, .csv or .jsonl, or name the format)`);
}

function text(file: string, row: RawRow, col: string): string {
  const v = row.get(col);
  if (v === undefined) dataError(file, row.line, `missing column "${col}"`);
  if (v.trim() === '') dataError(file, row.line, `empty text in column "${col}"`);
  return v;
}

function readRows(file: string, format: DataFormat, needed: string[]): RawRow[] {
  if (format === 'jsonl') return jsonRows(file);
  let header: string[];
  let rows: string[][];
  let lines: number[];
  if (format === 'tsv') {
    ({ header, rows, lines } = readTsv(file));
  } else {
    const csv = parseCsv(readText(file), file);
    if (csv.records.length === 0) dataError(file, undefined, 'empty file');
    header = csv.records[0]!;
    rows = csv.records.slice(1);
    lines = csv.lines.slice(1);
    if (rows.length === 0) dataError(file, undefined, 'no rows after the header (empty file)');
    rows.forEach((r, i) => {
      if (r.length !== header.length) dataError(file, lines[i]!, `ragged row: ${r.length} field${r.length === 1 ? '' : 's'}, the header has ${header.length}`);
    });
  }
  for (const col of needed) {
    if (!header.includes(col)) dataError(file, 1, `missing column "${col}" (columns: ${header.join(', ')})`);
  }
  const at = new Map(header.map((h, i) => [h, i]));
  return rows.map((r, i) => ({ line: lines[i]!, get: (c: string) => (at.has(c) ? r[at.get(c)!] : undefined) }));
}

function jsonRows(file: string): RawRow[] {
  const out: RawRow[] = [];
  splitLines(readText(file)).forEach((src, i) => {
    if (src.trim() === '') return; // blank lines carry nothing
    let value: unknown;
    try {
      value = JSON.parse(src);
    } catch (e) {
      dataError(file, i + 1, `invalid JSON: ${(e as Error).message}`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) dataError(file, i + 1, 'expected a JSON object on each line');
    const obj = value as Record<string, unknown>;
    out.push({
      line: i + 1,
      get: (c) => {
        const v = obj[c];
        if (v === undefined || v === null) return undefined;
        if (typeof v === 'string') return v;
        if (typeof v === 'number' || typeof v === 'boolean') return String(v);
        return dataError(file, i + 1, `"${c}" holds a ${Array.isArray(v) ? 'list' : 'object'}, expected a string or number`);
      },
    });
  });
  if (out.length === 0) dataError(file, undefined, 'empty file');
  return out;
}
