/**
 * The system's OpenSSH client (ssh, ssh-keyscan, ssh-keygen), run without a
 * shell and with nothing of this server's own SSH set-up: no config files
 * (-F none), no agent, no default keys, no known_hosts but a temporary file
 * of the pinned keys, strict host key checking. Secrets reach ssh only
 * through files in a private temporary directory (0700, files 0600) that is
 * removed afterwards: the key as its identity file, a passphrase or password
 * through an SSH_ASKPASS helper that prints it. The child processes get a
 * minimal environment, so the server's own secrets (DATABASE_URL,
 * PATCHLOOP_SECRET_KEY) never reach them.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseKeyscan, parsePublicKey, type ScannedKey } from '../../domain/ssh/hostkeys.js';
import type { SshCredential } from '../../domain/ssh/target.js';

/** ssh compares host keys under this name, never the host name or port the user typed. */
export const HOST_ALIAS = 'patchloop-target';

export class SshRunError extends Error {
  constructor(
    readonly kind: 'timeout' | 'too_large' | 'spawn',
    message: string,
  ) {
    super(message);
  }
}

function childEnv(dir: string, askpass: string | null): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: dir,
    LC_ALL: 'C',
    ...(askpass ? { SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: 'force' } : { SSH_ASKPASS_REQUIRE: 'never' }),
  };
}

/** A private temporary directory for one run; `fn`'s files are gone when it returns. */
async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'patchloop-ssh-'));
  try {
    await fs.chmod(dir, 0o700);
    return await fn(dir);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

async function writePrivate(file: string, content: string, mode = 0o600) {
  await fs.writeFile(file, content, { mode, flag: 'wx' });
}

/** An askpass helper that prints `secret` (kept in a file beside it, never on a command line). */
async function askpassHelper(dir: string, secret: string): Promise<string> {
  const secretFile = path.join(dir, 'secret');
  await writePrivate(secretFile, `${secret}\n`);
  const helper = path.join(dir, 'askpass');
  await writePrivate(helper, `#!/bin/sh\nexec cat '${secretFile}'\n`, 0o700);
  return helper;
}

interface Proc {
  code: number | null;
  stderr: string;
  bytes: number;
}

interface RunOptions {
  env: NodeJS.ProcessEnv;
  input?: string;
  timeoutMs: number;
  maxBytes: number;
  /** Receives standard output as it arrives (ssh waits while it is busy); without it output is collected. */
  onStdout?: (chunk: Buffer) => Promise<void>;
}

/** Runs a program in its own session (no terminal: ssh then asks SSH_ASKPASS), bounded in time and output. */
async function run(cmd: string, args: string[], opts: RunOptions): Promise<Proc & { stdout: string }> {
  const child = spawn(cmd, args, { env: opts.env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
  const kill = () => {
    try {
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  };
  let spawnError: Error | null = null;
  const exited = new Promise<number | null>((resolve) => {
    child.once('error', (e) => {
      spawnError = e;
      resolve(null);
    });
    child.once('close', (code) => resolve(code));
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    kill();
  }, opts.timeoutMs);
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => {
    if (stderr.length < 256 * 1024) stderr += d;
  });
  child.stdin.on('error', () => {}); // ssh may exit before reading its input
  child.stdin.end(opts.input ?? '');
  const collected: Buffer[] = [];
  let bytes = 0;
  try {
    for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      if (bytes > opts.maxBytes) throw new SshRunError('too_large', `the host sent more than ${opts.maxBytes} bytes`);
      if (opts.onStdout) await opts.onStdout(chunk);
      else collected.push(chunk);
    }
    const code = await exited;
    if (spawnError) throw new SshRunError('spawn', `cannot run ${cmd}: ${(spawnError as Error).message} (install the OpenSSH client)`);
    if (timedOut) throw new SshRunError('timeout', `${cmd} did not finish within ${Math.round(opts.timeoutMs / 1000)} s`);
    return { code, stderr, bytes, stdout: Buffer.concat(collected).toString('utf8') };
  } catch (e) {
    kill();
    await exited;
    if (timedOut && !(e instanceof SshRunError)) throw new SshRunError('timeout', `${cmd} did not finish within ${Math.round(opts.timeoutMs / 1000)} s`);
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

export interface SshEndpoint {
  host: string;
  port: number;
  user: string;
}

export interface RemoteRunOptions {
  timeoutMs: number;
  maxBytes: number;
  connectTimeoutSeconds?: number;
  onStdout: (chunk: Buffer) => Promise<void>;
}

/**
 * Runs `sh -s` on the host with `script` as its input. The host must prove
 * it holds one of the keys in `knownHosts` (lines for HOST_ALIAS); ssh's
 * exit code and messages are returned for the caller to judge.
 */
export async function runRemoteScript(to: SshEndpoint, credential: SshCredential, knownHosts: string, script: string, opts: RemoteRunOptions): Promise<Proc> {
  return withTempDir(async (dir) => {
    const kh = path.join(dir, 'known_hosts');
    await writePrivate(kh, knownHosts);
    const args = [
      // -v: the log names the host key that was verified, kept with the result.
      '-F', 'none', '-T', '-x', '-a', '-C', '-v',
      '-o', `HostKeyAlias=${HOST_ALIAS}`,
      '-o', 'StrictHostKeyChecking=yes',
      '-o', `UserKnownHostsFile=${kh}`,
      '-o', 'GlobalKnownHostsFile=/dev/null',
      '-o', 'UpdateHostKeys=no',
      '-o', 'CheckHostIP=no',
      '-o', 'IdentityAgent=none',
      '-o', 'ControlMaster=no',
      '-o', 'ControlPath=none',
      '-o', 'ClearAllForwardings=yes',
      '-o', `ConnectTimeout=${opts.connectTimeoutSeconds ?? 15}`,
      '-o', 'ServerAliveInterval=15',
      '-o', 'ServerAliveCountMax=3',
      '-o', 'NumberOfPasswordPrompts=1',
      '-p', String(to.port),
      '-l', to.user,
    ];
    let askpass: string | null = null;
    if (credential.method === 'key') {
      const id = path.join(dir, 'id');
      await writePrivate(id, credential.privateKey.endsWith('\n') ? credential.privateKey : `${credential.privateKey}\n`);
      args.push('-i', id, '-o', 'IdentitiesOnly=yes', '-o', 'PubkeyAuthentication=yes', '-o', 'PasswordAuthentication=no', '-o', 'KbdInteractiveAuthentication=no');
      if (credential.passphrase) askpass = await askpassHelper(dir, credential.passphrase);
    } else {
      askpass = await askpassHelper(dir, credential.password);
      args.push('-o', 'PubkeyAuthentication=no', '-o', 'PasswordAuthentication=yes', '-o', 'KbdInteractiveAuthentication=yes', '-o', 'PreferredAuthentications=password,keyboard-interactive');
    }
    // BatchMode would also silence SSH_ASKPASS; without a secret to ask for, it makes sure nothing ever waits for one.
    args.push('-o', `BatchMode=${askpass ? 'no' : 'yes'}`, '--', to.host, 'sh -s');
    return run('ssh', args, { env: childEnv(dir, askpass), input: script, timeoutMs: opts.timeoutMs, maxBytes: opts.maxBytes, onStdout: opts.onStdout });
  });
}

/** The host keys a server offers (ssh-keyscan): for an administrator to check and pin, never trusted by themselves. */
export async function keyscan(host: string, port: number, timeoutSeconds = 5): Promise<ScannedKey[]> {
  return withTempDir(async (dir) => {
    const r = await run('ssh-keyscan', ['-T', String(timeoutSeconds), '-p', String(port), '--', host], {
      env: childEnv(dir, null),
      timeoutMs: (timeoutSeconds + 10) * 1000,
      maxBytes: 256 * 1024,
    });
    return parseKeyscan(r.stdout);
  });
}

export type KeyCheck = { ok: true; publicKey: string; fingerprint: string; encrypted: boolean } | { ok: false; field: 'privateKey' | 'passphrase'; message: string };

/** Reads a private key's public half with ssh-keygen -y: checks the key and its passphrase before anything is stored. */
export async function checkPrivateKey(privateKey: string, passphrase: string | undefined): Promise<KeyCheck> {
  return withTempDir(async (dir) => {
    const id = path.join(dir, 'id');
    await writePrivate(id, privateKey.endsWith('\n') ? privateKey : `${privateKey}\n`);
    const opts = { timeoutMs: 15_000, maxBytes: 64 * 1024 };
    let r = await run('ssh-keygen', ['-y', '-P', '', '-f', id], { env: childEnv(dir, null), ...opts });
    let encrypted = false;
    if (r.code !== 0 && /passphrase/i.test(r.stderr)) {
      encrypted = true;
      if (!passphrase) return { ok: false, field: 'passphrase', message: 'the key is protected by a passphrase: give it' };
      r = await run('ssh-keygen', ['-y', '-f', id], { env: childEnv(dir, await askpassHelper(dir, passphrase)), ...opts });
      if (r.code !== 0) return { ok: false, field: 'passphrase', message: /passphrase/i.test(r.stderr) ? 'wrong passphrase for this key' : r.stderr.trim().slice(0, 300) };
    }
    if (r.code !== 0) return { ok: false, field: 'privateKey', message: `ssh-keygen cannot read this key: ${r.stderr.replace(/\S*\/id\b/g, 'key').trim().slice(0, 300) || 'invalid format'}` };
    const [type, b64] = r.stdout.trim().split(/\s+/);
    try {
      const pub = parsePublicKey(type ?? '', b64 ?? '');
      return { ok: true, publicKey: `${pub.type} ${pub.key}`, fingerprint: pub.fingerprint, encrypted };
    } catch (e) {
      return { ok: false, field: 'privateKey', message: `not a usable key: ${(e as Error).message}` };
    }
  });
}
