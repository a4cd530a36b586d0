import { gunzipSync } from 'node:zlib';
import type { Logger } from 'pino';
import { applyDiff, DiffError, type HostFactsReport, type Report, snapshotDigest } from '../../domain/agents/protocol.js';
import { agentPrincipal } from '../../domain/auth/principal.js';
import type { Inventory, InventoryPackage } from '../../domain/inventory/inventory.js';
import type { Db } from '../../storage/db.js';
import type { Ctx } from '../context.js';
import { applyInventory, storedPackages } from '../inventory/inventory.service.js';
import { engineCache } from '../matching/engine-cache.js';
import { storeHostFacts } from './facts.js';

type OsPkg = Omit<InventoryPackage, 'ecosystem'>;

export interface ApplyCounts {
  applied: number;
  needsFull: number;
  failed: number;
}

const MAX_ATTEMPTS = 3;

/**
 * Applies the oldest waiting report of an agent nobody else is applying for (FOR UPDATE SKIP LOCKED on the agent:
 * several processes drain the queue side by side, each agent's reports stay in sequence). Returns null when nothing
 * is waiting. The report's inventory, history (audit), facts and the asset's re-match commit with its status.
 */
async function applyNext(db: Db): Promise<keyof ApplyCounts | null> {
  const cache = engineCache(db);
  let picked: { agentId: string; reportId: string } | null = null;
  try {
    return await db.transaction().execute(async (tx) => {
      const next = await tx
        .selectFrom('agent_reports as r')
        .innerJoin('agents as a', 'a.id', 'r.agent_id')
        .select(['a.id', 'a.asset_id', 'a.hostname'])
        .where('r.status', '=', 'queued')
        .orderBy('r.received_at')
        .limit(1)
        .forUpdate('a')
        .skipLocked()
        .executeTakeFirst();
      if (!next) return null;
      const rep = await tx
        .selectFrom('agent_reports')
        .select(['report_id', 'seq', 'payload', 'collected_at'])
        .where('agent_id', '=', next.id)
        .where('status', '=', 'queued')
        .orderBy('seq')
        .limit(1)
        .executeTakeFirstOrThrow();
      picked = { agentId: next.id, reportId: rep.report_id };
      const { facts, report: r } = JSON.parse(gunzipSync(rep.payload as Buffer).toString('utf8')) as { facts: HostFactsReport; report: Report };
      const done = (status: string, extra: Record<string, unknown> = {}) =>
        tx.updateTable('agent_reports').set({ status, payload: null, applied_at: new Date(), ...extra }).where('agent_id', '=', next.id).where('report_id', '=', rep.report_id).execute();
      const stored = await storedPackages(tx, next.asset_id, r.ecosystem);
      let os: OsPkg[];
      if (r.kind === 'full') os = r.packages;
      else {
        try {
          if (snapshotDigest(stored.os) !== r.baseDigest) throw new DiffError('the stored snapshot is not the one the differences build on');
          os = applyDiff(stored.os, r);
        } catch (err) {
          if (!(err instanceof DiffError)) throw err;
          // Only when an earlier report could not be applied: the agent's next report must be a full snapshot.
          await done('needs_full', { error: err.message });
          await tx.updateTable('agents').set({ full_required: true, last_digest: null }).where('id', '=', next.id).execute();
          return 'needsFull';
        }
      }
      const ctx: Ctx = { principal: agentPrincipal({ id: next.id, hostname: next.hostname }), requestId: null };
      const inventory: Inventory = { ecosystem: r.ecosystem, distro: r.distro, release: r.release, source: 'agent', packages: [...os, ...stored.others] };
      const s = await applyInventory(tx, cache, ctx, next.asset_id, inventory, { collectedAt: rep.collected_at, ownerScopeChecked: true });
      await storeHostFacts(tx, ctx, next.asset_id, facts, 'agent', rep.collected_at);
      await done('applied', { packages: s.packages, added: s.added, removed: s.removed });
      return 'applied';
    });
  } catch (err) {
    // A report that fails repeatedly is set aside (and the agent asked for a full snapshot) so it cannot block the queue.
    const p = picked as { agentId: string; reportId: string } | null;
    if (!p) throw err;
    const row = await db
      .updateTable('agent_reports')
      .set((eb) => ({ attempts: eb('attempts', '+', 1), error: (err as Error).message.slice(0, 1000) }))
      .where('agent_id', '=', p.agentId)
      .where('report_id', '=', p.reportId)
      .returning('attempts')
      .executeTakeFirst();
    if (row && row.attempts >= MAX_ATTEMPTS) {
      await db.updateTable('agent_reports').set({ status: 'failed', payload: null }).where('agent_id', '=', p.agentId).where('report_id', '=', p.reportId).execute();
      await db.updateTable('agents').set({ full_required: true, last_digest: null }).where('id', '=', p.agentId).execute();
      return 'failed';
    }
    throw err;
  }
}

/** Applies waiting reports until none is left (or `max` are done). */
export async function applyQueuedReports(db: Db, max = Number.POSITIVE_INFINITY): Promise<ApplyCounts> {
  const counts: ApplyCounts = { applied: 0, needsFull: 0, failed: 0 };
  for (let i = 0; i < max; i++) {
    const r = await applyNext(db);
    if (!r) break;
    counts[r]++;
  }
  return counts;
}

/**
 * Drains the report queue in the background of a server or worker: woken by each check-in, and polling for reports
 * accepted by other processes or left over from a crash. `concurrency` drainers run side by side (PostgreSQL applies
 * different agents' reports in parallel).
 */
export class ReportApplier {
  private running = 0;
  private stopped = false;
  private timer: NodeJS.Timeout | null = null;
  private loops = new Set<Promise<void>>();

  constructor(
    private readonly db: Db,
    private readonly logger: Logger,
    private readonly concurrency = 2,
    private readonly pollMs = 5000,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.wake(), this.pollMs);
    this.timer.unref();
    this.wake();
  }

  wake(): void {
    if (this.stopped) return;
    while (this.running < this.concurrency) {
      this.running++;
      const loop = this.loop().finally(() => {
        this.running--;
        this.loops.delete(loop);
      });
      this.loops.add(loop);
    }
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      try {
        const r = await applyNext(this.db);
        if (!r) return;
        if (r !== 'applied') this.logger.warn({ outcome: r }, 'agent report not applied; the agent will send a full snapshot');
        failures = 0;
      } catch (err) {
        this.logger.error({ err }, 'applying an agent report failed; retrying');
        if (++failures >= 3) return; // the poll comes back later
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await Promise.allSettled([...this.loops]);
  }
}
