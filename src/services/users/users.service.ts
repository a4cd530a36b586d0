import { hash } from '@node-rs/argon2';
import type { User, UserCreate, UserUpdate } from '../../domain/auth/accounts.js';
import type { Role } from '../../domain/auth/roles.js';
import { ConflictError, NotFoundError, ValidationError } from '../../lib/errors.js';
import { type UserRow, findUserById, findUserByUsername, teamsOfUsers } from '../../storage/accounts.repo.js';
import type { Db, Tx } from '../../storage/db.js';
import * as audit from '../audit/audit.service.js';
import { authorize, type Ctx } from '../context.js';

/** OWASP-recommended argon2id parameters (19 MiB, 2 passes). */
const ARGON2 = { algorithm: 2 /* Argon2id */, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2);
}

export function toUser(r: UserRow, teams: { id: string; name: string }[] = []): User {
  return {
    id: r.id,
    username: r.username,
    displayName: r.display_name,
    email: r.email,
    role: r.role as Role,
    disabled: r.disabled,
    sso: r.oidc_subject !== null,
    lastLoginAt: r.last_login_at?.toISOString() ?? null,
    createdAt: r.created_at.toISOString(),
    teams,
  };
}

/** What the audit trail keeps of a user: never the password hash. */
function auditView(r: UserRow) {
  const { password_hash, failed_logins, locked_until, last_login_at, ...rest } = r;
  return { ...rest, hasPassword: password_hash !== null };
}

/** Creates a user inside a transaction the caller owns (also used by first-admin set-up). */
export async function insertUser(tx: Tx, ctx: Ctx, input: UserCreate & { oidcIssuer?: string; oidcSubject?: string }): Promise<UserRow> {
  if (await findUserByUsername(tx, input.username)) {
    throw new ConflictError(`A user named "${input.username}" already exists`, [{ field: 'username', message: 'is already taken' }]);
  }
  const row = await tx
    .insertInto('users')
    .values({
      username: input.username,
      display_name: input.displayName ?? input.username,
      email: input.email ?? null,
      role: input.role,
      password_hash: input.password ? await hashPassword(input.password) : null,
      oidc_issuer: input.oidcIssuer ?? null,
      oidc_subject: input.oidcSubject ?? null,
      locked_until: null,
      last_login_at: null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await audit.record(tx, ctx, { action: 'user.create', entityType: 'user', entityId: row.id, after: auditView(row) });
  return row;
}

export async function createUser(db: Db, ctx: Ctx, input: UserCreate): Promise<User> {
  authorize(ctx, 'user:write');
  const row = await db.transaction().execute((tx) => insertUser(tx, ctx, input));
  return toUser(row);
}

export async function listUsers(db: Db, ctx: Ctx): Promise<User[]> {
  authorize(ctx, 'user:read');
  const rows = await db.selectFrom('users').selectAll().orderBy('username').execute();
  const teams = await teamsOfUsers(db, rows.map((r) => r.id));
  return rows.map((r) => toUser(r, teams.get(r.id)));
}

/** The signed-in user's own record: everyone may read themselves. */
export async function loadOwnUser(db: Db, id: string): Promise<User> {
  const row = await findUserById(db, id);
  if (!row) throw new NotFoundError('User');
  const teams = await teamsOfUsers(db, [id]);
  return toUser(row, teams.get(id));
}

export async function getUser(db: Db, ctx: Ctx, id: string): Promise<User> {
  authorize(ctx, 'user:read');
  const row = await findUserById(db, id);
  if (!row) throw new NotFoundError('User');
  const teams = await teamsOfUsers(db, [id]);
  return toUser(row, teams.get(id));
}

export async function updateUser(db: Db, ctx: Ctx, id: string, input: UserUpdate): Promise<User> {
  authorize(ctx, 'user:write');
  const row = await db.transaction().execute(async (tx) => {
    const before = await tx.selectFrom('users').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
    if (!before) throw new NotFoundError('User');
    if (ctx.principal.userId === id && (input.disabled === true || (input.role && input.role !== before.role))) {
      throw new ValidationError('You cannot disable yourself or change your own role', [
        { field: input.disabled ? 'disabled' : 'role', message: 'cannot be changed on your own account' },
      ]);
    }
    if ((input.disabled === true || (input.role && input.role !== 'admin')) && before.role === 'admin') {
      const admins = await tx
        .selectFrom('users')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('role', '=', 'admin')
        .where('disabled', '=', false)
        .where('id', '!=', id)
        .executeTakeFirstOrThrow();
      if (Number(admins.n) === 0) throw new ValidationError('The last active administrator cannot be removed or disabled');
    }
    const after = await tx
      .updateTable('users')
      .set({
        ...(input.displayName !== undefined && { display_name: input.displayName }),
        ...(input.email !== undefined && { email: input.email }),
        ...(input.role !== undefined && { role: input.role }),
        ...(input.disabled !== undefined && { disabled: input.disabled }),
        ...(input.password !== undefined && { password_hash: await hashPassword(input.password), failed_logins: 0, locked_until: null }),
        updated_at: new Date(),
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    // A disabled account or a new password ends every open session.
    if (input.disabled === true || input.password !== undefined || (input.role && input.role !== before.role)) {
      await tx.deleteFrom('sessions').where('user_id', '=', id).execute();
    }
    await audit.record(tx, ctx, {
      action: input.password !== undefined ? 'user.update_password' : 'user.update',
      entityType: 'user',
      entityId: id,
      before: auditView(before),
      after: auditView(after),
    });
    return after;
  });
  const teams = await teamsOfUsers(db, [id]);
  return toUser(row, teams.get(id));
}
