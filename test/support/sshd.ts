/**
 * A real OpenSSH server for the tests, on 127.0.0.1 and a free port, with
 * its own host key, client keys and configuration in a temporary directory.
 *
 * openssh-server is not installed on the machine (it would start a daemon on
 * port 22): its binary is fetched once with `apt-get download` and unpacked
 * with `dpkg -x` into node_modules/.cache/patchloop-openssh-server (or taken from
 * PATCHLOOP_TEST_SSHD, or /usr/sbin/sshd where the package is installed).
 *
 * Run by a normal user, sshd logs in only that user (key authentication).
 * Run as root it needs its privilege-separation user and /run/sshd, which
 * this machine does not have: it is started in a private mount namespace
 * where /etc/passwd gains that user, /run is an empty tmpfs and /etc/shadow
 * gives root a random password for the password test. Nothing outside the
 * namespace changes.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './net.js';

const isRoot = process.getuid?.() === 0;

function onPath(cmd: string): boolean {
  return (process.env.PATH ?? '').split(':').some((d) => d && fs.existsSync(path.join(d, cmd)));
}

/**
 * A program from a Debian package that is not installed: `apt-get download`
 * and `dpkg -x` once into node_modules/.cache/patchloop-PKG (CI runs as root
 * with apt). A reason to skip when that is not possible.
 */
export function debBinary(pkg: string, rel: string): { path: string } | { skip: string } {
  const cache = path.resolve(import.meta.dirname, `../../node_modules/.cache/patchloop-${pkg}`);
  const cached = path.join(cache, rel);
  if (fs.existsSync(cached)) return { path: cached };
  if (!onPath('apt-get') || !onPath('dpkg')) return { skip: `no apt-get/dpkg to fetch ${pkg}` };
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `patchloop-fetch-${pkg}-`));
  try {
    execFileSync('apt-get', ['download', '-q', pkg], { cwd: work, stdio: 'pipe', timeout: 120_000 });
    const deb = fs.readdirSync(work).find((f) => f.startsWith(`${pkg}_`) && f.endsWith('.deb'));
    if (!deb) return { skip: `apt-get download ${pkg} produced no package` };
    const unpacked = path.join(work, 'root');
    execFileSync('dpkg', ['-x', path.join(work, deb), unpacked], { stdio: 'pipe' });
    fs.mkdirSync(path.dirname(cache), { recursive: true });
    try {
      fs.renameSync(unpacked, cache); // another test file may have won the race: then its copy is used
    } catch (e) {
      if (!fs.existsSync(cached)) throw e;
    }
    return fs.existsSync(cached) ? { path: cached } : { skip: `${pkg} holds no ${rel}` };
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    return { skip: `could not fetch ${pkg} with apt-get download (${(err.stderr?.toString() || err.message).trim().split('\n').pop()}); run apt-get update` };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** The sshd binary, fetched when needed; a reason when it cannot be had. */
export function obtainSshd(): { sshd: string } | { skip: string } {
  for (const tool of ['ssh', 'ssh-keygen', 'ssh-keyscan']) if (!onPath(tool)) return { skip: `SSH tests skipped: the OpenSSH client (${tool}) is not installed (apt-get install openssh-client)` };
  if (isRoot && !onPath('unshare')) return { skip: 'SSH tests skipped: running as root needs unshare (util-linux) to start sshd in a private mount namespace' };
  const given = process.env.PATCHLOOP_TEST_SSHD;
  if (given) return fs.existsSync(given) ? { sshd: given } : { skip: `SSH tests skipped: PATCHLOOP_TEST_SSHD=${given} does not exist` };
  if (fs.existsSync('/usr/sbin/sshd')) return { sshd: '/usr/sbin/sshd' };
  const got = debBinary('openssh-server', 'usr/sbin/sshd');
  return 'path' in got ? { sshd: got.path } : { skip: `SSH tests skipped: no sshd: ${got.skip} (or set PATCHLOOP_TEST_SSHD to an sshd binary)` };
}

export interface TestSshd {
  host: '127.0.0.1';
  port: number;
  /** The user the server lets in (the current user). */
  user: string;
  /** `ssh-ed25519 AAAA…`, the server's host key, as a pin. */
  hostKey: string;
  hostKeyFingerprint: string;
  /** An unencrypted client key the server accepts. */
  clientKey: string;
  /** A client key with a passphrase the server accepts. */
  encryptedKey: { privateKey: string; passphrase: string };
  /** The user's password inside the server's namespace (root only); null when password login cannot be offered. */
  password: string | null;
  log(): string;
  stop(): Promise<void>;
}

function keygen(file: string, passphrase = '', type = 'ed25519') {
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', passphrase, '-C', 'patchloop-test', '-f', file], { stdio: 'pipe' });
  return { privateKey: fs.readFileSync(file, 'utf8'), publicKey: fs.readFileSync(`${file}.pub`, 'utf8').trim() };
}

/** A fresh ed25519 public key line (`ssh-ed25519 AAAA…`) that no server has. */
export function strangerKey(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'patchloop-key-'));
  try {
    return keygen(path.join(dir, 'k')).publicKey.split(' ').slice(0, 2).join(' ');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}


export async function startSshd(sshd: string): Promise<TestSshd> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'patchloop-sshd-'));
  const user = os.userInfo().username;
  const host = keygen(path.join(dir, 'host_ed25519'));
  const client = keygen(path.join(dir, 'client'));
  const passphrase = `pass ${randomBytes(6).toString('hex')}`;
  const encrypted = keygen(path.join(dir, 'client_enc'), passphrase);
  fs.writeFileSync(path.join(dir, 'authorized_keys'), `${client.publicKey}\n${encrypted.publicKey}\n`);
  const password = isRoot ? randomBytes(12).toString('base64url') : null;
  const port = await freePort();
  fs.writeFileSync(
    path.join(dir, 'sshd_config'),
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${dir}/host_ed25519`,
      'PidFile none',
      `AuthorizedKeysFile ${dir}/authorized_keys`,
      `AllowUsers ${user}`,
      'StrictModes no',
      'UsePAM no',
      'UseDNS no',
      'PrintMotd no',
      'PrintLastLog no',
      `PermitRootLogin ${isRoot ? 'yes' : 'prohibit-password'}`,
      `PasswordAuthentication ${password ? 'yes' : 'no'}`,
      'KbdInteractiveAuthentication no',
      'LogLevel VERBOSE',
      '',
    ].join('\n'),
  );
  const args = ['-D', '-e', '-f', path.join(dir, 'sshd_config')];
  let child: ReturnType<typeof spawn>;
  if (isRoot) {
    fs.writeFileSync(path.join(dir, 'passwd'), `${fs.readFileSync('/etc/passwd', 'utf8').trimEnd()}\nsshd:x:65534:65534:sshd privilege separation:/run/sshd:/usr/sbin/nologin\n`);
    const hash = execFileSync('openssl', ['passwd', '-6', '-stdin'], { input: `${password}\n` }).toString().trim();
    const shadow = fs.readFileSync('/etc/shadow', 'utf8').replace(/^root:[^:]*:/m, `root:${hash}:`);
    fs.writeFileSync(path.join(dir, 'shadow'), shadow, { mode: 0o600 });
    const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
    const script = `mount -t tmpfs -o mode=755 tmpfs /run && mkdir -m 755 /run/sshd && mount --bind ${q(`${dir}/passwd`)} /etc/passwd && mount --bind ${q(`${dir}/shadow`)} /etc/shadow && exec ${q(sshd)} ${args.map(q).join(' ')}`;
    child = spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script], { stdio: ['ignore', 'ignore', 'pipe'] });
  } else {
    child = spawn(sshd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  }
  let log = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (d: string) => {
    if (log.length < 1 << 20) log += d;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const started = Date.now();
  while (!log.includes(`Server listening on 127.0.0.1 port ${port}`)) {
    if (child.exitCode !== null || Date.now() - started > 15_000) {
      child.kill('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
      throw new Error(`sshd did not start: ${log.trim() || `exit ${child.exitCode}`}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const fingerprint = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', path.join(dir, 'host_ed25519.pub')]).toString().split(' ')[1] as string;
  return {
    host: '127.0.0.1',
    port,
    user,
    hostKey: host.publicKey.split(' ').slice(0, 2).join(' '),
    hostKeyFingerprint: fingerprint,
    clientKey: client.privateKey,
    encryptedKey: { privateKey: encrypted.privateKey, passphrase },
    password,
    log: () => log,
    async stop() {
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
