import type { Logger } from 'pino';
import { type JobQueue, scheduled } from '../../jobs/queue.js';
import type { Database } from '../../storage/db.js';
import { applyExceptionCoverage, expireExceptions } from './coverage.js';
import { sendReviewReminders } from './reminders.js';

/**
 * Daily: exceptions past their last day end and their findings come back with
 * a fresh due date; re-review reminders go out. Every 15 minutes: findings
 * that appeared under a valid exception (a new scan, a new asset) are covered.
 */
export function defineExceptionJobs(queue: JobQueue, database: Database, logger: Logger): void {
  queue.define(
    scheduled(
      'exceptions.expire',
      '5 0 * * *',
      async () => {
        const s = await expireExceptions(database.db);
        if (s.expired) logger.info(s, 'risk exceptions expired');
      },
      2,
    ),
  );
  queue.define(
    scheduled(
      'exceptions.review-reminders',
      '0 7 * * *',
      async () => {
        const s = await sendReviewReminders(database.db);
        if (s.reminded) logger.info(s, 'exception re-review reminders sent');
      },
      2,
    ),
  );
  queue.define(
    scheduled('exceptions.coverage', '*/15 * * * *', async () => {
      const s = await applyExceptionCoverage(database.db);
      if (s.covered) logger.info(s, 'new findings covered by risk exceptions');
    }),
  );
}
