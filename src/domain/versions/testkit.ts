/**
 * Helpers shared by the version unit tests (pure; imported only by *.test.ts files).
 */
import type { Cmp } from './types.js';

const SYM: Record<string, Cmp> = { '<': -1, '=': 0, '>': 1 };

/** Parses "A op B" rows, e.g. "1.0 < 1.1". */
export function rows(table: string): [string, Cmp, string][] {
  return table
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const [a, op, b] = l.split(/\s+/);
      if (!a || !op || !b || !(op in SYM)) throw new Error(`bad table row: ${l}`);
      return [a, SYM[op]!, b];
    });
}

/** Every pair (i, j) of an ascending list compares as sign(i - j); "=" groups are written as arrays. */
export function ladderPairs(ladder: (string | string[])[]): [string, Cmp, string][] {
  const out: [string, Cmp, string][] = [];
  const flat: [string, number][] = ladder.flatMap((g, rank) => (Array.isArray(g) ? g : [g]).map((v) => [v, rank] as [string, number]));
  for (const [a, ra] of flat) for (const [b, rb] of flat) out.push([a, (ra < rb ? -1 : ra > rb ? 1 : 0) as Cmp, b]);
  return out;
}
