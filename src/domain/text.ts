import { z } from 'zod';

/**
 * Text accepted anywhere in the product: any printable Unicode, stored and
 * shown literally (SQL or HTML in it is just text). Control characters other
 * than tab/newline are refused because PostgreSQL cannot store NUL and the
 * rest only ever appear in attacks or corrupted files.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to find them
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

export const text = (max: number) =>
  z
    .string()
    .max(max, `must be at most ${max} characters`)
    .refine((s) => !CONTROL.test(s), 'must not contain control characters');

export const name = (max: number) => text(max).trim().min(1, 'must not be empty');
