import type { Team, TeamCreate, TeamUpdate } from '../../domain/auth/accounts.js';
import { ConflictError, NotFoundError, ValidationError } from '../../lib/errors.js';
import type { Db, Tx } from '../../storage/db.js';
import * as audit from '../audit/audit.service.js';
import { authorize, type Ctx } from '../context.js';

async function load(db: Db | Tx, ids?: string[]): Promise<Team[]> {
  let q = db.selectFrom('teams').selectAll();
  if (ids) q = q.where('id', 'in', ids.length ? ids : ['00000000-0000-0000-0000-000000000000']);
  const teams = await q.orderBy('name').execute();
  if (teams.length === 0) return [];
  const teamIds = teams.map((t) => t.id);
  const members = await db
    .selectFrom('team_members')
    .innerJoin('users', 'users.id', 'team_members.user_id')
    .select(['team_members.team_id', 'users.id', 'users.username', 'users.display_name'])
    .where('team_members.team_id', 'in', teamIds)
    .orderBy('users.username')
    .execute();
  const counts = await db
    .selectFrom('assets')
    .select(['owner_team_id', (eb) => eb.fn.countAll<number>().as('n')])
    .where('owner_team_id', 'in', teamIds)
    .where('lifecycle', '=', 'active')
    .groupBy('owner_team_id')
    .execute();
  const countBy = new Map(counts.map((c) => [c.owner_team_id, Number(c.n)]));
  return teams.map((t) => ({
    id: t.id,
    name: t.name,
    description: t.description,
    email: t.email,
    managerUserId: t.manager_user_id,
    members: members.filter((m) => m.team_id === t.id).map((m) => ({ id: m.id, username: m.username, displayName: m.display_name })),
    assetCount: countBy.get(t.id) ?? 0,
    createdAt: t.created_at.toISOString(),
    updatedAt: t.updated_at.toISOString(),
  }));
}

async function checkUsers(tx: Tx, ids: string[], field: string) {
  if (!ids.length) return;
  const found = new Set((await tx.selectFrom('users').select('id').where('id', 'in', ids).execute()).map((u) => u.id));
  const missing = ids.filter((id) => !found.has(id));
  if (missing.length) throw new ValidationError('Some users do not exist', missing.map((id) => ({ field, message: `no user with id ${id}` })));
}

function duplicate(err: unknown, name: string | undefined): never {
  if ((err as { code?: string }).code === '23505') throw new ConflictError(`A team named "${name}" already exists`, [{ field: 'name', message: 'is already taken' }]);
  throw err;
}

export async function listTeams(db: Db, ctx: Ctx): Promise<Team[]> {
  authorize(ctx, 'team:read');
  return load(db);
}

export async function getTeam(db: Db, ctx: Ctx, id: string): Promise<Team> {
  authorize(ctx, 'team:read');
  const [t] = await load(db, [id]);
  if (!t) throw new NotFoundError('Team');
  return t;
}

export async function createTeam(db: Db, ctx: Ctx, input: TeamCreate): Promise<Team> {
  authorize(ctx, 'team:write');
  return db.transaction().execute(async (tx) => {
    await checkUsers(tx, [...(input.memberIds ?? []), ...(input.managerUserId ? [input.managerUserId] : [])], 'memberIds');
    let id: string;
    try {
      id = (
        await tx
          .insertInto('teams')
          .values({ name: input.name, description: input.description ?? null, email: input.email ?? null, manager_user_id: input.managerUserId ?? null })
          .returning('id')
          .executeTakeFirstOrThrow()
      ).id;
    } catch (err) {
      duplicate(err, input.name);
    }
    const members = [...new Set(input.memberIds ?? [])];
    if (members.length) await tx.insertInto('team_members').values(members.map((user_id) => ({ team_id: id, user_id }))).execute();
    const [team] = await load(tx, [id]);
    await audit.record(tx, ctx, { action: 'team.create', entityType: 'team', entityId: id, after: team });
    return team as Team;
  });
}

export async function updateTeam(db: Db, ctx: Ctx, id: string, input: TeamUpdate): Promise<Team> {
  authorize(ctx, 'team:write');
  return db.transaction().execute(async (tx) => {
    const [before] = await load(tx, [id]);
    if (!before) throw new NotFoundError('Team');
    await checkUsers(tx, [...(input.memberIds ?? []), ...(input.managerUserId ? [input.managerUserId] : [])], 'memberIds');
    try {
      await tx
        .updateTable('teams')
        .set({
          ...(input.name !== undefined && { name: input.name }),
          ...(input.description !== undefined && { description: input.description }),
          ...(input.email !== undefined && { email: input.email }),
          ...(input.managerUserId !== undefined && { manager_user_id: input.managerUserId }),
          updated_at: new Date(),
        })
        .where('id', '=', id)
        .execute();
    } catch (err) {
      duplicate(err, input.name);
    }
    if (input.memberIds) {
      await tx.deleteFrom('team_members').where('team_id', '=', id).execute();
      const members = [...new Set(input.memberIds)];
      if (members.length) await tx.insertInto('team_members').values(members.map((user_id) => ({ team_id: id, user_id }))).execute();
    }
    const [after] = await load(tx, [id]);
    await audit.record(tx, ctx, { action: 'team.update', entityType: 'team', entityId: id, before, after });
    return after as Team;
  });
}

export async function deleteTeam(db: Db, ctx: Ctx, id: string): Promise<void> {
  authorize(ctx, 'team:write');
  await db.transaction().execute(async (tx) => {
    const [before] = await load(tx, [id]);
    if (!before) throw new NotFoundError('Team');
    const owned = await tx.selectFrom('assets').select('id').where('owner_team_id', '=', id).limit(1).executeTakeFirst();
    if (owned) throw new ConflictError(`Team "${before.name}" still owns assets; give them another owner first`);
    await tx.deleteFrom('teams').where('id', '=', id).execute();
    await audit.record(tx, ctx, { action: 'team.delete', entityType: 'team', entityId: id, before });
  });
}
