// Shared by the data tests: tiny files in a temp folder, and the path of ../shared/data.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const sharedData = resolve(repoRoot, '..', 'shared', 'data');
export const sharedModels = resolve(repoRoot, '..', 'shared', 'models');
export const noSharedData = !existsSync(join(sharedData, 'glue')) && 'shared data (../shared/data) not present';

/** Writes files (path relative to a new temp folder -> content) and returns the folder. */
export function tempFiles(files: Record<string, string | Uint8Array> = {}): { dir: string; path: (rel: string) => string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'pelt-data-'));
  for (const [rel, content] of Object.entries(files)) {
    const p = join(dir, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, content);
  }
  return { dir, path: (rel) => join(dir, rel), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Bytes of `text` with one invalid UTF-8 byte (0xff) in place of the first '@'. */
export function withBadByte(text: string): Uint8Array {
  const bytes = Buffer.from(text, 'utf8');
  const at = bytes.indexOf(0x40);
  bytes[at] = 0xff;
  return bytes;
}
