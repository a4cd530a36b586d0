import type { FastifyInstance } from 'fastify';
import { systemPrincipal } from '../../domain/auth/principal.js';
import type { Permission } from '../../domain/auth/roles.js';
import { safeEqual } from '../../lib/crypto.js';
import { ForbiddenError, UnauthorizedError } from '../../lib/errors.js';
import * as auth from '../../services/auth/auth.service.js';
import { resolveAgentCredential } from '../../services/agents/agents.service.js';
import { AGENT_CREDENTIAL_PREFIX } from '../../domain/agents/protocol.js';
import type { Db } from '../../storage/db.js';

export const SESSION_COOKIE = 'patchloop_session';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Resolves who is calling: a session cookie (browser), a bearer API token, an
 * enrolled agent's credential, or the local operator token the server gives the CLI on this machine.
 * Cookie-authenticated writes must carry the session's CSRF token.
 */
export function registerAuth(app: FastifyInstance, db: Db, opts: { localOperatorToken?: string }) {
  app.decorateRequest('principal', null);
  app.decorateRequest('csrfToken', null);

  app.addHook('onRequest', async (req) => {
    const header = req.headers.authorization;
    if (header) {
      const m = /^Bearer\s+(\S+)$/i.exec(header);
      if (!m) throw new UnauthorizedError('The Authorization header must be "Bearer <token>"');
      const token = m[1] as string;
      if (opts.localOperatorToken && safeEqual(token, opts.localOperatorToken)) {
        req.principal = systemPrincipal('local operator (cli)');
      } else if (token.startsWith(AGENT_CREDENTIAL_PREFIX)) {
        const agent = await resolveAgentCredential(db, token);
        if (!agent) throw new UnauthorizedError('The agent credential is unknown or was revoked; enrol the agent again');
        req.principal = agent;
      } else {
        const found = await auth.resolveBearer(db, token);
        if (!found) throw new UnauthorizedError('The API token is unknown, expired or revoked');
        req.principal = found.principal;
      }
    } else {
      const cookie = req.cookies[SESSION_COOKIE];
      if (cookie) {
        const found = await auth.resolveSession(db, cookie);
        if (found) {
          req.principal = found.principal;
          req.csrfToken = found.csrfToken;
          if (!SAFE_METHODS.has(req.method)) {
            const sent = req.headers['x-csrf-token'];
            if (typeof sent !== 'string' || !found.csrfToken || !safeEqual(sent, found.csrfToken)) {
              throw new ForbiddenError('Missing or wrong CSRF token (send the X-CSRF-Token header from /api/auth/me)');
            }
          }
        }
      }
    }
    const isApi = req.url.startsWith('/api/') && !req.url.startsWith('/api/docs') && !req.url.startsWith('/api/openapi.json');
    if (isApi && !req.routeOptions.config?.public && !req.principal && req.routeOptions.url) {
      throw new UnauthorizedError();
    }
  });

  app.addHook('preValidation', async (req) => {
    const perm = req.routeOptions.config?.permission;
    if (!perm || !req.principal) return;
    const anyOf: readonly Permission[] = typeof perm === 'string' ? [perm] : perm;
    if (!anyOf.some((p) => req.principal?.permissions.has(p))) {
      throw new ForbiddenError(`Your role (${req.principal.role}) does not allow ${anyOf.join(' or ')}`);
    }
  });
}
