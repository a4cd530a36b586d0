import type { Logger } from 'pino';
import { type JobQueue, scheduled } from '../../jobs/queue.js';
import type { Database } from '../../storage/db.js';
import { refreshEvaluations } from './evaluation.js';

/**
 * Keeps every asset's end-of-life evaluation current without anyone opening
 * an end-of-life view: new inventories, changed assets and the day a cycle
 * reaches its end. The inventory coverage rule (daily for unsupported
 * assets, LEG-2) reads these evaluations, so it lags at most one run.
 */
export const EOL_REFRESH_CRON = '*/15 * * * *';

export function defineEolJobs(queue: JobQueue, database: Database, logger: Logger): void {
  queue.define(
    scheduled(
      'eol.refresh',
      EOL_REFRESH_CRON,
      async () => {
        const n = await refreshEvaluations(database.db);
        if (n) logger.info({ assets: n }, 'end-of-life evaluations refreshed');
      },
      1,
    ),
  );
}
