import type { z } from 'zod';
import { ValidationError } from '../../lib/errors.js';

/** Input checked against its schema; every problem named by field (body.expiresOn …), nothing done when any. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, where = 'body'): z.output<S> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const problems = r.error.issues.map((i) => ({ field: [where, ...i.path.map(String)].join('.'), message: i.message }));
  throw new ValidationError(`The request is not valid: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`, problems);
}
