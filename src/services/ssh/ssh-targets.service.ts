/**
 * SSH collection targets and agentless collection (INV-2, INV-3). A target
 * belongs to one asset; whoever may change the asset may set its target and
 * collect it. Credentials are sealed before they reach the database and are
 * never returned. Collection refuses any host key that is not pinned, and
 * stores the inventory (re-matched, audited) only when everything went well;
 * the outcome of every attempt is kept on the target, and a failed one is
 * audited too (a changed host key is a security event).
 */
import { type Selectable, sql } from 'kysely';
import { type HostKeyPin, HostKeyFormatError, mergePins, parseHostKeyPin, type ScannedKey } from '../../domain/ssh/hostkeys.js';
import type { SshCollect, SshCollectionResult, SshCredential, SshErrorKind, SshTarget, SshTargetInput } from '../../domain/ssh/target.js';
import { ConflictError, type FieldProblem, NotFoundError, ValidationError } from '../../lib/errors.js';
import { type SecretBox, SecretKeyError } from '../../lib/secrets.js';
import type { Db, Tx } from '../../storage/db.js';
import type { SshTargetsTable } from '../../storage/schema.js';
import { checkOwnScope, WRITE } from '../assets/assets.service.js';
import * as audit from '../audit/audit.service.js';
import { authorize, authorizeAny, type Ctx } from '../context.js';
import { applyInventory, inventoryProblems, storedPackages } from '../inventory/inventory.service.js';
import { hostFactsSchema } from '../../domain/agents/protocol.js';
import { storeHostFacts } from '../agents/facts.js';
import { engineCache } from '../matching/engine-cache.js';
import { checkPrivateKey, keyscan } from './openssh.js';
import { collectOverSsh, RemoteCollectError, type RemoteCollectOptions } from './remote-collect.js';

export interface SshDeps {
  db: Db;
  /** The master key (lib/secrets.ts masterKey): resolved when a credential is sealed or opened. */
  secrets: () => SecretBox;
  collect?: RemoteCollectOptions;
}

type Row = Selectable<SshTargetsTable> & { hostname: string };

/** The additional authenticated data of a target's credential: it opens only in its own row. */
const credentialContext = (assetId: string) => `ssh_targets.credential:${assetId}`;

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

function toTarget(r: Row): SshTarget {
  return {
    assetId: r.asset_id,
    assetHostname: r.hostname,
    host: r.host,
    port: r.port,
    user: r.username,
    root: r.remote_root,
    auth: { method: r.auth_method as 'key' | 'password', set: true, keyFingerprint: r.key_fingerprint, passphrase: r.has_passphrase },
    hostKeys: (r.host_keys as HostKeyPin[]).map((p) => ({ type: p.type, fingerprint: p.fingerprint, key: p.key })),
    lastCollection: r.last_attempt_at
      ? {
          at: iso(r.last_attempt_at) as string,
          status: r.last_status as 'succeeded' | 'failed',
          errorKind: (r.last_error_kind as SshErrorKind | null) ?? null,
          error: r.last_error,
          lastSuccessAt: iso(r.last_success_at),
          result: (r.last_result as SshCollectionResult | null) ?? null,
        }
      : null,
    createdAt: iso(r.created_at) as string,
    updatedAt: iso(r.updated_at) as string,
    version: r.version,
  };
}

/** The audit trail's picture of a target: everything but the secret. */
function auditView(t: SshTarget) {
  return { host: t.host, port: t.port, user: t.user, root: t.root, auth: { method: t.auth.method, keyFingerprint: t.auth.keyFingerprint, passphrase: t.auth.passphrase }, hostKeys: t.hostKeys.map((k) => k.fingerprint) };
}

function selectTargets(db: Db | Tx) {
  return db.selectFrom('ssh_targets as t').innerJoin('assets as a', 'a.id', 't.asset_id').selectAll('t').select('a.hostname');
}

async function readRow(db: Db | Tx, assetId: string): Promise<Row | undefined> {
  return (await selectTargets(db).where('t.asset_id', '=', assetId).executeTakeFirst()) as Row | undefined;
}

/** The asset, checked to exist and to be the caller's to change. */
async function assetForWrite(tx: Tx, ctx: Ctx, assetId: string, lock = false) {
  let q = tx.selectFrom('assets').select(['id', 'owner_user_id', 'owner_team_id']).where('id', '=', assetId);
  if (lock) q = q.forUpdate();
  const asset = await q.executeTakeFirst();
  if (!asset) throw new NotFoundError('Asset');
  await checkOwnScope(tx, ctx, asset, {});
  return asset;
}

function sealer(deps: SshDeps): SecretBox {
  try {
    return deps.secrets();
  } catch (e) {
    if (e instanceof SecretKeyError) throw new ConflictError(`Credentials cannot be stored: ${e.message}`);
    throw e;
  }
}

export async function getTarget(db: Db, ctx: Ctx, assetId: string): Promise<SshTarget> {
  authorize(ctx, 'asset:read');
  const row = await readRow(db, assetId);
  if (!row) throw new NotFoundError('SSH target');
  return toTarget(row);
}

export async function listTargets(db: Db, ctx: Ctx): Promise<SshTarget[]> {
  authorize(ctx, 'asset:read');
  const rows = (await selectTargets(db).orderBy('a.hostname').orderBy('t.asset_id').execute()) as Row[];
  return rows.map(toTarget);
}

function parsePins(input: readonly string[]): { pins: HostKeyPin[]; problems: FieldProblem[] } {
  const pins: HostKeyPin[] = [];
  const problems: FieldProblem[] = [];
  input.forEach((text, i) => {
    try {
      pins.push(parseHostKeyPin(text));
    } catch (e) {
      if (!(e instanceof HostKeyFormatError)) throw e;
      problems.push({ field: `body.hostKeys.${i}`, message: e.message });
    }
  });
  return { pins: mergePins(pins), problems };
}

/** Creates or replaces the asset's target. A credential left out is kept (same method only); a new one is checked with ssh-keygen first. */
export async function putTarget(deps: SshDeps, ctx: Ctx, assetId: string, input: SshTargetInput): Promise<{ target: SshTarget; created: boolean }> {
  authorizeAny(ctx, WRITE);
  const { db } = deps;
  const current = await db.transaction().execute(async (tx) => {
    await assetForWrite(tx, ctx, assetId);
    return readRow(tx, assetId);
  });
  const { pins, problems } = parsePins(input.hostKeys);
  const auth = input.auth;
  let credential: SshCredential | null = null;
  let keyFingerprint: string | null = current?.key_fingerprint ?? null;
  let hasPassphrase = current?.has_passphrase ?? false;
  if (auth.method === 'key') {
    if (auth.passphrase !== undefined && auth.privateKey === undefined) problems.push({ field: 'body.auth.passphrase', message: 'give the passphrase together with the private key it belongs to' });
    else if (auth.privateKey !== undefined) {
      // A key pasted from a Windows clipboard has CRLF line ends, which ssh-keygen does not read.
      const privateKey = auth.privateKey.replace(/\r\n?/g, '\n');
      const check = await checkPrivateKey(privateKey, auth.passphrase);
      if (!check.ok) problems.push({ field: `body.auth.${check.field}`, message: check.message });
      else {
        credential = { method: 'key', privateKey, ...(check.encrypted ? { passphrase: auth.passphrase } : {}) };
        keyFingerprint = check.fingerprint;
        hasPassphrase = check.encrypted;
      }
    }
  } else if (auth.password !== undefined) {
    credential = { method: 'password', password: auth.password };
    keyFingerprint = null;
    hasPassphrase = false;
  }
  if (!credential && !problems.length && current?.auth_method !== auth.method) {
    problems.push({ field: auth.method === 'key' ? 'body.auth.privateKey' : 'body.auth.password', message: current ? `is required to switch from ${current.auth_method} to ${auth.method} authentication` : 'is required for a new target' });
  }
  if (problems.length) throw new ValidationError(`The SSH target has ${problems.length} problem(s); nothing was stored`, problems);
  const sealed = credential ? sealer(deps).seal(JSON.stringify(credential), credentialContext(assetId)) : null;

  return db.transaction().execute(async (tx) => {
    await assetForWrite(tx, ctx, assetId, true);
    const before = await readRow(tx, assetId);
    const values = {
      host: input.host,
      port: input.port,
      username: input.user,
      remote_root: input.root,
      auth_method: auth.method,
      key_fingerprint: keyFingerprint,
      has_passphrase: hasPassphrase,
      host_keys: JSON.stringify(pins),
    };
    if (before) {
      // The stored credential was read before the checks: one replaced meanwhile must not be paired with the old method.
      if (!sealed && before.auth_method !== auth.method) throw new ConflictError('The target changed meanwhile; reload it and try again');
      await tx
        .updateTable('ssh_targets')
        .set({ ...values, ...(sealed ? { credential: sealed } : {}), version: sql`version + 1`, updated_at: new Date() })
        .where('asset_id', '=', assetId)
        .execute();
    } else {
      await tx.insertInto('ssh_targets').values({ asset_id: assetId, ...values, credential: sealed as string, last_result: null, updated_at: new Date() }).execute();
    }
    const target = toTarget((await readRow(tx, assetId)) as Row);
    await audit.record(tx, ctx, {
      action: before ? 'ssh_target.update' : 'ssh_target.create',
      entityType: 'asset',
      entityId: assetId,
      before: before ? auditView(toTarget(before)) : null,
      after: { ...auditView(target), ...(sealed ? { credentialReplaced: true } : {}) },
    });
    return { target, created: !before };
  });
}

export async function deleteTarget(db: Db, ctx: Ctx, assetId: string): Promise<void> {
  authorizeAny(ctx, WRITE);
  await db.transaction().execute(async (tx) => {
    await assetForWrite(tx, ctx, assetId, true);
    const before = await readRow(tx, assetId);
    if (!before) throw new NotFoundError('SSH target');
    await tx.deleteFrom('ssh_targets').where('asset_id', '=', assetId).execute();
    await audit.record(tx, ctx, { action: 'ssh_target.delete', entityType: 'asset', entityId: assetId, before: auditView(toTarget(before)), after: null });
  });
}

/** Host keys a server offers, for an administrator to check and pin (trust on first use is this explicit step, never automatic). */
export async function scanHostKeys(ctx: Ctx, host: string, port: number): Promise<ScannedKey[]> {
  authorize(ctx, 'system:admin');
  return keyscan(host, port);
}

/** Collections running in this process, by asset: a second request waits for nothing and is refused. */
const running = new Set<string>();

/** Connects, collects and stores the inventory now; the answer says how it went (a failure is an answer, not an error). */
export async function collectNow(deps: SshDeps, ctx: Ctx, assetId: string): Promise<SshCollect> {
  authorizeAny(ctx, WRITE);
  const { db } = deps;
  const row = await db.transaction().execute(async (tx) => {
    await assetForWrite(tx, ctx, assetId);
    return readRow(tx, assetId);
  });
  if (!row) throw new NotFoundError('SSH target');
  if (running.has(assetId)) throw new ConflictError('A collection of this asset is already running');
  running.add(assetId);
  try {
    return await attempt(deps, ctx, row);
  } finally {
    running.delete(assetId);
  }
}

async function attempt(deps: SshDeps, ctx: Ctx, row: Row): Promise<SshCollect> {
  const { db } = deps;
  const assetId = row.asset_id;
  const at = new Date();
  let credential: SshCredential;
  try {
    credential = JSON.parse(deps.secrets().open(row.credential, credentialContext(assetId))) as SshCredential;
  } catch (e) {
    if (!(e instanceof SecretKeyError)) throw e;
    return fail(db, ctx, assetId, at, 'credentials_unavailable', e.message);
  }
  let got: Awaited<ReturnType<typeof collectOverSsh>>;
  try {
    got = await collectOverSsh({ host: row.host, port: row.port, user: row.username }, credential, row.host_keys as HostKeyPin[], row.remote_root, deps.collect);
  } catch (e) {
    if (!(e instanceof RemoteCollectError)) throw e;
    return fail(db, ctx, assetId, at, e.kind, e.message);
  }
  const { collection } = got;
  const problems = inventoryProblems(collection.inventory);
  if (problems.length) return fail(db, ctx, assetId, at, 'inventory_rejected', `the collected inventory has ${problems.length} problem(s), e.g. ${problems[0]?.field}: ${problems[0]?.message}`);
  const cache = engineCache(db);
  return db.transaction().execute(async (tx) => {
    await assetForWrite(tx, ctx, assetId, true);
    // The host's package database is the authority on its OS packages; language packages from SBOMs stay.
    const { others } = await storedPackages(tx, assetId, collection.inventory.ecosystem);
    const summary = await applyInventory(tx, cache, ctx, assetId, { ...collection.inventory, packages: [...collection.inventory.packages, ...others] }, { collectedAt: at });
    const f = collection.facts;
    const facts = hostFactsSchema.safeParse(f);
    if (facts.success) await storeHostFacts(tx, ctx, assetId, facts.data, 'ssh', at);
    const result: SshCollectionResult = {
      packages: summary.packages,
      added: summary.added,
      removed: summary.removed,
      unchanged: summary.unchanged,
      skipped: collection.skipped.length,
      database: collection.database.kind,
      os: f.os.prettyName ?? [f.os.id, f.os.versionId].filter(Boolean).join(' '),
      kernel: f.kernel,
      hostname: f.hostname,
      machineId: f.machineId,
      hostKey: got.hostKey,
      bytes: got.bytes,
      durationMs: got.durationMs,
      findings: summary.match ? { opened: summary.match.opened, reopened: summary.match.reopened, resolved: summary.match.resolved } : null,
      warnings: collection.warnings.slice(0, 50),
    };
    await tx
      .updateTable('ssh_targets')
      .set({ last_attempt_at: at, last_status: 'succeeded', last_error_kind: null, last_error: null, last_success_at: at, last_result: JSON.stringify(result) })
      .where('asset_id', '=', assetId)
      .execute();
    return { assetId, status: 'succeeded' as const, errorKind: null, error: null, result };
  });
}

async function fail(db: Db, ctx: Ctx, assetId: string, at: Date, kind: SshErrorKind, message: string): Promise<SshCollect> {
  const error = message.slice(0, 2000);
  await db.transaction().execute(async (tx) => {
    const n = await tx.updateTable('ssh_targets').set({ last_attempt_at: at, last_status: 'failed', last_error_kind: kind, last_error: error }).where('asset_id', '=', assetId).executeTakeFirst();
    if (!Number(n.numUpdatedRows)) return; // the target was removed meanwhile
    await audit.record(tx, ctx, { action: 'ssh.collect_failed', entityType: 'asset', entityId: assetId, before: null, after: { errorKind: kind, error } });
  });
  return { assetId, status: 'failed', errorKind: kind, error, result: null };
}
