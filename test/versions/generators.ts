/**
 * fast-check arbitraries producing valid versions of each ecosystem, drawn
 * from small alphabets so that equal and nearly equal versions are common.
 * Used by the property tests and the oracle tests (test-only; pure).
 */
import fc from 'fast-check';
import type { Ecosystem } from '../../src/domain/versions/index.js';

const pick = (chars: string, min: number, max: number) => fc.array(fc.constantFrom(...chars), { minLength: min, maxLength: max }).map((a) => a.join(''));
const num = fc.oneof(fc.constantFrom('0', '1', '2', '9', '10', '01', '00', '010'), fc.nat(30).map(String));

export const dpkgVersion = fc
  .tuple(
    fc.option(fc.constantFrom('0', '1', '2', '00', '10'), { nil: undefined }),
    num,
    pick('0123456789.+~abzAZ:', 0, 6),
    fc.option(pick('0123456789.+~abzAZ', 1, 5), { nil: undefined }),
  )
  .map(([epoch, head, rest, rev]) => {
    // a colon in the upstream part needs an epoch; a hyphen needs a revision
    const up = epoch === undefined ? rest.replace(/:/g, '.') : rest;
    return `${epoch === undefined ? '' : `${epoch}:`}${head}${up}${rev === undefined ? '' : `-${rev}`}`;
  });

export const rpmVersion = fc
  .tuple(
    fc.option(fc.constantFrom('0', '1', '2', '00'), { nil: undefined }),
    pick('0123456789.._+~^abzAZ', 1, 8),
    fc.option(pick('0123456789._+~^abel', 1, 6), { nil: undefined }),
  )
  .map(([e, v, r]) => `${e === undefined ? '' : `${e}:`}${v}${r === undefined ? '' : `-${r}`}`);

const apkSuffix = fc.tuple(fc.constantFrom('alpha', 'beta', 'pre', 'rc', 'cvs', 'svn', 'git', 'hg', 'p'), fc.option(num, { nil: '' })).map(([s, n]) => `_${s}${n}`);
export const apkVersion = fc
  .tuple(
    num,
    fc.array(num, { maxLength: 3 }),
    fc.option(fc.constantFrom('a', 'b', 'z'), { nil: '' }),
    fc.array(apkSuffix, { maxLength: 2 }),
    fc.option(pick('0123456789abcdef', 1, 4), { nil: undefined }),
    fc.option(num, { nil: undefined }),
  )
  .map(([first, rest, letter, sufs, hash, rev]) => `${[first, ...rest].join('.')}${letter}${sufs.join('')}${hash === undefined ? '' : `~${hash}`}${rev === undefined ? '' : `-r${rev}`}`);

const semNum = fc.oneof(fc.constantFrom('0', '1', '2', '10'), fc.nat(20).map(String));
const preIdent = fc.oneof(semNum, fc.constantFrom('alpha', 'beta', 'rc', 'a-b', 'A', 'x1', '0a'));
export const semverVersion = fc
  .tuple(semNum, semNum, semNum, fc.array(preIdent, { maxLength: 3 }), fc.option(fc.constantFrom('build', '001', 'sha.5114f85'), { nil: undefined }), fc.boolean())
  .map(([a, b, c, pre, build, v]) => `${v ? 'v' : ''}${a}.${b}.${c}${pre.length ? `-${pre.join('.')}` : ''}${build === undefined ? '' : `+${build}`}`);

export const goVersion = fc.oneof(
  semverVersion.map((s) => (s.startsWith('v') ? s : `v${s}`)).map((s) => s.replace(/\+.*$/, '')),
  fc
    .tuple(semNum, semNum, semNum, fc.constantFrom('', '0.', 'pre.0.', 'rc.1.0.'), fc.integer({ min: 2018, max: 2024 }), fc.constantFrom('0101000000', '0615123045', '1231235959'), fc.constantFrom('abcdefabcdef', '000000000000'), fc.boolean())
    .map(([a, b, c, kind, y, rest, hash, inc]) => `v${a}.${b}.${c}-${kind}${y}${rest}-${hash}${inc ? '+incompatible' : ''}`),
);

const sep = fc.constantFrom('', '.', '-', '_');
export const pep440Version = fc
  .tuple(
    fc.option(fc.constantFrom('0', '1', '2'), { nil: undefined }),
    fc.array(num, { minLength: 1, maxLength: 4 }),
    fc.option(fc.tuple(sep, fc.constantFrom('a', 'alpha', 'b', 'beta', 'c', 'rc', 'pre', 'preview', 'RC'), sep, fc.option(num, { nil: '' })), { nil: undefined }),
    fc.option(fc.oneof(num.map((n) => `-${n}`), fc.tuple(sep, fc.constantFrom('post', 'rev', 'r'), sep, fc.option(num, { nil: '' })).map((p) => p.join(''))), { nil: undefined }),
    fc.option(fc.tuple(sep, fc.constantFrom('dev', 'DEV'), sep, fc.option(num, { nil: '' })), { nil: undefined }),
    fc.option(fc.array(fc.oneof(num, fc.constantFrom('abc', 'Ubuntu', 'a', 'z9')), { minLength: 1, maxLength: 3 }), { nil: undefined }),
  )
  .map(([e, rel, pre, post, dev, local]) => {
    let s = `${e === undefined ? '' : `${e}!`}${rel.join('.')}`;
    if (pre) s += pre.join('');
    if (post) s += post;
    if (dev) s += dev.join('');
    if (local) s += `+${local.join('.')}`;
    return s;
  })
  // every generated string starts with a release number
  .filter((s) => /^v?(?:[0-9]+!)?[0-9]+(?:\.[0-9]+)*/.test(s));

/**
 * Maven versions as published, starting with a number. ComparableVersion is not transitive
 * (see properties.test.ts), so only reflexivity and antisymmetry are properties here; the
 * oracle test compares with the real ComparableVersion where its jar is available.
 */
export const mavenVersion = fc
  .array(fc.oneof(num, fc.constantFrom('alpha', 'a', 'beta', 'b', 'milestone', 'm', 'rc', 'cr', 'SNAPSHOT', 'ga', 'final', 'release', 'sp', 'foo', 'RC', 'x')), { minLength: 1, maxLength: 5 })
  .chain((parts) => fc.array(fc.constantFrom('.', '-', ''), { minLength: parts.length - 1, maxLength: parts.length - 1 }).map((seps) => parts.map((p, i) => (i === 0 ? p : `${seps[i - 1]}${p}`)).join('')))
  .chain((tail) => fc.constantFrom('1', '2', '10').map((head) => `${head}${/^[0-9]/.test(tail) ? '.' : '-'}${tail}`));

export const VERSION_ARBITRARY: Record<Ecosystem, fc.Arbitrary<string>> = {
  deb: dpkgVersion,
  rpm: rpmVersion,
  apk: apkVersion,
  npm: semverVersion,
  pypi: pep440Version,
  maven: mavenVersion,
  go: goVersion,
};
