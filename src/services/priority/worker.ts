import { sql } from 'kysely';
import type { Db } from '../../storage/db.js';
import { notifyRaised } from '../escalation/raised.js';
import { applyExceptionCoverage } from '../exceptions/coverage.js';
import { notificationSettings } from '../notifications/settings.js';
import { type ReprioritiseSummary, reprioritise } from './reprioritise.js';
import { type PriorityRequest, type PriorityScope, claimRequests, finishRequests } from './requests.js';

export interface ProcessOptions {
  /**
   * Leave requests touching more open findings than this to the background
   * worker (a request's own HTTP call should not wait for a fleet-wide pass).
   * Unlimited when absent.
   */
  inlineLimit?: number;
}

export interface ProcessSummary {
  runs: (ReprioritiseSummary & { trigger: string; announced?: Announced })[];
  deferred: number;
}

/**
 * Works the re-prioritisation outbox: requests are claimed, an "all" request
 * absorbs the others, each run's raised findings are handed to escalation
 * (a KEV addition notifies within the same feed sync), and new or reopened
 * findings are given their first priority.
 */
export async function processPriorityRequests(db: Db, opts: ProcessOptions = {}): Promise<ProcessSummary> {
  const claimed = await claimRequests(db);
  const out: ProcessSummary = { runs: [], deferred: 0 };
  const release: string[] = [];
  const todo: PriorityRequest[] = [];
  for (const r of claimed) {
    if (opts.inlineLimit !== undefined && (await size(db, r.scope)) > opts.inlineLimit) {
      release.push(r.id);
      out.deferred++;
    } else todo.push(r);
  }
  if (release.length) await sql`update priority_requests set claimed_at = null where id = any(${sql.val(release)}::bigint[])`.execute(db);

  const all = todo.filter((r) => r.scope.kind === 'all');
  const batches: { scope: PriorityScope; trigger: string; at: Date; ids: string[] }[] = all.length
    ? [{ scope: { kind: 'all' }, trigger: [...new Set(todo.map((r) => r.trigger))].join('; '), at: minAt(todo), ids: todo.map((r) => r.id) }]
    : todo.map((r) => ({ scope: r.scope, trigger: r.trigger, at: r.at, ids: [r.id] }));
  for (const b of batches) {
    const s = await reprioritise(db, b.scope, b.trigger, b.at);
    await finishRequests(db, b.ids);
    out.runs.push({ ...s, trigger: b.trigger, ...(await announce(db, s.raised, b.trigger)) });
  }
  const pending = await reprioritise(db, { kind: 'pending' }, 'detected');
  if (pending.evaluated) {
    const run: ProcessSummary['runs'][number] = { ...pending, trigger: 'detected' };
    out.runs.push(run);
    // New findings in the scope of a valid risk exception are covered at once (VUL-7).
    await applyExceptionCoverage(db);
    // Emergencies among them (a scan found an actively exploited vulnerability on an exposed system) are announced now, not at the first escalation step.
    Object.assign(run, await announce(db, pending.raised, 'detected'));
  }
  return out;
}

/** What announcing a run's raised findings took (benchmarks and logs read it). */
export interface Announced {
  findings: number;
  recipients: number;
  ms: number;
}

async function announce(db: Db, raised: readonly string[], trigger: string): Promise<{ announced?: Announced }> {
  if (!raised.length) return {};
  const t0 = Date.now();
  const r = await notifyRaised(db, raised, trigger);
  return { announced: { findings: r?.findings ?? 0, recipients: r?.recipients ?? 0, ms: Date.now() - t0 } };
}

const minAt = (rs: PriorityRequest[]) => new Date(Math.min(...rs.map((r) => r.at.getTime())));

async function size(db: Db, scope: PriorityScope): Promise<number> {
  switch (scope.kind) {
    case 'all':
      return Number.POSITIVE_INFINITY;
    case 'pending':
      return 0;
    case 'vulnerabilities': {
      const r = await sql<{ n: number }>`select count(*)::int as n from findings where status = 'open' and vulnerability_num = any(${sql.val(scope.nums)}::int[])`.execute(db);
      return r.rows[0]?.n ?? 0;
    }
    case 'assets': {
      const r = await sql<{ n: number }>`select count(*)::int as n from findings where status = 'open' and asset_id = any(${sql.val(scope.ids)}::uuid[])`.execute(db);
      return r.rows[0]?.n ?? 0;
    }
    case 'findings':
      return scope.ids.length;
  }
}

/** Inline, after a change committed: small scopes now, big ones left to the worker. Never fails the caller (the outbox keeps the work). */
export async function settlePriorities(db: Db, inlineLimit = 50_000): Promise<ProcessSummary | null> {
  try {
    return await processPriorityRequests(db, { inlineLimit });
  } catch (err) {
    notificationSettings().logger?.error({ err }, 'priorities not settled after the change; the re-prioritisation job retries them');
    return null;
  }
}
