import type { Logger } from 'pino';
import { z } from 'zod';
import type { JobQueue } from '../../jobs/queue.js';
import type { Database } from '../../storage/db.js';
import { applyExceptionCoverage, expireExceptions } from './coverage.js';
import { sendReviewReminders } from './reminders.js';

/**
 * Daily: exceptions past their last day end and their findings come back with
 * a fresh due date; re-review reminders go out. Every 15 minutes: findings
 * that appeared under a valid exception (a new scan, a new asset) are covered.
 */
export function defineExceptionJobs(queue: JobQueue, database: Database, logger: Logger): void {
  queue.define({
    name: 'exceptions.expire',
    version: 1,
    schema: z.object({}),
    cron: '5 0 * * *',
    retryLimit: 2,
    batchSize: 1,
    async handler() {
      const s = await expireExceptions(database.db);
      if (s.expired) logger.info(s, 'risk exceptions expired');
    },
  });
  queue.define({
    name: 'exceptions.review-reminders',
    version: 1,
    schema: z.object({}),
    cron: '0 7 * * *',
    retryLimit: 2,
    batchSize: 1,
    async handler() {
      const s = await sendReviewReminders(database.db);
      if (s.reminded) logger.info(s, 'exception re-review reminders sent');
    },
  });
  queue.define({
    name: 'exceptions.coverage',
    version: 1,
    schema: z.object({}),
    cron: '*/15 * * * *',
    retryLimit: 0,
    batchSize: 1,
    async handler() {
      const s = await applyExceptionCoverage(database.db);
      if (s.covered) logger.info(s, 'new findings covered by risk exceptions');
    },
  });
}
