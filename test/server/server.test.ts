import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/lib/config.js';
import { createLogger } from '../../src/lib/logger.js';
import { cliTokenPath, type RunningServer, startServer } from '../../src/main/server.js';
import { DataDirBusyError } from '../../src/storage/db.js';
import { freshDatabase, onPostgres } from '../support/db.js';
import { routeList } from '../support/routes.js';

/** The real server on the embedded database, as `npm start` runs it. */
describe(`server on the ${onPostgres() ? 'PostgreSQL server (DATABASE_URL)' : 'embedded database'}`, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'patchloop-server-'));
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk));
      cb();
    },
  });
  let config = loadConfig({ PATCHLOOP_DATA_DIR: dir, PORT: '0', HOST: '127.0.0.1', PATCHLOOP_LOG_LEVEL: 'info' });
  let server: RunningServer;

  beforeAll(async () => {
    if (onPostgres()) {
      const db = await freshDatabase();
      await db.close();
      config = loadConfig({ PATCHLOOP_DATA_DIR: dir, PORT: '0', HOST: '127.0.0.1', DATABASE_URL: db.url as string });
    }
    server = await startServer(config, createLogger('info', sink));
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers health, readiness and metrics', async () => {
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${server.url}/readyz`)).json()).toEqual({ status: 'ready', database: onPostgres() ? 'postgres' : 'embedded' });
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toContain('patchloop_http_request_duration_seconds_bucket');
    expect(metrics).toContain('patchloop_process_cpu_user_seconds_total');
  });

  it('prints a one-time set-up code in its log that creates the first admin', async () => {
    const line = logs.find((l) => l.includes('set-up code'));
    const code = /set-up code ([A-Z2-9-]{14})/.exec(line ?? '')?.[1];
    expect(code).toBeTruthy();
    const res = await fetch(`${server.url}/api/auth/setup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code, username: 'first', password: 'a long enough secret' }) });
    expect(res.status).toBe(201);
  });

  it('never writes passwords, cookies or tokens to the log', async () => {
    const res = await fetch(`${server.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'first', password: 'a long enough secret' }) });
    const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] as string;
    await fetch(`${server.url}/api/auth/me`, { headers: { cookie, authorization: 'Bearer plt_not_a_real_token' } });
    await new Promise((r) => setTimeout(r, 100));
    const all = logs.join('');
    expect(all).toContain('/api/auth/login');
    expect(all).not.toContain('a long enough secret');
    expect(all).not.toContain(cookie.split('=')[1]);
    expect(all).not.toContain('plt_not_a_real_token');
  });

  it('documents every API route in its OpenAPI 3.1 document', async () => {
    const doc = await (await fetch(`${server.url}/api/openapi.json`)).json();
    expect(doc.openapi).toBe('3.1.0');
    const documented = new Set<string>();
    for (const [p, ops] of Object.entries(doc.paths as Record<string, object>)) for (const m of Object.keys(ops)) documented.add(`${m.toUpperCase()} ${p}`);
    const routes = routeList(server.app)
      .filter((r) => r.path.startsWith('/api/') && !r.path.startsWith('/api/docs') && r.path !== '/api/openapi.json')
      .map((r) => `${r.method} ${r.path}`);
    expect(routes.length).toBeGreaterThan(25);
    expect(routes.filter((r) => !documented.has(r))).toEqual([]);
    // And each documented operation has an id and an error response shape.
    for (const ops of Object.values(doc.paths as Record<string, Record<string, { operationId?: string }>>)) for (const op of Object.values(ops)) expect(op.operationId).toBeTruthy();
    expect((await fetch(`${server.url}/api/docs/`)).status).toBe(200);
  });

  it('serves the web UI shell for client-side routes, and problem+json for unknown API paths', async () => {
    const builtUi = fs.existsSync(path.join(process.cwd(), 'dist/web/index.html'));
    const page = await fetch(`${server.url}/assets/some-id`);
    if (builtUi) expect(await page.text()).toContain('<div id="root">');
    const api = await fetch(`${server.url}/api/nothing-here`);
    expect(api.status).toBe(404);
    expect(api.headers.get('content-type')).toContain('application/problem+json');
  });

  it.skipIf(onPostgres())('holds the data directory: a second process cannot open it, and the CLI gets an operator token file', async () => {
    const tokenFile = cliTokenPath(dir);
    expect(fs.statSync(tokenFile).mode & 0o777).toBe(0o600);
    await expect(startServer(config, createLogger('silent'))).rejects.toBeInstanceOf(DataDirBusyError);
  });
});

describe('configuration is validated once at start', () => {
  it('names the bad setting', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(ConfigError);
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL: must be a postgres/);
    expect(() => loadConfig({ OIDC_ISSUER: 'https://id.example' })).toThrow(/OIDC_CLIENT_ID/);
    expect(() => loadConfig({ PATCHLOOP_JOBS_IN_SERVER: 'maybe' })).toThrow(/PATCHLOOP_JOBS_IN_SERVER/);
    expect(() => loadConfig({ PATCHLOOP_FEED_SYNC: 'daily' })).toThrow(/PATCHLOOP_FEED_SYNC: must be a five-field cron/);
    expect(loadConfig({ PATCHLOOP_FEED_SYNC: 'off' }).feedSyncCron).toBeNull();
  });
  it('uses safe defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ port: 8080, databaseUrl: undefined, secureCookies: false, jobsInServer: true });
    expect(Object.isFrozen(c)).toBe(true);
    expect(loadConfig({ PATCHLOOP_PUBLIC_URL: 'https://patch.example.eu' }).secureCookies).toBe(true);
  });
});
