import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTeam } from '../../src/services/teams/teams.service.js';
import { call, operator, type TestApp, testApp, userWithToken } from '../support/app.js';

const base = { environment: 'production', systemType: 'web_server', businessCriticality: 'high', networkExposure: 'internal' } as const;

let t: TestApp;
let token: string;
let teamId: string;

beforeAll(async () => {
  t = await testApp();
  ({ token } = await userWithToken(t.database, 'security_analyst', 'sam'));
  teamId = (await createTeam(t.database.db, operator, { name: 'Platform' })).id;
});
afterAll(() => t.close());

const count = async (q = '') => (await call(t.app, token, 'GET', `/api/assets?lifecycle=all&limit=1${q}`)).json().total as number;

describe('asset CRUD (INV-1, GOV-4, INV-4)', () => {
  it('creates, reads, updates with version check, decommissions and keeps history', async () => {
    const created = await call(t.app, token, 'POST', '/api/assets', {
      ...base,
      hostname: 'pay-web-01',
      fqdn: 'pay-web-01.example.eu',
      ipAddresses: ['10.0.0.5', '2001:db8::5'],
      osFamily: 'linux',
      osName: 'Debian GNU/Linux',
      osVersion: '12',
      department: 'Payments',
      location: 'Frankfurt DC1',
      ownerTeamId: teamId,
      maintenanceGroup: 'wave1',
      tags: ['pci', 'dmz'],
      supplier: 'Acme Hosting',
    });
    expect(created.statusCode).toBe(201);
    const a = created.json();
    expect(a).toMatchObject({ hostname: 'pay-web-01', owner: { type: 'team', id: teamId, name: 'Platform' }, unowned: false, lifecycle: 'active', version: 1 });

    const stale = await t.app.inject({ method: 'PATCH', url: `/api/assets/${a.id}`, headers: { authorization: `Bearer ${token}`, 'if-match': '7' }, payload: { location: 'Amsterdam' } });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().detail).toContain('changed by someone else');

    const ok = await t.app.inject({ method: 'PATCH', url: `/api/assets/${a.id}`, headers: { authorization: `Bearer ${token}`, 'if-match': '"1"' }, payload: { location: 'Amsterdam DC2', ownerTeamId: null } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ location: 'Amsterdam DC2', owner: null, unowned: true, version: 2 });

    const dec = await call(t.app, token, 'POST', `/api/assets/${a.id}/decommission`, { reason: 'replaced' });
    expect(dec.json()).toMatchObject({ lifecycle: 'decommissioned' });
    expect(dec.json().decommissionedAt).not.toBeNull();

    const active = (await call(t.app, token, 'GET', '/api/assets?q=pay-web-01')).json();
    expect(active.total).toBe(0);
    const all = (await call(t.app, token, 'GET', '/api/assets?q=pay-web-01&lifecycle=all')).json();
    expect(all.total).toBe(1);

    // A decommissioned name can be reused by a new active asset; history of the old one stays.
    expect((await call(t.app, token, 'POST', '/api/assets', { ...base, hostname: 'pay-web-01', fqdn: 'pay-web-01.example.eu' })).statusCode).toBe(201);
    const history = (await call(t.app, token, 'GET', `/api/assets/${a.id}/history`)).json();
    expect(history.map((h: { action: string }) => h.action)).toEqual(['asset.decommission', 'asset.update', 'asset.create']);
  });

  it('refuses a second active asset with the same FQDN or host name', async () => {
    await call(t.app, token, 'POST', '/api/assets', { ...base, hostname: 'dup01' });
    const r = await call(t.app, token, 'POST', '/api/assets', { ...base, hostname: 'DUP01' });
    expect(r.statusCode).toBe(409);
    expect(r.json().errors).toEqual([{ field: 'hostname', message: 'is already used by another active asset' }]);
  });

  it('answers 403 before validating the body, so a caller without the permission learns nothing of the schema', async () => {
    const { token: auditor } = await userWithToken(t.database, 'auditor', 'aud-schema');
    const r = await call(t.app, auditor, 'POST', '/api/assets', { hostname: 'x' });
    expect(r.statusCode).toBe(403);
    expect(r.body).not.toContain('environment');
  });

  it('returns 404 as problem+json for an unknown asset', async () => {
    const r = await call(t.app, token, 'GET', '/api/assets/00000000-0000-4000-8000-000000000000');
    expect(r.statusCode).toBe(404);
    expect(r.headers['content-type']).toContain('application/problem+json');
    expect(r.json()).toMatchObject({ status: 404, detail: 'Asset was not found', requestId: r.headers['x-request-id'] });
  });
});

describe('system owners change only what they own (SEC-2)', () => {
  it('registers assets as their own and edits them, but not other owners\' assets, and cannot bulk import', async () => {
    const { user, token: owner } = await userWithToken(t.database, 'system_owner', 'olga');
    const mine = await call(t.app, owner, 'POST', '/api/assets', { ...base, hostname: 'olga-01' });
    expect(mine.statusCode).toBe(201);
    expect(mine.json().owner).toMatchObject({ type: 'user', id: user.id });
    expect((await call(t.app, owner, 'PATCH', `/api/assets/${mine.json().id}`, { location: 'Lisbon' })).statusCode).toBe(200);

    const teams = await call(t.app, owner, 'POST', '/api/assets', { ...base, hostname: 'olga-02', ownerTeamId: teamId });
    expect(teams.statusCode).toBe(422);
    expect(teams.json().errors[0]).toEqual({ field: 'body.ownerTeamId', message: 'must be you or one of your teams' });

    const theirs = (await call(t.app, token, 'POST', '/api/assets', { ...base, hostname: 'platform-01', ownerTeamId: teamId })).json();
    expect((await call(t.app, owner, 'PATCH', `/api/assets/${theirs.id}`, { location: 'Lisbon' })).statusCode).toBe(403);
    expect((await call(t.app, owner, 'POST', `/api/assets/${theirs.id}/decommission`, { reason: 'x' })).statusCode).toBe(403);
    // Once in the owning team, the team's assets are theirs to change.
    await t.database.db.insertInto('team_members').values({ team_id: teamId, user_id: user.id }).execute();
    expect((await call(t.app, owner, 'PATCH', `/api/assets/${theirs.id}`, { location: 'Lisbon' })).statusCode).toBe(200);
    await t.database.db.deleteFrom('team_members').where('user_id', '=', user.id).execute();

    const imp = await t.app.inject({ method: 'POST', url: '/api/assets/import', headers: { authorization: `Bearer ${owner}`, 'content-type': 'text/csv' }, payload: 'hostname\nx\n' });
    expect(imp.statusCode).toBe(403);
  });
});

describe('bad input (SEC-3)', () => {
  it('names unknown fields, bad enumerations and bad addresses', async () => {
    const r = await call(t.app, token, 'POST', '/api/assets', { ...base, hostname: 'x1', colour: 'red', environment: 'moon', ipAddresses: ['10.0.0.300'] });
    expect(r.statusCode).toBe(400);
    const fields = r.json().errors.map((e: { field: string }) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['body', 'body.environment', 'body.ipAddresses.0']));
    expect(r.json().errors.find((e: { field: string }) => e.field === 'body').message).toContain('colour');
    expect(await count('&q=x1')).toBe(0);
  });

  it('refuses an owner that does not exist, or both a user and a team', async () => {
    const missing = await call(t.app, token, 'POST', '/api/assets', { ...base, hostname: 'o1', ownerTeamId: '00000000-0000-4000-8000-000000000001' });
    expect(missing.statusCode).toBe(422);
    expect(missing.json().errors).toEqual([{ field: 'body.ownerTeamId', message: 'no such team' }]);
    const both = await call(t.app, token, 'POST', '/api/assets', { ...base, hostname: 'o2', ownerTeamId: teamId, ownerUserId: teamId });
    expect(both.statusCode).toBe(400);
  });

  it('rejects malformed JSON and oversized bodies with problem+json', async () => {
    const bad = await t.app.inject({ method: 'POST', url: '/api/assets', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, payload: '{"hostname": ' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().requestId).toBeTruthy();
    const huge = await t.app.inject({ method: 'POST', url: '/api/assets', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, payload: JSON.stringify({ ...base, hostname: 'big', description: 'x'.repeat(11 * 1024 * 1024) }) });
    expect(huge.statusCode).toBe(413);
  });

  it('refuses control characters, which PostgreSQL cannot store or terminals would interpret', async () => {
    const r = await call(t.app, token, 'POST', '/api/assets', { ...base, hostname: 'ctl1', description: 'a\u0000b\u001b[31m' });
    expect(r.statusCode).toBe(400);
    expect(r.json().errors[0]).toEqual({ field: 'body.description', message: 'must not contain control characters' });
  });

  it('stores and returns hostile strings literally', async () => {
    const hostile = {
      department: "'; DROP TABLE assets; --",
      description: '<script>alert(1)</script><img src=x onerror=alert(2)>',
      location: 'Robert"); DELETE FROM audit_log;--',
      tags: ['<b>x</b>', '%_%'],
    };
    const r = await call(t.app, token, 'POST', '/api/assets', { ...base, hostname: 'hostile01', ...hostile });
    expect(r.statusCode).toBe(201);
    const got = (await call(t.app, token, 'GET', `/api/assets/${r.json().id}`)).json();
    expect(got).toMatchObject(hostile);
    // LIKE wildcards in a search are literal characters.
    const search = (await call(t.app, token, 'GET', `/api/assets?q=${encodeURIComponent('%_%')}`)).json();
    expect(search.items.map((a: { hostname: string }) => a.hostname)).toEqual(['hostile01']);
    expect((await call(t.app, token, 'GET', `/api/assets?department=${encodeURIComponent(hostile.department)}`)).json().total).toBe(1);
  });

  it('rejects unknown query parameters and a forged cursor', async () => {
    expect((await call(t.app, token, 'GET', '/api/assets?colour=red')).statusCode).toBe(400);
    const r = await call(t.app, token, 'GET', '/api/assets?cursor=bm9wZQ');
    expect(r.statusCode).toBe(400);
    expect(r.json().errors[0].field).toBe('query.cursor');
  });
});

describe('list: filter, sort, cursor pagination', () => {
  beforeAll(async () => {
    const envs = ['production', 'staging', 'test', 'development'] as const;
    const crits = ['critical', 'high', 'medium', 'low'] as const;
    for (let i = 0; i < 30; i++) {
      const r = await call(t.app, token, 'POST', '/api/assets', {
        ...base,
        hostname: `list-${String(i).padStart(2, '0')}`,
        environment: envs[i % 4],
        businessCriticality: crits[(i * 7) % 4],
        department: i % 3 === 0 ? null : `Dept ${i % 3}`,
        tags: i % 5 === 0 ? ['pci'] : [],
        ownerTeamId: i % 2 ? teamId : null,
      });
      expect(r.statusCode).toBe(201);
    }
  });

  it('pages through every matching asset exactly once, in order', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: { hostname: string }[]; nextCursor: string | null; total: number } = (
        await call(t.app, token, 'GET', `/api/assets?q=list-&sort=hostname&order=desc&limit=7${cursor ? `&cursor=${cursor}` : ''}`)
      ).json();
      expect(page.total).toBe(30);
      seen.push(...page.items.map((a) => a.hostname));
      cursor = page.nextCursor;
    } while (cursor);
    const expected = Array.from({ length: 30 }, (_, i) => `list-${String(i).padStart(2, '0')}`).reverse();
    expect(seen).toEqual(expected);
  });

  it('sorts criticality by severity, not alphabetically, across pages', async () => {
    const ranks = { critical: 1, high: 2, medium: 3, low: 4 } as Record<string, number>;
    const got: number[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: { businessCriticality: string }[]; nextCursor: string | null } = (await call(t.app, token, 'GET', `/api/assets?q=list-&sort=businessCriticality&limit=4${cursor ? `&cursor=${cursor}` : ''}`)).json();
      got.push(...page.items.map((a) => ranks[a.businessCriticality] as number));
      cursor = page.nextCursor;
    } while (cursor);
    expect(got).toHaveLength(30);
    expect(got).toEqual([...got].sort((a, b) => a - b));
  });

  it('pages through a nullable sort column (department) without loss', async () => {
    const seen = new Set<string>();
    let cursor: string | null = null;
    do {
      const page: { items: { id: string }[]; nextCursor: string | null } = (await call(t.app, token, 'GET', `/api/assets?q=list-&sort=department&limit=8${cursor ? `&cursor=${cursor}` : ''}`)).json();
      for (const a of page.items) seen.add(a.id);
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen.size).toBe(30);
  });

  it('counts for the dashboard agree with the list totals', async () => {
    const s = (await call(t.app, token, 'GET', '/api/assets/stats')).json();
    expect(s.total).toBe((await call(t.app, token, 'GET', '/api/assets?limit=1')).json().total);
    expect(s.unowned).toBe((await call(t.app, token, 'GET', '/api/assets?limit=1&unowned=true')).json().total);
    expect(s.decommissioned).toBe((await call(t.app, token, 'GET', '/api/assets?limit=1&lifecycle=decommissioned')).json().total);
    expect(s.byEnvironment.staging).toBe((await call(t.app, token, 'GET', '/api/assets?limit=1&environment=staging')).json().total);
    expect(Object.values(s.bySystemType as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(s.total);
  });

  it('filters by environment, tag, criticality and ownership', async () => {
    expect((await call(t.app, token, 'GET', '/api/assets?q=list-&environment=staging')).json().total).toBe(8);
    expect((await call(t.app, token, 'GET', '/api/assets?q=list-&tag=pci')).json().total).toBe(6);
    expect((await call(t.app, token, 'GET', '/api/assets?q=list-&unowned=true')).json().total).toBe(15);
    const owned = (await call(t.app, token, 'GET', `/api/assets?q=list-&ownerTeamId=${teamId}&environment=staging`)).json();
    expect(owned.items.every((a: { owner: { id: string }; environment: string }) => a.owner.id === teamId && a.environment === 'staging')).toBe(true);
  });
});

describe('CSV import and export', () => {
  const post = (csv: string, dry = false) =>
    t.app.inject({ method: 'POST', url: `/api/assets/import${dry ? '?dryRun=true' : ''}`, headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' }, payload: csv });

  it('imports valid rows, and re-importing the same file changes nothing', async () => {
    const csv = 'hostname,fqdn,environment,system_type,business_criticality,network_exposure,owner,tags,ip_addresses\n' +
      'csv-a,csv-a.example.eu,Production,Web server,high,Internet facing,team:Platform,pci;dmz,10.1.0.1\n' +
      'csv-b,,staging,database,low,internal,Platform,,10.1.0.2 10.1.0.3\n';
    const first = await post(csv);
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ rows: 2, created: 2, updated: 0 });
    const again = await post(csv);
    expect(again.json()).toMatchObject({ rows: 2, created: 0, updated: 0, unchanged: 2 });
    const a = (await call(t.app, token, 'GET', '/api/assets?q=csv-a')).json().items[0];
    expect(a).toMatchObject({ networkExposure: 'internet_facing', tags: ['pci', 'dmz'], owner: { name: 'Platform' } });
  });

  it('writes nothing when any row is invalid, and reports every problem by row and column', async () => {
    const before = await count();
    const csv = 'hostname,environment,system_type,business_criticality,network_exposure,owner\n' +
      'ok-1,production,web_server,high,internal,\n' +
      'bad-env,moon,web_server,high,internal,\n' +
      'bad-owner,production,database,low,internal,nobody\n' +
      'bad host!,production,database,low,internal,\n' +
      'ok-1,production,web_server,high,internal,\n';
    const r = await post(csv);
    expect(r.statusCode).toBe(422);
    const errs = r.json().errors as { field: string; message: string }[];
    expect(errs).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ field: 'row 3, column environment' }),
        { field: 'row 4, column owner', message: 'no user or team named "nobody"' },
        expect.objectContaining({ field: 'row 5, column hostname' }),
        { field: 'row 6, column hostname', message: 'repeats row 2' },
      ]),
    );
    expect(await count()).toBe(before);
  });

  it('rejects broken CSV naming the line, and unknown headers naming the column', async () => {
    const broken = await post('hostname,environment\n"unterminated,production\n');
    expect(broken.statusCode).toBe(400);
    expect(broken.json().detail).toMatch(/line \d/);
    const header = await post('hostname,colour\nx,red\n');
    expect(header.statusCode).toBe(422);
    expect(header.json().errors[0]).toMatchObject({ field: 'header, column 2' });
    expect((await post('')).statusCode).toBe(400);
  });

  it('dry run validates and counts without writing', async () => {
    const before = await count();
    const r = await post('hostname,environment,system_type,business_criticality,network_exposure\ndry-1,test,other,low,isolated\n', true);
    expect(r.json()).toMatchObject({ dryRun: true, created: 1 });
    expect(await count()).toBe(before);
  });

  it('exports CSV that imports back unchanged, with formula cells neutralised', async () => {
    const made = await call(t.app, token, 'POST', '/api/assets', { ...base, hostname: 'formula01', description: '=HYPERLINK("http://evil")', department: '+cmd' });
    expect(made.statusCode).toBe(201);
    const exp = await call(t.app, token, 'GET', '/api/assets/export?q=formula01');
    expect(exp.headers['content-type']).toContain('text/csv');
    expect(exp.body).toContain(`"'=HYPERLINK(""http://evil"")"`);
    const back = await post(exp.body);
    expect(back.json()).toMatchObject({ rows: 1, updated: 0, unchanged: 1 });
    const again = (await call(t.app, token, 'GET', `/api/assets/${made.json().id}`)).json();
    expect(again).toMatchObject({ description: '=HYPERLINK("http://evil")', department: '+cmd', version: 1 });
  });
});
