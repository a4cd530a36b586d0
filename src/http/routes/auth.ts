import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { passwordSchema, userSchema, usernameSchema } from '../../domain/auth/accounts.js';
import { PERMISSIONS, permissionsOf } from '../../domain/auth/roles.js';
import type { Config } from '../../lib/config.js';
import { UnauthorizedError } from '../../lib/errors.js';
import * as auth from '../../services/auth/auth.service.js';
import * as users from '../../services/users/users.service.js';
import type { Db } from '../../storage/db.js';
import { SESSION_COOKIE } from '../plugins/auth.js';
import { errorResponses } from '../problem.js';
import { ctxOf } from '../types.js';

const tags = ['Authentication'];

const meSchema = z.object({
  user: userSchema.nullable().describe('null for the local operator (CLI)'),
  principal: z.object({ kind: z.enum(['user', 'token', 'system', 'agent']), name: z.string(), role: z.string(), permissions: z.array(z.enum(PERMISSIONS)) }),
  csrfToken: z.string().nullable().describe('Send as X-CSRF-Token on every write made with the session cookie'),
});

export function setSessionCookie(reply: FastifyReply, config: Config, s: { token: string; expiresAt: Date }) {
  reply.setCookie(SESSION_COOKIE, s.token, { httpOnly: true, sameSite: 'lax', secure: config.secureCookies, path: '/', expires: s.expiresAt });
}

export function authRoutes(app: FastifyInstance, db: Db, config: Config) {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get('/api/auth/status', {
    config: { public: true },
    schema: {
      tags, operationId: 'authStatus', summary: 'Whether first-admin set-up is pending and which sign-in methods exist',
      response: { 200: z.object({ needsSetup: z.boolean(), signedIn: z.boolean(), oidc: z.object({ enabled: z.boolean(), label: z.string() }) }) },
    },
  }, async (req) => ({
    needsSetup: await auth.needsSetup(db),
    signedIn: req.principal !== null,
    oidc: { enabled: !!config.oidc, label: config.oidc?.label ?? '' },
  }));

  r.post('/api/auth/setup', {
    config: { public: true, rateLimit: { max: 10, timeWindow: '1 minute' } },
    schema: {
      tags, operationId: 'setupFirstAdmin', summary: 'Create the first administrator with the one-time code from the server log',
      body: z.strictObject({ code: z.string().min(1).max(64), username: usernameSchema, password: passwordSchema, displayName: z.string().max(200).optional(), email: z.email().max(254).nullable().optional() }),
      response: { 201: meSchema, ...errorResponses },
    },
  }, async (req, reply) => {
    const s = await auth.completeSetup(db, { ...req.body, sessionHours: config.sessionHours, ip: req.ip, requestId: String(req.id) });
    setSessionCookie(reply, config, s);
    return reply.code(201).send(await me(db, s.user.id, s.csrfToken));
  });

  r.post('/api/auth/login', {
    config: { public: true, rateLimit: { max: 20, timeWindow: '1 minute' } },
    schema: {
      tags, operationId: 'login', summary: 'Sign in with user name and password; sets the session cookie',
      body: z.strictObject({ username: z.string().min(1).max(254), password: z.string().min(1).max(1024) }),
      response: { 200: meSchema, ...errorResponses },
    },
  }, async (req, reply) => {
    const s = await auth.login(db, { ...req.body, sessionHours: config.sessionHours, ip: req.ip, userAgent: req.headers['user-agent'] ?? null, requestId: String(req.id) });
    setSessionCookie(reply, config, s);
    return me(db, s.user.id, s.csrfToken);
  });

  r.post('/api/auth/logout', {
    schema: { tags, operationId: 'logout', summary: 'End this session', response: { 204: z.null(), ...errorResponses } },
  }, async (req, reply) => {
    await auth.logout(db, ctxOf(req));
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.code(204).send(null);
  });

  r.get('/api/auth/me', {
    schema: { tags, operationId: 'me', summary: 'Who is signed in, with the CSRF token for this session', response: { 200: meSchema, ...errorResponses } },
  }, async (req) => {
    const p = ctxOf(req).principal;
    if (!p.userId) return { user: null, principal: { kind: p.kind, name: p.name, role: p.role, permissions: [...p.permissions] }, csrfToken: null };
    return { ...(await me(db, p.userId, req.csrfToken)), principal: { kind: p.kind, name: p.name, role: p.role, permissions: [...p.permissions] } };
  });

  r.post('/api/auth/password', {
    config: { rateLimit: { max: 10, timeWindow: '1 minute' } },
    schema: {
      tags, operationId: 'changeOwnPassword', summary: 'Change your own password (ends your other sessions)',
      body: z.strictObject({ currentPassword: z.string().min(1).max(1024), newPassword: passwordSchema }),
      response: { 204: z.null(), ...errorResponses },
    },
  }, async (req, reply) => {
    const ctx = ctxOf(req);
    if (!ctx.principal.userId || ctx.principal.kind !== 'user') throw new UnauthorizedError('Sign in with your password to change it');
    await auth.changeOwnPassword(db, ctx, req.body.currentPassword, req.body.newPassword);
    return reply.code(204).send(null);
  });
}

async function me(db: Db, userId: string, csrfToken: string | null) {
  const user = await users.loadOwnUser(db, userId);
  return {
    user,
    principal: { kind: 'user' as const, name: user.username, role: user.role, permissions: [...permissionsOf(user.role)] },
    csrfToken,
  };
}
