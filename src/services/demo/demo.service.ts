import { sql } from 'kysely';
import { DEMO_TAG, DEMO_TEAMS, DEMO_USERS, demoAssets } from '../../domain/demo/organisation.js';
import { ConflictError } from '../../lib/errors.js';
import type { Db } from '../../storage/db.js';
import { insertAsset } from '../assets/assets.service.js';
import * as audit from '../audit/audit.service.js';
import { authorize, type Ctx } from '../context.js';
import { insertUser } from '../users/users.service.js';

export interface DemoSummary {
  users: number;
  teams: number;
  assets: number;
}

/** Loads the sample organisation in one transaction, through the same paths as real data (audited). */
export async function loadDemo(db: Db, ctx: Ctx): Promise<DemoSummary> {
  authorize(ctx, 'system:admin');
  return db.transaction().execute(async (tx) => {
    const already = await tx.selectFrom('assets').select('id').where(sql<boolean>`tags @> array[${DEMO_TAG}]::text[]`).limit(1).executeTakeFirst();
    if (already) throw new ConflictError('The demo organisation is already loaded');
    const userIds = new Map<string, string>();
    let users = 0;
    for (const u of DEMO_USERS) {
      const existing = await tx.selectFrom('users').select('id').where('username', '=', u.username).executeTakeFirst();
      if (existing) userIds.set(u.username, existing.id);
      else {
        userIds.set(u.username, (await insertUser(tx, ctx, u)).id);
        users++;
      }
    }
    const teamIds = new Map<string, string>();
    let teams = 0;
    for (const t of DEMO_TEAMS) {
      const existing = await tx.selectFrom('teams').select('id').where('name', '=', t.name).executeTakeFirst();
      if (existing) {
        teamIds.set(t.name, existing.id);
        continue;
      }
      const row = await tx
        .insertInto('teams')
        .values({ name: t.name, description: t.description, email: t.email, manager_user_id: userIds.get(t.manager) ?? null })
        .returningAll()
        .executeTakeFirstOrThrow();
      await tx.insertInto('team_members').values(t.members.map((m) => ({ team_id: row.id, user_id: userIds.get(m) as string }))).execute();
      await audit.record(tx, ctx, { action: 'team.create', entityType: 'team', entityId: row.id, after: { ...row, members: t.members } });
      teamIds.set(t.name, row.id);
      teams++;
    }
    const list = demoAssets();
    for (const { owner, decommissioned, ...a } of list) {
      const created = await insertAsset(tx, ctx, {
        ...a,
        ownerUserId: owner?.type === 'user' ? (userIds.get(owner.name) ?? null) : null,
        ownerTeamId: owner?.type === 'team' ? (teamIds.get(owner.name) ?? null) : null,
      }, 'asset.demo_create');
      if (decommissioned) {
        await tx.updateTable('assets').set({ lifecycle: 'decommissioned', decommissioned_at: new Date(), version: 2 }).where('id', '=', created.id).execute();
        await audit.record(tx, ctx, { action: 'asset.decommission', entityType: 'asset', entityId: created.id, before: { lifecycle: 'active' }, after: { lifecycle: 'decommissioned', reason: 'Replaced by container platform' } });
      }
    }
    return { users, teams, assets: list.length };
  });
}
