import { sql } from 'kysely';
import { AGENT_CREDENTIAL_PREFIX, type Agent, agentHealth } from '../../domain/agents/protocol.js';
import { agentPrincipal, type Principal } from '../../domain/auth/principal.js';
import { sha256Hex } from '../../lib/crypto.js';
import { NotFoundError } from '../../lib/errors.js';
import type { Db } from '../../storage/db.js';
import * as audit from '../audit/audit.service.js';
import { authorize, type Ctx } from '../context.js';
import { type HostFacts, readHostFacts } from './facts.js';

const COLUMNS = ['id', 'asset_id', 'hostname', 'machine_id', 'agent_version', 'status', 'enrolled_at', 'revoked_at', 'last_checkin_at', 'last_ip', 'last_seq', 'reports'] as const;
type Row = {
  id: string; asset_id: string; hostname: string; machine_id: string | null; agent_version: string | null; status: string;
  enrolled_at: Date; revoked_at: Date | null; last_checkin_at: Date | null; last_ip: string | null; last_seq: string; reports: string;
};

function toAgent(r: Row, now = new Date()): Agent {
  return {
    id: r.id,
    assetId: r.asset_id,
    hostname: r.hostname,
    machineId: r.machine_id,
    agentVersion: r.agent_version,
    status: r.status as Agent['status'],
    health: agentHealth({ status: r.status, lastCheckinAt: r.last_checkin_at }, now),
    enrolledAt: r.enrolled_at.toISOString(),
    revokedAt: r.revoked_at?.toISOString() ?? null,
    lastCheckinAt: r.last_checkin_at?.toISOString() ?? null,
    lastIp: r.last_ip,
    lastSeq: Number(r.last_seq),
    reports: Number(r.reports),
  };
}

/** The principal of an agent credential, or null when it is unknown or no longer active. */
export async function resolveAgentCredential(db: Db, credential: string): Promise<Principal | null> {
  if (!credential.startsWith(AGENT_CREDENTIAL_PREFIX)) return null;
  const r = await db.selectFrom('agents').select(['id', 'hostname', 'status']).where('credential_hash', '=', sha256Hex(credential)).executeTakeFirst();
  if (r?.status !== 'active') return null;
  return agentPrincipal(r);
}

export interface AgentListQuery {
  status?: 'active' | 'revoked' | 'replaced' | 'all';
  health?: Agent['health'];
  q?: string;
  limit: number;
}

export async function listAgents(db: Db, ctx: Ctx, query: AgentListQuery): Promise<{ items: Agent[]; counts: Record<Agent['health'], number> }> {
  authorize(ctx, 'asset:read');
  let q = db.selectFrom('agents').select(COLUMNS);
  const status = query.status ?? 'active';
  if (status !== 'all') q = q.where('status', '=', status);
  if (query.q) q = q.where(sql<boolean>`(hostname ilike ${`%${query.q.replace(/[\\%_]/g, '\\$&')}%`} or machine_id = ${query.q})`);
  const now = new Date();
  // Health is derived from the last check-in; the few thousand agents of a fleet are filtered here, not in SQL.
  const all = (await q.orderBy('hostname').orderBy('id').execute()).map((r) => toAgent(r, now));
  const counts = { ok: 0, late: 0, silent: 0, never: 0, revoked: 0 };
  for (const a of all) counts[a.health]++;
  const items = (query.health ? all.filter((a) => a.health === query.health) : all).slice(0, query.limit);
  return { items, counts };
}

export async function revokeAgent(db: Db, ctx: Ctx, id: string, reason: string | null): Promise<Agent> {
  authorize(ctx, 'system:admin');
  return db.transaction().execute(async (tx) => {
    const before = await tx.selectFrom('agents').select(COLUMNS).where('id', '=', id).forUpdate().executeTakeFirst();
    if (!before) throw new NotFoundError('Agent');
    if (before.status !== 'active') return toAgent(before);
    const after = await tx.updateTable('agents').set({ status: 'revoked', revoked_at: new Date() }).where('id', '=', id).returning(COLUMNS).executeTakeFirstOrThrow();
    await audit.record(tx, ctx, { action: 'agent.revoke', entityType: 'agent', entityId: id, before: toAgent(before), after: { ...toAgent(after), reason } });
    return toAgent(after);
  });
}

/** What the asset page shows: the host's facts and its agent (the active one, else the latest). */
export async function assetAgent(db: Db, ctx: Ctx, assetId: string): Promise<{ facts: HostFacts | null; agent: Agent | null }> {
  authorize(ctx, 'asset:read');
  const asset = await db.selectFrom('assets').select('id').where('id', '=', assetId).executeTakeFirst();
  if (!asset) throw new NotFoundError('Asset');
  const r = await db
    .selectFrom('agents')
    .select(COLUMNS)
    .where('asset_id', '=', assetId)
    .orderBy(sql`status = 'active'`, 'desc')
    .orderBy('enrolled_at', 'desc')
    .executeTakeFirst();
  return { facts: await readHostFacts(db, assetId), agent: r ? toAgent(r) : null };
}
