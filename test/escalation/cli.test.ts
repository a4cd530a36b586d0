import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { notificationCommands } from '../../src/cli/notifications.js';
import { notifyUsers } from '../../src/services/notifications/notify.js';
import { createAsset } from '../../src/services/assets/assets.service.js';
import { operator, type TestApp, testApp, userWithToken } from '../support/app.js';
import { type Receiver, startReceiver, testSecretKey } from './support.js';

/** `patchloop notifications|webhooks|escalations …` against a real app, through the ApiClient the CLI uses. */
let t: TestApp;
let hooks: Receiver;
let admin: string;
let analyst: string;
let analystId: string;

beforeAll(async () => {
  hooks = await startReceiver();
  t = await testApp({ env: { PATCHLOOP_SECRET_KEY: testSecretKey() } });
  await t.database.db.deleteFrom('priority_requests').execute();
  ({ token: admin } = await userWithToken(t.database, 'admin', 'cli-admin'));
  const a = await userWithToken(t.database, 'security_analyst', 'cli-analyst');
  analyst = a.token;
  analystId = a.user.id;
}, 60_000);
afterAll(async () => {
  await t?.close();
  await hooks?.close();
});

async function cli(token: string, ...args: string[]) {
  return runCli(t.app, token, notificationCommands, args);
}

describe('patchloop webhooks', () => {
  let id: string;

  it('adds, lists (masked), tests, switches off and removes a webhook', async () => {
    const add = await cli(admin, 'webhooks', 'add', '--name', '#alerts', '--format', 'slack', '--url', `${hooks.url}/services/T1/B1/TOPSECRETVALUE`, '--json');
    expect(add.error).toBeUndefined();
    id = JSON.parse(add.out).id;
    const list = await cli(admin, 'webhooks', 'list');
    expect(list.out).toContain('#alerts');
    expect(list.out).toContain('…ALUE');
    expect(list.out).not.toContain('TOPSECRET');
    const test = await cli(admin, 'webhooks', 'test', id);
    expect(test.out).toBe('test message delivered to "#alerts"');
    expect(test.code).toBe(0);
    expect(hooks.received.at(-1)?.path).toBe('/services/T1/B1/TOPSECRETVALUE');
    hooks.failing.add('/services/T1/B1/TOPSECRETVALUE');
    const failed = await cli(admin, 'webhooks', 'test', id);
    expect(failed.out).toBe('test message to "#alerts" failed: the webhook answered HTTP 500: channel_is_archived');
    expect(failed.code).toBe(1);
    const off = await cli(admin, 'webhooks', 'update', id, '--disable');
    expect(off.out).toMatch(/updated \(slack, disabled, /);
    const rm = await cli(admin, 'webhooks', 'remove', id);
    expect(rm.out).toBe(`webhook ${id} removed`);
    expect((await cli(admin, 'webhooks', 'list', '--json')).out.trim()).toBe('[]');
  });

  it('refuses bad input with a message naming the field, and stores nothing', async () => {
    const badUrl = await cli(admin, 'webhooks', 'add', '--name', 'x', '--format', 'slack', '--url', 'ftp://example.com/x');
    expect(badUrl.error?.message).toMatch(/body\.url: must be an http:\/\/ or https:\/\/ URL, not ftp:/);
    const noUrl = await cli(admin, 'webhooks', 'add', '--name', 'x', '--format', 'slack');
    expect(noUrl.error?.message).toBe('give the URL with --url or --url-stdin');
    const badFormat = await cli(admin, 'webhooks', 'add', '--name', 'x', '--format', 'discord', '--url', 'https://example.com/x');
    expect(badFormat.err).toMatch(/Allowed choices are slack, teams/);
    const longName = await cli(admin, 'webhooks', 'add', '--name', 'n'.repeat(101), '--format', 'slack', '--url', 'https://example.com/x');
    expect(longName.error?.message).toMatch(/body\.name: must be at most 100 characters/);
    const badId = await cli(admin, 'webhooks', 'remove', 'not-an-id');
    expect(badId.error?.message).toMatch(/"not-an-id" is not a webhook id/);
    const unknown = await cli(admin, 'webhooks', 'test', '00000000-0000-4000-8000-000000000000');
    expect(unknown.error?.message).toBe('Webhook was not found');
    const both = await cli(admin, 'webhooks', 'update', '00000000-0000-4000-8000-000000000000', '--enable', '--disable');
    expect(both.err).toMatch(/cannot be used with option '--disable'/);
    const denied = await cli(analyst, 'webhooks', 'list');
    expect(denied.error?.message).toMatch(/does not allow system:admin/);
    expect(JSON.parse((await cli(admin, 'webhooks', 'list', '--json')).out)).toEqual([]);
  });
});

describe('patchloop notifications and escalations', () => {
  it('lists your notifications and marks them read', async () => {
    await notifyUsers(t.database.db, { userIds: [analystId], kind: 'test', title: 'First', body: 'one', link: '/findings/1' });
    await notifyUsers(t.database.db, { userIds: [analystId], kind: 'test', title: 'Second', body: 'two', link: null });
    const list = await cli(analyst, 'notifications', 'list');
    expect(list.out).toMatch(/Second[\s\S]*First/);
    expect(list.out).toContain('2 unread');
    const ids = JSON.parse((await cli(analyst, 'notifications', 'list', '--json')).out).items.map((n: { id: string }) => n.id);
    expect((await cli(analyst, 'notifications', 'read', ids[1])).out).toBe('1 notification(s) marked read');
    expect(JSON.parse((await cli(analyst, 'notifications', 'list', '--unread', '--json')).out).items.map((n: { title: string }) => n.title)).toEqual(['Second']);
    expect((await cli(analyst, 'notifications', 'read', '--all')).out).toBe('1 notification(s) marked read');
  });

  it('refuses bad input', async () => {
    expect((await cli(analyst, 'notifications', 'read', 'abc')).error?.message).toMatch(/"abc" is not a notification id/);
    expect((await cli(analyst, 'notifications', 'read')).error?.message).toMatch(/name the notifications to mark read, or use --all/);
    expect((await cli(analyst, 'notifications', 'read', '1', '--all')).error?.message).toBe('give ids or --all, not both');
    expect((await cli(analyst, 'notifications', 'read', '424242')).error?.message).toBe('Notification was not found');
    expect((await cli(analyst, 'notifications', 'list', '--limit', '0')).err).toMatch(/must be a number from 1 to 200/);
    expect((await cli(analyst, 'escalations', 'list', '--finding', 'x1')).err).toMatch(/"x1" is not a finding id/);
  });

  it('runs the escalation rules and lists the log', async () => {
    const db = t.database.db;
    const a = await createAsset(db, operator, { hostname: 'cli-web-01', environment: 'production', systemType: 'web_server', businessCriticality: 'high', networkExposure: 'internal' });
    const v = await db.insertInto('vulnerabilities').values({ id: 'CVE-2027-5555', cvss_score: 5, cvss_version: '3.1', updated_at: new Date() } as never).returning('num').executeTakeFirstOrThrow();
    const since = new Date(Date.now() - 100 * 86_400_000);
    const f = await db
      .insertInto('findings')
      .values({ asset_id: a.id, vulnerability_num: v.num, name_id: 0, package_id: null, source: 'nessus', first_seen: since, last_seen: since, priority: 2, class_since: since, sla_start: since, due_at: new Date(Date.now() - 10 * 86_400_000), prioritised_at: since, policy_version: 1 } as never)
      .returning('id')
      .executeTakeFirstOrThrow();
    const denied = await cli(analyst, 'escalations', 'run');
    expect(denied.error?.message).toMatch(/does not allow system:admin/);
    const run = await cli(admin, 'escalations', 'run');
    expect(run.error).toBeUndefined();
    expect(run.out).toContain('Owner at half time: 0 finding(s)');
    expect(run.out).toContain('Breach: 1 finding(s)');
    const list = await cli(analyst, 'escalations', 'list', '--finding', String(f.id));
    expect(list.out).toMatch(/Breach\s+\d+\s+cli-web-01\s+CVE-2027-5555/);
    expect(list.out).toContain('cli-analyst');
    expect((await cli(admin, 'escalations', 'run')).out).toContain('Breach: 0 finding(s)');
  });
});
