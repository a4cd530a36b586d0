/**
 * `patchloop ssh …`: agentless collection over SSH. Everything goes through
 * the API (credentials are sent once and never come back). Trust on first
 * use is explicit: `ssh scan` shows a host's key fingerprints, and `ssh pin
 * ASSET --fingerprint SHA256:…` pins the offered key only when its
 * fingerprint is the one the administrator checked.
 */
import fs from 'node:fs';
import type { Command } from 'commander';
import { type ApiClient, ApiError, call } from './client.js';
import { printJson, table } from './output.js';
import type { Runner } from './program.js';

const enc = encodeURIComponent;

interface Target {
  assetId: string;
  assetHostname: string;
  host: string;
  port: number;
  user: string;
  root: string;
  auth: { method: 'key' | 'password'; set: boolean; keyFingerprint: string | null; passphrase: boolean };
  hostKeys: { type: string | null; key: string | null; fingerprint: string }[];
  lastCollection: { at: string; status: string; errorKind: string | null; error: string | null; lastSuccessAt: string | null; result: Record<string, any> | null } | null;
}

async function current(client: ApiClient, asset: string): Promise<Target | null> {
  try {
    return await call<Target>(client, 'GET', `/api/assets/${enc(asset)}/ssh-target`);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404 && /SSH target/.test(e.message)) return null;
    throw e;
  }
}

const pinText = (k: Target['hostKeys'][number]) => (k.key ? `${k.type} ${k.key}` : k.fingerprint);

/** The body of PUT …/ssh-target: what is given replaces, the rest is kept. */
function body(t: Target | null, changes: Record<string, unknown>) {
  return {
    host: t?.host,
    port: t?.port,
    user: t?.user,
    root: t?.root,
    auth: t ? { method: t.auth.method } : undefined,
    hostKeys: t ? t.hostKeys.map(pinText) : [],
    ...Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined)),
  };
}

function readText(file: string): string {
  return fs.readFileSync(file === '-' ? 0 : file, 'utf8');
}

function describeTarget(t: Target): string {
  const lines = [
    `${t.assetHostname}: ${t.user}@${t.host}:${t.port}${t.root !== '/' ? ` root ${t.root}` : ''}`,
    `  credential: ${t.auth.method}${t.auth.keyFingerprint ? ` ${t.auth.keyFingerprint}` : ''}${t.auth.passphrase ? ' (with passphrase)' : ''}, stored encrypted`,
    `  pinned host keys: ${t.hostKeys.length ? t.hostKeys.map((k) => `${k.type ?? 'fingerprint'} ${k.fingerprint}`).join(', ') : 'none (collection is refused until a key is pinned)'}`,
  ];
  const c = t.lastCollection;
  if (c) lines.push(`  last collection: ${c.status} at ${c.at}${c.error ? ` — ${c.errorKind}: ${c.error}` : ''}${c.lastSuccessAt && c.status === 'failed' ? ` (last success ${c.lastSuccessAt})` : ''}`);
  return lines.join('\n');
}

export function sshCommands(program: Command, run: Runner) {
  const ssh = program.command('ssh').description('Agentless inventory collection over SSH (pinned host keys, encrypted credentials)');

  ssh.command('list').description('Every SSH target and its last collection').option('--json', 'print JSON').action((opts) =>
    run(async (client) => {
      const { items } = await call<{ items: Target[] }>(client, 'GET', '/api/ssh-targets');
      if (opts.json) printJson(items);
      else console.log(table(items.map((t) => ({ ...t, target: `${t.user}@${t.host}:${t.port}`, keys: t.hostKeys.length, last: t.lastCollection ? `${t.lastCollection.status} ${t.lastCollection.at}` : 'never' })), [
        { key: 'assetHostname', label: 'ASSET' }, { key: 'target', label: 'TARGET' }, { key: 'auth.method', label: 'AUTH' }, { key: 'keys', label: 'PINNED' }, { key: 'last', label: 'LAST COLLECTION', max: 60 }, { key: 'assetId', label: 'ASSET ID' },
      ]));
    }),
  );

  ssh.command('show <asset-id>').description("An asset's SSH target (never its credential)").option('--json', 'print JSON').action((asset, opts) =>
    run(async (client) => {
      const t = await call<Target>(client, 'GET', `/api/assets/${enc(asset)}/ssh-target`);
      if (opts.json) printJson(t);
      else console.log(describeTarget(t));
    }),
  );

  ssh
    .command('set <asset-id>')
    .description('Create or change the SSH target of an asset; options left out keep their current values')
    .option('--host <host>', 'host name or IP address')
    .option('--port <n>', 'SSH port (default 22)', (v) => Number.parseInt(v, 10))
    .option('--user <name>', 'user to log in as')
    .option('--root <dir>', 'directory to inventory as the root on the host (default /)')
    .option('--key-file <file>', 'private key file (- for standard input)')
    .option('--passphrase-file <file>', "the key's passphrase, from a file")
    .option('--password-file <file>', 'log in with a password, read from a file (- for standard input)')
    .option('--host-key <pin...>', 'pinned host key: "ssh-ed25519 AAAA…" or SHA256:… (replaces the pinned keys)')
    .option('--json', 'print JSON')
    .action((asset, opts) =>
      run(async (client) => {
        if (opts.keyFile && opts.passwordFile) throw new Error('give --key-file or --password-file, not both');
        const t = await current(client, asset);
        const strip = (s: string) => s.replace(/\r?\n$/, '');
        const auth = opts.keyFile
          ? { method: 'key', privateKey: readText(opts.keyFile), ...(opts.passphraseFile ? { passphrase: strip(readText(opts.passphraseFile)) } : {}) }
          : opts.passwordFile
            ? { method: 'password', password: strip(readText(opts.passwordFile)) }
            : undefined;
        const saved = await call<Target>(client, 'PUT', `/api/assets/${enc(asset)}/ssh-target`, {
          body: body(t, { host: opts.host, port: opts.port, user: opts.user, root: opts.root, auth, hostKeys: opts.hostKey }),
        });
        if (opts.json) printJson(saved);
        else console.log(`${t ? 'updated' : 'created'} SSH target\n${describeTarget(saved)}`);
      }),
    );

  ssh
    .command('scan <host>')
    .description('Show the host keys a server offers and their fingerprints (administrators); pins nothing')
    .option('--port <n>', 'SSH port', (v) => Number.parseInt(v, 10), 22)
    .option('--json', 'print JSON')
    .action((host, opts) =>
      run(async (client) => {
        const r = await call<{ keys: { type: string; fingerprint: string; line: string }[] }>(client, 'POST', '/api/ssh/host-keys/scan', { body: { host, port: opts.port } });
        if (opts.json) printJson(r);
        else if (!r.keys.length) console.error(`no host key received from ${host} port ${opts.port} (not reachable, or not an SSH server)`);
        else {
          console.log(table(r.keys, [{ key: 'type', label: 'TYPE' }, { key: 'fingerprint', label: 'FINGERPRINT', max: 60 }]));
          console.log('\nCompare a fingerprint with the host (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub), then: patchloop ssh pin ASSET_ID --fingerprint SHA256:…');
        }
        return r.keys.length ? 0 : 1;
      }),
    );

  ssh
    .command('pin <asset-id>')
    .description("Pin the key the target's host offers now, after you have checked its fingerprint (trust on first use, made explicit)")
    .requiredOption('--fingerprint <SHA256:…>', 'the fingerprint you checked on the host')
    .option('--replace', 'replace the pinned keys instead of adding to them')
    .action((asset, opts) =>
      run(async (client) => {
        const t = await current(client, asset);
        if (!t) throw new Error(`asset ${asset} has no SSH target: create it with patchloop ssh set`);
        const r = await call<{ keys: { fingerprint: string; line: string }[] }>(client, 'POST', '/api/ssh/host-keys/scan', { body: { host: t.host, port: t.port } });
        const want = String(opts.fingerprint).replace(/=+$/, '');
        const key = r.keys.find((k) => k.fingerprint === want);
        if (!key) {
          console.error(`${t.host} port ${t.port} offers ${r.keys.length ? r.keys.map((k) => k.fingerprint).join(', ') : 'no key'}; none is ${want}: nothing pinned`);
          return 1;
        }
        const pins = opts.replace ? [key.line] : [...t.hostKeys.map(pinText), key.line];
        await call(client, 'PUT', `/api/assets/${enc(asset)}/ssh-target`, { body: body(t, { hostKeys: pins }) });
        console.log(`pinned ${key.fingerprint} for ${t.assetHostname}`);
        return 0;
      }),
    );

  ssh.command('collect <asset-id>').description('Collect the inventory over SSH now; exit 1 when it fails').option('--json', 'print JSON').action((asset, opts) =>
    run(async (client) => {
      const r = await call(client, 'POST', `/api/assets/${enc(asset)}/ssh-target/collect`);
      if (opts.json) printJson(r);
      else if (r.status === 'failed') console.error(`collection failed (${r.errorKind}): ${r.error}`);
      else {
        const x = r.result;
        const f = x.findings ? `; findings: ${x.findings.opened} opened, ${x.findings.reopened} reopened, ${x.findings.resolved} resolved` : '';
        console.log(`collected ${x.packages} ${x.database} packages from ${x.hostname ?? 'the host'} (${x.os ?? 'unknown OS'}) in ${x.durationMs} ms: ${x.unchanged ? 'unchanged' : `${x.added} added, ${x.removed} removed`}${f}`);
      }
      return r.status === 'failed' ? 1 : 0;
    }),
  );

  ssh.command('remove <asset-id>').description('Remove the SSH target and its stored credential').action((asset) =>
    run(async (client) => {
      await call(client, 'DELETE', `/api/assets/${enc(asset)}/ssh-target`);
      console.log('SSH target removed');
    }),
  );
}
