import { sql } from 'kysely';
import { type Policy, type PolicyChange, diffPolicies, policyEditSchema, policySchema } from '../../domain/priority/index.js';
import { BadRequestError, ConflictError, ForbiddenError, NotFoundError } from '../../lib/errors.js';
import type { Db, Tx } from '../../storage/db.js';
import * as audit from '../audit/audit.service.js';
import { authorize, type Ctx } from '../context.js';
import { requestReprioritisation } from './requests.js';

/** The patch policy as versions (GOV-1): read, compare, edit (a new version), acknowledge (STK-4). */
export interface PolicyVersion {
  version: number;
  document: Policy;
  reason: string;
  author: { id: string | null; name: string };
  createdAt: string;
}

type Row = { version: number; document: unknown; reason: string; author_id: string | null; author_name: string; created_at: Date };
const toVersion = (r: Row): PolicyVersion => ({
  version: r.version,
  document: policySchema.parse(typeof r.document === 'string' ? JSON.parse(r.document) : r.document),
  reason: r.reason,
  author: { id: r.author_id, name: r.author_name },
  createdAt: r.created_at.toISOString(),
});

// Versions never change once written, so the newest one read is good until a newer number appears.
let cached: PolicyVersion | null = null;

/** The policy in force (the newest version). Read by every prioritisation; cheap after the first call. */
export async function currentPolicy(db: Db | Tx): Promise<PolicyVersion> {
  const head = await db.selectFrom('policy_versions').select(sql<number>`max(version)`.as('v')).executeTakeFirstOrThrow();
  if (cached && cached.version === head.v) return cached;
  const r = await db.selectFrom('policy_versions').selectAll().where('version', '=', head.v).executeTakeFirstOrThrow();
  cached = toVersion(r);
  return cached;
}

export async function getPolicy(db: Db, ctx: Ctx, version?: number): Promise<PolicyVersion> {
  authorize(ctx, 'asset:read');
  if (version === undefined) return currentPolicy(db);
  const r = await db.selectFrom('policy_versions').selectAll().where('version', '=', version).executeTakeFirst();
  if (!r) throw new NotFoundError(`There is no policy version ${version}`);
  return toVersion(r);
}

export interface PolicyVersionSummary {
  version: number;
  reason: string;
  author: { id: string | null; name: string };
  createdAt: string;
  changes: number;
}

/** Every version, newest first, with how many fields each changed from the one before. */
export async function listPolicyVersions(db: Db, ctx: Ctx): Promise<PolicyVersionSummary[]> {
  authorize(ctx, 'asset:read');
  const rows = await db.selectFrom('policy_versions').selectAll().orderBy('version', 'asc').execute();
  const out: PolicyVersionSummary[] = [];
  let prev: unknown = null;
  for (const r of rows) {
    const doc = typeof r.document === 'string' ? JSON.parse(r.document) : r.document;
    out.push({ version: r.version, reason: r.reason, author: { id: r.author_id, name: r.author_name }, createdAt: r.created_at.toISOString(), changes: prev ? diffPolicies(prev, doc).length : 0 });
    prev = doc;
  }
  return out.reverse();
}

export async function comparePolicies(db: Db, ctx: Ctx, from: number, to: number): Promise<{ from: number; to: number; changes: PolicyChange[] }> {
  const [a, b] = [await getPolicy(db, ctx, from), await getPolicy(db, ctx, to)];
  return { from, to, changes: diffPolicies(a.document, b.document) };
}

/** An edit is a new version; every open finding is re-prioritised against it (in the background at fleet scale). */
export async function editPolicy(db: Db, ctx: Ctx, input: unknown): Promise<PolicyVersion> {
  authorize(ctx, 'policy:write');
  const parsed = policyEditSchema.safeParse(input);
  if (!parsed.success) {
    throw new BadRequestError(
      'The policy is not valid',
      parsed.error.issues.map((i) => ({ field: `body.${i.path.join('.')}`, message: i.message })),
    );
  }
  const { document, reason, baseVersion } = parsed.data;
  return db.transaction().execute(async (tx) => {
    // One editor at a time: versions are consecutive.
    await sql`select pg_advisory_xact_lock(hashtext('patchloop.policy'))`.execute(tx);
    const before = await currentPolicy(tx);
    if (baseVersion !== undefined && baseVersion !== before.version) {
      throw new ConflictError(`Version ${before.version} was saved since you started editing version ${baseVersion}; reload, look at its changes and edit again`);
    }
    const changes = diffPolicies(before.document, document);
    if (changes.length === 0) throw new BadRequestError('The policy is unchanged: nothing to version', [{ field: 'body.document', message: 'is the same as the current version' }]);
    const version = before.version + 1;
    const p = ctx.principal;
    const row = await tx
      .insertInto('policy_versions')
      .values({ version, document: JSON.stringify(document), reason, author_id: p.userId, author_name: p.name })
      .returningAll()
      .executeTakeFirstOrThrow();
    await audit.record(tx, ctx, { action: 'policy.version', entityType: 'policy', entityId: String(version), before: { version: before.version }, after: { version, reason, changes } });
    await requestReprioritisation(tx, { kind: 'all' }, `policy version ${version}`, new Date());
    return toVersion(row);
  });
}

export interface Acknowledgement {
  userId: string;
  username: string;
  displayName: string;
  role: string;
  /** The newest version this person acknowledged, if any. */
  version: number | null;
  acknowledgedAt: string | null;
  current: boolean;
}

/** STK-4: each enabled person and whether they acknowledged the version in force. */
export async function listAcknowledgements(db: Db, ctx: Ctx): Promise<{ version: number; acknowledged: number; pending: number; people: Acknowledgement[] }> {
  authorize(ctx, 'user:read');
  const { version } = await currentPolicy(db);
  const rows = await sql<{ id: string; username: string; display_name: string; role: string; version: number | null; at: Date | null }>`
    select u.id, u.username, u.display_name, u.role, a.version, a.acknowledged_at as at
    from users u
    left join lateral (select version, acknowledged_at from policy_acknowledgements where user_id = u.id order by version desc limit 1) a on true
    where not u.disabled and u.role not in ('agent', 'auditor')
    order by (a.version is not distinct from ${version}), u.username`.execute(db);
  const people = rows.rows.map((r) => ({
    userId: r.id, username: r.username, displayName: r.display_name, role: r.role, version: r.version, acknowledgedAt: r.at?.toISOString() ?? null, current: r.version === version,
  }));
  const acknowledged = people.filter((p) => p.current).length;
  return { version, acknowledged, pending: people.length - acknowledged, people };
}

/** The signed-in person confirms they have read the version in force (or the one they name, which must be it). */
export async function acknowledgePolicy(db: Db, ctx: Ctx, version?: number): Promise<{ version: number; acknowledgedAt: string }> {
  const userId = ctx.principal.userId;
  if (!userId) throw new ForbiddenError('Only a person can acknowledge the policy');
  // Auditors read the policy; they are not the staff it binds, and their sessions stay read-only (SEC-2).
  if (ctx.principal.role === 'auditor') throw new ForbiddenError('Auditors do not acknowledge the policy (read-only role)');
  return db.transaction().execute(async (tx) => {
    const current = await currentPolicy(tx);
    if (version !== undefined && version !== current.version) {
      throw new BadRequestError(`Version ${version} is not the policy in force (version ${current.version} is)`, [{ field: 'body.version', message: `must be ${current.version}` }]);
    }
    const row = await tx
      .insertInto('policy_acknowledgements')
      .values({ user_id: userId, version: current.version })
      .onConflict((oc) => oc.columns(['user_id', 'version']).doNothing())
      .returning(['acknowledged_at'])
      .executeTakeFirst();
    if (!row) {
      const had = await tx.selectFrom('policy_acknowledgements').select('acknowledged_at').where('user_id', '=', userId).where('version', '=', current.version).executeTakeFirstOrThrow();
      return { version: current.version, acknowledgedAt: had.acknowledged_at.toISOString() };
    }
    await audit.record(tx, ctx, { action: 'policy.acknowledge', entityType: 'policy', entityId: String(current.version), before: null, after: { userId, version: current.version } });
    return { version: current.version, acknowledgedAt: row.acknowledged_at.toISOString() };
  });
}
