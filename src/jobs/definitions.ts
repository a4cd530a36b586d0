import type { Logger } from 'pino';
import { z } from 'zod';
import { executeRun } from '../services/matching/runs.service.js';
import type { Database } from '../storage/db.js';
import type { Config } from '../lib/config.js';
import { systemPrincipal } from '../domain/auth/principal.js';
import { FEEDS } from '../services/feeds/types.js';
import { syncFeed } from '../services/feeds/sync.js';
import { type JobQueue, scheduled } from './queue.js';
import { processPriorityRequests } from '../services/priority/worker.js';
import { defineEolJobs } from '../services/eol/jobs.js';
import { runEscalations } from '../services/escalation/run.js';
import { deliverPending } from '../services/notifications/deliveries.js';
import { defineExceptionJobs } from '../services/exceptions/jobs.js';

/** The jobs every process knows. Capabilities add theirs here as they arrive. */
export function defineJobs(queue: JobQueue, database: Database, logger: Logger, config: Pick<Config, 'feedSyncCron' | 'feedSyncReleases'>): void {
  queue.define({
    name: 'maintenance.purge-sessions',
    version: 1,
    schema: z.object({}),
    cron: '17 * * * *',
    async handler() {
      const now = new Date();
      const s = await database.db.deleteFrom('sessions').where('expires_at', '<', now).executeTakeFirst();
      await database.db.deleteFrom('setup_codes').where('expires_at', '<', now).execute();
      logger.info({ removed: Number(s.numDeletedRows ?? 0) }, 'expired sessions purged');
    },
  });

  defineEolJobs(queue, database, logger);
  defineExceptionJobs(queue, database, logger);

  // Re-prioritisation outbox and first priorities of new findings (issue #6 §3): every minute, one worker at a time.
  queue.define(
    scheduled('priority.process', '* * * * *', async () => {
      const s = await processPriorityRequests(database.db);
      for (const r of s.runs) if (r.changed) logger.info({ trigger: r.trigger, evaluated: r.evaluated, changed: r.changed, raised: r.raisedCount, ms: r.ms }, 'findings re-prioritised');
    }),
  );

  // Escalation and notifications (issue #6 §4): rules every 15 minutes, the mail and chat outbox every minute.
  queue.define(
    scheduled('escalation.run', '*/15 * * * *', async () => {
      const s = await runEscalations(database.db);
      if (s.findings) logger.info({ runId: s.runId, rules: s.rules, recipients: s.recipients, emails: s.emails, webhooks: s.webhooks }, 'escalation rules fired');
    }),
  );
  queue.define(
    scheduled('notifications.deliver', '* * * * *', async () => {
      const s = await deliverPending(database.db);
      if (s.sent || s.failed) logger.info(s, 'queued notifications delivered');
    }),
  );

  queue.define({
    name: 'matching.full',
    version: 1,
    schema: z.object({ runId: z.uuid(), requestedBy: z.string() }),
    retryLimit: 0,
    batchSize: 1,
    async handler(payload) {
      await executeRun(database.db, payload.runId, payload.requestedBy);
    },
  });

  // Daily feed sync from the public sources (PATCHLOOP_FEED_SYNC); each feed on its own, so one failing source does not stop the others.
  if (config.feedSyncCron) {
    queue.define({
      name: 'feeds.sync-all',
      version: 1,
      schema: z.object({}),
      cron: config.feedSyncCron,
      retryLimit: 1,
      batchSize: 1,
      async handler() {
        const ctx = { principal: systemPrincipal('scheduled feed sync'), requestId: null };
        for (const feed of FEEDS) {
          try {
            // Already in the background: a KEV addition raises its findings and notifies before this sync moves on, however many (INC-1).
            const s = await syncFeed(database.db, ctx, feed, { releases: feed === 'debian' ? config.feedSyncReleases : undefined, reprioritiseInline: Number.POSITIVE_INFINITY });
            logger.info({ feed, added: s.added, changed: s.changed, removed: s.removed, notModified: s.notModified ?? false }, 'feed synced');
          } catch (err) {
            logger.error({ feed, err }, 'feed sync failed');
          }
        }
      },
    });
  }
}
