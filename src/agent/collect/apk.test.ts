import { describe, expect, it } from 'vitest';
import { parseApkInstalled } from './apk.js';

const DB = `C:Q1abc=
P:musl
V:1.2.4_git20230717-r4
A:x86_64
o:musl
F:lib
R:ld-musl-x86_64.so.1
Z:Q1def=

C:Q1ghi=
P:libcrypto3
V:3.1.4-r5
A:x86_64
o:openssl
D:so:libc.musl-x86_64.so.1

P:.build-deps
V:20240101.120000
A:noarch

P:busybox
V:1.36.1_p2-r0
A:x86_64
`;

describe('apk installed database', () => {
  it('reads name, version, architecture and origin; virtual packages are reported, not kept', () => {
    const r = parseApkInstalled(DB);
    expect(r.packages).toEqual([
      { name: 'musl', version: '1.2.4_git20230717-r4', arch: 'x86_64', sourceName: 'musl', sourceVersion: '1.2.4_git20230717-r4' },
      { name: 'libcrypto3', version: '3.1.4-r5', arch: 'x86_64', sourceName: 'openssl', sourceVersion: '3.1.4-r5' },
      { name: 'busybox', version: '1.36.1_p2-r0', arch: 'x86_64', sourceName: 'busybox', sourceVersion: '1.36.1_p2-r0' },
    ]);
    expect(r.skipped).toEqual([{ name: '.build-deps', version: '20240101.120000', arch: 'noarch', reason: 'virtual package (apk add --virtual)' }]);
  });

  it('names the block and line of malformed input', () => {
    expect(() => parseApkInstalled('P:a\nV:1-r0\n\nP:b\nV:1-r0\nthis is not a field\n')).toThrow('lib/apk/db/installed: package block 2 (line 4): line 6: expected "X:value", got "this is not a field"');
    expect(() => parseApkInstalled('P:a\nV:1-r0\n\nA:x86_64\nV:2-r0\n', '/r/db')).toThrow('/r/db: package block 2 (line 4): no P: (package name) field');
    expect(() => parseApkInstalled('P:a\nA:x86_64\n')).toThrow('package block 1 (line 1): package a has no V: (version) field');
    expect(() => parseApkInstalled('P:a\nV:1-r0\nP:b\n')).toThrow('line 3: second P: field in one package');
  });
});
