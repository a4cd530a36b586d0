import { gzipSync } from 'node:zlib';
import { sql } from 'kysely';
import { type Checkin, type CheckinResponse, DEFAULT_CHECKIN_INTERVAL_SECONDS, snapshotDigest } from '../../domain/agents/protocol.js';
import { ConflictError, ForbiddenError, UnauthorizedError, ValidationError } from '../../lib/errors.js';
import type { Db } from '../../storage/db.js';
import { authorize, type Ctx } from '../context.js';
import { inventoryProblems } from '../inventory/inventory.service.js';

const answer = (status: CheckinResponse['status'], seq: number, rest: Partial<CheckinResponse> = {}): CheckinResponse => ({
  status,
  seq,
  digest: null,
  packages: null,
  queued: 0,
  checkinIntervalSeconds: DEFAULT_CHECKIN_INTERVAL_SECONDS,
  ...rest,
});

/**
 * Takes one report from an agent (the intake; `report-applier.ts` applies it). In one transaction: the report is
 * checked (its order, that its differences build on the report accepted before it, its versions) and stored with its
 * id, and the agent's position moves on. Once this commits the report cannot be lost, and a report the agent sends
 * again (its answer was lost) is recognised by its id. Applying — the inventory, its history, the facts and the
 * asset's re-match — happens after the commit, report by report in sequence order, so a burst of check-ins is taken
 * at the speed of a small insert, not of matching.
 */
export async function checkin(db: Db, ctx: Ctx, body: Checkin): Promise<CheckinResponse> {
  authorize(ctx, 'agent:checkin');
  const agentId = ctx.principal.agentId;
  if (!agentId) throw new ForbiddenError('Check-ins need an agent credential from enrolment, not an API token');
  const r = body.report;
  // Checked before the transaction: the versions of what is new (full: everything) against the ecosystem's grammar.
  const fresh = r.kind === 'full' ? r.packages : r.added;
  const problems = inventoryProblems({ ecosystem: r.ecosystem, distro: r.distro, release: r.release, source: 'agent', packages: fresh }, r.kind === 'full' ? 'body.report' : 'body.report.added');
  if (problems.length) throw new ValidationError(`The report has ${problems.length} problem(s); nothing was stored`, problems.slice(0, 100));
  const digest = r.kind === 'full' ? snapshotDigest(r.packages) : r.digest;
  const payload = gzipSync(JSON.stringify({ facts: body.facts, report: r }));

  return db.transaction().execute(async (tx) => {
    const agent = await tx.selectFrom('agents').select(['id', 'status', 'last_seq', 'full_required', 'last_digest']).where('id', '=', agentId).forUpdate().executeTakeFirst();
    if (agent?.status !== 'active') throw new UnauthorizedError('The agent credential was revoked');
    const lastSeq = Number(agent.last_seq);
    const seen = await tx.selectFrom('agent_reports').select(['seq', 'packages']).where('agent_id', '=', agentId).where('report_id', '=', body.reportId).executeTakeFirst();
    if (seen) return answer('duplicate', lastSeq, { digest: agent.last_digest });
    if (body.seq <= lastSeq) {
      throw new ConflictError(`Report ${body.reportId} has sequence number ${body.seq}, but report ${lastSeq} was accepted already; reports are applied in order`, [{ field: 'body.seq', message: `must be greater than ${lastSeq}` }]);
    }
    if (r.kind === 'diff' && (agent.full_required || agent.last_digest !== r.baseDigest)) return answer('full_required', lastSeq, { digest: agent.last_digest });
    await tx
      .insertInto('agent_reports')
      .values({ agent_id: agentId, report_id: body.reportId, seq: body.seq, kind: r.kind, collected_at: new Date(body.collectedAt), payload, packages: r.kind === 'full' ? r.packages.length : null, added: null, removed: null, error: null, applied_at: null })
      .execute();
    await tx
      .updateTable('agents')
      .set({
        last_seq: body.seq,
        last_digest: digest,
        last_checkin_at: new Date(),
        last_ip: ctx.ip ?? null,
        agent_version: body.agentVersion,
        reports: sql`reports + 1`,
        full_required: false,
      })
      .where('id', '=', agentId)
      .execute();
    const queued = await tx.selectFrom('agent_reports').select((eb) => eb.fn.countAll<string>().as('n')).where('agent_id', '=', agentId).where('status', '=', 'queued').executeTakeFirstOrThrow();
    return answer('accepted', body.seq, { digest, packages: r.kind === 'full' ? r.packages.length : null, queued: Number(queued.n) });
  });
}
