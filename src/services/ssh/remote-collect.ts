/**
 * One agentless collection: connect with the pinned host keys, run the
 * remote script (domain/ssh/remote.ts), unpack what it sends into a private
 * temporary root, and run the agent's collectors on it. Every failure is a
 * RemoteCollectError whose kind says what to do about it.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CollectError, type Collection, collectInventory } from '../../agent/collect/index.js';
import { type HostKeyPin, knownHostsFor, type ScannedKey } from '../../domain/ssh/hostkeys.js';
import { classifySshError, EXIT_NO_ROOT, parsePreamble, remoteScript } from '../../domain/ssh/remote.js';
import { TarFormatError } from '../../domain/ssh/tar.js';
import type { SshCredential, SshErrorKind } from '../../domain/ssh/target.js';
import { PreambleError, ScriptOutput } from './extract.js';
import { HOST_ALIAS, keyscan, runRemoteScript, type SshEndpoint, SshRunError } from './openssh.js';

export class RemoteCollectError extends Error {
  constructor(
    readonly kind: SshErrorKind,
    message: string,
  ) {
    super(message);
  }
}

export interface RemoteCollectOptions {
  /** Whole collection, connection included (default 5 minutes). */
  timeoutMs?: number;
  /** Bytes the host may send (default 512 MiB, the collectors' own limit for one database). */
  maxBytes?: number;
  /** The rpm program that reads an RPM host's database here (default rpm on PATH). */
  rpmCommand?: string;
}

export interface RemoteCollection {
  collection: Collection;
  hostKey: string;
  bytes: number;
  durationMs: number;
}

/** What ssh -v says on every run; the rest of standard error is the error (ssh's or the script's). */
const SSH_CHATTER = /^(debug\d?: |OpenSSH_\S+, |Authenticated to |Transferred: |Bytes per second: |Warning: Permanently added )/;

/** The known_hosts text for the pins; fingerprint pins are resolved against the keys the host offers now. */
async function knownHosts(to: SshEndpoint, pins: readonly HostKeyPin[]): Promise<string> {
  if (!pins.length) throw new RemoteCollectError('host_key_unpinned', 'no host key is pinned for this target: an administrator scans the host key, checks its fingerprint and pins it (or enter the key)');
  let offered: ScannedKey[] = [];
  if (pins.some((p) => p.key === null)) offered = await keyscan(to.host, to.port);
  const kh = knownHostsFor(HOST_ALIAS, pins, offered);
  if (kh.keys === 0) {
    if (!offered.length) throw new RemoteCollectError('unreachable', `no host key could be read from ${to.host} port ${to.port} (not reachable, or not an SSH server)`);
    throw new RemoteCollectError('host_key_unknown', `the host's keys (${offered.map((k) => k.fingerprint).join(', ')}) are not among the pinned ones: refused`);
  }
  return kh.text;
}

export async function collectOverSsh(to: SshEndpoint, credential: SshCredential, pins: readonly HostKeyPin[], root: string, opts: RemoteCollectOptions = {}): Promise<RemoteCollection> {
  const started = Date.now();
  const kh = await knownHosts(to, pins);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'patchloop-sshroot-'));
  const out = new ScriptOutput(dir);
  try {
    let proc: Awaited<ReturnType<typeof runRemoteScript>>;
    try {
      proc = await runRemoteScript(to, credential, kh, remoteScript(root), { timeoutMs: opts.timeoutMs ?? 300_000, maxBytes: opts.maxBytes ?? 512 * 1024 * 1024, onStdout: (c) => out.push(c) });
    } catch (e) {
      if (e instanceof SshRunError) throw new RemoteCollectError(e.kind === 'spawn' ? 'ssh_failed' : e.kind, e.message);
      throw asCollectError(e);
    }
    const messages = proc.stderr.split('\n').filter((l) => l.trim() && !SSH_CHATTER.test(l)).join('\n');
    if (proc.code === 255) {
      const c = classifySshError(messages);
      throw new RemoteCollectError(c.kind, c.message);
    }
    if (proc.code === EXIT_NO_ROOT) throw new RemoteCollectError('remote_failed', messages.trim().split('\n').pop() ?? `cannot change to ${root} on the host`);
    if (proc.code !== 0) throw new RemoteCollectError('remote_failed', `the collection script failed on the host (exit ${proc.code}): ${messages.trim().slice(-500) || 'no message'}`);
    const collection = await collectReceived(out, dir, root, opts);
    // ssh -v names the key the host proved it holds.
    const hostKey = /Server host key: \S+ (SHA256:[A-Za-z0-9+/]{43})/.exec(proc.stderr)?.[1] ?? 'unknown';
    return { collection, hostKey, bytes: proc.bytes, durationMs: Date.now() - started };
  } finally {
    await out.extractor.close().catch(() => {});
    await fs.rm(dir, { recursive: true, force: true });
  }
}

function asCollectError(e: unknown): unknown {
  if (e instanceof TarFormatError) return new RemoteCollectError('remote_failed', `the host's archive is not usable: ${e.message}`);
  if (e instanceof PreambleError) return new RemoteCollectError('remote_failed', e.message);
  return e;
}

/**
 * The collectors run on what the script sent, unpacked in `dir`; paths in
 * messages are given as on the host. Kernel, uptime and addresses come from
 * the script's facts, as only the host itself knows them.
 */
export async function collectReceived(out: ScriptOutput, dir: string, root: string, opts: Pick<RemoteCollectOptions, 'rpmCommand'> = {}): Promise<Collection> {
  const preamble = out.preamble;
  if (preamble === null) throw new RemoteCollectError('remote_failed', 'the host did not run the collection script (is sh installed, and the login shell usable?)');
  try {
    await out.extractor.finish();
  } catch (e) {
    throw asCollectError(e);
  }
  const onHost = (s: string) => s.split(dir).join(root === '/' ? '' : root);
  let collection: Collection;
  try {
    collection = await collectInventory({ root: dir, rpmCommand: opts.rpmCommand });
  } catch (e) {
    if (e instanceof CollectError) throw new RemoteCollectError('collect_failed', onHost(e.message));
    throw e;
  }
  const live = parsePreamble(preamble, root === '/');
  return {
    ...collection,
    facts: { ...collection.facts, kernel: live.kernel, uptimeSeconds: live.uptimeSeconds, addresses: live.addresses },
    inventory: { ...collection.inventory, source: 'ssh' },
    database: { ...collection.database, file: onHost(collection.database.file) },
    warnings: collection.warnings.map(onHost),
  };
}
