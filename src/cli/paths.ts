// Where shared/ lives: beside the project root (../shared), or PELT_SHARED.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export function projectRoot(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
}

export function sharedDir(): string {
  return process.env.PELT_SHARED ?? join(projectRoot(), '..', 'shared');
}
