import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as assets from '../../src/services/assets/assets.service.js';
import * as audit from '../../src/services/audit/audit.service.js';
import { call, operator, type TestApp, testApp, userWithToken } from '../support/app.js';

const base = { environment: 'production', systemType: 'web_server', businessCriticality: 'high', networkExposure: 'internal' } as const;

describe('audit trail (CMP-5)', () => {
  let t: TestApp;
  let token: string;
  beforeAll(async () => {
    t = await testApp();
    ({ token } = await userWithToken(t.database, 'admin', 'alice'));
    for (let i = 1; i <= 6; i++) await assets.createAsset(t.database.db, operator, { ...base, hostname: `web${i}` });
  });
  afterAll(() => t.close());

  it('records actor, action, entity, before/after and request id in the same transaction as the change', async () => {
    const created = await call(t.app, token, 'POST', '/api/assets', { ...base, hostname: 'audited01' });
    expect(created.statusCode).toBe(201);
    const id = created.json().id;
    const patched = await t.app.inject({ method: 'PATCH', url: `/api/assets/${id}`, headers: { authorization: `Bearer ${token}`, 'x-request-id': 'req-abc-123' }, payload: { department: 'Finance' } });
    expect(patched.statusCode).toBe(200);
    const res = await call(t.app, token, 'GET', `/api/audit?entityId=${id}`);
    const [update, create] = res.json().items;
    expect(create).toMatchObject({ action: 'asset.create', actorName: 'alice (token)', entityType: 'asset', entityId: id, before: null });
    expect(update).toMatchObject({ action: 'asset.update', requestId: 'req-abc-123', before: { department: null }, after: { department: 'Finance' } });
    expect(update.prevHash).toBe(create.hash);
  });

  it('a failed change writes no audit record', async () => {
    const before = await audit.verifyChain(t.database.db, operator);
    const dup = await call(t.app, token, 'POST', '/api/assets', { ...base, hostname: 'web1' });
    expect(dup.statusCode).toBe(409);
    const after = await audit.verifyChain(t.database.db, operator);
    expect(after.checked).toBe(before.checked);
  });

  it('the database refuses UPDATE, DELETE and TRUNCATE on the trail', async () => {
    await expect(sql`update audit_log set action = 'x' where seq = 1`.execute(t.database.db)).rejects.toThrow(/append-only/);
    await expect(sql`delete from audit_log where seq = 1`.execute(t.database.db)).rejects.toThrow(/append-only/);
    await expect(sql`truncate audit_log`.execute(t.database.db)).rejects.toThrow(/append-only/);
  });

  it('verify passes on the untouched chain, through the API', async () => {
    const r = await call(t.app, token, 'GET', '/api/audit/verify');
    expect(r.json()).toMatchObject({ ok: true });
    expect(r.json().checked).toBeGreaterThanOrEqual(8);
  });

  it('exports the trail as JSON Lines in chain order', async () => {
    const r = await call(t.app, token, 'GET', '/api/audit/export');
    expect(r.headers['content-type']).toContain('application/x-ndjson');
    const lines = r.body.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.seq)).toEqual(lines.map((_, i) => i + 1));
    for (let i = 1; i < lines.length; i++) expect(lines[i].prevHash).toBe(lines[i - 1].hash);
  });

  it('offers the entity types, actions and actors present, and filters by actor id', async () => {
    const f = (await call(t.app, token, 'GET', '/api/audit/facets')).json();
    expect(f.entityTypes).toEqual(expect.arrayContaining(['asset', 'user', 'api_token']));
    expect(f.actions).toEqual(expect.arrayContaining(['asset.create', 'asset.update', 'user.create']));
    const alice = await t.database.db.selectFrom('users').select('id').where('username', '=', 'alice').executeTakeFirstOrThrow();
    const mine = (await call(t.app, token, 'GET', `/api/audit?actorId=${alice.id}`)).json().items;
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.every((r: { actorId: string }) => r.actorId === alice.id)).toBe(true);
  });

  it('filters by actor, entity type and time', async () => {
    const byActor = (await call(t.app, token, 'GET', '/api/audit?actor=alice%20(token)')).json().items;
    expect(byActor.length).toBeGreaterThan(0);
    expect(byActor.every((r: { actorName: string }) => r.actorName === 'alice (token)')).toBe(true);
    const future = (await call(t.app, token, 'GET', `/api/audit?from=${encodeURIComponent('2099-01-01T00:00:00Z')}`)).json().items;
    expect(future).toEqual([]);
    const users = (await call(t.app, token, 'GET', '/api/audit?entityType=user')).json().items;
    expect(users.every((r: { entityType: string }) => r.entityType === 'user')).toBe(true);
  });
});

describe('tampering by SQL is detected and located', () => {
  // Each case gets its own database: tampering is destructive.
  async function withChain(fn: (t: TestApp) => Promise<void>) {
    const t = await testApp();
    try {
      for (let i = 1; i <= 5; i++) await assets.createAsset(t.database.db, operator, { ...base, hostname: `h${i}` });
      // What an attacker with database rights does first.
      await sql`alter table audit_log disable trigger user`.execute(t.database.db);
      await fn(t);
    } finally {
      await t.close();
    }
  }

  it('an altered row', () =>
    withChain(async (t) => {
      await sql`update audit_log set after = jsonb_set(after, '{hostname}', '"evil"') where seq = 3`.execute(t.database.db);
      const r = await audit.verifyChain(t.database.db, operator);
      expect(r).toMatchObject({ ok: false, problem: { kind: 'altered', seq: 3 } });
    }));

  it('a removed row', () =>
    withChain(async (t) => {
      await sql`delete from audit_log where seq = 2`.execute(t.database.db);
      const r = await audit.verifyChain(t.database.db, operator);
      expect(r).toMatchObject({ ok: false, problem: { kind: 'removed', seq: 2 } });
    }));

  it('reordered rows', () =>
    withChain(async (t) => {
      await sql`update audit_log set seq = -1 where seq = 2`.execute(t.database.db);
      await sql`update audit_log set seq = 2 where seq = 4`.execute(t.database.db);
      await sql`update audit_log set seq = 4 where seq = -1`.execute(t.database.db);
      const r = await audit.verifyChain(t.database.db, operator);
      expect(r).toMatchObject({ ok: false, problem: { kind: 'reordered', seq: 2 } });
      expect(r.problem?.message).toContain('written as record 4');
    }));

  it('the newest rows removed', () =>
    withChain(async (t) => {
      await sql`delete from audit_log where seq >= 4`.execute(t.database.db);
      const r = await audit.verifyChain(t.database.db, operator);
      expect(r).toMatchObject({ ok: false, problem: { kind: 'truncated', seq: 4 } });
    }));
});
