// Validation at the edges: one zod schema gives the type and the runtime check, and a failure names the
// source (file, flag set) and the field at fault.
import type { z } from 'zod';
import { fail, type PeltErrorCode } from './errors.ts';

export function parseWith<S extends z.ZodType>(schema: S, json: unknown, source: string, code: PeltErrorCode = 'config'): z.output<S> {
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.length ? issue.path.map(String).join('.') : '(root)';
    fail(code, `${source}: ${field}: ${issue.message}`);
  }
  return parsed.data;
}
