import type { Logger } from 'pino';
import PgBoss from 'pg-boss';
import { z } from 'zod';
import type { Database } from '../storage/db.js';

/**
 * Background jobs, stored in the same database (pg-boss). A job definition
 * has a name, a version (bumped when its payload changes shape), a payload
 * schema checked on send and on receipt, and a handler. Any number of
 * processes may work the queue; pg-boss hands each job to exactly one.
 */
export interface JobDefinition<T = unknown> {
  readonly name: string;
  readonly version: number;
  readonly schema: z.ZodType<T>;
  /** Cron expression (UTC) for recurring jobs. */
  readonly cron?: string;
  readonly retryLimit?: number;
  /** Jobs fetched per poll; pg-boss waits one polling interval between fetches. */
  readonly batchSize?: number;
  handler(payload: T, job: { id: string }): Promise<void>;
}

export interface JobQueueOptions {
  /** Work jobs in this process (the server by default, or `patchloop worker`). */
  work: boolean;
  /** Poll interval; pg-boss's minimum is 0.5 s. */
  pollingIntervalSeconds?: number;
}

/** A recurring sweep: no payload, one at a time (batch 1), version 1. */
export function scheduled(name: string, cron: string, run: () => Promise<void>, retryLimit = 0): JobDefinition<Record<string, never>> {
  return { name, version: 1, schema: z.object({}) as z.ZodType<Record<string, never>>, cron, retryLimit, batchSize: 1, handler: () => run() };
}

const queueName = (d: { name: string; version: number }) => `${d.name}.v${d.version}`;

export class JobQueue {
  private readonly boss: PgBoss;
  private readonly defs = new Map<string, JobDefinition<any>>();
  private started = false;

  constructor(
    database: Database,
    private readonly logger: Logger,
  ) {
    this.boss = new PgBoss({
      db: { executeSql: (text, values) => database.executeSql(text, values) },
      schema: 'pgboss',
      // The server's own maintenance and cron scheduling run in one process at a time (pg-boss locks).
      supervise: true,
      schedule: true,
    });
    this.boss.on('error', (err) => this.logger.error({ err }, 'job queue error'));
  }

  define<T>(def: JobDefinition<T>): void {
    if (this.started) throw new Error(`job ${def.name} defined after start`);
    this.defs.set(def.name, def as JobDefinition<any>);
  }

  async start(opts: JobQueueOptions): Promise<void> {
    await this.boss.start();
    this.started = true;
    for (const def of this.defs.values()) {
      const name = queueName(def);
      await this.boss.createQueue(name, { name, retryLimit: def.retryLimit ?? 3, retryBackoff: true });
      if (def.cron) await this.boss.schedule(name, def.cron, {}, { tz: 'UTC', singletonKey: name });
      if (opts.work) {
        await this.boss.work(name, { pollingIntervalSeconds: opts.pollingIntervalSeconds ?? 2, batchSize: def.batchSize ?? 10 }, async (jobs) => {
          for (const job of jobs) {
            const parsed = def.schema.safeParse(job.data ?? {});
            if (!parsed.success) {
              this.logger.error({ job: name, id: job.id, issues: parsed.error.issues }, 'job payload rejected');
              throw new Error(`invalid payload for ${name}: ${parsed.error.message}`);
            }
            const t0 = Date.now();
            await def.handler(parsed.data, { id: job.id });
            this.logger.info({ job: name, id: job.id, ms: Date.now() - t0 }, 'job done');
          }
        });
      }
    }
  }

  /** Enqueue after the transaction that caused it has committed. */
  async send<T>(name: string, payload: T, opts: { singletonKey?: string; startAfterSeconds?: number } = {}): Promise<string | null> {
    const def = this.defs.get(name);
    if (!def) throw new Error(`unknown job ${name}`);
    const data = def.schema.parse(payload) as object;
    return this.boss.send(queueName(def), data, { singletonKey: opts.singletonKey, startAfter: opts.startAfterSeconds });
  }

  /** Jobs waiting per queue, for the UI and /metrics. */
  async stats(): Promise<{ name: string; queued: number }[]> {
    const out = [];
    for (const def of this.defs.values()) {
      const name = queueName(def);
      out.push({ name, queued: await this.boss.getQueueSize(name) });
    }
    return out;
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    await this.boss.stop({ graceful: true, wait: true, timeout: 10_000 });
  }
}
