import type { Logger } from 'pino';
import { defineJobs } from '../jobs/definitions.js';
import { JobQueue } from '../jobs/queue.js';
import { ReportApplier } from '../services/agents/report-applier.js';
import type { Config } from '../lib/config.js';
import { configureNotifications } from '../services/notifications/settings.js';
import { migrate, openDatabase } from '../storage/db.js';

/** A process that only works background jobs; start as many as the load needs (PostgreSQL only). */
export async function startWorker(config: Config, logger: Logger) {
  if (!config.databaseUrl) {
    throw new Error('patchloop worker needs DATABASE_URL: the embedded database can only be opened by the server process, which already works the queue');
  }
  const database = await openDatabase(config);
  await migrate(database.db);
  configureNotifications(config, logger);
  const jobs = new JobQueue(database, logger);
  defineJobs(jobs, database, logger, config);
  await jobs.start({ work: true });
  // Workers also apply accepted agent reports (polling; a server wakes its own applier on each check-in).
  const applier = new ReportApplier(database.db, logger);
  applier.start();
  logger.info('worker ready');
  return {
    async stop() {
      await applier.stop();
      await jobs.stop();
      await database.close();
    },
  };
}
