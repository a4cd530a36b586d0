import { describe, expect, it } from 'vitest';
import { normaliseEntryPath, type TarEntry, type TarEvent, TarFormatError, TarReader } from './tar.js';

/** One 512-byte ustar header (GNU magic unless `posix`), with a correct checksum unless told otherwise. */
function header(name: string, opts: { type?: string; size?: number; link?: string; posix?: boolean; prefix?: string; badSum?: boolean } = {}): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, 'utf8');
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(`${(opts.size ?? 0).toString(8).padStart(11, '0')}\0`, 124);
  h.write('00000000000\0', 136);
  h.write(opts.type ?? '0', 156);
  if (opts.link) h.write(opts.link, 157, 100, 'utf8');
  h.write(opts.posix ? 'ustar\x0000' : 'ustar  \0', 257, 'latin1');
  if (opts.prefix) h.write(opts.prefix, 345, 155, 'utf8');
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${(sum + (opts.badSum ? 1 : 0)).toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return h;
}
const pad = (b: Buffer) => Buffer.concat([b, Buffer.alloc((512 - (b.length % 512)) % 512)]);
const file = (name: string, body: string, extra: Parameters<typeof header>[1] = {}) => Buffer.concat([header(name, { size: Buffer.byteLength(body), ...extra }), pad(Buffer.from(body))]);
const END = Buffer.alloc(1024);

/** Reads an archive fed in chunks of `step` bytes: the entries with their contents. */
function read(archive: Buffer, step = archive.length, limits?: { maxEntries?: number }) {
  const r = new TarReader(limits);
  const events: TarEvent[] = [];
  for (let i = 0; i < archive.length; i += step) events.push(...r.push(archive.subarray(i, i + step)));
  r.finish();
  const out: (TarEntry & { body: string })[] = [];
  for (const e of events) {
    if (e.kind === 'entry') out.push({ ...e.entry, body: '' });
    else if (e.kind === 'data') (out.at(-1) as { body: string }).body += e.bytes.toString('utf8');
  }
  return out;
}

describe('TarReader', () => {
  const archive = Buffer.concat([
    header('etc/', { type: '5' }),
    file('./etc/hostname', 'web01\n'),
    header('etc/os-release', { type: '2', link: '../usr/lib/os-release' }),
    file('var/lib/dpkg/status', `${'Package: x\n'.repeat(100)}`),
    file('', '', {}).subarray(0, 0),
    END,
  ]);

  it.each([1, 7, 511, 512, 513, 100_000])('reads files, directories and links fed %i bytes at a time', (step) => {
    expect(read(archive, step)).toEqual([
      { path: 'etc', type: 'dir', size: 0, linkTarget: null, body: '' },
      { path: 'etc/hostname', type: 'file', size: 6, linkTarget: null, body: 'web01\n' },
      { path: 'etc/os-release', type: 'symlink', size: 0, linkTarget: '../usr/lib/os-release', body: '' },
      { path: 'var/lib/dpkg/status', type: 'file', size: 1100, linkTarget: null, body: 'Package: x\n'.repeat(100) },
    ]);
  });

  it('long names: GNU L records, pax path/linkpath, the ustar prefix', () => {
    const long = `var/lib/rpm/${'x'.repeat(150)}`;
    const pax = (k: string, v: string) => {
      const rec = (len: number) => `${len} ${k}=${v}\n`;
      let len = rec(0).length;
      while (rec(len).length !== len) len = rec(len).length;
      return rec(len);
    };
    const paxBody = pax('path', `usr/lib/sysimage/rpm/${'y'.repeat(120)}`) + pax('linkpath', '/elsewhere');
    const a = Buffer.concat([
      file('././@LongLink', `${long}\0`, { type: 'L' }),
      file('ignored', 'a'),
      file('PaxHeaders/1', paxBody, { type: 'x' }),
      header('ignored-too', { type: '2' }),
      file('status', 'b', { posix: true, prefix: 'var/lib/dpkg' }),
      END,
    ]);
    expect(read(a, 100).map((e) => [e.path, e.type, e.linkTarget, e.body])).toEqual([
      [long, 'file', null, 'a'],
      [`usr/lib/sysimage/rpm/${'y'.repeat(120)}`, 'symlink', '/elsewhere', ''],
      ['var/lib/dpkg/status', 'file', null, 'b'],
    ]);
  });

  it('passes over hard links and devices, with their data', () => {
    const a = Buffer.concat([header('dev/null', { type: '3' }), file('weird', 'zz', { type: 'S' }), file('ok', 'k'), END]);
    expect(read(a).map((e) => [e.path, e.type, e.body])).toEqual([['dev/null', 'other', ''], ['weird', 'other', 'zz'], ['ok', 'file', 'k']]);
  });

  it.each([
    ['an absolute name', file('/etc/shadow', 'x'), /absolute path/],
    ['a name with ..', file('etc/../../root/.ssh/authorized_keys', 'x'), /climbs out/],
    ['a wrong checksum', file('etc/hostname', 'x', { badSum: true }), /wrong checksum/],
    ['text that is not tar', Buffer.from('Welcome to host!\n'.repeat(40)), /checksum|octal/],
    ['a long name past 64 KiB', header('././@LongLink', { type: 'L', size: 70_000 }), /larger than 65536/],
  ])('refuses %s', (_what, a, message) => {
    expect(() => read(Buffer.concat([a, END]))).toThrow(TarFormatError);
    expect(() => read(Buffer.concat([a, END]))).toThrow(message);
  });

  it('notices an archive cut short, and one with too many entries', () => {
    const whole = Buffer.concat([file('a', 'x'.repeat(2000)), END]);
    expect(() => read(whole.subarray(0, 1000))).toThrow(/ends in the middle/);
    expect(() => read(whole.subarray(0, 700))).toThrow(/ends in the middle/);
    const many = Buffer.concat([...Array.from({ length: 11 }, (_, i) => file(`f${i}`, 'x')), END]);
    expect(() => read(many, 512, { maxEntries: 10 })).toThrow(/more than 10 entries/);
    expect(read(many, 512, { maxEntries: 11 })).toHaveLength(11);
  });

  it('normalises names', () => {
    expect(normaliseEntryPath('./a//b/./c/')).toBe('a/b/c');
    expect(() => normaliseEntryPath('./')).toThrow(/empty name/);
  });
});
