// Comma-separated values per RFC 4180: fields separated by commas, records by CRLF or LF; a field
// that holds commas, quotes or line breaks is enclosed in double quotes, and a quote inside it is
// doubled (""). Strict: a stray quote in an unquoted field, text after a closing quote, or a quote
// left open at the end of the file is an error naming the line.
import { dataError } from './read.ts';

export interface CsvRecords {
  records: string[][];
  lines: number[]; // the 1-based line each record starts on (a quoted field may span lines)
}

export function parseCsv(text: string, path: string): CsvRecords {
  const records: string[][] = [];
  const lines: number[] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false; // the current field was enclosed in quotes
  let line = 1;
  let recordLine = 1;
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text[i]!;
    if (c === '"') {
      if (quoted || field !== '') dataError(path, line, 'stray quote in an unquoted field (quote the whole field and double the quotes inside it)');
      const openedOn = line;
      quoted = true;
      for (i++; ; i++) {
        if (i >= n) dataError(path, openedOn, 'quoted field is never closed');
        const q = text[i]!;
        if (q === '"') {
          if (text[i + 1] !== '"') break;
          i++; // "" is one quote
        } else if (q === '\n') line++;
        field += q;
      }
      i++; // past the closing quote
      const next = text[i];
      if (next !== undefined && next !== ',' && next !== '\n' && !(next === '\r' && text[i + 1] === '\n')) {
        dataError(path, line, `unexpected ${JSON.stringify(next)} after a closing quote`);
      }
    } else if (c === ',') {
      record.push(field);
      field = '';
      quoted = false;
      i++;
    } else if (c === '\n' || (c === '\r' && text[i + 1] === '\n')) {
      // A blank line is no record (RFC 4180 has none; editors often leave one at the end).
      if (record.length > 0 || field !== '' || quoted) {
        record.push(field);
        records.push(record);
        lines.push(recordLine);
      }
      record = [];
      field = '';
      quoted = false;
      i += c === '\r' ? 2 : 1;
      recordLine = ++line;
    } else {
      field += c;
      i++;
    }
  }
  if (record.length > 0 || field !== '' || quoted) {
    record.push(field);
    records.push(record);
    lines.push(recordLine);
  }
  return { records, lines };
}
