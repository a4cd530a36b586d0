/**
 * Maven artifact versions, following the POM reference "Version Order
 * Specification" (https://maven.apache.org/pom.html#version-order-specification)
 * as implemented by Maven 3.9's org.apache.maven.artifact.versioning.ComparableVersion.
 *
 * The version is lower-cased and split into items at `.` and `-` and at every
 * transition between digits and letters; `-` and a digit/letter transition
 * open a nested list. Numbers compare by value; qualifiers by
 * `alpha < beta < milestone < rc = cr < snapshot < "" = ga = final = release < sp`,
 * then unknown qualifiers in lexical order; `a1`, `b1`, `m1` (a letter
 * directly followed by a digit) mean alpha, beta, milestone. Trailing "null"
 * items (0, "", ga, final, release, empty lists) are dropped, so `1.0.0 = 1`
 * and `1-ga = 1`; a missing item is padded with the null of the other side's
 * kind. A number beats a list which beats a qualifier (`1.1 > 1-1 > 1-sp`).
 * A string qualifier that ends the version after a dot is treated as if it
 * followed a hyphen (`1.0.x` = `1-x`).
 * Like Maven's, this order is not transitive for versions that start with a
 * qualifier (`ga-cr` < `final` < `x` < `ga-cr`); versions starting with a
 * number, as published artifacts do, are ordered consistently.
 */
import { type Cmp, VersionError, cmpDigits, sign } from './types.js';

type Item = { kind: 'int'; value: string } | { kind: 'str'; value: string } | ListItem;
interface ListItem {
  kind: 'list';
  items: Item[];
}

const QUALIFIERS = ['alpha', 'beta', 'milestone', 'rc', 'snapshot', '', 'sp'];
const ALIASES: Record<string, string> = { ga: '', final: '', release: '', cr: 'rc' };
const RELEASE_INDEX = String(QUALIFIERS.indexOf(''));

function stringItem(value: string, followedByDigit: boolean): Item {
  if (followedByDigit && value.length === 1) {
    if (value === 'a') value = 'alpha';
    else if (value === 'b') value = 'beta';
    else if (value === 'm') value = 'milestone';
  }
  return { kind: 'str', value: ALIASES[value] ?? value };
}

function parseItem(isDigit: boolean, buf: string): Item {
  if (isDigit) return { kind: 'int', value: buf.replace(/^0+(?=.)/, '') };
  return stringItem(buf, false);
}

/** The sortable key of a qualifier: known ones by index, unknown ones after them in lexical order. */
function comparableQualifier(q: string): string {
  const i = QUALIFIERS.indexOf(q);
  return i === -1 ? `${QUALIFIERS.length}-${q}` : String(i);
}

const javaCompare = (a: string, b: string): Cmp => (a < b ? -1 : a > b ? 1 : 0);

function isNull(it: Item): boolean {
  if (it.kind === 'int') return /^0+$/.test(it.value);
  if (it.kind === 'str') return comparableQualifier(it.value) === RELEASE_INDEX;
  return it.items.length === 0;
}

/** Drops trailing null items, looking past (non-null) nested lists, as Maven 3.9 does. */
function normalize(list: ListItem) {
  for (let i = list.items.length - 1; i >= 0; i--) {
    const it = list.items[i]!;
    if (isNull(it)) list.items.splice(i, 1);
    else if (it.kind !== 'list') break;
  }
}

function compareItem(a: Item, b: Item | null): Cmp {
  if (a.kind === 'int') {
    if (b === null) return isNull(a) ? 0 : 1;
    if (b.kind === 'int') return cmpDigits(a.value, b.value);
    return 1; // 1.1 > 1-sp, 1.1 > 1-1
  }
  if (a.kind === 'str') {
    if (b === null) return javaCompare(comparableQualifier(a.value), RELEASE_INDEX); // 1-rc < 1, 1-sp > 1
    if (b.kind === 'str') return javaCompare(comparableQualifier(a.value), comparableQualifier(b.value));
    return -1; // 1.any < 1.1, 1.any < 1-1
  }
  if (b === null) {
    for (const it of a.items) {
      const r = compareItem(it, null);
      if (r !== 0) return r;
    }
    return 0;
  }
  if (b.kind === 'int') return -1; // 1-1 < 1.0.x
  if (b.kind === 'str') return 1; // 1-1 > 1-sp
  const n = Math.max(a.items.length, b.items.length);
  for (let i = 0; i < n; i++) {
    const l = a.items[i];
    const r = b.items[i];
    const res = l === undefined ? (r === undefined ? 0 : (sign(-compareItem(r, null)) as Cmp)) : compareItem(l, r ?? null);
    if (res !== 0) return res;
  }
  return 0;
}

export interface MavenVersion {
  readonly original: string;
  readonly items: ListItem;
}

const isDigitChar = (c: string) => c >= '0' && c <= '9';

export function parseMaven(input: string): MavenVersion {
  const fail = (problem: string): never => {
    throw new VersionError('maven', input, problem);
  };
  if (input === '') return fail('version string is empty');
  for (let i = 0; i < input.length; i++) {
    const c = input.charCodeAt(i);
    if (c <= 32 || c >= 127) return fail(`invalid character at position ${i + 1} (only printable ASCII without spaces is accepted)`);
  }
  const version = input.toLowerCase();
  const root: ListItem = { kind: 'list', items: [] };
  let list = root;
  const stack: ListItem[] = [root];
  const push = () => {
    const sub: ListItem = { kind: 'list', items: [] };
    list.items.push(sub);
    list = sub;
    stack.push(sub);
  };
  let isDigit = false;
  let start = 0;
  for (let i = 0; i < version.length; i++) {
    const c = version[i]!;
    if (c === '.' || c === '-') {
      if (i === start) list.items.push({ kind: 'int', value: '0' });
      else list.items.push(parseItem(isDigit, version.slice(start, i)));
      start = i + 1;
      if (c === '-') push();
    } else if (isDigitChar(c)) {
      if (!isDigit && i > start) {
        // letters then digits: "alpha1" is [alpha, [1]]
        if (list.items.length > 0) push();
        list.items.push(stringItem(version.slice(start, i), true));
        start = i;
        push();
      }
      isDigit = true;
    } else {
      if (isDigit && i > start) {
        list.items.push(parseItem(true, version.slice(start, i)));
        start = i;
        push();
      }
      isDigit = false;
    }
  }
  if (version.length > start) {
    // 1.0.0.X1 < 1.0.0-X2: treat a trailing .X as -X for a string qualifier X
    if (!isDigit && list.items.length > 0) push();
    list.items.push(parseItem(isDigit, version.slice(start)));
  }
  while (stack.length > 0) normalize(stack.pop()!);
  return { original: input, items: root };
}

/** The canonical form Maven prints (`ComparableVersion.getCanonical()`). */
export function canonicalMaven(input: string): string {
  const show = (l: ListItem): string =>
    l.items.map((it, i) => `${i > 0 ? (it.kind === 'list' ? '-' : '.') : ''}${it.kind === 'list' ? show(it) : it.value}`).join('');
  return show(parseMaven(input).items);
}

export function compareMavenParsed(a: MavenVersion, b: MavenVersion): Cmp {
  return compareItem(a.items, b.items);
}

export function compareMaven(a: string, b: string): Cmp {
  return compareMavenParsed(parseMaven(a), parseMaven(b));
}
