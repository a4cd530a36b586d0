import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { exceptionCommands } from '../../src/cli/exceptions.js';
import { refreshEvaluations } from '../../src/services/eol/evaluation.js';
import { processPriorityRequests } from '../../src/services/priority/worker.js';
import { call, type TestApp, testApp } from '../support/app.js';
import { asset, DAY, finding, inDays, people, vuln } from './support.js';

/** `patchloop exceptions …` and `patchloop extensions …` against a real app, through the ApiClient the CLI uses, as different people. */
let t: TestApp;
let p: Awaited<ReturnType<typeof people>>;
const f = {} as { a: string; b: string };
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'patchloop-exceptions-cli-'));

beforeAll(async () => {
  t = await testApp();
  p = await people(t.database, 'z-');
  const web = await asset(t.database, 'cli-web-01');
  const n = await vuln(t.database, 'CVE-2026-5001', 9.8);
  const m = await vuln(t.database, 'CVE-2026-5002', 6.5);
  f.a = await finding(t.database, web, n, new Date(Date.now() - 30 * DAY));
  f.b = await finding(t.database, web, m, new Date(Date.now() - DAY));
  await processPriorityRequests(t.database.db);
});
afterAll(async () => {
  await t?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function cli(token: string, ...args: string[]) {
  return runCli(t.app, token, exceptionCommands, args);
}

const idIn = (s: string) => /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/.exec(s)?.[1] as string;

describe('patchloop exceptions', () => {
  let id: string;
  it('request (risk owner by user name), then the requester is refused, another analyst approves', async () => {
    const r = await cli(p.alice.token, 'exceptions', 'request', '--scope', 'finding', '--finding', f.a as string, '--justification', 'Vendor patch pending certification', '--controls', 'IPS signature', '--risk-owner', 'z-sam', '--expires', inDays(60), '--review-days', '30');
    expect(r.error).toBeUndefined();
    expect(r.out).toMatch(new RegExp(`^requested exception [0-9a-f-]{36} \\(finding: finding ${f.a}\\), expires ${inDays(60)}; approvers: security_analyst, admin$`));
    id = idIn(r.out);
    const self = await cli(p.alice.token, 'exceptions', 'approve', id);
    expect(self.error?.message).toMatch(/separation of duties/);
    const ok = await cli(p.bob.token, 'exceptions', 'approve', id, '--note', 'until the vendor certifies');
    expect(ok.error).toBeUndefined();
    expect(ok.out).toBe(`exception ${id} approved; it covers 1 open finding(s) until ${inDays(60)}`);
    expect((await call(t.app, p.bob.token, 'GET', `/api/findings/${f.a}`)).json().slaState).toBe('excepted');
  });

  it('list, show and review', async () => {
    const list = await cli(p.audrey.token, 'exceptions', 'list', '--status', 'approved');
    expect(list.out).toContain(id);
    expect(list.out).toMatch(/approved\s+finding\s+finding \d+\s+z-sam\s+\S+\s+\S+\s+1/);
    expect(list.out).toMatch(/1 exception\(s\)$/);
    const show = await cli(p.audrey.token, 'exceptions', 'show', id);
    expect(show.out).toContain('risk owner:   z-sam');
    expect(show.out).toContain('controls:     IPS signature');
    expect(show.out).toMatch(/approved\s+z-bob: until the vendor certifies/);
    const review = await cli(p.sam.token, 'exceptions', 'review', id, '--note', 'checked the IPS signature is active');
    expect(review.out).toBe(`exception ${id} re-reviewed; next review ${inDays(30)}`);
    const json = JSON.parse((await cli(p.audrey.token, 'exceptions', 'show', id, '--json')).out);
    expect(json.history.map((h: { event: string }) => h.event)).toEqual(['requested', 'approved', 'reviewed']);
  });

  it('export writes the register as CSV', async () => {
    const file = path.join(dir, 'register.csv');
    const r = await cli(p.audrey.token, 'exceptions', 'export', '--status', 'approved', '-o', file);
    expect(r.out).toBe(`exception register written to ${file}: 1 row(s)`);
    const csv = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(csv[0]).toMatch(/^id,status,scope,finding_id/);
    expect(csv[1]).toMatch(new RegExp(`^${id},approved,finding,${f.a},CVE-2026-5001,cli-web-01,`));
  });

  it('revoke gives the finding a fresh due date', async () => {
    const r = await cli(p.bob.token, 'exceptions', 'revoke', id, '--reason', 'vendor certified the patch');
    expect(r.out).toBe(`exception ${id} revoked; its findings have a fresh due date`);
    expect((await call(t.app, p.bob.token, 'GET', `/api/findings/${f.a}`)).json().slaState).toBe('on_track');
  });

  it('refuses bad input before calling the server, and shows the server’s refusal by field', async () => {
    expect((await cli(p.alice.token, 'exceptions', 'request', '--scope', 'everything', '--justification', 'x', '--risk-owner', 'z-sam', '--expires', inDays(10))).err).toMatch(/Allowed choices are finding, vulnerability, asset/);
    expect((await cli(p.alice.token, 'exceptions', 'request', '--scope', 'finding', '--finding', f.a as string, '--justification', 'long enough reason', '--risk-owner', 'z-sam', '--expires', 'next week')).err).toMatch(/"next week" is not a date/);
    expect((await cli(p.alice.token, 'exceptions', 'request', '--scope', 'finding', '--finding', f.a as string, '--justification', 'long enough reason', '--risk-owner', 'nobody', '--expires', inDays(10))).error?.message).toMatch(/no user named "nobody"/);
    const past = await cli(p.alice.token, 'exceptions', 'request', '--scope', 'finding', '--finding', f.a as string, '--justification', 'long enough reason', '--risk-owner', 'z-sam', '--expires', inDays(-1));
    expect(past.error?.message).toMatch(/body\.expiresOn: must be after today/);
    expect((await cli(p.alice.token, 'exceptions', 'approve', 'nope')).error?.message).toMatch(/"nope" is not an exception id/);
    expect((await cli(p.alice.token, 'exceptions', 'reject', id)).err).toMatch(/required option '--note <text>' not specified/);
  });
});

describe('patchloop exceptions show, for an unsupported system in scope', () => {
  it("names the findings on unsupported systems it cannot cover (LEG-3)", async () => {
    const n = await vuln(t.database, 'CVE-2026-5003', 8.0);
    const r = await cli(p.alice.token, 'exceptions', 'request', '--scope', 'vulnerability', '--vulnerability', 'CVE-2026-5003', '--justification', 'Mitigated by the WAF everywhere', '--risk-owner', 'z-sam', '--expires', inDays(30));
    expect(r.error).toBeUndefined();
    const id = idIn(r.out);
    expect((await cli(p.bob.token, 'exceptions', 'approve', id)).error).toBeUndefined();
    const old = await asset(t.database, 'cli-old-01', { osName: 'Debian GNU/Linux', osVersion: '9' });
    await refreshEvaluations(t.database.db, { assetIds: [old] });
    await finding(t.database, old, n, new Date());
    await processPriorityRequests(t.database.db);
    const show = await cli(p.audrey.token, 'exceptions', 'show', id);
    expect(show.out).toContain('covers:       0 open finding(s)');
    expect(show.out).toContain("not covered:  1 open finding(s) on unsupported systems: they need senior management's own exception (LEG-3)");
  });
});

describe('patchloop extensions', () => {
  it('request, list, approve by someone else; reject another', async () => {
    const r = await cli(p.olga.token, 'extensions', 'request', f.b as string, '--due', inDays(120), '--justification', 'Change freeze during incident INC-7', '--incident', 'INC-7');
    expect(r.error).toBeUndefined();
    expect(r.out).toMatch(new RegExp(`^requested SLA extension [0-9a-f-]{36}: 1 finding\\(s\\) to ${inDays(120)}$`));
    const id = idIn(r.out);
    const list = await cli(p.audrey.token, 'extensions', 'list', '--status', 'requested');
    expect(list.out).toMatch(new RegExp(`${id}\\s+requested\\s+${inDays(120)}\\s+${f.b}\\s+INC-7\\s+z-olga`));
    expect((await cli(p.olga.token, 'extensions', 'approve', id)).error?.message).toMatch(/does not allow exception:decide/);
    const ok = await cli(p.bob.token, 'extensions', 'approve', id);
    expect(ok.out).toBe(`SLA extension ${id} approved: ${f.b} due ${inDays(120)}T23:59:59.999Z`);
    expect((await cli(p.audrey.token, 'extensions', 'list', '--finding', f.b as string)).out).toContain('approved');

    const second = idIn((await cli(p.olga.token, 'extensions', 'request', f.b as string, '--due', inDays(200), '--justification', 'Still frozen, more time please')).out);
    expect((await cli(p.bob.token, 'extensions', 'reject', second, '--note', 'no: patch in the next window')).out).toBe(`SLA extension ${second} rejected`);
    expect((await cli(p.olga.token, 'extensions', 'request', 'abc', '--due', inDays(10), '--justification', 'whatever it is')).error?.message).toMatch(/"abc" is not a finding id/);
  });
});
