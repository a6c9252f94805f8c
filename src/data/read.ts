// Reading data files strictly: every problem is a DataError that names the file, the line (or row)
// and the reason, so a user can fix the file; nothing is skipped silently and nothing trains on garbage.
import { readFileSync } from 'node:fs';
import { PeltError } from '../util/errors.ts';

export class DataError extends PeltError {
  readonly file: string;
  readonly line: number | undefined; // 1-based line of a text file (or row of a parquet file); undefined: the whole file
  readonly reason: string;
  constructor(file: string, line: number | undefined, reason: string) {
    super('data', `${file}${line === undefined ? '' : `:${line}`}: ${reason}`);
    this.name = 'DataError';
    this.file = file;
    this.line = line;
    this.reason = reason;
  }
}

export function dataError(file: string, line: number | undefined, reason: string): never {
  throw new DataError(file, line, reason);
}

const fatalUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }); // a leading BOM is dropped

/** Decodes UTF-8 strictly; invalid bytes are an error naming the line they are on. */
export function decodeUtf8(bytes: Uint8Array, file: string): string {
  try {
    return fatalUtf8.decode(bytes);
  } catch {
    // '\n' (0x0a) never occurs inside a multi-byte sequence, so lines can be checked one by one.
    let start = 0;
    for (let line = 1; ; line++) {
      const nl = bytes.indexOf(0x0a, start);
      const end = nl < 0 ? bytes.length : nl;
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(start, end));
      } catch {
        return dataError(file, line, 'invalid UTF-8');
      }
      if (nl < 0) return dataError(file, undefined, 'invalid UTF-8');
      start = nl + 1;
    }
  }
}

/** A text file's content: UTF-8 checked, BOM dropped; an empty (or all-whitespace) file is an error. */
export function readText(file: string): string {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return dataError(file, undefined, code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder, not a file' : (e as Error).message);
  }
  const text = decodeUtf8(bytes, file);
  if (text.trim() === '') dataError(file, undefined, 'empty file');
  return text;
}

/** Lines without their terminator (LF or CRLF); a final newline does not make an extra empty line. */
export function splitLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  for (let i = 0; i < lines.length; i++) if (lines[i]!.endsWith('\r')) lines[i] = lines[i]!.slice(0, -1);
  return lines;
}

/** Shows a value in an error message: quoted, and shortened when long. */
export function show(value: string): string {
  return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
}
