// Tab-separated files as the GLUE download lays them out: UTF-8, LF, no quoting (a raw `"` is data),
// split on tabs only. A row whose field count differs from the header's is an error naming file and line.
import { dataError, readText, splitLines } from './read.ts';

export interface TsvTable {
  path: string;
  header: string[];
  rows: string[][];
  lines: number[]; // the 1-based file line of each row
}

export interface TsvOptions {
  /**
   * true (default): the first line is the header. An array: the file has no header line and these
   * are its column names (CoLA's train/dev: source, label, mark, sentence).
   */
  header?: true | readonly string[];
  /**
   * Rows may have more fields than the header, and the header's last column is the row's LAST field
   * (SNLI's GLUE-distributed layout: 11 header columns, 15 fields when 5 annotator labels are present).
   */
  lastColumnIsLastField?: boolean;
}

export function readTsv(path: string, opts: TsvOptions = {}): TsvTable {
  const lines = splitLines(readText(path));
  const given = Array.isArray(opts.header) ? [...opts.header] : undefined;
  const header = given ?? lines[0]!.split('\t');
  const first = given ? 0 : 1;
  if (!given) {
    const blank = header.findIndex((h) => h.trim() === '');
    if (blank >= 0) dataError(path, 1, `header column ${blank + 1} has no name`);
    if (lines.length === 1) dataError(path, undefined, 'no rows after the header (empty file)');
  }
  const n = header.length;
  const rows: string[][] = [];
  const rowLines: number[] = [];
  for (let i = first; i < lines.length; i++) {
    let f = lines[i]!.split('\t');
    if (f.length !== n) {
      if (opts.lastColumnIsLastField && f.length > n) f = [...f.slice(0, n - 1), f.at(-1)!];
      else dataError(path, i + 1, `ragged row: ${f.length} field${f.length === 1 ? '' : 's'}, the header has ${n}`);
    }
    rows.push(f);
    rowLines.push(i + 1);
  }
  return { path, header, rows, lines: rowLines };
}

/** The index of a named column, or a 'data' error listing the columns there are. */
export function column(table: TsvTable, name: string, path: string = table.path): number {
  const i = table.header.indexOf(name);
  if (i < 0) dataError(path, undefined, `missing column "${name}" (columns: ${table.header.join(', ')})`);
  return i;
}
