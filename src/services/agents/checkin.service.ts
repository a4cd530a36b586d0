import { sql } from 'kysely';
import { applyDiff, type Checkin, type CheckinResponse, DEFAULT_CHECKIN_INTERVAL_SECONDS, DiffError, snapshotDigest } from '../../domain/agents/protocol.js';
import type { Inventory, InventoryPackage } from '../../domain/inventory/inventory.js';
import { ConflictError, ForbiddenError, UnauthorizedError, ValidationError } from '../../lib/errors.js';
import type { Db, Tx } from '../../storage/db.js';
import { authorize, type Ctx } from '../context.js';
import { applyInventory, inventoryProblems } from '../inventory/inventory.service.js';
import { engineCache } from '../matching/engine-cache.js';
import { storeHostFacts } from './facts.js';

type OsPkg = Omit<InventoryPackage, 'ecosystem'>;

/** The asset's stored packages: those of the OS ecosystem (what the agent reports) and the rest (from SBOMs), kept. */
async function storedPackages(tx: Tx, assetId: string, osEcosystem: string): Promise<{ os: OsPkg[]; others: InventoryPackage[] }> {
  const inv = await tx.selectFrom('asset_inventories').select('package_ids').where('asset_id', '=', assetId).executeTakeFirst();
  if (!inv || inv.package_ids.length === 0) return { os: [], others: [] };
  const rows = await tx
    .selectFrom('packages')
    .select(['ecosystem', 'name', 'version', 'arch', 'source_name', 'source_version', 'purl'])
    .where('id', '=', (eb) => eb.fn.any(eb.val(inv.package_ids)))
    .execute();
  const os: OsPkg[] = [];
  const others: InventoryPackage[] = [];
  for (const r of rows) {
    const p: OsPkg = { name: r.name, version: r.version, arch: r.arch };
    if (r.source_name !== r.name) p.sourceName = r.source_name;
    if (r.source_version !== r.version) p.sourceVersion = r.source_version;
    if (r.ecosystem === osEcosystem) os.push(p);
    else others.push({ ...p, ecosystem: r.ecosystem as InventoryPackage['ecosystem'], ...(r.purl ? { purl: r.purl } : {}) });
  }
  return { os, others };
}

const answer = (status: CheckinResponse['status'], seq: number, rest: Partial<CheckinResponse> = {}): CheckinResponse => ({
  status,
  seq,
  digest: null,
  packages: null,
  added: null,
  removed: null,
  findingsOpened: null,
  findingsResolved: null,
  checkinIntervalSeconds: DEFAULT_CHECKIN_INTERVAL_SECONDS,
  ...rest,
});

/**
 * One report from an agent, all or nothing: the idempotency record, the snapshot (with its history in the audit
 * trail), the host facts, the asset's re-match — committed together, so a report the agent sends again after a lost
 * answer is recognised by its id and nothing is applied twice.
 */
export async function checkin(db: Db, ctx: Ctx, body: Checkin): Promise<CheckinResponse> {
  authorize(ctx, 'agent:checkin');
  const agentId = ctx.principal.agentId;
  if (!agentId) throw new ForbiddenError('Check-ins need an agent credential from enrolment, not an API token');
  const cache = engineCache(db);
  return db.transaction().execute(async (tx) => {
    const agent = await tx.selectFrom('agents').select(['id', 'asset_id', 'status', 'last_seq', 'full_required']).where('id', '=', agentId).forUpdate().executeTakeFirst();
    if (!agent || agent.status !== 'active') throw new UnauthorizedError('The agent credential was revoked');
    const lastSeq = Number(agent.last_seq);
    const seen = await tx.selectFrom('agent_reports').selectAll().where('agent_id', '=', agentId).where('report_id', '=', body.reportId).executeTakeFirst();
    if (seen) return answer('duplicate', lastSeq, { packages: seen.packages, added: seen.added, removed: seen.removed });
    if (body.seq <= lastSeq) {
      throw new ConflictError(`Report ${body.reportId} has sequence number ${body.seq}, but report ${lastSeq} was accepted already; reports are applied in order`, [{ field: 'body.seq', message: `must be greater than ${lastSeq}` }]);
    }
    const r = body.report;
    const stored = await storedPackages(tx, agent.asset_id, r.ecosystem);
    let os: OsPkg[];
    if (r.kind === 'full') os = r.packages;
    else {
      if (agent.full_required || snapshotDigest(stored.os) !== r.baseDigest) return answer('full_required', lastSeq);
      try {
        os = applyDiff(stored.os, r);
      } catch (err) {
        if (err instanceof DiffError) return answer('full_required', lastSeq);
        throw err;
      }
      if (snapshotDigest(os) !== r.digest) return answer('full_required', lastSeq);
    }
    // The route validated the report's shape; the versions are checked against the ecosystem's grammar here — only
    // the new ones: what is stored passed the same checks when it arrived.
    const fresh = r.kind === 'full' ? r.packages : r.added;
    const problems = inventoryProblems({ ecosystem: r.ecosystem, distro: r.distro, release: r.release, source: 'agent', packages: fresh }, r.kind === 'full' ? 'body.report' : 'body.report.added');
    if (problems.length) throw new ValidationError(`The report has ${problems.length} problem(s); nothing was stored`, problems.slice(0, 100));
    const inventory: Inventory = { ecosystem: r.ecosystem, distro: r.distro, release: r.release, source: 'agent', packages: [...os, ...stored.others] };

    const collectedAt = new Date(body.collectedAt);
    const summary = await applyInventory(tx, cache, ctx, agent.asset_id, inventory, { collectedAt, ownerScopeChecked: true });
    await storeHostFacts(tx, ctx, agent.asset_id, body.facts, 'agent', collectedAt);
    await tx
      .insertInto('agent_reports')
      .values({ agent_id: agentId, report_id: body.reportId, seq: body.seq, kind: r.kind, collected_at: collectedAt, packages: summary.packages, added: summary.added, removed: summary.removed })
      .execute();
    await tx
      .updateTable('agents')
      .set(() => ({
        last_seq: body.seq,
        last_checkin_at: new Date(),
        last_ip: ctx.ip ?? null,
        agent_version: body.agentVersion,
        reports: sql`reports + 1`,
        full_required: false,
      }))
      .where('id', '=', agentId)
      .execute();
    return answer('accepted', body.seq, {
      digest: snapshotDigest(os),
      packages: summary.packages,
      added: summary.added,
      removed: summary.removed,
      findingsOpened: summary.match ? summary.match.opened + summary.match.reopened : 0,
      findingsResolved: summary.match?.resolved ?? 0,
    });
  });
}
