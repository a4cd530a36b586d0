/**
 * Alpine apk package versions, following apk-tools src/version.c (v2.14/v3):
 * `digits{.digits}{letter}{_suffix{digits}}{~hash}{-rN}`.
 * Tokens are compared in order; numbers by value, except that a dotted
 * component with a leading zero compares as a string (Gentoo rule); one
 * lower-case letter by its code; suffixes by
 * `_alpha < _beta < _pre < _rc < (none) < _cvs < _svn < _git < _hg < _p`;
 * a commit hash `~[0-9a-f]+` as a string. When one version runs out first, a
 * pre-release suffix on the other makes that one older; otherwise the version
 * whose next token is of an earlier kind (more components) is newer, and the
 * one that ends is newer than one that continues with something invalid.
 * `compareApk` rejects invalid versions; `compareApkRaw` reproduces apk's own
 * answer for any input, as `apk version -t` prints it.
 * Ground truth: apk-tools test/version.data.
 */
import { type Cmp, VersionError, cmpDigits, describeChar, isDigitCode } from './types.js';

const T = {
  InitialDigit: 0,
  Digit: 1,
  Letter: 2,
  Suffix: 3,
  SuffixNo: 4,
  CommitHash: 5,
  RevisionNo: 6,
  End: 7,
  Invalid: 8,
} as const;
type T = (typeof T)[keyof typeof T];

/** Suffix ranks; NONE (5) is the pivot between pre-release and post-release suffixes. */
const SUFFIXES: Record<string, number> = { alpha: 1, beta: 2, pre: 3, rc: 4, cvs: 6, svn: 7, git: 8, hg: 9, p: 10 };
const SUFFIX_NONE = 5;

interface Token {
  type: T;
  /** the token's text: digits, the letter, the suffix name or the hash */
  value: string;
  suffix: number;
  /** why the token is invalid (only for T.Invalid) */
  problem?: string;
}

class Lexer {
  pos = 0;
  tok: Token = { type: T.InitialDigit, value: '', suffix: 0 };
  constructor(readonly s: string) {}

  private digits(type: T) {
    const start = this.pos;
    while (this.pos < this.s.length && isDigitCode(this.s.charCodeAt(this.pos))) this.pos++;
    this.tok = { type, value: this.s.slice(start, this.pos), suffix: 0 };
    if (start === this.pos) this.invalid(start, 'a number was expected');
  }

  private invalid(at: number, why: string) {
    const ch = this.s[at];
    this.tok = { type: T.Invalid, value: '', suffix: 0, problem: `${ch === undefined ? 'unexpected end' : `unexpected ${describeChar(ch)}`} at position ${at + 1}: ${why}` };
  }

  first(): Token {
    this.digits(T.InitialDigit);
    if (this.tok.type === T.Invalid) this.invalid(0, 'a version must start with a number');
    return this.tok;
  }

  next(): Token {
    const s = this.s;
    const prev = this.tok.type;
    if (this.pos >= s.length) {
      this.tok = { type: T.End, value: '', suffix: 0 };
      return this.tok;
    }
    const at = this.pos;
    const ch = s[at]!;
    if (ch >= 'a' && ch <= 'z') {
      if (prev > T.Digit) this.invalid(at, 'a letter may only follow a number');
      else {
        this.tok = { type: T.Letter, value: ch, suffix: 0 };
        this.pos++;
      }
    } else if (ch === '.' || (ch >= '0' && ch <= '9')) {
      if (ch === '.') {
        if (prev > T.Digit) return this.setInvalid(at, '"." may only follow a number');
        this.pos++;
      }
      if (prev === T.InitialDigit || prev === T.Digit) this.digits(T.Digit);
      else if (prev === T.Suffix && ch !== '.') this.digits(T.SuffixNo);
      else this.invalid(at, ch === '.' ? '"." may only follow a number' : 'a number may not follow a letter or suffix number here');
    } else if (ch === '_') {
      if (prev > T.SuffixNo) return this.setInvalid(at, 'a suffix may not follow a commit hash or revision');
      this.pos++;
      const start = this.pos;
      while (this.pos < s.length && s[this.pos]! >= 'a' && s[this.pos]! <= 'z') this.pos++;
      const name = s.slice(start, this.pos);
      const rank = SUFFIXES[name];
      if (rank === undefined) {
        this.pos = start;
        this.invalid(at, `unknown suffix "_${name}" (expected _alpha, _beta, _pre, _rc, _cvs, _svn, _git, _hg or _p)`);
      } else this.tok = { type: T.Suffix, value: name, suffix: rank };
    } else if (ch === '~') {
      if (prev >= T.CommitHash) return this.setInvalid(at, 'a commit hash may appear only once, before the revision');
      this.pos++;
      const start = this.pos;
      while (this.pos < s.length && /[0-9a-f]/.test(s[this.pos]!)) this.pos++;
      if (start === this.pos) this.invalid(at, '"~" must be followed by a lower-case hexadecimal commit hash');
      else this.tok = { type: T.CommitHash, value: s.slice(start, this.pos), suffix: 0 };
    } else if (ch === '-') {
      if (prev >= T.RevisionNo) return this.setInvalid(at, 'only one revision "-rN" is allowed');
      if (s[at + 1] !== 'r') return this.setInvalid(at, 'a hyphen must start the revision "-rN"');
      this.pos += 2;
      this.digits(T.RevisionNo);
      if (this.tok.type === T.Invalid) this.invalid(at + 2, 'the revision "-r" needs a number');
    } else {
      this.invalid(at, 'not allowed in an apk version');
    }
    return this.tok;
  }

  private setInvalid(at: number, why: string): Token {
    this.invalid(at, why);
    return this.tok;
  }
}

/** apk_blob_sort: bytewise over the common length, then the shorter first. */
function blobSort(a: string, b: string): Cmp {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a.charCodeAt(i) - b.charCodeAt(i);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

function tokenCmp(a: Token, b: Token): Cmp {
  switch (a.type) {
    case T.Digit:
      if (a.value[0] === '0' || b.value[0] === '0') return blobSort(a.value, b.value);
      return cmpDigits(a.value, b.value);
    case T.InitialDigit:
    case T.SuffixNo:
    case T.RevisionNo:
      return cmpDigits(a.value, b.value);
    case T.Letter:
      return blobSort(a.value, b.value);
    case T.Suffix:
      return a.suffix === b.suffix ? 0 : a.suffix < b.suffix ? -1 : 1;
    default:
      return blobSort(a.value, b.value);
  }
}

/** apk's comparison for any two strings, valid or not (what `apk version -t A B` prints). */
export function compareApkRaw(a: string, b: string): Cmp {
  const la = new Lexer(a);
  const lb = new Lexer(b);
  let ta = la.first();
  let tb = lb.first();
  while (ta.type === tb.type && ta.type < T.End) {
    const r = tokenCmp(ta, tb);
    if (r !== 0) return r;
    ta = la.next();
    tb = lb.next();
  }
  if (ta.type === tb.type) return 0;
  if (ta.type === T.Suffix && ta.suffix < SUFFIX_NONE) return -1;
  if (tb.type === T.Suffix && tb.suffix < SUFFIX_NONE) return 1;
  if (ta.type > tb.type) return -1;
  if (tb.type > ta.type) return 1;
  return 0;
}

/** Validates an apk version (apk_version_validate); throws VersionError naming the first problem. */
export function parseApk(input: string): string {
  if (input === '') throw new VersionError('apk', input, 'version string is empty');
  const lx = new Lexer(input);
  let t = lx.first();
  while (t.type < T.End) t = lx.next();
  if (t.type === T.Invalid) throw new VersionError('apk', input, t.problem ?? 'not a valid apk version');
  return input;
}

export function isValidApk(input: string): boolean {
  try {
    parseApk(input);
    return true;
  } catch {
    return false;
  }
}

export function compareApk(a: string, b: string): Cmp {
  return compareApkRaw(parseApk(a), parseApk(b));
}
