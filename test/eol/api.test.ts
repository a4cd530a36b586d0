import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stateOf } from '../../src/domain/eol/cycles.js';
import { refreshEvaluations } from '../../src/services/eol/evaluation.js';
import { call, type TestApp, testApp, userWithToken } from '../support/app.js';
import { asV1, day, relativeDataset, startMirror, TODAY } from './support.js';

/**
 * End of life over the API (issue #4 §6, LEG-1, LEG-2): the bundled dataset
 * on first use, uploads and downloads (all or nothing, audited), each
 * asset's OS and software state with a risk class, the list of unsupported
 * and soon-unsupported assets, compensating controls, and the daily
 * inventory interval of unsupported assets.
 */
const FIXTURE = path.resolve(process.cwd(), '../shared/fixtures/eol/eol.json');
const HAVE_FIXTURE = fs.existsSync(FIXTURE);

describe('end of life (LEG-1, LEG-2)', () => {
  let t: TestApp;
  let admin: string;
  let analyst: string;
  let auditor: string;
  let owner: { token: string; userId: string };
  const ids: Record<string, string> = {};

  const auditCount = async (action: string) => Number((await sql<{ n: string }>`select count(*) as n from audit_log where action = ${action}`.execute(t.database.db)).rows[0]?.n);
  async function asset(hostname: string, extra: Record<string, unknown> = {}, token = analyst) {
    const r = await call(t.app, token, 'POST', '/api/assets', { hostname, environment: 'production', systemType: 'application_server', businessCriticality: 'medium', networkExposure: 'internal', ...extra });
    expect(r.statusCode, r.body).toBe(201);
    ids[hostname] = r.json().id;
    return r.json().id as string;
  }
  async function inventory(id: string, body: Record<string, unknown>) {
    const r = await call(t.app, analyst, 'PUT', `/api/assets/${id}/inventory`, body);
    expect(r.statusCode, r.body).toBe(200);
  }
  const eolOf = async (h: string) => {
    const r = await call(t.app, analyst, 'GET', `/api/assets/${ids[h]}/eol`);
    expect(r.statusCode, r.body).toBe(200);
    return r.json();
  };
  const upload = (doc: unknown, token = admin) => call(t.app, token, 'POST', '/api/eol/dataset?source=test', doc);

  beforeAll(async () => {
    t = await testApp();
    ({ token: admin } = await userWithToken(t.database, 'admin', 'eol-admin'));
    ({ token: analyst } = await userWithToken(t.database, 'security_analyst', 'eol-analyst'));
    ({ token: auditor } = await userWithToken(t.database, 'auditor', 'eol-auditor'));
    const o = await userWithToken(t.database, 'system_owner', 'eol-owner');
    owner = { token: o.token, userId: o.user.id };
  });
  afterAll(async () => t?.close());

  it('loads the dataset shipped with patchloop on first use, once, and shows where it came from', async () => {
    const r = await call(t.app, auditor, 'GET', '/api/eol/dataset');
    expect(r.statusCode, r.body).toBe(200);
    const d = r.json();
    expect(d.source).toMatch(/^bundled with patchloop: endoflife\.date/);
    expect(d.license).toContain('Copyright 2020 endoflife.date contributors');
    expect(d.products).toBe(36);
    expect(d.productList.find((p: { product: string }) => p.product === 'debian')).toMatchObject({ newest: '13' });
    expect((await call(t.app, auditor, 'GET', '/api/eol/dataset')).json().version).toBe(d.version);
    expect(await auditCount('eol.dataset.load')).toBe(1);
    // A later patchloop release with other bundled data replaces an earlier bundled load.
    await sql`update eol_dataset set version = 'sha256:older', cycles = 1`.execute(t.database.db);
    expect((await call(t.app, auditor, 'GET', '/api/eol/dataset')).json()).toMatchObject({ version: d.version, cycles: d.cycles });
    expect(await auditCount('eol.dataset.load')).toBe(2);
  });

  it('judges an asset by the bundled data: OS from the register when there is no inventory', async () => {
    await asset('stretch-01', { osName: 'Debian GNU/Linux', osVersion: '9' });
    const e = await eolOf('stretch-01');
    expect(e.os).toMatchObject({ product: 'debian', cycle: '9', codename: 'Stretch', eol: '2020-07-18', state: 'unsupported', detectedFrom: 'asset: Debian GNU/Linux 9' });
    expect(e.os.daysLeft).toBeLessThan(0);
    expect(e).toMatchObject({ state: 'unsupported', risk: 'high', needsControl: true, monitoring: { inventoryMaxAgeDays: 1, raised: true } });
    await asset('esx-01', { osName: 'VMware ESXi', osVersion: '8.0 U3' });
    const esx = await eolOf('esx-01');
    expect(esx.os).toMatchObject({ product: 'vmware-esxi', cycle: '8.0' });
    expect(esx.os.state).toBe(stateOf(esx.os.eol, TODAY));
  });

  it('refuses a bad upload naming the record and field, and changes nothing', async () => {
    const before = (await call(t.app, admin, 'GET', '/api/eol/dataset')).json();
    const audits = await auditCount('eol.dataset.load');
    const bad = relativeDataset();
    (bad.products.debian[1] as Record<string, unknown>).eol = '11 July 2026';
    const r = await upload(bad);
    expect(r.statusCode).toBe(422);
    expect(r.json().errors).toEqual([{ field: 'body.products.debian[1] (cycle 12).eol', message: 'must be a date YYYY-MM-DD, true or false' }]);
    expect(r.json().detail).toContain('nothing was loaded');
    expect((await upload({ products: { debian: [{ cycle: '12', eol: false }, { cycle: '12', eol: true }] } })).json().errors[0].field).toBe('body.products.debian[1] (cycle 12).cycle');
    expect((await upload([1, 2])).statusCode).toBe(422);
    expect((await call(t.app, admin, 'GET', '/api/eol/dataset')).json()).toMatchObject({ version: before.version, source: before.source });
    expect(await auditCount('eol.dataset.load')).toBe(audits);
    // Only administrators replace the dataset.
    expect((await upload(relativeDataset(), analyst)).statusCode).toBe(403);
  });

  it('replaces the dataset from an upload (audited) and evaluates every asset again', async () => {
    const r = await upload(relativeDataset());
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toMatchObject({ source: 'test', products: 6, cycles: 10, assetsEvaluated: 2 });
    const rec = (await sql<{ after: any; actor_name: string }>`select after, actor_name from audit_log where action = 'eol.dataset.load' order by seq desc limit 1`.execute(t.database.db)).rows[0];
    expect(rec?.after).toMatchObject({ source: 'test', products: 6, cycles: 10 });
    expect(rec?.actor_name).toBe('eol-admin (token)');
    // A dataset someone loaded is never replaced by the bundled one.
    expect((await call(t.app, auditor, 'GET', '/api/eol/dataset')).json().source).toBe('test');
    expect((await eolOf('esx-01')).state).toBe('unknown');
  });

  it('evaluates OS and software from the inventory: cycles, distribution builds, vendor builds, risk class', async () => {
    const id = await asset('db-01', { osName: 'Ubuntu', osVersion: '22.04' });
    await inventory(id, {
      distro: 'debian', release: 'bookworm',
      packages: [
        { name: 'postgresql-15', version: '1:15.8-0+deb12u1', arch: 'amd64' },
        { name: 'nodejs', version: '18.20.4-1nodesource1', arch: 'amd64' },
        { name: 'bash', version: '5.2.15-2+b7', arch: 'amd64' },
      ],
    });
    const e = await eolOf('db-01');
    expect(e.os).toMatchObject({ product: 'debian', cycle: '12', eol: day(-10), daysLeft: -10, extendedSupport: day(500), state: 'unsupported', detectedFrom: 'inventory: debian bookworm' });
    const pg = e.software.find((s: { product: string }) => s.product === 'postgresql');
    expect(pg).toMatchObject({ cycle: '15', eol: day(400), state: 'supported', coveredBy: 'debian 12', effectiveState: 'unsupported', packages: ['postgresql-15 1:15.8-0+deb12u1'] });
    expect(e.software.find((s: { product: string }) => s.product === 'nodejs')).toMatchObject({ cycle: '18', state: 'unsupported', coveredBy: null });
    expect(e.software).toHaveLength(2);
    expect(e).toMatchObject({ state: 'unsupported', risk: 'medium', unsupportedFrom: day(-100) });
    expect(e.riskReason).toContain('unsupported software: nodejs 18');

    // Exposure raises the class; the stored evaluation follows the asset's fields.
    expect((await call(t.app, analyst, 'PATCH', `/api/assets/${id}`, { networkExposure: 'internet_facing' })).statusCode).toBe(200);
    expect((await eolOf('db-01')).risk).toBe('high');
    // A new inventory is evaluated on the next read.
    await inventory(id, { distro: 'debian', release: 'trixie', packages: [{ name: 'nodejs', version: '22.20.0-1', arch: 'amd64' }] });
    const after = await eolOf('db-01');
    expect(after).toMatchObject({ state: 'supported', risk: 'none', os: { cycle: '13' } });
    expect(after.software).toEqual([expect.objectContaining({ product: 'nodejs', cycle: '22', coveredBy: 'debian 13', effectiveState: 'supported' })]);
    expect((await call(t.app, analyst, 'GET', '/api/assets/00000000-0000-4000-8000-000000000000/eol')).statusCode).toBe(404);
  });

  it('lists and counts unsupported and soon-unsupported assets, riskiest first', async () => {
    await inventory(await asset('web-01'), { distro: 'debian', release: 'trixie', packages: [{ name: 'nginx', version: '1.22.1-1~bookworm', arch: 'amd64' }] });
    await inventory(await asset('app-01', { businessCriticality: 'critical' }), { ecosystem: 'rpm', distro: 'rocky', release: '9.4', packages: [{ name: 'nodejs', version: '1:18.20.4-1nodesource', arch: 'x86_64' }] });
    await asset('dc-01', { osName: 'Windows Server', osVersion: '2012 R2', networkExposure: 'internet_facing' });
    await asset('junos-01', { osName: 'Junos OS', osVersion: '22.4R3' });
    const web = await eolOf('web-01');
    // Exactly 90 days before the end of support counts as soon.
    expect(web).toMatchObject({ state: 'eol_soon', risk: 'low' });
    expect(web.software[0]).toMatchObject({ product: 'nginx', cycle: '1.22', daysLeft: 90, coveredBy: null });

    const r = await call(t.app, auditor, 'GET', '/api/eol/assets');
    expect(r.statusCode, r.body).toBe(200);
    const l = r.json();
    expect(l.items.map((i: { asset: { hostname: string } }) => i.asset.hostname)).toEqual(['dc-01', 'stretch-01', 'app-01', 'web-01']);
    expect(l.items.map((i: { risk: string }) => i.risk)).toEqual(['critical', 'high', 'high', 'low']);
    expect(l.total).toBe(4);
    expect(l.counts).toMatchObject({ unsupported: 3, eolSoon: 1, supported: 1, unknown: 2, unsupportedWithoutControl: 3 });
    expect(l.items[0]).toMatchObject({ os: 'windows-server 2012-r2', products: [{ kind: 'os', product: 'windows-server', cycle: '2012-r2', eol: true, state: 'unsupported' }], activeControls: 0 });
    expect(l.items[2]).toMatchObject({ os: 'rocky-linux 9', products: [{ kind: 'software', product: 'nodejs', cycle: '18', eol: day(-100), daysLeft: -100 }] });

    const only = async (q: string) => (await call(t.app, auditor, 'GET', `/api/eol/assets?${q}`)).json().items.map((i: { asset: { hostname: string } }) => i.asset.hostname);
    expect(await only('state=eol_soon')).toEqual(['web-01']);
    expect(await only('state=unknown')).toEqual(['esx-01', 'junos-01']);
    expect(await only('state=unsupported&risk=high')).toEqual(['stretch-01', 'app-01']);
    expect(await only('limit=1&offset=1')).toEqual(['stretch-01']);
    expect((await call(t.app, auditor, 'GET', '/api/eol/assets?state=dead')).statusCode).toBe(400);
    // Decommissioned assets leave the figures.
    await call(t.app, analyst, 'POST', `/api/assets/${ids['junos-01']}/decommission`, { reason: 'test' });
    expect((await call(t.app, auditor, 'GET', '/api/eol/assets')).json().counts.unknown).toBe(1);
  });

  it('compensating controls: recorded, changed and retired with the asset\'s write rules, audited, shown', async () => {
    const id = ids['stretch-01'] as string;
    const base = `/api/assets/${id}/eol/controls`;
    const r = await call(t.app, analyst, 'POST', base, { control: 'Isolated in VLAN 99; inbound only from the jump host', reviewDate: day(30) });
    expect(r.statusCode, r.body).toBe(201);
    const c = r.json();
    expect(c).toMatchObject({ assetId: id, status: 'active', reviewDate: day(30), reviewOverdue: false, owner: { type: 'user', name: 'eol-analyst' } });
    const e = await eolOf('stretch-01');
    expect(e).toMatchObject({ needsControl: false, controls: [{ id: c.id }] });
    expect((await call(t.app, auditor, 'GET', '/api/eol/assets?withoutControl=true')).json().items.map((i: { asset: { hostname: string } }) => i.asset.hostname)).not.toContain('stretch-01');

    const up = await call(t.app, analyst, 'PATCH', `${base}/${c.id}`, { reviewDate: day(60), description: 'Firewall rule FW-1234' });
    expect(up.statusCode, up.body).toBe(200);
    expect(up.json()).toMatchObject({ reviewDate: day(60), description: 'Firewall rule FW-1234', version: 2 });
    // Refused input changes nothing.
    expect((await call(t.app, analyst, 'POST', base, { control: 'x', reviewDate: day(-1) })).json().errors).toEqual([{ field: 'body.reviewDate', message: 'must be today or later' }]);
    expect((await call(t.app, analyst, 'POST', base, { control: 'x', reviewDate: '2026-02-30' })).statusCode).toBe(400);
    expect((await call(t.app, analyst, 'POST', base, { control: 'x', reviewDate: 'tomorrow' })).json().errors[0].field).toBe('body.reviewDate');
    expect((await call(t.app, analyst, 'POST', base, { control: ' ', reviewDate: day(1) })).statusCode).toBe(400);
    expect((await call(t.app, analyst, 'POST', base, { control: 'x', reviewDate: day(1), ownerUserId: '00000000-0000-4000-8000-000000000000' })).json().errors).toEqual([{ field: 'body.ownerUserId', message: 'no such user' }]);
    // System owners only on their own assets; auditors never.
    expect((await call(t.app, owner.token, 'POST', base, { control: 'mine?', reviewDate: day(1) })).statusCode).toBe(403);
    expect((await call(t.app, auditor, 'POST', base, { control: 'no', reviewDate: day(1) })).statusCode).toBe(403);
    const own = await asset('owned-01', { osName: 'Debian', osVersion: '9' }, owner.token);
    const mine = await call(t.app, owner.token, 'POST', `/api/assets/${own}/eol/controls`, { control: 'Monitored by the SOC', reviewDate: day(7) });
    expect(mine.statusCode, mine.body).toBe(201);
    expect(mine.json().owner).toMatchObject({ type: 'user', id: owner.userId });

    const ret = await call(t.app, analyst, 'POST', `${base}/${c.id}/retire`, { reason: 'host migrated' });
    expect(ret.statusCode, ret.body).toBe(200);
    expect(ret.json()).toMatchObject({ status: 'retired', retireReason: 'host migrated' });
    expect((await call(t.app, analyst, 'PATCH', `${base}/${c.id}`, { reviewDate: day(90) })).statusCode).toBe(409);
    expect((await call(t.app, analyst, 'POST', `${base}/${c.id}/retire`, { reason: 'again' })).statusCode).toBe(409);
    expect((await call(t.app, analyst, 'POST', `${base}/00000000-0000-4000-8000-000000000000/retire`, { reason: 'x' })).statusCode).toBe(404);
    expect(await eolOf('stretch-01')).toMatchObject({ needsControl: true, controls: [{ status: 'retired' }] });

    const hist = (await call(t.app, auditor, 'GET', `/api/assets/${id}/history`)).json() as { action: string; after: any }[];
    expect(hist.map((h) => h.action).filter((a) => a.startsWith('eol.'))).toEqual(['eol.control.retire', 'eol.control.update', 'eol.control.create']);
    expect(hist[0]?.after.compensatingControl).toMatchObject({ status: 'retired', retireReason: 'host migrated', reviewDate: day(60) });
  });

  it('unsupported assets must be inventoried daily (LEG-2); others keep the 7-day interval', async () => {
    const age = (h: string, days: number) => sql`update asset_inventories set collected_at = now() - ${`${days} days`}::interval where asset_id = ${ids[h]}`.execute(t.database.db);
    const coverage = async (h: string) => (await call(t.app, analyst, 'GET', `/api/assets/${ids[h]}`)).json().inventory;
    await age('app-01', 2);
    await age('web-01', 2);
    expect(await coverage('app-01')).toBe('overdue');
    expect(await coverage('web-01')).toBe('current');
    const overdue = (await call(t.app, analyst, 'GET', '/api/assets?inventory=overdue&limit=100')).json().items.map((a: { hostname: string }) => a.hostname);
    expect(overdue).toContain('app-01');
    expect(overdue).not.toContain('web-01');
    const list = async (q: string) => (await call(t.app, analyst, 'GET', `/api/assets?${q}&limit=100`)).json().items.map((a: { hostname: string }) => a.hostname);
    expect(await list('inventory=missing')).toContain('app-01');
    expect(await list('inventory=current')).toContain('web-01');
    expect(await list('inventory=current')).not.toContain('app-01');
    const before = (await call(t.app, analyst, 'GET', '/api/assets/stats')).json().inventoryOverdue;
    // A dataset in which nodejs 18 is supported again takes app-01 back to the 7-day rule.
    const doc = relativeDataset({ nodejs: [{ cycle: '18', eol: day(300) }] });
    expect((await upload(doc)).statusCode).toBe(200);
    expect(await coverage('app-01')).toBe('current');
    expect((await call(t.app, analyst, 'GET', '/api/assets/stats')).json().inventoryOverdue).toBe(before - 1);
  });

  it('the scheduled refresh evaluates assets nobody looked at, so the daily rule applies to them too', async () => {
    const id = await asset('unseen-01');
    await inventory(id, { distro: 'debian', release: 'bookworm', packages: [] });
    await sql`update asset_inventories set collected_at = now() - interval '2 days' where asset_id = ${id}`.execute(t.database.db);
    expect((await call(t.app, analyst, 'GET', `/api/assets/${id}`)).json().inventory).toBe('current');
    expect(await refreshEvaluations(t.database.db)).toBe(1);
    expect(await refreshEvaluations(t.database.db)).toBe(0);
    expect((await call(t.app, analyst, 'GET', `/api/assets/${id}`)).json().inventory).toBe('overdue');
  });

  it('downloads the dataset in the endoflife.date API v1 shape from a URL; conditional; failures change nothing', async () => {
    const mirror = await startMirror(JSON.stringify(asV1(relativeDataset())));
    try {
      const url = `${mirror.url}/eol.json`;
      const r = await call(t.app, admin, 'POST', `/api/eol/dataset/sync?url=${encodeURIComponent(url)}`);
      expect(r.statusCode, r.body).toBe(200);
      expect(r.json()).toMatchObject({ source: url, products: 6, cycles: 10 });
      expect((await eolOf('app-01')).software[0]).toMatchObject({ cycle: '18', eol: day(-100), state: 'unsupported' });
      const again = await call(t.app, admin, 'POST', `/api/eol/dataset/sync?url=${encodeURIComponent(url)}`);
      expect(again.json()).toMatchObject({ notModified: true, source: url });
      expect(mirror.requests[1]?.ifNoneMatch).toBeTruthy();
      const version = again.json().version;
      expect((await call(t.app, admin, 'POST', `/api/eol/dataset/sync?url=${encodeURIComponent(`${mirror.url}/missing.json`)}`)).statusCode).toBe(502);
      const broken = await call(t.app, admin, 'POST', `/api/eol/dataset/sync?url=${encodeURIComponent(`${mirror.url}/broken.json`)}`);
      expect(broken.statusCode).toBe(422);
      expect((await call(t.app, admin, 'POST', '/api/eol/dataset/sync?url=file:///etc/passwd')).statusCode).toBe(400);
      expect((await call(t.app, admin, 'GET', '/api/eol/dataset')).json()).toMatchObject({ source: url, version });
    } finally {
      await mirror.close();
    }
  });

  it.skipIf(!HAVE_FIXTURE)(HAVE_FIXTURE ? 'loads the whole endoflife.date extract from ../shared/fixtures/eol' : `skipped: ${FIXTURE} is absent`, async () => {
    const r = await upload(JSON.parse(fs.readFileSync(FIXTURE, 'utf8')));
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toMatchObject({ products: 41, cycles: 789 });
    expect((await eolOf('stretch-01')).os).toMatchObject({ cycle: '9', eol: '2020-07-18', extendedSupport: '2022-07-01' });
  });
});
