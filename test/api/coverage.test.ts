import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, type TestApp, testApp, userWithToken } from '../support/app.js';

/**
 * Inventory coverage (INV-5): each asset shows when it was last inventoried;
 * active assets never inventoried or last inventoried more than 7 days ago
 * are flagged, listed (?inventory=) and counted (/api/assets/stats).
 */
describe('inventory coverage', () => {
  let t: TestApp;
  let token: string;
  const ids: Record<string, string> = {};

  async function asset(hostname: string, extra: Record<string, unknown> = {}) {
    const r = await call(t.app, token, 'POST', '/api/assets', { hostname, environment: 'production', systemType: 'application_server', businessCriticality: 'medium', networkExposure: 'internal', ...extra });
    expect(r.statusCode).toBe(201);
    ids[hostname] = r.json().id;
    return r.json().id as string;
  }
  const inventory = (id: string) => call(t.app, token, 'PUT', `/api/assets/${id}/inventory`, { release: 'bookworm', packages: [{ name: 'bash', version: '5.2.15-2' }] });
  const ageDays = (id: string, days: number) => sql`update asset_inventories set collected_at = now() - ${`${days} days`}::interval where asset_id = ${id}`.execute(t.database.db);
  const list = async (q: string) => ((await call(t.app, token, 'GET', `/api/assets?${q}&limit=100`)).json().items as { hostname: string }[]).map((a) => a.hostname).sort();

  beforeAll(async () => {
    t = await testApp();
    ({ token } = await userWithToken(t.database, 'security_analyst', 'cov'));
    await asset('never-01');
    await inventory(await asset('fresh-01'));
    await inventory(await asset('stale-01'));
    await ageDays(ids['stale-01'] as string, 8);
    await inventory(await asset('six-days-01'));
    await ageDays(ids['six-days-01'] as string, 6);
    await inventory(await asset('retired-01'));
    await ageDays(ids['retired-01'] as string, 30);
    await call(t.app, token, 'POST', `/api/assets/${ids['retired-01']}/decommission`, { reason: 'test' });
  });
  afterAll(async () => t?.close());

  it('shows when each asset was last inventoried and its coverage state', async () => {
    const get = async (h: string) => (await call(t.app, token, 'GET', `/api/assets/${ids[h]}`)).json();
    expect(await get('never-01')).toMatchObject({ lastInventoriedAt: null, inventory: 'never' });
    expect(await get('fresh-01')).toMatchObject({ inventory: 'current' });
    expect((await get('fresh-01')).lastInventoriedAt).not.toBeNull();
    expect(await get('stale-01')).toMatchObject({ inventory: 'overdue' });
    expect(await get('six-days-01')).toMatchObject({ inventory: 'current' });
    expect(await get('retired-01')).toMatchObject({ inventory: null });
  });

  it('lists and counts the active assets missing an inventory, decommissioned ones excluded', async () => {
    expect(await list('inventory=never')).toEqual(['never-01']);
    expect(await list('inventory=overdue')).toEqual(['stale-01']);
    expect(await list('inventory=missing')).toEqual(['never-01', 'stale-01']);
    expect(await list('inventory=current')).toEqual(['fresh-01', 'six-days-01']);
    expect(await list('inventory=missing&lifecycle=all')).toEqual(['never-01', 'stale-01']);
    const stats = (await call(t.app, token, 'GET', '/api/assets/stats')).json();
    expect(stats).toMatchObject({ neverInventoried: 1, inventoryOverdue: 1 });
    expect((await call(t.app, token, 'GET', '/api/assets?inventory=sometimes')).statusCode).toBe(400);
  });

  it('a check-in brings an overdue asset back to current', async () => {
    await call(t.app, token, 'PUT', `/api/assets/${ids['stale-01']}/inventory`, { release: 'bookworm', packages: [{ name: 'bash', version: '5.2.15-2' }] });
    expect(await list('inventory=overdue')).toEqual([]);
  });

  it('keeps the history of software changes: versions changed, installed, removed', async () => {
    const id = await asset('history-01');
    const put = (packages: unknown[]) => call(t.app, token, 'PUT', `/api/assets/${id}/inventory`, { release: 'bookworm', packages });
    await put([{ name: 'openssl', version: '3.0.15-1~deb12u1', arch: 'amd64' }, { name: 'telnet', version: '0.17-44', arch: 'amd64' }]);
    await put([{ name: 'openssl', version: '3.0.17-1~deb12u2', arch: 'amd64' }, { name: 'curl', version: '7.88.1-10+deb12u12', arch: 'amd64' }]);
    const h = (await call(t.app, token, 'GET', `/api/assets/${id}/inventory/history`)).json();
    expect(h).toHaveLength(2);
    expect(h[0].changes).toEqual([
      { package: 'curl:amd64', from: null, to: '7.88.1-10+deb12u12' },
      { package: 'openssl:amd64', from: '3.0.15-1~deb12u1', to: '3.0.17-1~deb12u2' },
      { package: 'telnet:amd64', from: '0.17-44', to: null },
    ]);
    expect(h[1]).toMatchObject({ first: true, packages: 2, changes: [] });
    expect((await call(t.app, token, 'GET', '/api/assets/00000000-0000-4000-8000-000000000000/inventory/history')).statusCode).toBe(404);
  });
});
