import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as assets from '../../src/services/assets/assets.service.js';
import { notifyUsers } from '../../src/services/notifications/notify.js';
import { call, operator, type TestApp, testApp, userWithToken } from '../support/app.js';
import { DAY, type Receiver, type SmtpServer, startReceiver, startSmtp, testSecretKey } from './support.js';

/** The REST API of notifications, chat webhooks and escalation, over real HTTP handling, a real SMTP server and a local webhook receiver. */
let t: TestApp;
let smtp: SmtpServer;
let hooks: Receiver;
let admin: string;
let analyst: string;
let analystId: string;
let auditor: string;
let otherId: string;

const counts = async () => {
  const r = await sql<{ hooks: number; audit: number; notes: number; read: number }>`
    select (select count(*)::int from notification_webhooks) as hooks, (select count(*)::int from audit_log) as audit,
           (select count(*)::int from notifications) as notes, (select count(*)::int from notifications where read_at is not null) as read`.execute(t.database.db);
  return r.rows[0];
};

beforeAll(async () => {
  [smtp, hooks] = await Promise.all([startSmtp(), startReceiver()]);
  t = await testApp({ env: { PATCHLOOP_SECRET_KEY: testSecretKey(), PATCHLOOP_SMTP_URL: smtp.url, PATCHLOOP_PUBLIC_URL: 'https://patchloop.test', PATCHLOOP_MAIL_FROM: 'Patchloop <alerts@patchloop.test>' } });
  await t.database.db.deleteFrom('priority_requests').execute();
  ({ token: admin } = await userWithToken(t.database, 'admin', 'api-admin'));
  const a = await userWithToken(t.database, 'security_analyst', 'api-analyst');
  analyst = a.token;
  analystId = a.user.id;
  await t.database.db.updateTable('users').set({ email: 'analyst@example.test' }).where('id', '=', analystId).execute();
  ({ token: auditor } = await userWithToken(t.database, 'auditor', 'api-auditor'));
  otherId = (await userWithToken(t.database, 'system_owner', 'api-owner')).user.id;
}, 60_000);

afterAll(async () => {
  await t?.close();
  await Promise.all([smtp?.stop(), hooks?.close()]);
});

describe('chat webhooks', () => {
  let id: string;
  const url = () => `${hooks.url}/services/T0/B0/VERYSECRETTOKEN`;

  it('an administrator adds one; the URL is never shown again, stored sealed, and kept out of the audit trail', async () => {
    const r = await call(t.app, admin, 'POST', '/api/notification-webhooks', { name: '#vuln-alerts', url: url(), format: 'slack' });
    expect(r.statusCode, r.body).toBe(201);
    id = r.json().id;
    expect(r.json()).toMatchObject({ name: '#vuln-alerts', format: 'slack', enabled: true, createdBy: 'api-admin', lastDelivery: null });
    expect(r.json().urlHint).toBe(`${new URL(hooks.url).origin}/…OKEN`);
    const list = await call(t.app, admin, 'GET', '/api/notification-webhooks');
    expect(list.json()).toHaveLength(1);
    expect(list.body).not.toContain('VERYSECRET');
    const row = await t.database.db.selectFrom('notification_webhooks').selectAll().executeTakeFirstOrThrow();
    expect(row.url_sealed).not.toContain('VERYSECRET');
    const audit = await sql<{ t: string }>`select string_agg(after::text, ' ') as t from audit_log where entity_type = 'notification_webhook'`.execute(t.database.db);
    expect(audit.rows[0]?.t).toContain('#vuln-alerts');
    expect(audit.rows[0]?.t).not.toContain('VERYSECRET');
  });

  it('sends a test message and reports a failing channel as an answer', async () => {
    const ok = await call(t.app, admin, 'POST', `/api/notification-webhooks/${id}/test`);
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({ ok: true, error: null, webhook: { lastDelivery: { status: 'sent', error: null } } });
    expect(hooks.received.at(-1)).toMatchObject({ path: '/services/T0/B0/VERYSECRETTOKEN', body: { text: expect.stringContaining('Test message from patchloop') } });
    hooks.failing.add('/services/T0/B0/VERYSECRETTOKEN');
    const bad = await call(t.app, admin, 'POST', `/api/notification-webhooks/${id}/test`);
    expect(bad.json()).toMatchObject({ ok: false, error: 'the webhook answered HTTP 500: channel_is_archived', webhook: { lastDelivery: { status: 'failed' } } });
    hooks.failing.clear();
  });

  it('renames, switches off, re-points (a new URL) and removes', async () => {
    const off = await call(t.app, admin, 'PATCH', `/api/notification-webhooks/${id}`, { name: '#security', enabled: false });
    expect(off.json()).toMatchObject({ name: '#security', enabled: false });
    const moved = await call(t.app, admin, 'PATCH', `/api/notification-webhooks/${id}`, { url: `${hooks.url}/teams/NEWPATHSECRET`, format: 'teams', enabled: true });
    expect(moved.json()).toMatchObject({ format: 'teams', enabled: true, urlHint: `${new URL(hooks.url).origin}/…CRET`, lastDelivery: null });
    await call(t.app, admin, 'POST', `/api/notification-webhooks/${id}/test`);
    expect(hooks.received.at(-1)).toMatchObject({ path: '/teams/NEWPATHSECRET', body: { type: 'message' } });
    const gone = await call(t.app, admin, 'DELETE', `/api/notification-webhooks/${id}`);
    expect(gone.statusCode).toBe(204);
    expect((await call(t.app, admin, 'GET', '/api/notification-webhooks')).json()).toEqual([]);
    const actions = await sql<{ action: string }>`select action from audit_log where entity_type = 'notification_webhook' order by seq`.execute(t.database.db);
    expect(actions.rows.map((r) => r.action)).toEqual([
      'notification_webhook.create', 'notification_webhook.test', 'notification_webhook.test', 'notification_webhook.update', 'notification_webhook.update', 'notification_webhook.test', 'notification_webhook.delete',
    ]);
  });

  it('is for administrators only', async () => {
    for (const [method, path, body] of [
      ['GET', '/api/notification-webhooks', undefined],
      ['POST', '/api/notification-webhooks', { name: 'x', url: 'https://example.com/x', format: 'slack' }],
      ['PATCH', '/api/notification-webhooks/00000000-0000-4000-8000-000000000000', { enabled: false }],
      ['DELETE', '/api/notification-webhooks/00000000-0000-4000-8000-000000000000', undefined],
      ['POST', '/api/notification-webhooks/00000000-0000-4000-8000-000000000000/test', undefined],
      ['POST', '/api/escalations/run', undefined],
    ] as const) {
      expect((await call(t.app, analyst, method, path, body)).statusCode, `${method} ${path}`).toBe(403);
    }
  });

  it('refuses bad input, naming the field, and changes nothing', async () => {
    const keep = await call(t.app, admin, 'POST', '/api/notification-webhooks', { name: 'Keep', url: 'https://hooks.example.com/keep/SECRET1', format: 'teams' });
    expect(keep.statusCode).toBe(201);
    const keepId = keep.json().id as string;
    const before = await counts();
    const post = (body: unknown) => call(t.app, admin, 'POST', '/api/notification-webhooks', body);
    const cases: [unknown, number, string][] = [
      [{ name: 'ftp', url: 'ftp://example.com/hook', format: 'slack' }, 400, 'body.url'],
      [{ name: 'js', url: 'javascript:alert(1)', format: 'slack' }, 400, 'body.url'],
      [{ name: 'file', url: 'file:///etc/passwd', format: 'slack' }, 400, 'body.url'],
      [{ name: 'creds', url: 'https://user:pw@example.com/hook', format: 'slack' }, 400, 'body.url'],
      [{ name: 'relative', url: '/api/hook', format: 'slack' }, 400, 'body.url'],
      [{ name: 'huge', url: `https://example.com/${'a'.repeat(2100)}`, format: 'slack' }, 400, 'body.url'],
      [{ name: 'x'.repeat(101), url: 'https://example.com/h', format: 'slack' }, 400, 'body.name'],
      [{ name: '   ', url: 'https://example.com/h', format: 'slack' }, 400, 'body.name'],
      [{ name: 'bad\u0007bell', url: 'https://example.com/h', format: 'slack' }, 400, 'body.name'],
      [{ name: 'fmt', url: 'https://example.com/h', format: 'discord' }, 400, 'body.format'],
      [{ name: 'extra', url: 'https://example.com/h', format: 'slack', secret: 'x' }, 400, 'body'],
      [{ url: 'https://example.com/h', format: 'slack' }, 400, 'body.name'],
      [{ name: 'KEEP', url: 'https://example.com/h', format: 'slack' }, 409, 'body.name'],
    ];
    for (const [body, status, field] of cases) {
      const r = await post(body);
      expect(r.statusCode, JSON.stringify(body).slice(0, 80)).toBe(status);
      expect(r.json().errors.map((e: { field: string }) => e.field), r.body.slice(0, 300)).toContain(field);
    }
    const patch = (path: string, body: unknown) => call(t.app, admin, 'PATCH', path, body);
    expect((await patch(`/api/notification-webhooks/${keepId}`, {})).statusCode).toBe(400);
    expect((await patch(`/api/notification-webhooks/${keepId}`, { url: 'gopher://example.com/x' })).json().errors[0].field).toBe('body.url');
    expect((await patch(`/api/notification-webhooks/${keepId}`, { name: 'n'.repeat(500) })).statusCode).toBe(400);
    expect((await patch('/api/notification-webhooks/not-a-uuid', { enabled: false })).json().errors[0].field).toBe('params.id');
    expect((await patch('/api/notification-webhooks/00000000-0000-4000-8000-000000000000', { enabled: false })).statusCode).toBe(404);
    expect((await call(t.app, admin, 'DELETE', '/api/notification-webhooks/00000000-0000-4000-8000-000000000000')).statusCode).toBe(404);
    expect((await call(t.app, admin, 'POST', '/api/notification-webhooks/00000000-0000-4000-8000-000000000000/test')).statusCode).toBe(404);
    expect((await call(t.app, admin, 'POST', '/api/notification-webhooks/1/test')).statusCode).toBe(400);
    expect(await counts()).toEqual(before);
    const still = (await call(t.app, admin, 'GET', '/api/notification-webhooks')).json();
    expect(still).toMatchObject([{ id: keepId, name: 'Keep', format: 'teams', urlHint: 'https://hooks.example.com/…', enabled: true }]);
    await call(t.app, admin, 'DELETE', `/api/notification-webhooks/${keepId}`);
  });
});

describe('in-app notifications', () => {
  it('lists yours, newest first, with the unread count and pages; e-mails when asked', async () => {
    for (let i = 1; i <= 3; i++) await notifyUsers(t.database.db, { userIds: [analystId], kind: 'test', title: `Note ${i}`, body: `Body ${i}`, link: `/findings/${i}` });
    await notifyUsers(t.database.db, { userIds: [analystId, otherId], kind: 'test', title: 'Mailed note', body: 'Please look.', link: '/findings/9', email: true });
    const r = await call(t.app, analyst, 'GET', '/api/notifications');
    expect(r.statusCode).toBe(200);
    expect(r.json().items.map((n: { title: string }) => n.title)).toEqual(['Mailed note', 'Note 3', 'Note 2', 'Note 1']);
    expect(r.json()).toMatchObject({ unread: 4, nextBefore: null });
    const p1 = (await call(t.app, analyst, 'GET', '/api/notifications?limit=3')).json();
    expect(p1.items).toHaveLength(3);
    const p2 = (await call(t.app, analyst, 'GET', `/api/notifications?limit=3&before=${p1.nextBefore}`)).json();
    expect(p2).toMatchObject({ items: [{ title: 'Note 1' }], nextBefore: null });
    // Only the analyst has an address; the system owner has none.
    const mails = smtp.messages();
    expect(mails.map((m) => [m.from, m.to, m.subject])).toEqual([['alerts@patchloop.test', ['analyst@example.test'], '[patchloop] Mailed note']]);
    expect(mails[0]?.text).toContain('https://patchloop.test/findings/9');
  });

  it('marks one read, then all; someone else’s notification is not found', async () => {
    const mine = (await call(t.app, analyst, 'GET', '/api/notifications')).json().items;
    const note2 = mine.find((n: { title: string }) => n.title === 'Note 2');
    const read = await call(t.app, analyst, 'POST', `/api/notifications/${note2.id}/read`);
    expect(read.statusCode).toBe(200);
    expect(read.json().readAt).not.toBeNull();
    const again = await call(t.app, analyst, 'POST', `/api/notifications/${note2.id}/read`);
    expect(again.json().readAt).toBe(read.json().readAt);
    const unread = (await call(t.app, analyst, 'GET', '/api/notifications?unread=true')).json();
    expect(unread.unread).toBe(3);
    expect(unread.items.map((n: { title: string }) => n.title)).not.toContain('Note 2');

    const theirs = await t.database.db.selectFrom('notifications').select('id').where('user_id', '=', otherId).executeTakeFirstOrThrow();
    expect((await call(t.app, analyst, 'POST', `/api/notifications/${theirs.id}/read`)).statusCode).toBe(404);
    expect((await t.database.db.selectFrom('notifications').select('read_at').where('id', '=', theirs.id).executeTakeFirstOrThrow()).read_at).toBeNull();

    const all = await call(t.app, analyst, 'POST', '/api/notifications/read-all');
    expect(all.json()).toEqual({ marked: 3 });
    expect((await call(t.app, analyst, 'GET', '/api/notifications')).json().unread).toBe(0);
    // The other person's stay unread.
    expect(Number((await t.database.db.selectFrom('notifications').select((eb) => eb.fn.countAll().as('n')).where('user_id', '=', otherId).where('read_at', 'is', null).executeTakeFirstOrThrow()).n)).toBe(1);
  });

  it('an auditor reads their notifications but changes nothing; bad input changes nothing', async () => {
    expect((await call(t.app, auditor, 'GET', '/api/notifications')).json()).toEqual({ items: [], unread: 0, nextBefore: null });
    expect((await call(t.app, auditor, 'POST', '/api/notifications/read-all')).statusCode).toBe(403);
    const before = await counts();
    for (const q of ['limit=0', 'limit=201', 'limit=abc', 'unread=maybe', 'before=abc', 'before=-1', 'colour=red']) {
      const r = await call(t.app, analyst, 'GET', `/api/notifications?${q}`);
      expect(r.statusCode, q).toBe(400);
      expect(r.json().errors[0].field, q).toMatch(/^querystring/);
    }
    expect((await call(t.app, analyst, 'POST', '/api/notifications/abc/read')).json().errors[0].field).toBe('params.id');
    expect((await call(t.app, analyst, 'POST', '/api/notifications/99999999999/read')).statusCode).toBe(404);
    expect((await call(t.app, analyst, 'POST', `/api/notifications/${'9'.repeat(19)}/read`)).statusCode).toBe(400);
    expect(await counts()).toEqual(before);
  });
});

describe('escalation over the API', () => {
  let findingId: string;

  beforeAll(async () => {
    const db = t.database.db;
    const a = await assets.createAsset(db, operator, { hostname: 'api-web-01', environment: 'production', systemType: 'web_server', businessCriticality: 'high', networkExposure: 'internal', ownerUserId: otherId });
    const v = await db.insertInto('vulnerabilities').values({ id: 'CVE-2027-4242', cvss_score: 9.1, cvss_version: '3.1', updated_at: new Date() } as never).returning('num').executeTakeFirstOrThrow();
    const since = new Date(Date.now() - 10 * DAY);
    const f = await db
      .insertInto('findings')
      .values({ asset_id: a.id, vulnerability_num: v.num, name_id: 0, package_id: null, source: 'nessus', first_seen: since, last_seen: since, priority: 4, class_since: since, sla_start: since, due_at: new Date(Date.now() - 3 * DAY), prioritised_at: since, policy_version: 1 } as never)
      .returning('id')
      .executeTakeFirstOrThrow();
    findingId = String(f.id);
    smtp.clear();
  });

  it('an administrator runs the rules now; the log shows who was told and how it went', async () => {
    const r = await call(t.app, admin, 'POST', '/api/escalations/run');
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toMatchObject({ policyVersion: 1, findings: 2, rules: [{ name: 'Owner at half time', findings: 1 }, { name: 'Breach', findings: 1 }], emails: { queued: 1, sent: 1, failed: 0 }, webhooks: { queued: 0 } });
    // The asset's owner has no address; the analyst is security.
    expect(smtp.messages().map((m) => m.to)).toEqual([['analyst@example.test']]);
    const log = await call(t.app, auditor, 'GET', `/api/escalations?findingId=${findingId}`);
    expect(log.statusCode).toBe(200);
    const breach = log.json().items.find((e: { rule: string }) => e.rule === 'Breach');
    expect(breach).toMatchObject({ kind: 'rule', findingId, hostname: 'api-web-01', vulnerabilityId: 'CVE-2027-4242', policyVersion: 1, audiences: ['owner', 'owner_manager', 'security'], channels: ['email', 'in_app'] });
    expect(breach.recipients.map((x: { name: string }) => x.name).sort()).toEqual(['api-analyst', 'api-owner']);
    expect(breach.deliveries).toEqual([{ id: expect.any(String), channel: 'email', target: 'analyst@example.test', status: 'sent', attempts: 1, error: null }]);
    // Once per finding and due date: a second run finds nothing, and a person's run is audited all the same.
    const again = (await call(t.app, admin, 'POST', '/api/escalations/run')).json();
    expect(again).toMatchObject({ runId: null, findings: 0 });
    const audit = await sql<{ n: number }>`select count(*)::int as n from audit_log where action = 'escalation.run'`.execute(t.database.db);
    expect(audit.rows[0]?.n).toBe(2);
    expect((await call(t.app, admin, 'GET', '/api/escalations?findingId=999999')).json()).toEqual({ items: [], nextBefore: null });
    const page = (await call(t.app, admin, 'GET', '/api/escalations?limit=1')).json();
    expect(page.items).toHaveLength(1);
    expect((await call(t.app, admin, 'GET', `/api/escalations?limit=1&before=${page.nextBefore}`)).json().items).toHaveLength(1);
  });

  it('refuses a malformed filter', async () => {
    for (const q of ['findingId=abc', 'findingId=1;drop table findings', 'limit=0', 'limit=501', 'before=x', 'extra=1']) {
      const r = await call(t.app, admin, 'GET', `/api/escalations?${encodeURI(q)}`);
      expect(r.statusCode, q).toBe(400);
    }
  });
});
