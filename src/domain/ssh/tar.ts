/**
 * A streaming reader of the tar archives a remote host sends (POSIX ustar,
 * GNU long names, pax headers: what GNU tar and BusyBox tar write). The
 * archive comes from the host being inventoried, so it is input to be
 * checked, not trusted: checksums are verified, names must be relative and
 * free of `..`, and every length is bounded. It only parses; writing the
 * entries is the caller's job (services/ssh/extract.ts).
 */

export type TarEntryType = 'file' | 'dir' | 'symlink' | 'other';

export interface TarEntry {
  /** Normalised relative path: no leading `/` or `./`, no `..`, no trailing `/`. */
  path: string;
  type: TarEntryType;
  size: number;
  linkTarget: string | null;
}

export type TarEvent = { kind: 'entry'; entry: TarEntry } | { kind: 'data'; bytes: Buffer } | { kind: 'end-entry' };

export class TarFormatError extends Error {}

const BLOCK = 512;
/** Long names and pax headers larger than this are not file names. */
const MAX_META = 64 * 1024;

function cstr(b: Buffer, start: number, len: number): string {
  const field = b.subarray(start, start + len);
  const nul = field.indexOf(0);
  return field.subarray(0, nul < 0 ? len : nul).toString('utf8');
}

/** Octal, or GNU base-256 for values past 8 GiB. */
function num(b: Buffer, start: number, len: number, what: string): number {
  const field = b.subarray(start, start + len);
  if ((field[0] as number) & 0x80) {
    let v = (field[0] as number) & 0x7f;
    for (let i = 1; i < len; i++) v = v * 256 + (field[i] as number);
    if (!Number.isSafeInteger(v)) throw new TarFormatError(`${what} is too large`);
    return v;
  }
  const s = cstr(b, start, len).trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw new TarFormatError(`${what} ${JSON.stringify(s)} is not an octal number`);
  return Number.parseInt(s, 8);
}

function checksumOk(h: Buffer): boolean {
  const stored = num(h, 148, 8, 'header checksum');
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : (h[i] as number);
  return sum === stored;
}

/** `./a//b/` → `a/b`; refuses absolute names, `..` and empty names. */
export function normaliseEntryPath(name: string): string {
  if (name.startsWith('/')) throw new TarFormatError(`entry ${JSON.stringify(name.slice(0, 200))} has an absolute path`);
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new TarFormatError(`entry ${JSON.stringify(name.slice(0, 200))} climbs out of the archive with ..`);
  if (!parts.length) throw new TarFormatError('an entry has an empty name');
  if (parts.some((p) => p.includes('\0'))) throw new TarFormatError('an entry name holds a NUL character');
  return parts.join('/');
}

/** pax extended header records: `LEN key=value\n`. */
function parsePax(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < data.length) {
    const sp = data.indexOf(0x20, i);
    if (sp < 0) break;
    const len = Number.parseInt(data.subarray(i, sp).toString('latin1'), 10);
    if (!Number.isInteger(len) || len <= sp - i || i + len > data.length) throw new TarFormatError('malformed pax header record');
    const rec = data.subarray(sp + 1, i + len - 1).toString('utf8');
    const eq = rec.indexOf('=');
    if (eq > 0) out[rec.slice(0, eq)] = rec.slice(eq + 1);
    i += len;
  }
  return out;
}

interface Limits {
  /** Most entries the archive may hold (default 100,000). */
  maxEntries?: number;
}

/**
 * Feed it chunks as they arrive; it returns what they complete. `finish()`
 * says whether the archive ended properly (the end blocks, or a clean end at
 * an entry boundary as some writers leave it).
 */
export class TarReader {
  private buf: Buffer = Buffer.alloc(0);
  private remaining = 0;
  private padding = 0;
  private meta: { kind: 'L' | 'K' | 'x' | 'g'; size: number; chunks: Buffer[] } | null = null;
  private pending: { path?: string; linkpath?: string; size?: number } = {};
  private ended = false;
  private entries = 0;
  private readonly maxEntries: number;

  constructor(limits: Limits = {}) {
    this.maxEntries = limits.maxEntries ?? 100_000;
  }

  push(chunk: Buffer): TarEvent[] {
    const events: TarEvent[] = [];
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    for (;;) {
      if (this.ended) {
        this.buf = Buffer.alloc(0); // anything after the end blocks is padding
        return events;
      }
      if (this.remaining > 0) {
        if (!this.buf.length) return events;
        const n = Math.min(this.remaining, this.buf.length);
        const part = this.buf.subarray(0, n);
        this.buf = this.buf.subarray(n);
        this.remaining -= n;
        if (this.meta) this.meta.chunks.push(Buffer.from(part));
        else events.push({ kind: 'data', bytes: part });
        if (this.remaining === 0) this.closeEntry(events);
        continue;
      }
      if (this.padding > 0) {
        const n = Math.min(this.padding, this.buf.length);
        this.buf = this.buf.subarray(n);
        this.padding -= n;
        if (this.padding > 0) return events;
        continue;
      }
      if (this.buf.length < BLOCK) return events;
      const h = this.buf.subarray(0, BLOCK);
      this.buf = this.buf.subarray(BLOCK);
      if (h.every((b) => b === 0)) {
        this.ended = true;
        continue;
      }
      this.header(Buffer.from(h), events);
    }
  }

  private header(h: Buffer, events: TarEvent[]) {
    if (!checksumOk(h)) throw new TarFormatError('a tar header has a wrong checksum (the stream is not a tar archive, or it was corrupted)');
    const flag = String.fromCharCode(h[156] as number);
    const size = num(h, 124, 12, 'entry size');
    const padded = Math.ceil(size / BLOCK) * BLOCK;
    if (flag === 'L' || flag === 'K' || flag === 'x' || flag === 'g') {
      if (size > MAX_META) throw new TarFormatError(`a ${flag === 'x' || flag === 'g' ? 'pax' : 'long name'} header of ${size} bytes is larger than ${MAX_META}`);
      this.meta = { kind: flag, size, chunks: [] };
      this.remaining = size;
      this.padding = padded - size;
      if (size === 0) this.closeEntry(events);
      return;
    }
    if (++this.entries > this.maxEntries) throw new TarFormatError(`the archive holds more than ${this.maxEntries} entries`);
    const ustar = h.subarray(257, 263).toString('latin1') === 'ustar\0';
    const prefix = ustar ? cstr(h, 345, 155) : '';
    const rawName = this.pending.path ?? (prefix ? `${prefix}/${cstr(h, 0, 100)}` : cstr(h, 0, 100));
    const type: TarEntryType = flag === '0' || flag === '\0' || flag === '7' ? 'file' : flag === '5' ? 'dir' : flag === '2' ? 'symlink' : 'other';
    const entrySize = this.pending.size ?? size;
    const linkTarget = type === 'symlink' ? (this.pending.linkpath ?? cstr(h, 157, 100)) : null;
    this.pending = {};
    const entry: TarEntry = { path: normaliseEntryPath(rawName), type, size: type === 'file' ? entrySize : 0, linkTarget };
    // Directories, links and devices carry no data even when a writer puts a size in the header.
    const dataSize = type === 'file' || type === 'other' ? entrySize : 0;
    events.push({ kind: 'entry', entry });
    this.remaining = dataSize;
    this.padding = Math.ceil(dataSize / BLOCK) * BLOCK - dataSize;
    if (dataSize === 0) events.push({ kind: 'end-entry' });
  }

  private closeEntry(events: TarEvent[]) {
    const meta = this.meta;
    if (!meta) {
      events.push({ kind: 'end-entry' });
      return;
    }
    this.meta = null;
    const data = Buffer.concat(meta.chunks);
    if (meta.kind === 'L') this.pending.path = cstr(data, 0, data.length);
    else if (meta.kind === 'K') this.pending.linkpath = cstr(data, 0, data.length);
    else if (meta.kind === 'x') {
      const pax = parsePax(data);
      if (pax.path !== undefined) this.pending.path = pax.path;
      if (pax.linkpath !== undefined) this.pending.linkpath = pax.linkpath;
      if (pax.size !== undefined) {
        if (!/^\d{1,15}$/.test(pax.size)) throw new TarFormatError(`pax size ${JSON.stringify(pax.size.slice(0, 40))} is not a number`);
        this.pending.size = Number(pax.size);
      }
    }
  }

  /** Throws when the stream stopped inside an entry. */
  finish(): void {
    if (this.remaining > 0 || this.meta || this.buf.length > 0) throw new TarFormatError('the archive ends in the middle of an entry (the transfer was cut short)');
  }
}
