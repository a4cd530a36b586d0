import type { Selectable } from 'kysely';
import type { Db, Tx } from './db.js';
import type { ApiTokensTable, TeamsTable, UsersTable } from './schema.js';

export type UserRow = Selectable<UsersTable>;
export type TokenRow = Selectable<ApiTokensTable>;
export type TeamRow = Selectable<TeamsTable>;

export function findUserByUsername(db: Db | Tx, username: string) {
  return db
    .selectFrom('users')
    .selectAll()
    .where((eb) => eb(eb.fn('lower', ['username']), '=', username.toLowerCase()))
    .executeTakeFirst();
}

export function findUserById(db: Db | Tx, id: string) {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function countUsers(db: Db | Tx): Promise<number> {
  const r = await db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(r.n);
}

export async function teamsOfUsers(db: Db | Tx, userIds: string[]): Promise<Map<string, { id: string; name: string }[]>> {
  const out = new Map<string, { id: string; name: string }[]>();
  if (userIds.length === 0) return out;
  const rows = await db
    .selectFrom('team_members')
    .innerJoin('teams', 'teams.id', 'team_members.team_id')
    .select(['team_members.user_id', 'teams.id', 'teams.name'])
    .where('team_members.user_id', 'in', userIds)
    .orderBy('teams.name')
    .execute();
  for (const r of rows) {
    const list = out.get(r.user_id) ?? [];
    list.push({ id: r.id, name: r.name });
    out.set(r.user_id, list);
  }
  return out;
}

export function findSession(db: Db, id: string) {
  return db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .select([
      'sessions.id as session_id',
      'sessions.csrf_token',
      'sessions.expires_at',
      'users.id',
      'users.username',
      'users.role',
      'users.disabled',
    ])
    .where('sessions.id', '=', id)
    .executeTakeFirst();
}

export function findToken(db: Db, hash: string) {
  return db
    .selectFrom('api_tokens')
    .innerJoin('users', 'users.id', 'api_tokens.user_id')
    .select([
      'api_tokens.id as token_id',
      'api_tokens.scopes',
      'api_tokens.expires_at',
      'api_tokens.revoked_at',
      'api_tokens.last_used_at',
      'users.id',
      'users.username',
      'users.role',
      'users.disabled',
    ])
    .where('api_tokens.token_hash', '=', hash)
    .executeTakeFirst();
}
