import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/lib/crypto.js';
import * as auth from '../../src/services/auth/auth.service.js';
import { bearer, call, type TestApp, testApp, userWithToken } from '../support/app.js';

const PASSWORD = 'correct horse battery staple';

function cookieOf(res: { headers: Record<string, unknown> }): string {
  const raw = res.headers['set-cookie'];
  const first = (Array.isArray(raw) ? raw[0] : raw) as string;
  return first.split(';')[0] as string;
}

describe('first-admin set-up with a one-time code', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await testApp();
  });
  afterAll(() => t.close());

  it('offers set-up only until the first account exists, and only with the code from the log', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/api/auth/status' })).json()).toMatchObject({ needsSetup: true, signedIn: false });
    const code = (await auth.issueSetupCode(t.database.db)) as string;
    expect(code).toMatch(/^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/);
    // Only the hash is stored.
    const stored = await t.database.db.selectFrom('setup_codes').select('code_hash').execute();
    expect(stored.map((s) => s.code_hash)).toEqual([sha256Hex(code)]);

    const wrong = await t.app.inject({ method: 'POST', url: '/api/auth/setup', payload: { code: 'AAAA-BBBB-CCCC', username: 'root', password: PASSWORD } });
    expect(wrong.statusCode).toBe(422);
    expect(wrong.json().errors).toEqual([{ field: 'code', message: 'is not valid' }]);

    const weak = await t.app.inject({ method: 'POST', url: '/api/auth/setup', payload: { code, username: 'root', password: 'short' } });
    expect(weak.statusCode).toBe(400);
    expect(weak.json().errors[0].field).toBe('body.password');

    const ok = await t.app.inject({ method: 'POST', url: '/api/auth/setup', payload: { code: code.toLowerCase(), username: 'root', password: PASSWORD } });
    expect(ok.statusCode).toBe(201);
    expect(ok.json()).toMatchObject({ user: { username: 'root', role: 'admin' }, csrfToken: expect.any(String) });
    const cookie = ok.headers['set-cookie'] as string;
    expect(cookie).toMatch(/patchloop_session=pls_/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);

    const again = await t.app.inject({ method: 'POST', url: '/api/auth/setup', payload: { code, username: 'other', password: PASSWORD } });
    expect(again.statusCode).toBe(409);
    expect(await auth.issueSetupCode(t.database.db)).toBeNull();
    expect((await t.app.inject({ method: 'GET', url: '/api/auth/status' })).json().needsSetup).toBe(false);
  });
});

describe('sessions, CSRF, throttling and tokens (SEC-1)', () => {
  let t: TestApp;
  let adminToken: string;
  beforeAll(async () => {
    t = await testApp();
    ({ token: adminToken } = await userWithToken(t.database, 'admin', 'admin1'));
    await userWithToken(t.database, 'system_owner', 'owner1');
  });
  afterAll(() => t.close());

  const login = (username: string, password: string) => t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password }, remoteAddress: `10.9.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}` });

  it('stores password hashes as argon2id, never the password', async () => {
    const row = await t.database.db.selectFrom('users').select('password_hash').where('username', '=', 'owner1').executeTakeFirstOrThrow();
    expect(row.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(row.password_hash).not.toContain(PASSWORD);
  });

  it('logs in with the cookie, requires the CSRF token for writes, and logs out', async () => {
    const res = await login('OWNER1', PASSWORD);
    expect(res.statusCode).toBe(200);
    const cookie = cookieOf(res);
    const csrf = res.json().csrfToken;
    const me = await t.app.inject({ method: 'GET', url: '/api/auth/me', headers: { cookie } });
    expect(me.json()).toMatchObject({ user: { username: 'owner1', role: 'system_owner' }, csrfToken: csrf });

    const body = { hostname: 'csrf01', environment: 'test', systemType: 'other', businessCriticality: 'low', networkExposure: 'isolated' };
    const noCsrf = await t.app.inject({ method: 'POST', url: '/api/assets', headers: { cookie }, payload: body });
    expect(noCsrf.statusCode).toBe(403);
    expect(noCsrf.json().detail).toContain('CSRF');
    const badCsrf = await t.app.inject({ method: 'POST', url: '/api/assets', headers: { cookie, 'x-csrf-token': 'nope' }, payload: body });
    expect(badCsrf.statusCode).toBe(403);
    const ok = await t.app.inject({ method: 'POST', url: '/api/assets', headers: { cookie, 'x-csrf-token': csrf }, payload: body });
    expect(ok.statusCode).toBe(201);

    const out = await t.app.inject({ method: 'POST', url: '/api/auth/logout', headers: { cookie, 'x-csrf-token': csrf } });
    expect(out.statusCode).toBe(204);
    expect((await t.app.inject({ method: 'GET', url: '/api/auth/me', headers: { cookie } })).statusCode).toBe(401);
  });

  it('answers a wrong password and an unknown user alike, then locks the account after repeated failures', async () => {
    await userWithToken(t.database, 'auditor', 'victim');
    const unknown = await login('nobody-here', PASSWORD);
    const wrong = await login('victim', 'wrong password 1');
    expect(unknown.statusCode).toBe(401);
    expect(wrong.statusCode).toBe(401);
    expect(unknown.json().detail).toBe(wrong.json().detail);
    for (let i = 0; i < 4; i++) expect((await login('victim', `wrong ${i}`)).statusCode).toBe(401);
    // Five failures: locked, even with the right password.
    const locked = await login('victim', PASSWORD);
    expect(locked.statusCode).toBe(429);
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
    const trail = await t.database.db.selectFrom('audit_log').select('action').where('action', '=', 'auth.login_failed').execute();
    expect(trail.length).toBeGreaterThanOrEqual(5);
    // When the lock expires the right password works and the counter resets.
    await t.database.db.updateTable('users').set({ locked_until: new Date(Date.now() - 1000) }).where('username', '=', 'victim').execute();
    expect((await login('victim', PASSWORD)).statusCode).toBe(200);
    const row = await t.database.db.selectFrom('users').select('failed_logins').where('username', '=', 'victim').executeTakeFirstOrThrow();
    expect(row.failed_logins).toBe(0);
  });

  it('rate-limits login attempts per client address', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 22; i++) {
      statuses.push((await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'ghost', password: 'x' }, remoteAddress: '10.66.0.1' })).statusCode);
    }
    expect(statuses.slice(0, 20).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(20)).toEqual([429, 429]);
  });

  it('creates tokens shown once and stored hashed, scoped, expiring and revocable', async () => {
    const created = await call(t.app, adminToken, 'POST', '/api/tokens', { name: 'ci', scopes: ['asset:read'], expiresInDays: 30 });
    // Tokens cannot mint tokens: that needs a signed-in session.
    expect(created.statusCode).toBe(403);

    const res = await login('admin1', PASSWORD);
    const cookie = cookieOf(res);
    const csrf = res.json().csrfToken;
    const mk = await t.app.inject({ method: 'POST', url: '/api/tokens', headers: { cookie, 'x-csrf-token': csrf }, payload: { name: 'ci', scopes: ['asset:read'], expiresInDays: 30 } });
    expect(mk.statusCode).toBe(201);
    const { token, info } = mk.json();
    expect(token).toMatch(/^plt_/);
    expect(info.prefix).toBe(token.slice(0, 12));
    const rows = await t.database.db.selectFrom('api_tokens').select(['token_hash']).where('id', '=', info.id).execute();
    expect(rows[0]?.token_hash).toBe(sha256Hex(token));
    const listed = await t.app.inject({ method: 'GET', url: '/api/tokens', headers: { cookie } });
    expect(listed.body).not.toContain(token);

    expect((await t.app.inject({ method: 'GET', url: '/api/assets', headers: bearer(token) })).statusCode).toBe(200);
    const write = await call(t.app, token, 'POST', '/api/assets', { hostname: 'scoped', environment: 'test', systemType: 'other', businessCriticality: 'low', networkExposure: 'isolated' });
    expect(write.statusCode).toBe(403);

    await sql`update api_tokens set expires_at = now() - interval '1 minute' where id = ${info.id}`.execute(t.database.db);
    expect((await t.app.inject({ method: 'GET', url: '/api/assets', headers: bearer(token) })).statusCode).toBe(401);
    await sql`update api_tokens set expires_at = null where id = ${info.id}`.execute(t.database.db);
    expect((await t.app.inject({ method: 'GET', url: '/api/assets', headers: bearer(token) })).statusCode).toBe(200);

    const revoked = await t.app.inject({ method: 'DELETE', url: `/api/tokens/${info.id}`, headers: { cookie, 'x-csrf-token': csrf } });
    expect(revoked.json().revokedAt).not.toBeNull();
    expect((await t.app.inject({ method: 'GET', url: '/api/assets', headers: bearer(token) })).statusCode).toBe(401);
  });

  it('refuses to grant scopes beyond the role', async () => {
    const res = await login('owner1', PASSWORD);
    const mk = await t.app.inject({ method: 'POST', url: '/api/tokens', headers: { cookie: cookieOf(res), 'x-csrf-token': res.json().csrfToken }, payload: { name: 'x', scopes: ['user:write'], expiresInDays: 1 } });
    expect(mk.statusCode).toBe(422);
    expect(mk.json().errors[0]).toMatchObject({ field: 'scopes' });
  });

  it('a disabled user loses every session and token at once', async () => {
    const { user, token } = await userWithToken(t.database, 'security_analyst', 'leaver');
    const res = await login('leaver', PASSWORD);
    const cookie = cookieOf(res);
    expect((await call(t.app, adminToken, 'PATCH', `/api/users/${user.id}`, { disabled: true })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: '/api/auth/me', headers: { cookie } })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'GET', url: '/api/assets', headers: bearer(token) })).statusCode).toBe(401);
    expect((await login('leaver', PASSWORD)).statusCode).toBe(401);
  });

  it('keeps at least one active administrator', async () => {
    const admins = await t.database.db.selectFrom('users').select('id').where('role', '=', 'admin').execute();
    const { token } = await userWithToken(t.database, 'admin', 'admin2');
    for (const a of admins) expect((await call(t.app, token, 'PATCH', `/api/users/${a.id}`, { role: 'auditor' })).statusCode).toBe(200);
    const self = await t.database.db.selectFrom('users').select('id').where('username', '=', 'admin2').executeTakeFirstOrThrow();
    const r = await call(t.app, token, 'PATCH', `/api/users/${self.id}`, { role: 'auditor' });
    expect(r.statusCode).toBe(422);
  });
});
