/**
 * Reading a host's files under a root directory (`/` for the running host, or
 * a mounted image / chroot for `--root`), and the host facts the agent reports.
 *
 * Paths below the root are resolved the way a chroot would see them: an
 * absolute symlink target restarts at the root and `..` stops at the root.
 * Images are full of absolute links (`/var/run` → `/run`, `/etc/os-release` →
 * `/usr/lib/os-release`); followed naively they would read the *host's* files
 * and report the host's OS or packages for the image. The final component is
 * opened with O_NOFOLLOW (a link swapped in after resolution is refused) and
 * O_NONBLOCK (a FIFO planted at a database path cannot hang the agent), and it
 * must be a regular file.
 */
import { constants, type Stats } from 'node:fs';
import { type FileHandle, lstat, open, readlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';

/** A collection failure with a message that names the file (and line or block) at fault. */
export class CollectError extends Error {
  override name = 'CollectError';
}

/** Package databases larger than this are refused (a Debian desktop's status file is ~5 MiB). */
export const MAX_DB_BYTES = 512 * 1024 * 1024;
/** Small configuration files (os-release, hostname, hosts). */
const MAX_SMALL_BYTES = 1024 * 1024;

const errCode = (e: unknown) => (e as NodeJS.ErrnoException).code;

export const isLiveRoot = (root: string) => path.resolve(root) === '/';

/**
 * The host path of `rel` inside `root`, following symlinks as if `root` were
 * `/`; null when a component does not exist (or is not a directory).
 */
export async function resolveInRoot(root: string, rel: string): Promise<string | null> {
  const base = path.resolve(root);
  const pending = rel.split('/').filter(Boolean);
  let parts: string[] = [];
  let links = 0;
  while (pending.length) {
    const c = pending.shift() as string;
    if (c === '.') continue;
    if (c === '..') {
      parts.pop(); // never above the root
      continue;
    }
    const p = path.join(base, ...parts, c);
    let st: Stats;
    try {
      st = await lstat(p);
    } catch (e) {
      if (errCode(e) === 'ENOENT' || errCode(e) === 'ENOTDIR') return null;
      throw new CollectError(`${p}: ${(e as Error).message}`);
    }
    if (!st.isSymbolicLink()) {
      parts.push(c);
      continue;
    }
    if (++links > 40) throw new CollectError(`${path.join(base, rel)}: too many levels of symbolic links`);
    const target = await readlink(p);
    if (target.startsWith('/')) parts = [];
    pending.unshift(...target.split('/').filter(Boolean));
  }
  return path.join(base, ...parts);
}

async function openRegular(file: string, maxBytes: number): Promise<FileHandle> {
  let fh: FileHandle;
  try {
    fh = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    throw new CollectError(`${file}: cannot open: ${(e as Error).message}`);
  }
  const st = await fh.stat();
  if (!st.isFile()) {
    await fh.close();
    throw new CollectError(`${file}: not a regular file`);
  }
  if (st.size > maxBytes) {
    await fh.close();
    throw new CollectError(`${file}: ${st.size} bytes is more than the limit of ${maxBytes} bytes`);
  }
  return fh;
}

/** Lines of a file, streamed with bounded memory; the byte limit also holds for a file that grows while read. */
export async function* readLines(file: string, maxBytes = MAX_DB_BYTES): AsyncGenerator<string> {
  const fh = await openRegular(file, maxBytes);
  try {
    const decoder = new StringDecoder('utf8');
    const buf = Buffer.allocUnsafe(1 << 20);
    let total = 0;
    let rest = '';
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > maxBytes) throw new CollectError(`${file}: more than the limit of ${maxBytes} bytes`);
      const lines = (rest + decoder.write(buf.subarray(0, bytesRead))).split('\n');
      rest = lines.pop() as string;
      yield* lines;
    }
    rest += decoder.end();
    if (rest) yield rest;
  } finally {
    await fh.close();
  }
}

/** A run of non-blank lines (deb822 paragraph, apk package block) and the 1-based line it starts on. */
export interface Block {
  line: number;
  lines: string[];
}

/** Blank-line separated blocks of a file (blank: empty or only whitespace). */
export async function* readBlocks(file: string, maxBytes = MAX_DB_BYTES): AsyncGenerator<Block> {
  let block: string[] = [];
  let start = 0;
  let n = 0;
  for await (const line of readLines(file, maxBytes)) {
    n++;
    if (line.trim() === '') {
      if (block.length) yield { line: start, lines: block };
      block = [];
    } else {
      if (!block.length) start = n;
      block.push(line);
    }
  }
  if (block.length) yield { line: start, lines: block };
}

/** A small text file under the root, or null when it does not exist. */
export async function readRootText(root: string, rel: string, maxBytes = MAX_SMALL_BYTES): Promise<string | null> {
  const file = await resolveInRoot(root, rel);
  if (!file) return null;
  const lines: string[] = [];
  for await (const l of readLines(file, maxBytes)) lines.push(l);
  return lines.join('\n');
}

export interface OsRelease {
  /** os-release ID (lower case; "linux" when absent, as os-release(5) specifies). */
  id: string;
  idLike: string[];
  versionId: string | null;
  codename: string | null;
  prettyName: string | null;
  /** Every assignment in the file. */
  fields: Record<string, string>;
}

/** os-release(5): KEY=value lines, values optionally quoted with shell-style escapes. */
export function parseOsRelease(text: string): OsRelease {
  const fields: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*?)\s*$/.exec(raw);
    if (!m) continue; // comments, blank and malformed lines are ignored, as systemd does
    let v = m[2] as string;
    if (v.startsWith('"') && v.endsWith('"') && v.length >= 2) v = v.slice(1, -1).replace(/\\([$"\\`])/g, '$1');
    else if (v.startsWith("'") && v.endsWith("'") && v.length >= 2) v = v.slice(1, -1);
    else v = v.replace(/\\(.)/g, '$1');
    fields[m[1] as string] = v;
  }
  const opt = (k: string) => (fields[k]?.trim() ? (fields[k] as string).trim() : null);
  return {
    id: (opt('ID') ?? 'linux').toLowerCase(),
    idLike: (opt('ID_LIKE') ?? '').toLowerCase().split(/\s+/).filter(Boolean),
    versionId: opt('VERSION_ID'),
    codename: opt('VERSION_CODENAME'),
    prettyName: opt('PRETTY_NAME'),
    fields,
  };
}

/** /etc/os-release, else /usr/lib/os-release (os-release(5)); null when neither exists. */
export async function readOsRelease(root: string): Promise<OsRelease | null> {
  const text = (await readRootText(root, 'etc/os-release')) ?? (await readRootText(root, 'usr/lib/os-release'));
  return text === null ? null : parseOsRelease(text);
}

/** The package-manager family of an os-release, by ID then ID_LIKE; null for distributions we do not know. */
export function osFamily(osr: Pick<OsRelease, 'id' | 'idLike'>): 'deb' | 'rpm' | 'apk' | null {
  const RPM = ['rhel', 'fedora', 'centos', 'rocky', 'almalinux', 'ol', 'amzn', 'suse', 'opensuse', 'sles', 'mageia'];
  for (const id of [osr.id, ...osr.idLike]) {
    if (id === 'debian' || id === 'ubuntu') return 'deb';
    if (id === 'alpine') return 'apk';
    if (RPM.includes(id) || id.startsWith('opensuse')) return 'rpm';
  }
  return null;
}

export interface HostFacts {
  hostname: string | null;
  fqdn: string | null;
  /** /etc/machine-id (32 lower-case hex digits), the identity that survives renames and re-addressing. */
  machineId: string | null;
  /** Running kernel (uname -r); null for another root, whose running kernel is unknown. */
  kernel: string | null;
  uptimeSeconds: number | null;
  /** Debian family: /var/run/reboot-required exists; null where the distribution has no such marker. */
  rebootRequired: boolean | null;
  os: { id: string; versionId: string | null; codename: string | null; prettyName: string | null };
  /** Non-loopback, non-link-local addresses of the running host; empty for another root. */
  addresses: string[];
}

const firstLine = (text: string | null) =>
  text
    ?.split('\n')
    .map((l) => l.trim())
    .find((l) => l && !l.startsWith('#')) ?? null;

/** The fully qualified name: the hostname itself when it has a dot, else the canonical name of its /etc/hosts line (as `hostname -f` resolves through files). */
export function fqdnFrom(hostname: string | null, hosts: string | null): string | null {
  if (!hostname || hostname === 'localhost') return null;
  if (hostname.includes('.')) return hostname;
  const short = hostname.toLowerCase();
  for (const raw of (hosts ?? '').split('\n')) {
    const names = raw.replace(/#.*/, '').trim().split(/\s+/).slice(1);
    if (!names.some((n) => n.toLowerCase() === short)) continue;
    const full = names.find((n) => n.toLowerCase().startsWith(`${short}.`));
    if (full) return full;
  }
  return null;
}

/** Interface addresses that identify the host: not loopback, not link-local (fe80::/10, 169.254/16 repeat on every host). */
export function hostAddresses(ifaces: NodeJS.Dict<os.NetworkInterfaceInfo[]>): string[] {
  const out = new Set<string>();
  for (const list of Object.values(ifaces)) {
    for (const a of list ?? []) {
      if (a.internal || /^fe[89ab]/i.test(a.address) || a.address.startsWith('169.254.')) continue;
      out.add(a.address.replace(/%.*$/, ''));
    }
  }
  return [...out].sort();
}

export async function collectFacts(root: string, osr: OsRelease): Promise<HostFacts> {
  const live = isLiveRoot(root);
  const rawName = firstLine(await readRootText(root, 'etc/hostname'));
  const hostname = rawName && /^[^\s/]{1,253}$/.test(rawName) ? rawName : live ? os.hostname() : null;
  const machineId = firstLine((await readRootText(root, 'etc/machine-id')) ?? (await readRootText(root, 'var/lib/dbus/machine-id')));
  const uptime = live ? Number.parseFloat(firstLine(await readRootText(root, 'proc/uptime'))?.split(/\s+/)[0] ?? '') : Number.NaN;
  return {
    hostname,
    fqdn: fqdnFrom(hostname, await readRootText(root, 'etc/hosts')),
    machineId: machineId && /^[0-9a-f]{32}$/.test(machineId) ? machineId : null,
    kernel: live ? os.release() : null,
    uptimeSeconds: Number.isFinite(uptime) ? Math.floor(uptime) : null,
    rebootRequired: osFamily(osr) === 'deb' ? (await resolveInRoot(root, 'var/run/reboot-required')) !== null : null,
    os: { id: osr.id, versionId: osr.versionId, codename: osr.codename, prettyName: osr.prettyName },
    addresses: live ? hostAddresses(os.networkInterfaces()) : [],
  };
}
