import { sql } from 'kysely';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { JobQueue } from '../../src/jobs/queue.js';
import { migrations } from '../../src/storage/migrations/index.js';
import { type Database, migrate, openPostgres } from '../../src/storage/db.js';
import { emptyPostgresDatabase, freshDatabase, onPostgres } from '../support/db.js';

const logger = pino({ level: 'silent' });

async function until(fn: () => Promise<boolean>, ms = 30_000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('timed out');
}

/** A queue with a job that records each run (and its worker) in a table the test owns. */
function queueWithProbe(database: Database, worker: string) {
  const q = new JobQueue(database, logger);
  q.define({
    name: 'test.probe',
    version: 1,
    schema: z.object({ n: z.number().int() }),
    async handler(payload) {
      // Some work time, so both workers are busy at once.
      await new Promise((r) => setTimeout(r, 5));
      await sql`insert into job_probe_runs (n, worker) values (${payload.n}, ${worker})`.execute(database.db);
    },
  });
  return q;
}

describe('job queue in the same database', () => {
  it('runs a job in the process that sends it (embedded or server)', async () => {
    const database = await freshDatabase();
    try {
      await sql`create table job_probe_runs (n int not null, worker text not null)`.execute(database.db);
      const q = queueWithProbe(database, 'only');
      await q.start({ work: true, pollingIntervalSeconds: 0.5 });
      await q.send('test.probe', { n: 1 });
      await until(async () => (await sql<{ c: number }>`select count(*)::int as c from job_probe_runs`.execute(database.db)).rows[0]?.c === 1);
      await expect(q.send('test.probe', { n: 'x' } as never)).rejects.toThrow();
      await q.stop();
    } finally {
      await database.close();
    }
  });

  describe.skipIf(!onPostgres())('two workers on one PostgreSQL (set PATCHLOOP_TEST_DATABASE_URL to run)', () => {
    let a: Database & { url?: string };
    let b: Database;
    beforeAll(async () => {
      a = await freshDatabase();
      b = openPostgres(a.url as string, 5);
      await sql`create table job_probe_runs (n int not null, worker text not null)`.execute(a.db);
    });
    afterAll(async () => {
      await b.close();
      await a.close();
    });

    it('runs each of 300 jobs exactly once, shared between the workers', async () => {
      const producer = new JobQueue(a, logger);
      producer.define({ name: 'test.probe', version: 1, schema: z.object({ n: z.number().int() }), handler: async () => {} });
      await producer.start({ work: false });
      const w1 = queueWithProbe(a, 'w1');
      const w2 = queueWithProbe(b, 'w2');
      await Promise.all([w1.start({ work: true, pollingIntervalSeconds: 0.5 }), w2.start({ work: true, pollingIntervalSeconds: 0.5 })]);
      for (let n = 0; n < 300; n++) await producer.send('test.probe', { n });
      await until(async () => (await sql<{ c: number }>`select count(*)::int as c from job_probe_runs`.execute(a.db)).rows[0]?.c === 300, 60_000);
      // Give any duplicate delivery time to show up.
      await new Promise((r) => setTimeout(r, 1500));
      const rows = (await sql<{ n: number; runs: number }>`select n, count(*)::int as runs from job_probe_runs group by n`.execute(a.db)).rows;
      expect(rows).toHaveLength(300);
      expect(rows.filter((r) => r.runs !== 1)).toEqual([]);
      const byWorker = (await sql<{ worker: string; c: number }>`select worker, count(*)::int as c from job_probe_runs group by worker`.execute(a.db)).rows;
      expect(byWorker.map((w) => w.worker).sort()).toEqual(['w1', 'w2']);
      await Promise.all([w1.stop(), w2.stop(), producer.stop()]);
    }, 90_000);

    it('migrations are safe when two processes start at once', async () => {
      const url = await emptyPostgresDatabase();
      const one = openPostgres(url, 2);
      const two = openPostgres(url, 2);
      try {
        const results = await Promise.all([migrate(one.db), migrate(two.db)]);
        // Each migration ran once, in one of the two processes.
        expect(results.flat().sort()).toEqual(Object.keys(migrations).sort());
        expect(await migrate(one.db)).toEqual([]);
      } finally {
        await one.close();
        await two.close();
      }
    });
  });
});
