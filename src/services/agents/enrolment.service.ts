import { sql } from 'kysely';
import {
  AGENT_CREDENTIAL_PREFIX,
  type AssetDefaults,
  assetDefaultsSchema,
  DEFAULT_CHECKIN_INTERVAL_SECONDS,
  ENROLMENT_TOKEN_PREFIX,
  type EnrolmentToken,
  type EnrolmentTokenCreate,
  type EnrolRequest,
  type EnrolResponse,
  type HostFactsReport,
} from '../../domain/agents/protocol.js';
import { agentPrincipal, systemPrincipal } from '../../domain/auth/principal.js';
import { randomSecret, sha256Hex } from '../../lib/crypto.js';
import { NotFoundError, UnauthorizedError } from '../../lib/errors.js';
import type { Db, Tx } from '../../storage/db.js';
import * as audit from '../audit/audit.service.js';
import { insertAsset } from '../assets/assets.service.js';
import { authorize, type Ctx } from '../context.js';
import { assetFieldsFromFacts, storeHostFacts } from './facts.js';

type TokenRow = {
  id: string; name: string; prefix: string; max_uses: number; uses: number; asset_defaults: unknown;
  expires_at: Date; revoked_at: Date | null; created_by: string; created_at: Date;
};

function toToken(r: TokenRow, now = new Date()): EnrolmentToken {
  return {
    id: r.id,
    name: r.name,
    prefix: r.prefix,
    maxUses: r.max_uses,
    uses: r.uses,
    assetDefaults: assetDefaultsSchema.parse(typeof r.asset_defaults === 'string' ? JSON.parse(r.asset_defaults) : r.asset_defaults),
    expiresAt: r.expires_at.toISOString(),
    revokedAt: r.revoked_at?.toISOString() ?? null,
    createdBy: r.created_by,
    createdAt: r.created_at.toISOString(),
    usable: !r.revoked_at && r.uses < r.max_uses && r.expires_at > now,
  };
}

const TOKEN_COLUMNS = ['id', 'name', 'prefix', 'max_uses', 'uses', 'asset_defaults', 'expires_at', 'revoked_at', 'created_by', 'created_at'] as const;

/** An enrolment token: shown once, kept as a hash, good for `maxUses` hosts until it expires. */
export async function createEnrolmentToken(db: Db, ctx: Ctx, input: EnrolmentTokenCreate): Promise<{ token: string; info: EnrolmentToken }> {
  authorize(ctx, 'system:admin');
  const secret = randomSecret(ENROLMENT_TOKEN_PREFIX);
  return db.transaction().execute(async (tx) => {
    if (input.assetDefaults.ownerTeamId) {
      const team = await tx.selectFrom('teams').select('id').where('id', '=', input.assetDefaults.ownerTeamId).executeTakeFirst();
      if (!team) throw new NotFoundError('Team (assetDefaults.ownerTeamId)');
    }
    const r = await tx
      .insertInto('agent_enrolment_tokens')
      .values({
        name: input.name,
        token_hash: sha256Hex(secret),
        prefix: secret.slice(0, 12),
        max_uses: input.maxUses,
        asset_defaults: JSON.stringify(input.assetDefaults),
        expires_at: new Date(Date.now() + input.expiresInHours * 3600_000),
        revoked_at: null,
        created_by: ctx.principal.name,
      })
      .returning(TOKEN_COLUMNS)
      .executeTakeFirstOrThrow();
    const info = toToken(r);
    await audit.record(tx, ctx, { action: 'agent.enrolment_token.create', entityType: 'agent_enrolment_token', entityId: r.id, after: info });
    return { token: secret, info };
  });
}

export async function listEnrolmentTokens(db: Db, ctx: Ctx): Promise<EnrolmentToken[]> {
  authorize(ctx, 'system:admin');
  const rows = await db.selectFrom('agent_enrolment_tokens').select(TOKEN_COLUMNS).orderBy('created_at', 'desc').limit(500).execute();
  return rows.map((r) => toToken(r));
}

export async function revokeEnrolmentToken(db: Db, ctx: Ctx, id: string): Promise<EnrolmentToken> {
  authorize(ctx, 'system:admin');
  return db.transaction().execute(async (tx) => {
    const before = await tx.selectFrom('agent_enrolment_tokens').select(TOKEN_COLUMNS).where('id', '=', id).forUpdate().executeTakeFirst();
    if (!before) throw new NotFoundError('Enrolment token');
    if (before.revoked_at) return toToken(before);
    const after = await tx.updateTable('agent_enrolment_tokens').set({ revoked_at: new Date() }).where('id', '=', id).returning(TOKEN_COLUMNS).executeTakeFirstOrThrow();
    await audit.record(tx, ctx, { action: 'agent.enrolment_token.revoke', entityType: 'agent_enrolment_token', entityId: id, before: toToken(before), after: toToken(after) });
    return toToken(after);
  });
}

/**
 * The register entry of an enrolling host: the one its machine id, FQDN, host name or an address already points to
 * (each only when exactly one active asset matches: a NAT address shared by several hosts identifies none of them).
 */
async function findAsset(tx: Tx, facts: HostFactsReport): Promise<{ id: string; by: EnrolResponse['matchedBy'] } | null> {
  const one = (rows: { id: string }[]) => (rows.length === 1 ? (rows[0] as { id: string }).id : null);
  const active = () => tx.selectFrom('assets').select('assets.id').where('assets.lifecycle', '=', 'active').limit(2);
  if (facts.machineId) {
    const id = one(await active().innerJoin('asset_host_facts as f', 'f.asset_id', 'assets.id').where('f.machine_id', '=', facts.machineId).execute());
    if (id) return { id, by: 'machine_id' };
  }
  if (facts.fqdn) {
    const id = one(await active().where(sql<boolean>`lower(fqdn) = lower(${facts.fqdn.replace(/\.$/, '')})`).execute());
    if (id) return { id, by: 'fqdn' };
  }
  const short = facts.hostname?.split('.')[0];
  if (short) {
    const id = one(await active().where(sql<boolean>`lower(hostname) = lower(${short})`).execute());
    if (id) return { id, by: 'hostname' };
  }
  if (facts.addresses.length) {
    const id = one(await active().where(sql<boolean>`ip_addresses && ${sql.val(facts.addresses)}::text[]`).execute());
    if (id) return { id, by: 'address' };
  }
  return null;
}

/**
 * Exchanges an enrolment token for the agent's own credential. The host joins the register: matched to its existing
 * asset, or created with the token's defaults. A host that enrols again (re-installed) replaces its earlier agent.
 */
export async function enrol(db: Db, req: EnrolRequest, meta: { ip: string | null; requestId: string | null }): Promise<EnrolResponse> {
  const credential = randomSecret(AGENT_CREDENTIAL_PREFIX);
  return db.transaction().execute(async (tx) => {
    const t = await tx
      .selectFrom('agent_enrolment_tokens')
      .select([...TOKEN_COLUMNS, 'token_hash'])
      .where('token_hash', '=', sha256Hex(req.token))
      .forUpdate()
      .executeTakeFirst();
    // One answer for unknown, used up, revoked and expired: the caller learns nothing about which tokens exist.
    if (!t || t.revoked_at || t.uses >= t.max_uses || t.expires_at <= new Date()) {
      throw new UnauthorizedError('The enrolment token is unknown, used up, revoked or expired; ask an administrator for a new one');
    }
    const defaults: AssetDefaults = toToken(t).assetDefaults;
    const hostname = req.facts.hostname ?? req.facts.fqdn ?? req.facts.machineId ?? 'unnamed-host';
    const system: Ctx = { principal: systemPrincipal(`enrolment (${t.name})`), requestId: meta.requestId, ip: meta.ip };
    let found = await findAsset(tx, req.facts);
    if (!found) {
      const asset = await insertAsset(tx, system, {
        ...assetFieldsFromFacts(req.facts),
        hostname: hostname.split('.')[0] as string,
        environment: defaults.environment,
        systemType: defaults.systemType,
        businessCriticality: defaults.businessCriticality,
        networkExposure: defaults.networkExposure,
        ownerTeamId: defaults.ownerTeamId,
        tags: defaults.tags,
      }, 'asset.create');
      found = { id: asset.id, by: 'created' };
    }
    const replaced = await tx
      .updateTable('agents')
      .set({ status: 'replaced', revoked_at: new Date() })
      .where('asset_id', '=', found.id)
      .where('status', '=', 'active')
      .returning('id')
      .execute();
    const agent = await tx
      .insertInto('agents')
      .values({
        asset_id: found.id,
        credential_hash: sha256Hex(credential),
        credential_prefix: credential.slice(0, 12),
        enrolment_token_id: t.id,
        hostname,
        machine_id: req.facts.machineId,
        agent_version: req.agentVersion,
        last_ip: meta.ip,
        revoked_at: null,
        last_checkin_at: null,
      })
      .returning(['id', 'hostname'])
      .executeTakeFirstOrThrow();
    await tx.updateTable('agent_enrolment_tokens').set({ uses: t.uses + 1 }).where('id', '=', t.id).execute();
    const ctx: Ctx = { principal: agentPrincipal(agent), requestId: meta.requestId, ip: meta.ip };
    await storeHostFacts(tx, ctx, found.id, req.facts, 'agent', new Date());
    await audit.record(tx, ctx, {
      action: 'agent.enrol',
      entityType: 'agent',
      entityId: agent.id,
      after: { assetId: found.id, matchedBy: found.by, hostname, machineId: req.facts.machineId, agentVersion: req.agentVersion, enrolmentToken: t.prefix, replaced: replaced.map((r) => r.id) },
    });
    return { agentId: agent.id, credential, assetId: found.id, matchedBy: found.by, checkinIntervalSeconds: DEFAULT_CHECKIN_INTERVAL_SECONDS };
  });
}
