/**
 * Shared types and helpers for version ordering. Pure: no I/O, no Node APIs.
 */

/** Result of a comparison: a < b is -1, a = b is 0, a > b is 1. */
export type Cmp = -1 | 0 | 1;

/** A version string that its ecosystem's grammar rejects. The message names the ecosystem, the input and the problem. */
export class VersionError extends Error {
  constructor(
    readonly ecosystem: string,
    readonly input: string,
    readonly problem: string,
  ) {
    super(`invalid ${ecosystem} version ${JSON.stringify(input)}: ${problem}`);
    this.name = 'VersionError';
  }
}

export const sign = (n: number): Cmp => (n < 0 ? -1 : n > 0 ? 1 : 0);

/** Compares two strings by UTF-16 code units (byte order for ASCII), like C's strcmp on ASCII input. */
export function cmpStr(a: string, b: string): Cmp {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Compares two runs of ASCII digits by numeric value, any length, leading zeros allowed. */
export function cmpDigits(a: string, b: string): Cmp {
  let i = 0;
  let j = 0;
  while (i < a.length - 1 && a.charCodeAt(i) === 48) i++;
  while (j < b.length - 1 && b.charCodeAt(j) === 48) j++;
  const la = a.length - i;
  const lb = b.length - j;
  if (la !== lb) return la < lb ? -1 : 1;
  for (; i < a.length; i++, j++) {
    const d = a.charCodeAt(i) - b.charCodeAt(j);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

export const isDigitCode = (c: number): boolean => c >= 48 && c <= 57;
export const isAlphaCode = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);

/** Describes a character for an error message: printable ASCII as itself, anything else by code point. */
export function describeChar(ch: string): string {
  const c = ch.codePointAt(0) ?? 0;
  if (c > 32 && c < 127) return `"${ch}"`;
  return `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;
}
