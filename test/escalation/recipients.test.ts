import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as assets from '../../src/services/assets/assets.service.js';
import { listEscalations } from '../../src/services/escalation/log.service.js';
import { runEscalations } from '../../src/services/escalation/run.js';
import { createUser } from '../../src/services/users/users.service.js';
import type { Database } from '../../src/storage/db.js';
import { operator } from '../support/app.js';
import { freshDatabase } from '../support/db.js';
import { configure, DAY, prioritisedFinding, type SmtpServer, startSmtp, testSecretKey } from './support.js';

/**
 * The security audience is resolved once per run (recipients.ts), not per
 * finding: an analyst who also owns systems must still get one mail with the
 * exact number of findings — every finding of the rules that tell security,
 * and their own findings of the rules that do not — and the escalation log
 * must still name everyone each finding reached. Default policy: "Owner at
 * half time" (owner only) and "Breach" (owner, manager, security).
 */
const NOW = new Date('2027-05-03T12:00:00Z');
const at = (days: number) => new Date(NOW.getTime() + days * DAY);
let database: Database;
let smtp: SmtpServer;
const u: Record<string, string> = {};
const f: Record<string, string> = {};
let vulns = 0;

async function finding(name: string, assetId: string, p: { priority: number; classSince: Date; dueAt: Date }) {
  f[name] = await prioritisedFinding(database, `CVE-2027-${5000 + ++vulns}`, assetId, p);
}

beforeAll(async () => {
  database = await freshDatabase();
  const db = database.db;
  await db.deleteFrom('priority_requests').execute(); // the priorities below are set by hand
  smtp = await startSmtp();
  configure({ smtpUrl: smtp.url, key: testSecretKey() });
  for (const [name, role] of [['sara', 'security_analyst'], ['sam', 'security_analyst'], ['olivia', 'system_owner']] as const) {
    u[name] = (await createUser(db, operator, { username: name, displayName: name[0]?.toUpperCase() + name.slice(1), role, email: `${name}@example.test`, password: 'correct horse battery staple' })).id;
  }
  const base = { environment: 'production', systemType: 'database', businessCriticality: 'high', networkExposure: 'internal' } as const;
  const saraDb = (await assets.createAsset(db, operator, { ...base, hostname: 'sara-db-01', ownerUserId: u.sara })).id;
  const oliviaApp = (await assets.createAsset(db, operator, { ...base, hostname: 'olivia-app-01', ownerUserId: u.olivia })).id;
  await finding('saraHalf', saraDb, { priority: 3, classSince: at(-16), dueAt: at(14) }); // half time only
  await finding('saraBoth', saraDb, { priority: 4, classSince: at(-8), dueAt: at(-1) }); // half time and breach
  await finding('oliviaBreach', oliviaApp, { priority: 2, classSince: at(-91), dueAt: at(-1) }); // breach only (half time is high and up)
}, 60_000);

afterAll(async () => {
  await Promise.all([database?.close(), smtp?.stop()]);
});

describe('recipients of one escalation run', () => {
  it('gives an analyst who owns systems one mail counting each finding once', async () => {
    const r = await runEscalations(database.db, NOW);
    expect(r.rules).toEqual([
      { name: 'Owner at half time', findings: 2 },
      { name: 'Breach', findings: 2 },
    ]);
    const mails = (to: string) => smtp.messages().filter((m) => m.to.includes(to));
    expect(mails('sara@example.test')).toHaveLength(1);
    const [sara] = mails('sara@example.test');
    // Breach: saraBoth and oliviaBreach (as security); half time: saraHalf and saraBoth (as owner) — three findings.
    expect(sara?.subject).toBe('[patchloop] Escalation: 3 findings need attention');
    expect(sara?.text).toContain('Breach: the due date has passed (2 findings)');
    expect(sara?.text).toContain('Owner at half time: 50 % of the SLA window elapsed (2 findings)');
    expect(sara?.text).toContain('you own the affected systems');
    expect(sara?.text).toContain('you are in the security team');
    expect(mails('sam@example.test')[0]?.subject).toBe('[patchloop] Escalation: 2 findings need attention');
    expect(mails('sam@example.test')[0]?.text).not.toContain('Owner at half time');
    expect(mails('olivia@example.test')[0]?.subject).toBe('[patchloop] Escalation: 1 finding needs attention');
    const inApp = await database.db.selectFrom('notifications').select('title').where('user_id', '=', u.sara as string).execute();
    expect(inApp.map((n) => n.title)).toEqual(['Escalation: 3 findings need attention']);
  });

  it('keeps the security audience once for the run, and the log names everyone each finding reached', async () => {
    const runs = await database.db.selectFrom('escalation_runs').selectAll().execute();
    expect(runs).toHaveLength(1);
    expect(((runs[0]?.security ?? []) as { name: string }[]).map((m) => m.name)).toEqual(['Sam', 'Sara']);
    const names = async (finding: string, rule: string) =>
      (await listEscalations(database.db, operator, { findingId: f[finding], limit: 10 })).items
        .find((x) => x.rule === rule)
        ?.recipients.map((x) => `${x.name}:${[...x.via].sort().join('+')}`);
    expect(await names('saraBoth', 'Breach')).toEqual(['Sam:security', 'Sara:owner+security']);
    expect(await names('saraBoth', 'Owner at half time')).toEqual(['Sara:owner']);
    expect(await names('oliviaBreach', 'Breach')).toEqual(['Olivia:owner', 'Sam:security', 'Sara:security']);
    // Each finding's mail deliveries are those of its recipients.
    const oliviaLog = (await listEscalations(database.db, operator, { findingId: f.oliviaBreach, limit: 10 })).items[0];
    expect(oliviaLog?.deliveries.map((d) => d.target).sort()).toEqual(['olivia@example.test', 'sam@example.test', 'sara@example.test']);
  });
});
