import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { elapsedPercent } from '../../src/domain/priority/deadline.js';
import { DEFAULT_POLICY } from '../../src/domain/priority/policy.js';
import { editPolicy } from '../../src/services/priority/policy.service.js';
import * as assets from '../../src/services/assets/assets.service.js';
import { listEscalations } from '../../src/services/escalation/log.service.js';
import { elapsedAtLeast, runEscalations } from '../../src/services/escalation/run.js';
import { deliverPending } from '../../src/services/notifications/deliveries.js';
import { createWebhook } from '../../src/services/notifications/webhooks.service.js';
import * as teams from '../../src/services/teams/teams.service.js';
import { createUser, updateUser } from '../../src/services/users/users.service.js';
import type { Database } from '../../src/storage/db.js';
import { operator } from '../support/app.js';
import { freshDatabase } from '../support/db.js';
import { configure, DAY, prioritisedFinding, type Receiver, type SmtpServer, startReceiver, startSmtp, testSecretKey } from './support.js';

/**
 * The policy's escalation rules on a real database, with real mail to an SMTP
 * server process and real webhook calls to a local receiver. The default
 * policy: "Owner at half time" (50 %, high and up, owner, e-mail + in-app)
 * and "Breach" (100 %, low and up, owner + manager + security, e-mail +
 * webhook + in-app).
 */
const NOW = new Date('2027-03-01T12:00:00Z');
let database: Database;
let smtp: SmtpServer;
let hooks: Receiver;
const key = testSecretKey();
const u: Record<string, string> = {};
const f: Record<string, string> = {};

async function user(name: string, role: 'system_owner' | 'security_analyst' | 'admin' | 'senior_manager', email: string | null) {
  u[name] = (await createUser(database.db, operator, { username: name, displayName: name[0]?.toUpperCase() + name.slice(1), role, email, password: 'correct horse battery staple' })).id;
}

let vulnCount = 0;
async function finding(name: string, assetId: string, p: { priority: number; classSince: Date; dueAt: Date; status?: string; exceptionId?: string }) {
  f[name] = await prioritisedFinding(database, `CVE-2027-${1000 + ++vulnCount}`, assetId, p);
}

const at = (days: number) => new Date(NOW.getTime() + days * DAY);
const mailsTo = (address: string) => smtp.messages().filter((m) => m.to.includes(address));
const log = () => database.db.selectFrom('finding_escalations').selectAll().orderBy('id').execute();
const inApp = async (name: string) => database.db.selectFrom('notifications').selectAll().where('user_id', '=', u[name] as string).orderBy('id').execute();

beforeAll(async () => {
  database = await freshDatabase();
  const db = database.db;
  // Priorities are set by hand below; nothing may re-prioritise them.
  await db.deleteFrom('priority_requests').execute();
  [smtp, hooks] = await Promise.all([startSmtp(), startReceiver()]);
  configure({ smtpUrl: smtp.url, key });

  await user('olivia', 'system_owner', 'olivia@example.test');
  await user('max', 'senior_manager', 'max@example.test');
  await user('mary', 'system_owner', 'mary@example.test');
  await user('tom', 'system_owner', 'tom@example.test');
  await user('tina', 'system_owner', null);
  await user('sam', 'security_analyst', 'sam@example.test');
  await user('dan', 'security_analyst', 'dan@example.test');
  await user('ada', 'admin', 'ada@example.test');
  await updateUser(db, operator, u.dan as string, { disabled: true });
  const web = await teams.createTeam(db, operator, { name: 'Web team', email: 'web-team@example.test', managerUserId: u.mary, memberIds: [u.tom as string, u.tina as string] });
  await teams.createTeam(db, operator, { name: 'Ops', managerUserId: u.max, memberIds: [u.olivia as string] });
  const base = { environment: 'production', systemType: 'web_server', businessCriticality: 'high', networkExposure: 'internal' } as const;
  const a = (await assets.createAsset(db, operator, { ...base, hostname: 'olivia-app-01', ownerUserId: u.olivia })).id;
  const b = (await assets.createAsset(db, operator, { ...base, hostname: 'shop-web-01', ownerTeamId: web.id })).id;
  const c = (await assets.createAsset(db, operator, { ...base, hostname: 'nobody-01' })).id;

  // 16 of 30 days: past half time, not due.
  await finding('olivia', a, { priority: 3, classSince: at(-16), dueAt: at(14) });
  // Critical, a day overdue: half time and breach.
  await finding('team', b, { priority: 4, classSince: at(-8), dueAt: at(-1) });
  // Low at 55 %: half time is for high and up.
  await finding('low', a, { priority: 1, classSince: at(-100), dueAt: at(80) });
  await finding('excepted', b, { priority: 4, classSince: at(-30), dueAt: at(-23), exceptionId: randomUUID() });
  await finding('resolved', b, { priority: 4, classSince: at(-30), dueAt: at(-23), status: 'resolved' });
  await finding('unowned', c, { priority: 2, classSince: at(-91), dueAt: at(-1) });

  await createWebhook(db, operator, { name: '#vuln-alerts', url: `${hooks.url}/slack/T000/B000/XXXXsecretXXXX`, format: 'slack', enabled: true });
  await createWebhook(db, operator, { name: 'Teams: Security', url: `${hooks.url}/teams/workflows/abc/invoke?sig=SECRETSIG`, format: 'teams', enabled: true });
  await createWebhook(db, operator, { name: 'old channel', url: `${hooks.url}/disabled`, format: 'slack', enabled: false });
  hooks.failing.add('/teams/workflows/abc/invoke?sig=SECRETSIG');
}, 60_000);

afterAll(async () => {
  await Promise.all([database?.close(), smtp?.stop(), hooks?.close()]);
});

describe('escalation rules', () => {
  it('fires the half-time and breach rules for the findings that reached them, and nothing else', async () => {
    const r = await runEscalations(database.db, NOW);
    expect(r.rules).toEqual([
      { name: 'Owner at half time', findings: 2 },
      { name: 'Breach', findings: 2 },
    ]);
    const rows = await log();
    expect(rows.map((x) => [x.rule, String(x.finding_id), x.due_at?.toISOString()]).sort()).toEqual(
      [
        ['Breach', f.team, at(-1).toISOString()],
        ['Breach', f.unowned, at(-1).toISOString()],
        ['Owner at half time', f.olivia, at(14).toISOString()],
        ['Owner at half time', f.team, at(-1).toISOString()],
      ].sort(),
    );
    expect(rows.every((x) => x.kind === 'rule' && x.policy_version === 1 && x.sent_at.getTime() === NOW.getTime())).toBe(true);
    // One audit record for the run, with its counts.
    const audit = await sql<{ action: string; after: any }>`select action, after from audit_log where action = 'escalation.run'`.execute(database.db);
    expect(audit.rows).toHaveLength(1);
    expect(audit.rows[0]?.after).toMatchObject({ findings: 4, rules: r.rules, emails: 4, webhooks: 2, inApp: 5 });
  });

  it('resolves the audiences: owner user, team address (members in the app), team manager, security (not disabled, not admins)', async () => {
    const addresses = smtp.messages().flatMap((m) => m.to).sort();
    expect(addresses).toEqual(['mary@example.test', 'olivia@example.test', 'sam@example.test', 'web-team@example.test']);
    const [olivia] = mailsTo('olivia@example.test');
    expect(olivia?.subject).toBe('[patchloop] Escalation: 1 finding needs attention');
    expect(olivia?.user).toBe('mailer'); // authenticated with the URL's credentials
    expect(olivia?.from).toBe('patchloop@patchloop.test');
    expect(olivia?.text).toContain('Hello Olivia,');
    expect(olivia?.text).toContain('Owner at half time: 50 % of the SLA window elapsed (1 finding)');
    expect(olivia?.text).toMatch(/olivia-app-01 {2}CVE-2027-\d+ {2}high {2}due 2027-03-15/);
    expect(olivia?.text).toContain(`https://patchloop.test/findings/${f.olivia}`);
    expect(olivia?.text).toContain('you own the affected systems');
    expect(olivia?.text).not.toContain('shop-web-01');
    // The team's address gets both rules in one mail.
    const [team] = mailsTo('web-team@example.test');
    expect(team?.text).toContain('Owner at half time');
    expect(team?.text).toContain('Breach: the due date has passed (1 finding)');
    expect(team?.text).toMatch(/shop-web-01 {2}CVE-2027-\d+ {2}critical {2}due 2027-02-28 \(overdue\)/);
    const [mary] = mailsTo('mary@example.test');
    expect(mary?.text).toContain('you manage the team that owns the affected systems');
    expect(mary?.text).not.toContain('Owner at half time');
    const [sam] = mailsTo('sam@example.test');
    expect(sam?.text).toContain('Breach: the due date has passed (2 findings)');
    expect(sam?.text).toContain('nobody-01');
    // In the app: the team's members too (Tina has no address), one notification each for the run.
    expect((await inApp('tom')).map((n) => n.title)).toEqual(['Escalation: 1 finding needs attention']);
    expect(await inApp('tina')).toHaveLength(1);
    expect(await inApp('mary')).toHaveLength(1);
    expect(await inApp('sam')).toHaveLength(1);
    const [o] = await inApp('olivia');
    expect(o).toMatchObject({ kind: 'escalation', link: `/findings/${f.olivia}`, read_at: null });
    for (const nobody of ['max', 'dan', 'ada']) expect(await inApp(nobody)).toEqual([]);
    // The log of the team's breach names everyone it reached: its own recipients on the row, security once for the run.
    const row = (await log()).find((x) => x.rule === 'Breach' && String(x.finding_id) === f.team);
    const own = ((row?.summary ?? {}) as { recipients: { name: string }[] }).recipients.map((x) => x.name);
    expect(own).not.toContain('Sam');
    const run = await database.db.selectFrom('escalation_runs').selectAll().where('run_id', '=', row?.run_id as string).executeTakeFirstOrThrow();
    expect(run.security).toEqual([{ userId: expect.any(String), name: 'Sam', email: 'sam@example.test' }]);
    const entry = (await listEscalations(database.db, operator, { findingId: f.team, limit: 10 })).items.find((x) => x.rule === 'Breach');
    expect(entry?.channels).toEqual(['email', 'webhook', 'in_app']);
    expect(entry?.recipients.map((x) => [x.name, x.email, x.via.sort().join('+')]).sort()).toEqual([
      ['Mary', 'mary@example.test', 'owner_manager'],
      ['Sam', 'sam@example.test', 'security'],
      ['Tina', null, 'owner'],
      ['Tom', null, 'owner'],
      ['web-team@example.test', 'web-team@example.test', 'owner'],
    ]);
  });

  it('posts one message per rule to each enabled webhook: Slack {text, blocks} and a Teams Adaptive Card', async () => {
    expect(hooks.received.map((x) => x.path).sort()).toEqual(['/slack/T000/B000/XXXXsecretXXXX', '/teams/workflows/abc/invoke?sig=SECRETSIG']);
    const slack = hooks.received.find((x) => x.path.startsWith('/slack'));
    expect(slack?.contentType).toContain('application/json');
    expect(typeof slack?.body.text).toBe('string');
    expect(slack?.body.text).toContain('2 findings');
    expect(slack?.body.blocks[0]).toMatchObject({ type: 'header', text: { type: 'plain_text' } });
    const section = JSON.stringify(slack?.body.blocks);
    expect(section).toContain('Breach: the due date has passed');
    expect(section).toContain(`<https://patchloop.test/findings/${f.team}|shop-web-01 · CVE-2027-`);
    expect(section).not.toContain('Owner at half time'); // that rule has no webhook channel
    const teams = hooks.received.find((x) => x.path.startsWith('/teams'));
    expect(teams?.body).toMatchObject({ type: 'message', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content: { type: 'AdaptiveCard', version: '1.2' } }] });
    const card = teams?.body.attachments[0].content;
    expect(card.$schema).toBe('http://adaptivecards.io/schemas/adaptive-card.json');
    expect(card.body.map((b: { type: string }) => b.type).every((t: string) => t === 'TextBlock')).toBe(true);
    expect(JSON.stringify(card.body)).toContain(`(https://patchloop.test/findings/${f.team})`);
    expect(card.actions[0]).toMatchObject({ type: 'Action.OpenUrl', title: 'Open in patchloop' });
  });

  it('records a failing webhook without breaking the run', async () => {
    const d = await database.db.selectFrom('notification_deliveries').selectAll().where('channel', '=', 'webhook').orderBy('id').execute();
    expect(d.map((x) => x.status).sort()).toEqual(['pending', 'sent']);
    const failed = d.find((x) => x.status === 'pending');
    expect(failed).toMatchObject({ attempts: 1 });
    expect(failed?.last_error).toBe('the webhook answered HTTP 500: channel_is_archived');
    const teams = await database.db.selectFrom('notification_webhooks').selectAll().where('name', '=', 'Teams: Security').executeTakeFirstOrThrow();
    expect([teams.last_status, teams.last_error]).toEqual(['failed', 'the webhook answered HTTP 500: channel_is_archived']);
    // Nothing about it leaks the URL's secret.
    expect(JSON.stringify(d)).not.toContain('SECRETSIG');
    const audit = await sql<{ t: string }>`select string_agg(coalesce(after::text, '') || coalesce(before::text, ''), ' ') as t from audit_log`.execute(database.db);
    expect(audit.rows[0]?.t).not.toContain('SECRETSIG');
  });

  it('does not fire a rule again for the same finding and due date; a run that fires nothing writes nothing', async () => {
    const mails = smtp.messages().length;
    const calls = hooks.received.length;
    const r = await runEscalations(database.db, NOW);
    expect(r).toMatchObject({ runId: null, findings: 0, emails: { queued: 0 }, webhooks: { queued: 0 } });
    expect(await log()).toHaveLength(4);
    expect(smtp.messages()).toHaveLength(mails);
    expect(hooks.received).toHaveLength(calls);
    const audit = await sql<{ n: number }>`select count(*)::int as n from audit_log where action = 'escalation.run'`.execute(database.db);
    expect(audit.rows[0]?.n).toBe(1);
  });

  it('at breach, a user-owned asset escalates to the managers of the owner’s teams', async () => {
    smtp.clear();
    const r = await runEscalations(database.db, at(15));
    expect(r.rules).toEqual([
      { name: 'Owner at half time', findings: 0 },
      { name: 'Breach', findings: 1 },
    ]);
    expect(smtp.messages().flatMap((m) => m.to).sort()).toEqual(['max@example.test', 'olivia@example.test', 'sam@example.test']);
    expect(mailsTo('max@example.test')[0]?.text).toContain('olivia-app-01');
  });

  it('a new due date may fire a rule again', async () => {
    smtp.clear();
    // An SLA extension: the team's finding is now due in 30 days; 23 of 38 days have elapsed at day 15.
    await sql`update findings set due_at = ${at(30)} where id = ${f.team}`.execute(database.db);
    const r = await runEscalations(database.db, at(15));
    expect(r.rules).toEqual([
      { name: 'Owner at half time', findings: 1 },
      { name: 'Breach', findings: 0 },
    ]);
    const rows = (await log()).filter((x) => String(x.finding_id) === f.team && x.rule === 'Owner at half time');
    expect(rows.map((x) => x.due_at?.toISOString())).toEqual([at(-1).toISOString(), at(30).toISOString()]);
    expect(smtp.messages().flatMap((m) => m.to)).toEqual(['web-team@example.test']);
  });

  it('records a failing mail server without breaking the run, and the delivery job sends the mail later', async () => {
    const refusing = await startSmtp('reject');
    try {
      configure({ smtpUrl: refusing.url, key });
      await finding('late', (await database.db.selectFrom('assets').select('id').where('hostname', '=', 'nobody-01').executeTakeFirstOrThrow()).id, { priority: 3, classSince: at(-40), dueAt: at(-10) });
      const r = await runEscalations(database.db, NOW);
      expect(r).toMatchObject({ findings: 2, emails: { queued: 1, sent: 0, failed: 1 } });
      // The escalation stands: logged, in the app.
      expect((await log()).filter((x) => String(x.finding_id) === f.late).map((x) => x.rule).sort()).toEqual(['Breach', 'Owner at half time']);
      expect((await inApp('sam')).at(-1)?.body).toContain('nobody-01');
      const d = await database.db.selectFrom('notification_deliveries').selectAll().where('channel', '=', 'email').where('run_id', '=', r.runId as string).executeTakeFirstOrThrow();
      expect(d).toMatchObject({ target: 'sam@example.test', status: 'pending', attempts: 1 });
      expect(d.last_error).toMatch(/550|Mailbox unavailable/);
      expect(refusing.messages()).toEqual([]);

      // The mail server is back: the retry (when its wait is over) delivers it.
      configure({ smtpUrl: smtp.url, key });
      smtp.clear();
      await sql`update notification_deliveries set next_attempt_at = now() - interval '1 second' where id = ${d.id}`.execute(database.db);
      const again = await deliverPending(database.db);
      expect(again.sent).toBeGreaterThanOrEqual(1);
      expect(mailsTo('sam@example.test')).toHaveLength(1);
      expect((await database.db.selectFrom('notification_deliveries').select(['status', 'attempts']).where('id', '=', d.id).executeTakeFirstOrThrow())).toEqual({ status: 'sent', attempts: 2 });
    } finally {
      configure({ smtpUrl: smtp.url, key });
      await refusing.stop();
    }
  });

  it('the SQL test of "share of the SLA elapsed" agrees with elapsedPercent()', async () => {
    const cases: [Date, Date][] = [
      [at(-10), at(10)],
      [at(-10), at(-1)],
      [at(-1), at(-1)],
      [at(1), at(1)],
      [at(-3), at(0)],
      [new Date(NOW.getTime() - 5000), new Date(NOW.getTime() + 5000)],
      [at(-75), at(25)],
    ];
    const values = sql.join(cases.map(([cs, due], i) => sql`(${i}::int, ${cs.toISOString()}::timestamptz, ${due.toISOString()}::timestamptz)`));
    for (const pct of [1, 25, 50, 75, 100, 150, 1000]) {
      const r = await sql<{ i: number }>`select i from (values ${values}) as f (i, class_since, due_at) where ${elapsedAtLeast(pct, NOW)} order by i`.execute(database.db);
      const expected = cases.map(([cs, due], i) => ((elapsedPercent({ dueAt: due, classSince: cs }, NOW) ?? -1) >= pct ? i : -1)).filter((i) => i >= 0);
      expect(r.rows.map((x) => x.i), `${pct} %`).toEqual(expected);
    }
  });
  it('the risk owner of an exception requested and not yet decided hears of the breach (audience risk_owner)', async () => {
    const doc = structuredClone(DEFAULT_POLICY);
    doc.escalation = [{ name: 'Risk owner at breach', atPercent: 100, minPriority: 'low', notify: ['risk_owner'], channels: ['email', 'in_app'] }];
    await editPolicy(database.db, operator, { document: doc, reason: 'test: escalate to risk owners' });
    await database.db.deleteFrom('priority_requests').execute();
    const asset = (await assets.createAsset(database.db, operator, { hostname: 'legacy-erp-01', environment: 'production', systemType: 'application_server', businessCriticality: 'high', networkExposure: 'internal' })).id;
    await finding('waiting', asset, { priority: 3, classSince: at(-40), dueAt: at(-10) });
    await finding('undecided-elsewhere', asset, { priority: 3, classSince: at(-40), dueAt: at(-10) });
    await database.db
      .insertInto('risk_exceptions')
      .values({ scope: 'finding', finding_id: f.waiting, justification: 'ERP vendor patch only in Q2', risk_owner_id: u.max, expires_on: '2027-06-30', review_interval_days: 365, requested_by_name: 'olivia' } as never)
      .execute();
    smtp.clear();
    const r = await runEscalations(database.db, NOW);
    // Every overdue finding reaches the new rule (the team's and the unowned one from above, and these two)…
    expect(r.rules).toEqual([{ name: 'Risk owner at breach', findings: 4 }]);
    // …but only the one with a pending request has a risk owner; the others reach nobody under this rule.
    expect(smtp.messages().flatMap((m) => m.to)).toEqual(['max@example.test']);
    expect(mailsTo('max@example.test')[0]?.text).toContain('legacy-erp-01');
    expect((await inApp('max')).at(-1)?.body).toContain('legacy-erp-01');
    expect(mailsTo('max@example.test')[0]?.text).toContain('you are the risk owner of an exception requested for them');
  });
});
