import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { buildApp } from '../http/app.js';
import { ReportApplier } from '../services/agents/report-applier.js';
import { createOidcClient } from '../http/routes/oidc.js';
import { defineJobs } from '../jobs/definitions.js';
import { JobQueue } from '../jobs/queue.js';
import type { Config } from '../lib/config.js';
import { randomSecret } from '../lib/crypto.js';
import { createLogger, redactUrl } from '../lib/logger.js';
import { webDist } from '../lib/paths.js';
import * as auth from '../services/auth/auth.service.js';
import { type Database, migrate, openDatabase } from '../storage/db.js';

export interface RunningServer {
  app: FastifyInstance;
  database: Database;
  jobs: JobQueue;
  url: string;
  stop(): Promise<void>;
}

/** File through which the CLI on this machine reaches the server that holds the embedded database. */
export function cliTokenPath(dataDir: string): string {
  return path.join(dataDir, 'cli-token.json');
}

export async function startServer(config: Config, logger: Logger = createLogger(config.logLevel)): Promise<RunningServer> {
  const t0 = Date.now();
  logger.info({ database: config.databaseUrl ? redactUrl(config.databaseUrl) : `embedded (${config.dataDir})` }, 'opening database');
  const database = await openDatabase(config);
  try {
    const applied = await migrate(database.db);
    if (applied.length) logger.info({ applied }, 'database migrated');
    const jobs = new JobQueue(database, logger);
    defineJobs(jobs, database, logger, config);
    const localOperatorToken = randomSecret('plo_');
    const oidc = config.oidc ? await createOidcClient(config, logger) : undefined;
    // Agent reports are applied after they are accepted; a server that works jobs also drains that queue.
    const applier = config.jobsInServer ? new ReportApplier(database.db, logger) : null;
    applier?.start();
    const app = await buildApp({ database, config, logger, jobs, localOperatorToken, oidc, webDir: webDist(), onReportAccepted: () => applier?.wake() });
    // After buildApp, which applies the process-wide settings the jobs read too (mail, webhooks).
    await jobs.start({ work: config.jobsInServer });
    await app.listen({ port: config.port, host: config.host });
    const addr = app.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : config.port;
    const url = `${config.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
    if (database.kind === 'embedded') {
      // Over HTTPS the CLI pins this certificate: its name need not be 127.0.0.1, nor its CA known to this machine.
      const certSha256 = config.tls ? new X509Certificate(fs.readFileSync(config.tls.certFile)).fingerprint256 : undefined;
      fs.writeFileSync(cliTokenPath(config.dataDir), JSON.stringify({ url, token: localOperatorToken, pid: process.pid, certSha256 }), { mode: 0o600 });
    }
    const code = await auth.issueSetupCode(database.db);
    if (code) {
      logger.warn(`No account exists yet. Open ${config.publicUrl} and create the first administrator with the one-time set-up code ${code} (valid 24 h), or run: patchloop admin create`);
    }
    logger.info({ url: config.publicUrl, ms: Date.now() - t0 }, 'patchloop is ready');

    let stopping: Promise<void> | undefined;
    const stop = () =>
      (stopping ??= (async () => {
        logger.info('shutting down');
        await app.close(); // stops accepting, finishes in-flight requests
        await applier?.stop();
        await jobs.stop();
        if (database.kind === 'embedded') fs.rmSync(cliTokenPath(config.dataDir), { force: true });
        await database.close();
        logger.info('stopped');
      })());
    return { app, database, jobs, url, stop };
  } catch (err) {
    await database.close().catch(() => {});
    throw err;
  }
}
