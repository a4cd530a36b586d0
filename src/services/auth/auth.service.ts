import { verify } from '@node-rs/argon2';
import { sql } from 'kysely';
import { lockoutSeconds } from '../../domain/auth/accounts.js';
import { type Principal, systemPrincipal, tokenPrincipal, userPrincipal } from '../../domain/auth/principal.js';
import { isRole, type Role } from '../../domain/auth/roles.js';
import { humanCode, randomSecret, sha256Hex } from '../../lib/crypto.js';
import { ConflictError, TooManyRequestsError, UnauthorizedError, ValidationError } from '../../lib/errors.js';
import { countUsers, findSession, findToken, findUserByUsername, type UserRow } from '../../storage/accounts.repo.js';
import type { Db, Tx } from '../../storage/db.js';
import * as audit from '../audit/audit.service.js';
import type { Ctx } from '../context.js';
import { hashPassword, insertUser } from '../users/users.service.js';

export const SESSION_PREFIX = 'pls_';
export const TOKEN_PREFIX = 'plt_';

/** A hash to verify against when the user does not exist, so timing does not reveal it. */
let dummyHash: Promise<string> | undefined;

export interface NewSession {
  token: string;
  csrfToken: string;
  expiresAt: Date;
  user: UserRow;
}

async function createSession(tx: Tx, user: UserRow, hours: number, meta: { ip?: string | null; userAgent?: string | null }): Promise<NewSession> {
  const token = randomSecret(SESSION_PREFIX);
  const csrfToken = randomSecret('', 24);
  const expiresAt = new Date(Date.now() + hours * 3600_000);
  await tx
    .insertInto('sessions')
    .values({ id: sha256Hex(token), user_id: user.id, csrf_token: csrfToken, expires_at: expiresAt, ip: meta.ip ?? null, user_agent: meta.userAgent?.slice(0, 500) ?? null })
    .execute();
  await tx.updateTable('users').set({ last_login_at: new Date(), failed_logins: 0, locked_until: null }).where('id', '=', user.id).execute();
  return { token, csrfToken, expiresAt, user };
}

export async function login(
  db: Db,
  input: { username: string; password: string; sessionHours: number; ip?: string | null; userAgent?: string | null; requestId: string | null },
): Promise<NewSession> {
  const user = await findUserByUsername(db, input.username);
  const anon: Ctx = { principal: systemPrincipal(`anonymous (${input.ip ?? 'unknown'})`), requestId: input.requestId, ip: input.ip };
  if (user?.locked_until && user.locked_until > new Date()) {
    const wait = Math.ceil((user.locked_until.getTime() - Date.now()) / 1000);
    throw new TooManyRequestsError(`Too many failed sign-in attempts; try again in ${wait} s`, wait);
  }
  dummyHash ??= hashPassword('not-a-real-password-0000');
  let ok = false;
  if (user?.password_hash) ok = await verify(user.password_hash, input.password);
  else await verify(await dummyHash, input.password); // same work as a real check
  if (!user || !ok || user.disabled) {
    if (user) {
      await db.transaction().execute(async (tx) => {
        const failed = user.failed_logins + 1;
        const lockFor = lockoutSeconds(failed);
        await tx
          .updateTable('users')
          .set({ failed_logins: failed, locked_until: lockFor ? new Date(Date.now() + lockFor * 1000) : null })
          .where('id', '=', user.id)
          .execute();
        await audit.record(tx, { ...anon, principal: { ...anon.principal, name: user.username, userId: user.id } }, {
          action: 'auth.login_failed',
          entityType: 'user',
          entityId: user.id,
          after: { failedLogins: failed, lockedForSeconds: lockFor, reason: user.disabled ? 'disabled' : 'bad_password' },
        });
      });
    }
    throw new UnauthorizedError('Wrong user name or password');
  }
  return db.transaction().execute(async (tx) => {
    const s = await createSession(tx, user, input.sessionHours, input);
    await audit.record(tx, { principal: userPrincipal(user as never), requestId: input.requestId }, {
      action: 'auth.login',
      entityType: 'user',
      entityId: user.id,
      after: { method: 'password', ip: input.ip ?? null },
    });
    return s;
  });
}

/** Session for an already authenticated identity (OIDC). */
export function startSession(db: Db, user: UserRow, opts: { sessionHours: number; ip?: string | null; userAgent?: string | null; requestId: string | null; method: string }) {
  return db.transaction().execute(async (tx) => {
    const s = await createSession(tx, user, opts.sessionHours, opts);
    await audit.record(tx, { principal: userPrincipal(user as never), requestId: opts.requestId }, {
      action: 'auth.login',
      entityType: 'user',
      entityId: user.id,
      after: { method: opts.method, ip: opts.ip ?? null },
    });
    return s;
  });
}

export async function logout(db: Db, ctx: Ctx): Promise<void> {
  const sid = ctx.principal.sessionId;
  if (!sid) return;
  await db.transaction().execute(async (tx) => {
    await tx.deleteFrom('sessions').where('id', '=', sid).execute();
    await audit.record(tx, ctx, { action: 'auth.logout', entityType: 'user', entityId: ctx.principal.userId });
  });
}

export interface Authenticated {
  principal: Principal;
  csrfToken: string | null;
}

export async function resolveSession(db: Db, token: string): Promise<Authenticated | null> {
  if (!token.startsWith(SESSION_PREFIX)) return null;
  const row = await findSession(db, sha256Hex(token));
  if (!row || row.disabled || row.expires_at <= new Date() || !isRole(row.role)) return null;
  return { principal: userPrincipal({ id: row.id, username: row.username, role: row.role as Role }, row.session_id), csrfToken: row.csrf_token };
}

export async function resolveBearer(db: Db, token: string): Promise<Authenticated | null> {
  if (!token.startsWith(TOKEN_PREFIX)) return null;
  const row = await findToken(db, sha256Hex(token));
  if (!row || row.disabled || row.revoked_at || (row.expires_at && row.expires_at <= new Date()) || !isRole(row.role)) return null;
  // last_used_at at minute granularity: no write per request.
  if (!row.last_used_at || Date.now() - row.last_used_at.getTime() > 60_000) {
    await db.updateTable('api_tokens').set({ last_used_at: new Date() }).where('id', '=', row.token_id).execute();
  }
  return {
    principal: tokenPrincipal({ id: row.id, username: row.username, role: row.role as Role }, { id: row.token_id, scopes: row.scopes }),
    csrfToken: null,
  };
}

// ---- first-admin set-up -------------------------------------------------

/** When no account exists, makes a one-time code for the log (valid 24 h); otherwise null. */
export async function issueSetupCode(db: Db): Promise<string | null> {
  if ((await countUsers(db)) > 0) return null;
  const code = humanCode();
  await db.deleteFrom('setup_codes').where('expires_at', '<', new Date()).execute();
  await db.insertInto('setup_codes').values({ code_hash: sha256Hex(code), expires_at: new Date(Date.now() + 24 * 3600_000) }).execute();
  return code;
}

export async function needsSetup(db: Db): Promise<boolean> {
  return (await countUsers(db)) === 0;
}

export async function completeSetup(
  db: Db,
  input: { code: string; username: string; password: string; displayName?: string; email?: string | null; sessionHours: number; ip?: string | null; requestId: string | null },
): Promise<NewSession> {
  return db.transaction().execute(async (tx) => {
    await sql`select pg_advisory_xact_lock(7320118)`.execute(tx);
    if ((await countUsers(tx)) > 0) throw new ConflictError('Set-up is already complete; sign in instead');
    const hit = await tx
      .selectFrom('setup_codes')
      .select('code_hash')
      .where('code_hash', '=', sha256Hex(input.code.trim().toUpperCase()))
      .where('expires_at', '>', new Date())
      .executeTakeFirst();
    if (!hit) throw new ValidationError('The set-up code is wrong or expired; see the server log for the current code', [{ field: 'code', message: 'is not valid' }]);
    const ctx: Ctx = { principal: systemPrincipal('first-admin setup'), requestId: input.requestId, ip: input.ip };
    const user = await insertUser(tx, ctx, { username: input.username, password: input.password, role: 'admin', displayName: input.displayName, email: input.email });
    await tx.deleteFrom('setup_codes').execute();
    return createSession(tx, user, input.sessionHours, { ip: input.ip });
  });
}

export async function changeOwnPassword(db: Db, ctx: Ctx, current: string, next: string): Promise<void> {
  const userId = ctx.principal.userId;
  if (!userId) throw new UnauthorizedError();
  const user = await db.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirst();
  if (!user?.password_hash || !(await verify(user.password_hash, current))) {
    throw new ValidationError('The current password is wrong', [{ field: 'currentPassword', message: 'is wrong' }]);
  }
  const newHash = await hashPassword(next);
  await db.transaction().execute(async (tx) => {
    await tx.updateTable('users').set({ password_hash: newHash, updated_at: new Date() }).where('id', '=', userId).execute();
    await tx.deleteFrom('sessions').where('user_id', '=', userId).where('id', '!=', ctx.principal.sessionId ?? '').execute();
    await audit.record(tx, ctx, { action: 'user.change_own_password', entityType: 'user', entityId: userId });
  });
}
