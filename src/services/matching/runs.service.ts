import { randomUUID } from 'node:crypto';
import { systemPrincipal } from '../../domain/auth/principal.js';
import { NotFoundError } from '../../lib/errors.js';
import type { Db } from '../../storage/db.js';
import { authorize, type Ctx } from '../context.js';
import { runMatch } from './matching.service.js';

/**
 * Full re-evaluations run as background jobs with their progress in
 * match_runs, so the UI and CLI can show a progress bar and any worker can
 * pick them up.
 */
export interface MatchRun {
  id: string;
  kind: string;
  status: 'queued' | 'running' | 'done' | 'failed';
  progress: number;
  phase: string | null;
  startedAt: string;
  finishedAt: string | null;
  stats: unknown;
  error: string | null;
}

export type Enqueue = (runId: string, requestedBy: string) => Promise<void>;

export async function requestFullRun(db: Db, ctx: Ctx, enqueue: Enqueue | null): Promise<MatchRun> {
  authorize(ctx, 'asset:import');
  const id = randomUUID();
  await db.insertInto('match_runs').values({ id, kind: 'full', scope: JSON.stringify({ all: true }), status: 'queued', started_at: new Date(), stats: null, finished_at: null, error: null }).execute();
  if (enqueue) await enqueue(id, ctx.principal.name);
  else await executeRun(db, id, ctx.principal.name); // no queue in this process (CLI on its own): run here
  return getRun(db, ctx, id);
}

/** The job body: marks the run, reports progress at most every 250 ms, stores the result. */
export async function executeRun(db: Db, runId: string, requestedBy: string): Promise<void> {
  await db.updateTable('match_runs').set({ status: 'running', started_at: new Date() }).where('id', '=', runId).execute();
  let last = 0;
  const ctx: Ctx = { principal: systemPrincipal(`matching engine (run requested by ${requestedBy})`), requestId: runId };
  try {
    const summary = await runMatch(db, ctx, {
      kind: 'full',
      runId,
      onProgress: (done, total, phase) => {
        const now = Date.now();
        if (now - last < 250 && done < total) return;
        last = now;
        // Not awaited, so it may land after the final update: only a running run takes progress.
        void db.updateTable('match_runs').set({ done, total, stats: JSON.stringify({ phase }) }).where('id', '=', runId).where('status', '=', 'running').execute().catch(() => {});
      },
    });
    await db.updateTable('match_runs').set({ status: 'done', done: 100, total: 100, finished_at: new Date(), stats: JSON.stringify({ phase: 'done', ...summary }) }).where('id', '=', runId).execute();
  } catch (err) {
    await db.updateTable('match_runs').set({ status: 'failed', finished_at: new Date(), error: (err as Error).message }).where('id', '=', runId).execute();
    throw err;
  }
}

export async function getRun(db: Db, ctx: Ctx, id: string): Promise<MatchRun> {
  authorize(ctx, 'asset:read');
  const r = await db.selectFrom('match_runs').selectAll().where('id', '=', id).executeTakeFirst();
  if (!r) throw new NotFoundError('Matching run');
  const stats = (r.stats ?? null) as { phase?: string } | null;
  return {
    id: r.id,
    kind: r.kind,
    status: r.status as MatchRun['status'],
    progress: r.total ? Math.round((r.done / r.total) * 100) : 0,
    phase: stats?.phase ?? null,
    startedAt: r.started_at.toISOString(),
    finishedAt: r.finished_at?.toISOString() ?? null,
    stats,
    error: r.error,
  };
}
