import type { FastifyInstance, InjectOptions } from 'fastify';
import pino from 'pino';
import { systemPrincipal } from '../../src/domain/auth/principal.js';
import { PERMISSIONS, type Role, permissionsOf } from '../../src/domain/auth/roles.js';
import { buildApp, type AppDeps } from '../../src/http/app.js';
import { loadConfig } from '../../src/lib/config.js';
import * as tokens from '../../src/services/auth/tokens.service.js';
import type { Ctx } from '../../src/services/context.js';
import { createUser } from '../../src/services/users/users.service.js';
import type { Database } from '../../src/storage/db.js';
import { freshDatabase } from './db.js';

export const operator: Ctx = { principal: systemPrincipal('test operator'), requestId: 'test' };

export interface TestApp {
  app: FastifyInstance;
  database: Database;
  close(): Promise<void>;
}

export async function testApp(overrides: Partial<AppDeps> & { env?: Record<string, string> } = {}): Promise<TestApp> {
  const database = overrides.database ?? (await freshDatabase());
  const config = overrides.config ?? loadConfig({ PATCHLOOP_DATA_DIR: '/nonexistent', PATCHLOOP_LOG_LEVEL: 'silent', ...overrides.env });
  const app = await buildApp({ database, config, logger: pino({ level: 'silent' }), webDir: null, ...overrides });
  await app.ready();
  return {
    app,
    database,
    async close() {
      await app.close();
      if (!overrides.database) await database.close();
    },
  };
}

let n = 0;

/** A user of the given role with an API token carrying all of the role's permissions. */
export async function userWithToken(database: Database, role: Role, name = `${role}-${++n}`) {
  const user = await createUser(database.db, operator, { username: name, role, password: 'correct horse battery staple' });
  const principal = { kind: 'user' as const, userId: user.id, name: user.username, role, permissions: permissionsOf(role) };
  const scopes = [...permissionsOf(role)].filter((p) => (PERMISSIONS as readonly string[]).includes(p));
  if (!principal.permissions.has('token:own')) {
    // Roles without token:own (auditor, agent) get their token made by an operator acting as them.
    const created = await tokens.createToken(database.db, { principal: { ...principal, permissions: new Set([...principal.permissions, 'token:own']) }, requestId: 'test' }, { name: 'test', scopes: scopes as never, expiresInDays: 1 });
    return { user, token: created.token };
  }
  const created = await tokens.createToken(database.db, { principal, requestId: 'test' }, { name: 'test', scopes: scopes as never, expiresInDays: 1 });
  return { user, token: created.token };
}

export function bearer(token: string) {
  return { authorization: `Bearer ${token}` };
}

/** Inject with a bearer token and JSON body. */
export function call(app: FastifyInstance, token: string, method: InjectOptions['method'], url: string, body?: unknown) {
  return app.inject({ method, url, headers: bearer(token), ...(body !== undefined ? { payload: body as object } : {}) });
}
