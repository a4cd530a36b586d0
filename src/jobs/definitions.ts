import type { Logger } from 'pino';
import { z } from 'zod';
import { executeRun } from '../services/matching/runs.service.js';
import type { Database } from '../storage/db.js';
import type { JobQueue } from './queue.js';

/** The jobs every process knows. Capabilities add theirs here as they arrive. */
export function defineJobs(queue: JobQueue, database: Database, logger: Logger): void {
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
}
