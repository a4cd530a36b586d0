import type { Principal } from '../domain/auth/principal.js';
import type { Permission } from '../domain/auth/roles.js';
import { ForbiddenError } from '../lib/errors.js';

/** What every service call carries: who acts, and the request it belongs to. */
export interface Ctx {
  readonly principal: Principal;
  readonly requestId: string | null;
  readonly ip?: string | null;
}

export function authorize(ctx: Ctx, perm: Permission): void {
  if (!ctx.principal.permissions.has(perm)) {
    throw new ForbiddenError(`Your role (${ctx.principal.role}) does not allow ${perm}`);
  }
}

/** At least one of the permissions (e.g. asset:write, or asset:write_own for one's own assets). */
export function authorizeAny(ctx: Ctx, perms: readonly Permission[]): void {
  if (!perms.some((p) => ctx.principal.permissions.has(p))) {
    throw new ForbiddenError(`Your role (${ctx.principal.role}) does not allow ${perms.join(' or ')}`);
  }
}
