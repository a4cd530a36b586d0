/**
 * Python package versions, following PEP 440 ("Version Identification and
 * Dependency Specification", now the PyPA version specifiers specification)
 * and its reference implementation `packaging.version`:
 * `[N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local]`, with the permitted
 * spellings normalised (case, `alpha`/`beta`/`c`/`pre`/`preview`,
 * `rev`/`r`, implicit numbers, `-`/`_`/`.` separators, `1.0-1` as a
 * post-release, a leading `v`, surrounding whitespace).
 * Order: epoch; release with trailing zeros ignored (`1.0.0 == 1.0`);
 * `X.devN < X.aN < X.bN < X.rcN < X < X.postN`; dev releases below their
 * pre/post-release; local versions above the public one, compared segment by
 * segment (numbers by value and above strings, strings case-insensitively).
 * Ground truth: `packaging.version.Version` comparisons.
 */
import { type Cmp, VersionError, cmpDigits, cmpStr } from './types.js';

export interface Pep440 {
  readonly epoch: string;
  readonly release: readonly string[];
  readonly pre: { readonly label: 'a' | 'b' | 'rc'; readonly n: string } | null;
  readonly post: string | null;
  readonly dev: string | null;
  readonly local: readonly string[] | null;
}

// The grammar of PEP 440 Appendix B (packaging's VERSION_PATTERN), anchored, case-insensitive.
const PATTERN = new RegExp(
  '^\\s*v?' +
    '(?:(?<epoch>[0-9]+)!)?' +
    '(?<release>[0-9]+(?:\\.[0-9]+)*)' +
    '(?<pre>[-_.]?(?<pre_l>alpha|a|beta|b|preview|pre|c|rc)[-_.]?(?<pre_n>[0-9]+)?)?' +
    '(?<post>(?:-(?<post_n1>[0-9]+))|(?:[-_.]?(?<post_l>post|rev|r)[-_.]?(?<post_n2>[0-9]+)?))?' +
    '(?<dev>[-_.]?(?<dev_l>dev)[-_.]?(?<dev_n>[0-9]+)?)?' +
    '(?:\\+(?<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?' +
    '\\s*$',
  'i',
);

function explain(input: string): string {
  const s = input.trim();
  if (s === '') return 'version string is empty';
  if (!/^v?([0-9]+!)?[0-9]/i.test(s)) return 'must start with a release number such as "1.0" (optionally "N!" for an epoch)';
  const plus = s.indexOf('+');
  if (plus >= 0 && !/^[a-z0-9]+(?:[-_.][a-z0-9]+)*$/i.test(s.slice(plus + 1))) return `invalid local version label "${s.slice(plus + 1)}" (letters and digits separated by ".", "-" or "_")`;
  return 'does not match the PEP 440 grammar [N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local]';
}

export function parsePep440(input: string): Pep440 {
  const m = PATTERN.exec(input);
  if (!m?.groups) throw new VersionError('pypi', input, explain(input));
  const g = m.groups;
  const preLabel = g['pre_l']?.toLowerCase();
  const pre = preLabel === undefined ? null : {
    label: (preLabel === 'alpha' || preLabel === 'a' ? 'a' : preLabel === 'beta' || preLabel === 'b' ? 'b' : 'rc') as 'a' | 'b' | 'rc',
    n: g['pre_n'] ?? '0',
  };
  const post = g['post'] === undefined ? null : (g['post_n1'] ?? g['post_n2'] ?? '0');
  const dev = g['dev'] === undefined ? null : (g['dev_n'] ?? '0');
  const local = g['local'] === undefined ? null : g['local'].toLowerCase().split(/[-_.]/);
  return { epoch: g['epoch'] ?? '0', release: g['release']!.split('.'), pre, post, dev, local };
}

/** The canonical (normalised) form, as `str(packaging.version.Version(v))` prints it. */
export function normalizePep440(input: string): string {
  const v = parsePep440(input);
  const strip0 = (n: string) => n.replace(/^0+(?=.)/, '');
  let out = v.epoch.replace(/^0+/, '') ? `${strip0(v.epoch)}!` : '';
  out += v.release.map(strip0).join('.');
  if (v.pre) out += `${v.pre.label}${strip0(v.pre.n)}`;
  if (v.post !== null) out += `.post${strip0(v.post)}`;
  if (v.dev !== null) out += `.dev${strip0(v.dev)}`;
  if (v.local) out += `+${v.local.map((s) => (/^[0-9]+$/.test(s) ? strip0(s) : s)).join('.')}`;
  return out;
}

const isNum = (s: string) => /^[0-9]+$/.test(s);

function cmpRelease(a: readonly string[], b: readonly string[]): Cmp {
  // trailing zeros do not count: 1.0.0 == 1.0 == 1
  let la = a.length;
  let lb = b.length;
  while (la > 1 && /^0+$/.test(a[la - 1]!)) la--;
  while (lb > 1 && /^0+$/.test(b[lb - 1]!)) lb--;
  if (la === 1 && /^0+$/.test(a[0]!)) la = 0;
  if (lb === 1 && /^0+$/.test(b[0]!)) lb = 0;
  for (let i = 0; i < Math.min(la, lb); i++) {
    const r = cmpDigits(a[i]!, b[i]!);
    if (r !== 0) return r;
  }
  return la === lb ? 0 : la < lb ? -1 : 1;
}

/** Rank of the pre-release part: dev-only releases lowest, then a/b/rc, then none. Returns [rank, number]. */
function preKey(v: Pep440): [number, string] {
  if (v.pre === null && v.post === null && v.dev !== null) return [0, '0'];
  if (v.pre === null) return [4, '0'];
  return [v.pre.label === 'a' ? 1 : v.pre.label === 'b' ? 2 : 3, v.pre.n];
}

function cmpOptNum(a: string | null, b: string | null, missing: -1 | 1): Cmp {
  if (a === null && b === null) return 0;
  if (a === null) return missing;
  if (b === null) return (-missing) as Cmp;
  return cmpDigits(a, b);
}

function cmpLocal(a: readonly string[] | null, b: readonly string[] | null): Cmp {
  if (a === null || b === null) return a === b ? 0 : a === null ? -1 : 1;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i]!;
    const y = b[i]!;
    const xn = isNum(x);
    const yn = isNum(y);
    const r = xn && yn ? cmpDigits(x, y) : xn ? 1 : yn ? -1 : cmpStr(x, y);
    if (r !== 0) return r;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

export function comparePep440Parsed(a: Pep440, b: Pep440): Cmp {
  const e = cmpDigits(a.epoch, b.epoch);
  if (e !== 0) return e;
  const r = cmpRelease(a.release, b.release);
  if (r !== 0) return r;
  const [pa, na] = preKey(a);
  const [pb, nb] = preKey(b);
  if (pa !== pb) return pa < pb ? -1 : 1;
  const n = cmpDigits(na, nb);
  if (n !== 0) return n;
  return cmpOptNum(a.post, b.post, -1) || cmpOptNum(a.dev, b.dev, 1) || cmpLocal(a.local, b.local);
}

export function comparePep440(a: string, b: string): Cmp {
  return comparePep440Parsed(parsePep440(a), parsePep440(b));
}
