/**
 * OIDC single sign-on (SEC-1) against a real OpenID provider (`oidc-provider`)
 * started by the test, with patchloop started the way `patchloop serve` starts
 * it (startServer), both listening on 127.0.0.1. A cookie-keeping fetch walks
 * the whole authorization code flow with PKCE, state and nonce.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/lib/config.js';
import { type RunningServer, startServer } from '../../src/main/server.js';
import { createUser } from '../../src/services/users/users.service.js';
import { freshDatabase, onPostgres } from '../support/db.js';
import { operator } from '../support/app.js';
import { Browser, browseUntil, freePort, startOidcProvider, type TestProvider } from '../support/oidc-provider.js';

interface Patchloop {
  server: RunningServer;
  url: string;
  close(): Promise<void>;
}

/** patchloop on a fixed free port so that PATCHLOOP_PUBLIC_URL (and so the redirect URI) is the real address. */
async function startPatchloop(port: number, env: Record<string, string>): Promise<Patchloop> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'patchloop-oidc-'));
  let databaseUrl: string | undefined;
  if (onPostgres()) {
    const copy = await freshDatabase();
    databaseUrl = copy.url;
    await copy.close();
  }
  const url = `http://127.0.0.1:${port}`;
  const config = loadConfig({
    PATCHLOOP_DATA_DIR: dataDir,
    PORT: String(port),
    HOST: '127.0.0.1',
    PATCHLOOP_LOG_LEVEL: 'silent',
    PATCHLOOP_PUBLIC_URL: url,
    PATCHLOOP_JOBS_IN_SERVER: 'false',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    ...env,
  });
  const server = await startServer(config, pino({ level: 'silent' }));
  expect(server.url).toBe(url);
  return {
    server,
    url,
    async close() {
      await server.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function setupSso(env: Record<string, string> = {}, providerOpts: { conformIdTokenClaims?: boolean } = {}) {
  const port = await freePort();
  const redirectUri = `http://127.0.0.1:${port}/api/auth/oidc/callback`;
  const idp = await startOidcProvider({ redirectUri, ...providerOpts });
  const pl = await startPatchloop(port, { OIDC_ISSUER: idp.issuer, OIDC_CLIENT_ID: idp.clientId, OIDC_CLIENT_SECRET: idp.clientSecret, ...env });
  return { idp, pl };
}

/** The whole flow in a fresh browser: returns the browser, where patchloop finally sent it, and the callback response. */
async function signIn(pl: Patchloop, accountId: string, tamper?: (callback: URL) => URL) {
  const browser = new Browser();
  const isCallback = (u: URL) => u.origin === pl.url && u.pathname === '/api/auth/oidc/callback';
  let callback = await browseUntil(browser, `${pl.url}/api/auth/oidc/login`, accountId, isCallback);
  expect(callback.searchParams.get('code')).toBeTruthy();
  expect(callback.searchParams.get('state')).toBeTruthy();
  if (tamper) callback = tamper(callback);
  const res = await browser.fetch(callback);
  expect(res.status).toBe(302);
  const landing = new URL(res.headers.get('location') as string, pl.url);
  return { browser, landing, session: browser.get('patchloop_session') };
}

async function me(pl: Patchloop, browser: Browser) {
  return browser.fetch(`${pl.url}/api/auth/me`);
}

async function userByName(pl: Patchloop, username: string) {
  return pl.server.database.db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
}

async function auditOf(pl: Patchloop, userId: string) {
  return pl.server.database.db.selectFrom('audit_log').selectAll().where('entity_id', '=', userId).orderBy('seq').execute();
}

describe('OIDC single sign-on against a real provider', () => {
  let idp: TestProvider;
  let pl: Patchloop;
  beforeAll(async () => {
    ({ idp, pl } = await setupSso());
    idp.accounts.set('u-alice', { sub: 'u-alice', claims: { preferred_username: 'alice.sso', name: 'Alice Example', email: 'alice@example.org', email_verified: true, patchloop_role: 'security_analyst' } });
    idp.accounts.set('u-norole', { sub: 'u-norole', claims: { preferred_username: 'nobody', name: 'No Role', email: 'nobody@example.org' } });
    idp.accounts.set('u-bob', { sub: 'u-bob', claims: { preferred_username: 'bob', name: 'Bob Precreated', email: 'bob@example.org' } });
    idp.accounts.set('u-mallory', { sub: 'u-mallory', claims: { preferred_username: 'localadmin', name: 'Same name as a local admin', patchloop_role: 'auditor' } });
    idp.accounts.set('u-carol', { sub: 'u-carol', claims: { preferred_username: 'carol', patchloop_role: ['some-other-app-role', 'change_approver'] } });
    idp.accounts.set('u-dave', { sub: 'u-dave', claims: { preferred_username: 'dave', patchloop_role: 'system_owner' } });
  }, 120_000);
  afterAll(async () => {
    await pl?.close();
    await idp?.close();
  });

  it('advertises single sign-on on the status endpoint', async () => {
    const res = await fetch(`${pl.url}/api/auth/status`);
    expect((await res.json()).oidc).toEqual({ enabled: true, label: 'Single sign-on' });
  });

  it('the login redirect carries PKCE (S256), state and nonce, and the flow cookie is HttpOnly', async () => {
    const res = await fetch(`${pl.url}/api/auth/oidc/login`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    const to = new URL(res.headers.get('location') as string);
    expect(to.origin).toBe(idp.issuer);
    expect(to.searchParams.get('client_id')).toBe(idp.clientId);
    expect(to.searchParams.get('redirect_uri')).toBe(`${pl.url}/api/auth/oidc/callback`);
    expect(to.searchParams.get('code_challenge_method')).toBe('S256');
    expect(to.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(to.searchParams.get('state')).toBeTruthy();
    expect(to.searchParams.get('nonce')).toBeTruthy();
    const flow = res.headers.getSetCookie().find((c) => c.startsWith('patchloop_oidc='));
    expect(flow).toMatch(/HttpOnly/i);
    expect(flow).toMatch(/SameSite=Lax/i);
  });

  it('provisions a new user with the role from the claim and starts a session', async () => {
    const { browser, landing, session } = await signIn(pl, 'u-alice');
    expect(landing.pathname).toBe('/');
    expect(session).toMatch(/^pls_/);
    const res = await me(pl, browser);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.user).toMatchObject({ username: 'alice.sso', displayName: 'Alice Example', email: 'alice@example.org', role: 'security_analyst', sso: true });
    expect(body.principal.permissions).toContain('asset:write');
    expect(body.csrfToken).toBeTruthy();
    // the flow cookie is gone once used
    expect(browser.get('patchloop_oidc')).toBeUndefined();

    // a write with the SSO session and its CSRF token works like any session
    const created = await browser.fetch(`${pl.url}/api/assets`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-csrf-token': body.csrfToken },
    });
    expect(created.status).toBe(400); // no body: validation, i.e. the session was accepted
  });

  it('writes auth.login with method oidc (and user.create by the SSO system actor) to the audit trail', async () => {
    const u = await userByName(pl, 'alice.sso');
    expect(u?.oidc_subject).toBe('u-alice');
    expect(u?.oidc_issuer).toBe(idp.issuer);
    expect(u?.password_hash).toBeNull();
    const trail = await auditOf(pl, u?.id as string);
    const create = trail.find((r) => r.action === 'user.create');
    expect(create?.actor_name).toBe(`sso (${idp.issuer})`);
    const logins = trail.filter((r) => r.action === 'auth.login');
    expect(logins.length).toBeGreaterThanOrEqual(1);
    expect(logins[0]?.after).toMatchObject({ method: 'oidc' });
    expect(logins[0]?.actor_id).toBe(u?.id);
    const verify = await fetch(`${pl.url}/api/audit/verify`, { headers: { cookie: `patchloop_session=${(await signIn(pl, 'u-alice')).session}` } });
    expect((await verify.json()).ok).toBe(true);
  });

  it('refuses a user without a role claim when no OIDC_DEFAULT_ROLE is set, and creates nobody', async () => {
    const before = await pl.server.database.db.selectFrom('users').select('id').execute();
    const { landing, session } = await signIn(pl, 'u-norole');
    expect(landing.pathname).toBe('/login');
    expect(landing.searchParams.get('error')).toMatch(/no patchloop role/);
    expect(session).toBeUndefined();
    expect(await userByName(pl, 'nobody')).toBeUndefined();
    expect(await pl.server.database.db.selectFrom('users').select('id').execute()).toHaveLength(before.length);
  });

  it('refuses a tampered state and starts no session', async () => {
    const { landing, session } = await signIn(pl, 'u-alice', (cb) => {
      const u = new URL(cb);
      u.searchParams.set('state', `${cb.searchParams.get('state')}x`);
      return u;
    });
    expect(landing.pathname).toBe('/login');
    expect(landing.searchParams.get('error')).toBeTruthy();
    expect(session).toBeUndefined();
  });

  it('refuses a callback that arrives without the flow cookie (another browser) or with a forged code', async () => {
    const browser = new Browser();
    const cb = await browseUntil(browser, `${pl.url}/api/auth/oidc/login`, 'u-alice', (u) => u.pathname === '/api/auth/oidc/callback');
    const stranger = new Browser();
    const res = await stranger.fetch(cb);
    expect(res.status).toBe(302);
    expect(new URL(res.headers.get('location') as string, pl.url).pathname).toBe('/login');
    expect(stranger.get('patchloop_session')).toBeUndefined();

    const forged = new URL(cb);
    forged.searchParams.set('code', 'forged-code');
    const res2 = await browser.fetch(forged);
    expect(new URL(res2.headers.get('location') as string, pl.url).pathname).toBe('/login');
    expect(browser.get('patchloop_session')).toBeUndefined();
  });

  it('an authorization code cannot be used twice', async () => {
    const browser = new Browser();
    const cb = await browseUntil(browser, `${pl.url}/api/auth/oidc/login`, 'u-dave', (u) => u.pathname === '/api/auth/oidc/callback');
    const flowCookie = browser.get('patchloop_oidc') as string;
    const first = await browser.fetch(cb);
    expect(new URL(first.headers.get('location') as string, pl.url).pathname).toBe('/');
    // replay in a browser that still holds the old flow cookie
    const replay = new Browser();
    replay.cookies.set('patchloop_oidc', { value: flowCookie, path: '/api/auth/oidc', expires: null });
    const second = await replay.fetch(cb);
    expect(new URL(second.headers.get('location') as string, pl.url).pathname).toBe('/login');
    expect(replay.get('patchloop_session')).toBeUndefined();
  });

  it('a role change in the claim changes the role at the next sign-in (and is audited)', async () => {
    const first = await signIn(pl, 'u-dave');
    expect((await (await me(pl, first.browser)).json()).user.role).toBe('system_owner');
    (idp.accounts.get('u-dave') as { claims: Record<string, unknown> }).claims.patchloop_role = 'auditor';
    const second = await signIn(pl, 'u-dave');
    const body = await (await me(pl, second.browser)).json();
    expect(body.user.role).toBe('auditor');
    expect(body.principal.permissions).not.toContain('asset:write');
    const u = await userByName(pl, 'dave');
    const change = (await auditOf(pl, u?.id as string)).find((r) => r.action === 'user.role_from_sso');
    expect(change?.before).toEqual({ role: 'system_owner' });
    expect(change?.after).toEqual({ role: 'auditor' });
    // the auditor session cannot write
    const write = await second.browser.fetch(`${pl.url}/api/teams`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-csrf-token': body.csrfToken },
    });
    expect([400, 403]).toContain(write.status);
  });

  it('picks the patchloop role out of a multi-valued role claim and ignores unknown values', async () => {
    const { browser } = await signIn(pl, 'u-carol');
    expect((await (await me(pl, browser)).json()).user.role).toBe('change_approver');
  });

  it('links an SSO-only account an administrator created beforehand, keeping its role', async () => {
    const pre = await createUser(pl.server.database.db, operator, { username: 'bob', role: 'change_approver' });
    const { browser } = await signIn(pl, 'u-bob');
    const body = await (await me(pl, browser)).json();
    expect(body.user).toMatchObject({ id: pre.id, username: 'bob', role: 'change_approver', sso: true });
    expect((await auditOf(pl, pre.id)).map((r) => r.action)).toContain('user.link_sso');
  });

  it('links by e-mail only when the provider verified the address', async () => {
    const pre = await createUser(pl.server.database.db, operator, { username: 'eve@example.org', role: 'admin' });
    idp.accounts.set('u-eve-unverified', { sub: 'u-eve-unverified', claims: { email: 'eve@example.org', email_verified: false, patchloop_role: 'auditor' } });
    const forged = await signIn(pl, 'u-eve-unverified');
    const body = await (await me(pl, forged.browser)).json();
    expect(body.user.id).not.toBe(pre.id);
    expect(body.user.role).toBe('auditor');
    expect((await userByName(pl, 'eve@example.org'))?.oidc_subject).toBeNull();

    idp.accounts.set('u-eve', { sub: 'u-eve', claims: { email: 'eve@example.org', email_verified: true } });
    const real = await signIn(pl, 'u-eve');
    expect((await (await me(pl, real.browser)).json()).user).toMatchObject({ id: pre.id, role: 'admin', sso: true });
  });

  it('never signs an IdP user into a local password account that happens to have the same name', async () => {
    const local = await createUser(pl.server.database.db, operator, { username: 'localadmin', role: 'admin', password: 'correct horse battery staple' });
    const res = await signIn(pl, 'u-mallory');
    // the IdP user gets an account of their own under the fallback name, with the claimed role
    expect(res.session).toBeTruthy();
    const body = await (await me(pl, res.browser)).json();
    expect(body.user.id).not.toBe(local.id);
    expect(body.user).toMatchObject({ username: 'sso-u-mallory', role: 'auditor', sso: true });
    const still = await userByName(pl, 'localadmin');
    expect(still?.oidc_subject).toBeNull();
    expect(still?.role).toBe('admin');
  });

  it('a disabled SSO account is refused', async () => {
    const u = await userByName(pl, 'alice.sso');
    await pl.server.database.db.updateTable('users').set({ disabled: true }).where('id', '=', u?.id as string).execute();
    try {
      const { landing, session } = await signIn(pl, 'u-alice');
      expect(landing.pathname).toBe('/login');
      expect(landing.searchParams.get('error')).toMatch(/disabled/);
      expect(session).toBeUndefined();
    } finally {
      await pl.server.database.db.updateTable('users').set({ disabled: false }).where('id', '=', u?.id as string).execute();
    }
  });
});

describe('OIDC with OIDC_DEFAULT_ROLE and claims only in UserInfo', () => {
  let idp: TestProvider;
  let pl: Patchloop;
  beforeAll(async () => {
    // conformIdTokenClaims (the provider's default): profile claims, and so the role claim, are only in UserInfo.
    ({ idp, pl } = await setupSso({ OIDC_DEFAULT_ROLE: 'auditor' }, { conformIdTokenClaims: true }));
    idp.accounts.set('u-erin', { sub: 'u-erin', claims: { preferred_username: 'erin', name: 'Erin', patchloop_role: 'system_owner' } });
    idp.accounts.set('u-frank', { sub: 'u-frank', claims: { preferred_username: 'frank', name: 'Frank' } });
  }, 120_000);
  afterAll(async () => {
    await pl?.close();
    await idp?.close();
  });

  it('a user without a role claim gets OIDC_DEFAULT_ROLE', async () => {
    const { browser, session } = await signIn(pl, 'u-frank');
    expect(session).toBeTruthy();
    expect((await (await me(pl, browser)).json()).user).toMatchObject({ username: 'frank', role: 'auditor', displayName: 'Frank' });
  });

  it('a role claim the provider releases only through UserInfo is still honoured', async () => {
    const { browser, session } = await signIn(pl, 'u-erin');
    expect(session).toBeTruthy();
    expect((await (await me(pl, browser)).json()).user).toMatchObject({ username: 'erin', role: 'system_owner' });
  });
});
