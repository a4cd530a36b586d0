import type { ApiToken, TokenCreate } from '../../domain/auth/accounts.js';
import { permissionsOf, type Role } from '../../domain/auth/roles.js';
import { randomSecret, sha256Hex } from '../../lib/crypto.js';
import { ForbiddenError, NotFoundError, ValidationError } from '../../lib/errors.js';
import type { Db } from '../../storage/db.js';
import * as audit from '../audit/audit.service.js';
import { authorize, type Ctx } from '../context.js';
import { TOKEN_PREFIX } from './auth.service.js';

function toToken(r: {
  id: string; name: string; prefix: string; scopes: string[]; expires_at: Date | null; revoked_at: Date | null;
  last_used_at: Date | null; created_at: Date; user_id: string; username: string;
}): ApiToken {
  return {
    id: r.id,
    name: r.name,
    prefix: r.prefix,
    scopes: r.scopes,
    expiresAt: r.expires_at?.toISOString() ?? null,
    revokedAt: r.revoked_at?.toISOString() ?? null,
    lastUsedAt: r.last_used_at?.toISOString() ?? null,
    createdAt: r.created_at.toISOString(),
    userId: r.user_id,
    username: r.username,
  };
}

/** Creates a token for the calling user. The secret is returned once and only its hash is kept. */
export async function createToken(db: Db, ctx: Ctx, input: TokenCreate): Promise<{ token: string; info: ApiToken }> {
  authorize(ctx, 'token:own');
  const p = ctx.principal;
  if (!p.userId) throw new ForbiddenError('Only user accounts own API tokens');
  if (p.kind === 'token') throw new ForbiddenError('An API token cannot create further tokens; sign in to do this');
  const allowed = permissionsOf(p.role as Role);
  const outside = input.scopes.filter((s) => !allowed.has(s));
  if (outside.length) {
    throw new ValidationError(`Your role cannot grant: ${outside.join(', ')}`, [{ field: 'scopes', message: `not allowed for role ${p.role}: ${outside.join(', ')}` }]);
  }
  const secret = randomSecret(TOKEN_PREFIX);
  const userId = p.userId;
  const row = await db.transaction().execute(async (tx) => {
    const r = await tx
      .insertInto('api_tokens')
      .values({
        user_id: userId,
        name: input.name,
        token_hash: sha256Hex(secret),
        prefix: secret.slice(0, 12),
        scopes: [...new Set(input.scopes)],
        expires_at: input.expiresInDays ? new Date(Date.now() + input.expiresInDays * 86400_000) : null,
        revoked_at: null,
        last_used_at: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    const { token_hash, ...kept } = r;
    await audit.record(tx, ctx, { action: 'token.create', entityType: 'api_token', entityId: r.id, after: kept });
    return r;
  });
  return { token: secret, info: toToken({ ...row, username: p.name }) };
}

/** Own tokens; administrators see everybody's (to revoke a leaked one). */
export async function listTokens(db: Db, ctx: Ctx): Promise<ApiToken[]> {
  authorize(ctx, 'token:own');
  let q = db
    .selectFrom('api_tokens')
    .innerJoin('users', 'users.id', 'api_tokens.user_id')
    .select(['api_tokens.id', 'api_tokens.name', 'api_tokens.prefix', 'api_tokens.scopes', 'api_tokens.expires_at', 'api_tokens.revoked_at', 'api_tokens.last_used_at', 'api_tokens.created_at', 'api_tokens.user_id', 'users.username']);
  if (!ctx.principal.permissions.has('system:admin')) q = q.where('api_tokens.user_id', '=', ctx.principal.userId ?? '00000000-0000-0000-0000-000000000000');
  return (await q.orderBy('api_tokens.created_at', 'desc').execute()).map(toToken);
}

export async function revokeToken(db: Db, ctx: Ctx, id: string): Promise<ApiToken> {
  authorize(ctx, 'token:own');
  return db.transaction().execute(async (tx) => {
    const before = await tx.selectFrom('api_tokens').innerJoin('users', 'users.id', 'api_tokens.user_id').selectAll('api_tokens').select('users.username').where('api_tokens.id', '=', id).forUpdate().executeTakeFirst();
    const mine = before && before.user_id === ctx.principal.userId;
    if (!before || (!mine && !ctx.principal.permissions.has('system:admin'))) throw new NotFoundError('API token');
    if (before.revoked_at) return toToken(before);
    const after = await tx.updateTable('api_tokens').set({ revoked_at: new Date() }).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
    const strip = ({ token_hash, ...rest }: typeof after) => rest;
    await audit.record(tx, ctx, { action: 'token.revoke', entityType: 'api_token', entityId: id, before: strip(before), after: strip(after) });
    return toToken({ ...after, username: before.username });
  });
}
