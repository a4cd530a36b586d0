import type { Principal } from '../domain/auth/principal.js';
import type { Permission } from '../domain/auth/roles.js';
import type { Ctx } from '../services/context.js';
import type { FastifyRequest } from 'fastify';
import { UnauthorizedError } from '../lib/errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
    csrfToken: string | null;
  }
  interface FastifyContextConfig {
    /** Reachable without signing in. */
    public?: boolean;
    /** Checked before the body is validated, so a caller without it learns nothing of the schema. */
    permission?: Permission | readonly Permission[];
  }
}

/** The service context of a request that must be authenticated. */
export function ctxOf(req: FastifyRequest): Ctx {
  if (!req.principal) throw new UnauthorizedError();
  return { principal: req.principal, requestId: String(req.id), ip: req.ip };
}
