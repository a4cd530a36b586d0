import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as assets from '../../src/services/assets/assets.service.js';
import { importFeed } from '../../src/services/feeds/feeds.service.js';
import { createWebhook } from '../../src/services/notifications/webhooks.service.js';
import { processPriorityRequests } from '../../src/services/priority/worker.js';
import { createUser } from '../../src/services/users/users.service.js';
import type { Database } from '../../src/storage/db.js';
import { operator } from '../support/app.js';
import { freshDatabase } from '../support/db.js';
import { configure, DAY, type Receiver, type SmtpServer, startReceiver, startSmtp, testSecretKey } from './support.js';

/**
 * The end-to-end test of issue #6 (INC-1): a KEV catalogue update imported
 * through the feed service makes a finding on an internet-facing asset an
 * emergency, moves its due date earlier, and the owner and security get the
 * mail, and the chat channel the message, before the import returns.
 */
const kevDoc = (entries: { cve: string; added: string; due: string }[]) =>
  Buffer.from(
    JSON.stringify({
      title: 'CISA Catalog of Known Exploited Vulnerabilities', catalogVersion: '2027.01.15', dateReleased: '2027-01-15T12:00:00.000Z', count: entries.length,
      vulnerabilities: entries.map((e) => ({
        cveID: e.cve, vendorProject: 'Example', product: 'Widget', vulnerabilityName: 'Widget RCE', dateAdded: e.added, shortDescription: 'Remote code execution.',
        requiredAction: 'Apply updates.', dueDate: e.due, knownRansomwareCampaignUse: 'Unknown', notes: '', cwes: [],
      })),
    }),
  );

describe('a KEV addition escalates within the feed import', () => {
  let database: Database;
  let smtp: SmtpServer;
  let hooks: Receiver;
  let findingId: string;
  const detected = new Date(Date.now() - 2 * DAY);
  const day = (offset: number) => new Date(Date.now() + offset * DAY).toISOString().slice(0, 10);

  beforeAll(async () => {
    database = await freshDatabase();
    const db = database.db;
    [smtp, hooks] = await Promise.all([startSmtp(), startReceiver()]);
    configure({ smtpUrl: smtp.url, key: testSecretKey() });
    const owner = await createUser(db, operator, { username: 'olivia', displayName: 'Olivia Owner', role: 'system_owner', email: 'olivia@example.test', password: 'correct horse battery staple' });
    await createUser(db, operator, { username: 'sam', displayName: 'Sam Security', role: 'security_analyst', email: 'sam@example.test', password: 'correct horse battery staple' });
    const web = await assets.createAsset(db, operator, { hostname: 'web-01', environment: 'production', systemType: 'web_server', businessCriticality: 'high', networkExposure: 'internet_facing', ownerUserId: owner.id });
    const v = await db.insertInto('vulnerabilities').values({ id: 'CVE-2027-3000', cvss_score: 6.1, cvss_version: '3.1', updated_at: new Date() } as never).returning('num').executeTakeFirstOrThrow();
    const f = await db
      .insertInto('findings')
      .values({ asset_id: web.id, vulnerability_num: v.num, name_id: 0, package_id: null, source: 'nessus', first_seen: detected, last_seen: detected } as never)
      .returning('id')
      .executeTakeFirstOrThrow();
    findingId = String(f.id);
    await processPriorityRequests(db);
    await createWebhook(db, operator, { name: '#vuln-alerts', url: `${hooks.url}/services/T0/B0/secret`, format: 'slack', enabled: true });
  }, 60_000);

  afterAll(async () => {
    await Promise.all([database?.close(), smtp?.stop(), hooks?.close()]);
  });

  const get = () => database.db.selectFrom('findings').selectAll().where('id', '=', findingId).executeTakeFirstOrThrow();

  it('makes the finding an emergency, moves its due date, and has sent the mail and the webhook when importFeed returns', async () => {
    const before = await get();
    // 6.1 + 0.5 (high criticality) + 1 (internet facing) = 7.6: high, 30 days from detection.
    expect([before.priority, before.emergency, before.sla_days]).toEqual([3, false, 30]);
    expect(smtp.messages()).toEqual([]);

    const summary = await importFeed(database.db, operator, 'kev', kevDoc([{ cve: 'CVE-2027-3000', added: day(0), due: day(21) }]), { source: 'test' });
    expect(summary.reprioritised).toMatchObject({ raised: 1 });

    const after = await get();
    expect([after.priority, after.emergency, after.sla_days]).toEqual([4, true, 3]);
    expect(after.due_at?.getTime()).toBeLessThan(before.due_at?.getTime() as number);
    expect(after.due_at?.getTime()).toBeLessThanOrEqual(Date.now() + 3 * DAY);

    // No waiting: the mail and the chat message went out inside the import.
    const mails = smtp.messages();
    expect(mails.flatMap((m) => m.to).sort()).toEqual(['olivia@example.test', 'sam@example.test']);
    for (const m of mails) {
      expect(m.subject).toMatch(/^\[EMERGENCY\] \[patchloop\] 1 emergency among 1 raised finding$/);
      expect(m.text).toContain('EMERGENCY: actively exploited vulnerabilities on exposed systems');
      expect(m.text).toContain('kev feed 2027.01.15');
      expect(m.text).toMatch(/web-01 {2}CVE-2027-3000 {2}EMERGENCY {2}due \d{4}-\d{2}-\d{2}/);
      expect(m.text).toContain(`https://patchloop.test/findings/${findingId}`);
    }
    expect(mails.find((m) => m.to.includes('olivia@example.test'))?.text).toContain('you own the affected systems');
    expect(hooks.received).toHaveLength(1);
    expect(hooks.received[0]?.body.text).toMatch(/^EMERGENCY: /);
    expect(JSON.stringify(hooks.received[0]?.body.blocks)).toContain(':rotating_light: EMERGENCY');

    const log = await database.db.selectFrom('finding_escalations').selectAll().execute();
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ kind: 'raised', rule: 'Emergency', policy_version: 1 });
    expect(log[0]?.due_at?.getTime()).toBe(after.due_at?.getTime());
    const inApp = await database.db.selectFrom('notifications').select(['kind', 'title', 'link']).execute();
    expect(inApp).toHaveLength(2);
    expect(inApp[0]).toMatchObject({ kind: 'emergency', link: `/findings/${findingId}` });
    expect(inApp[0]?.title).toMatch(/^EMERGENCY: /);
  });

  it('importing the same catalogue again raises nothing and sends nothing', async () => {
    smtp.clear();
    const calls = hooks.received.length;
    const summary = await importFeed(database.db, operator, 'kev', kevDoc([{ cve: 'CVE-2027-3000', added: day(0), due: day(21) }]), { source: 'test' });
    expect(summary.reprioritised?.raised ?? 0).toBe(0);
    expect(smtp.messages()).toEqual([]);
    expect(hooks.received).toHaveLength(calls);
  });

  it('announces findings that are emergencies when first detected, each recipient with their own figures', async () => {
    const db = database.db;
    await importFeed(db, operator, 'kev', kevDoc([{ cve: 'CVE-2027-3000', added: day(0), due: day(21) }, { cve: 'CVE-2027-3001', added: day(0), due: day(21) }]), { source: 'test' });
    const peter = await createUser(db, operator, { username: 'peter', displayName: 'Peter Payments', role: 'system_owner', email: 'peter@example.test', password: 'correct horse battery staple' });
    const olivia = await db.selectFrom('users').select('id').where('username', '=', 'olivia').executeTakeFirstOrThrow();
    const pay = await assets.createAsset(db, operator, { hostname: 'pay-01', environment: 'production', systemType: 'web_server', businessCriticality: 'high', networkExposure: 'internet_facing', ownerUserId: peter.id });
    const lab = await assets.createAsset(db, operator, { hostname: 'lab-01', environment: 'test', systemType: 'web_server', businessCriticality: 'low', networkExposure: 'internal', ownerUserId: olivia.id });
    const web = await db.selectFrom('assets').select('id').where('hostname', '=', 'web-01').executeTakeFirstOrThrow();
    const v = await db.selectFrom('vulnerabilities').select('num').where('id', '=', 'CVE-2027-3001').executeTakeFirstOrThrow();
    await processPriorityRequests(db);
    smtp.clear();
    const calls = hooks.received.length;
    // A scan finds CVE-2027-3001 on two exposed systems (emergencies) and on an internal lab host (not one).
    for (const assetId of [web.id, pay.id, lab.id]) {
      await db.insertInto('findings').values({ asset_id: assetId, vulnerability_num: v.num, name_id: 0, package_id: null, source: 'nessus', first_seen: new Date(), last_seen: new Date() } as never).execute();
    }
    const run = await processPriorityRequests(db);
    expect(run.runs.find((r) => r.trigger === 'detected')).toMatchObject({ evaluated: 3, raisedCount: 2 });

    const mails = smtp.messages();
    const to = (who: string) => mails.filter((m) => m.to.includes(who));
    expect(mails.flatMap((m) => m.to).sort()).toEqual(['olivia@example.test', 'peter@example.test', 'sam@example.test']);
    expect(to('olivia@example.test')[0]?.subject).toBe('[EMERGENCY] [patchloop] 1 new emergency');
    expect(to('peter@example.test')[0]?.subject).toBe('[EMERGENCY] [patchloop] 1 new emergency');
    expect(to('sam@example.test')[0]?.subject).toBe('[EMERGENCY] [patchloop] 2 new emergencies');
    expect(to('sam@example.test')[0]?.text).toContain('Newly detected or reopened');
    expect(to('sam@example.test')[0]?.text).not.toContain('lab-01');
    expect(hooks.received).toHaveLength(calls + 1);
    const logged = await db.selectFrom('finding_escalations').select('rule').where('kind', '=', 'raised').where('sent_at', '>', new Date(Date.now() - 60_000)).execute();
    expect(logged.filter((r) => r.rule === 'Emergency')).toHaveLength(3);

    // Evaluated again with nothing new: no second announcement.
    smtp.clear();
    await processPriorityRequests(db);
    expect(smtp.messages()).toEqual([]);
  });
});
