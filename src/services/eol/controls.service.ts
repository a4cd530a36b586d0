import { sql } from 'kysely';
import type { Control, ControlCreate, ControlUpdate } from '../../domain/eol/controls.js';
import { utcDay } from '../../domain/eol/cycles.js';
import { ConflictError, type FieldProblem, NotFoundError, ValidationError } from '../../lib/errors.js';
import type { Db, Tx } from '../../storage/db.js';
import { requestReprioritisation } from '../priority/requests.js';
import * as audit from '../audit/audit.service.js';
import { checkOwnScope, WRITE } from '../assets/assets.service.js';
import { authorize, authorizeAny, type Ctx } from '../context.js';

export type { Control } from '../../domain/eol/controls.js';

/** Compensating controls per asset (LEG-2); writes follow the asset's write rules (system owners: their own assets). */

interface ControlRow {
  id: string;
  asset_id: string;
  control: string;
  kind: string;
  description: string | null;
  owner_user_id: string | null;
  owner_team_id: string | null;
  owner_name: string | null;
  review_date: string;
  status: string;
  retired_at: Date | null;
  retire_reason: string | null;
  created_at: Date;
  updated_at: Date;
  version: number;
}

function selectControls() {
  return sql<ControlRow>`
    select c.id, c.asset_id, c.control, c.kind, c.description, c.owner_user_id, c.owner_team_id, coalesce(u.username, t.name) as owner_name,
      c.review_date::text as review_date, c.status, c.retired_at, c.retire_reason, c.created_at, c.updated_at, c.version
    from eol_controls c left join users u on u.id = c.owner_user_id left join teams t on t.id = c.owner_team_id`;
}

function toControl(r: ControlRow, today: string): Control {
  const owner = r.owner_user_id ? { type: 'user' as const, id: r.owner_user_id, name: r.owner_name ?? '' } : r.owner_team_id ? { type: 'team' as const, id: r.owner_team_id, name: r.owner_name ?? '' } : null;
  return {
    id: r.id, assetId: r.asset_id, control: r.control, kind: r.kind as Control['kind'], description: r.description, owner, reviewDate: r.review_date,
    reviewOverdue: r.status === 'active' && r.review_date < today, status: r.status as Control['status'],
    retiredAt: r.retired_at?.toISOString() ?? null, retireReason: r.retire_reason,
    createdAt: r.created_at.toISOString(), updatedAt: r.updated_at.toISOString(), version: r.version,
  };
}

/** What the audit trail keeps of a control. */
function snapshot(c: Control) {
  const { reviewOverdue: _o, createdAt: _c, updatedAt: _u, assetId: _a, ...rest } = c;
  return rest;
}

async function loadControl(db: Db | Tx, assetId: string, id: string): Promise<Control | null> {
  const r = await sql<ControlRow>`${selectControls()} where c.id = ${id}::uuid and c.asset_id = ${assetId}::uuid`.execute(db);
  return r.rows[0] ? toControl(r.rows[0], utcDay(new Date())) : null;
}

export async function listControls(db: Db, ctx: Ctx, assetId: string): Promise<Control[]> {
  authorize(ctx, 'asset:read');
  const today = utcDay(new Date());
  const r = await sql<ControlRow>`${selectControls()} where c.asset_id = ${assetId}::uuid order by (c.status = 'active') desc, c.review_date, c.created_at`.execute(db);
  return r.rows.map((x) => toControl(x, today));
}

/** Locks the asset, checks it exists and the caller may change it. */
async function writableAsset(tx: Tx, ctx: Ctx, assetId: string) {
  const asset = await tx.selectFrom('assets').select(['id', 'owner_user_id', 'owner_team_id', 'lifecycle']).where('id', '=', assetId).forUpdate().executeTakeFirst();
  if (!asset) throw new NotFoundError('Asset');
  await checkOwnScope(tx, ctx, asset, {});
  return asset;
}

async function checkFields(tx: Tx, input: { ownerUserId?: string | null; ownerTeamId?: string | null; reviewDate?: string }) {
  const problems: FieldProblem[] = [];
  if (input.ownerUserId && !(await tx.selectFrom('users').select('id').where('id', '=', input.ownerUserId).executeTakeFirst())) problems.push({ field: 'body.ownerUserId', message: 'no such user' });
  if (input.ownerTeamId && !(await tx.selectFrom('teams').select('id').where('id', '=', input.ownerTeamId).executeTakeFirst())) problems.push({ field: 'body.ownerTeamId', message: 'no such team' });
  if (input.reviewDate !== undefined && input.reviewDate < utcDay(new Date())) problems.push({ field: 'body.reviewDate', message: 'must be today or later' });
  if (problems.length) throw new ValidationError('The control cannot be saved', problems);
}

export async function createControl(db: Db, ctx: Ctx, assetId: string, input: ControlCreate): Promise<Control> {
  authorizeAny(ctx, WRITE);
  return db.transaction().execute(async (tx) => {
    const asset = await writableAsset(tx, ctx, assetId);
    if (asset.lifecycle !== 'active') throw new ConflictError('The asset is decommissioned; reactivate it to record controls');
    let { ownerUserId, ownerTeamId } = input;
    if (!ownerUserId && !ownerTeamId) {
      if (!ctx.principal.userId) throw new ValidationError('Name who owns the control', [{ field: 'body.ownerUserId', message: 'required (or ownerTeamId) when not signed in as a user' }]);
      ownerUserId = ctx.principal.userId;
    }
    await checkFields(tx, { ownerUserId, ownerTeamId, reviewDate: input.reviewDate });
    const { id } = await tx
      .insertInto('eol_controls')
      .values({ asset_id: assetId, control: input.control, kind: input.kind, description: input.description || null, owner_user_id: ownerUserId ?? null, owner_team_id: ownerUserId ? null : (ownerTeamId ?? null), review_date: input.reviewDate })
      .returning('id')
      .executeTakeFirstOrThrow();
    const created = (await loadControl(tx, assetId, id)) as Control;
    await audit.record(tx, ctx, { action: 'eol.control.create', entityType: 'asset', entityId: assetId, after: { compensatingControl: snapshot(created) } });
    // Compensating controls are an input of the priority rules (VUL-4).
    await requestReprioritisation(tx, { kind: 'assets', ids: [assetId] }, 'compensating control recorded', new Date());
    return created;
  });
}

export async function updateControl(db: Db, ctx: Ctx, assetId: string, id: string, input: ControlUpdate): Promise<Control> {
  authorizeAny(ctx, WRITE);
  return db.transaction().execute(async (tx) => {
    await writableAsset(tx, ctx, assetId);
    const before = await loadControl(tx, assetId, id);
    if (!before) throw new NotFoundError('Compensating control');
    if (before.status !== 'active') throw new ConflictError('The control is retired; record a new one instead');
    await checkFields(tx, input);
    const set: Record<string, unknown> = {};
    if (input.control !== undefined) set.control = input.control;
    if (input.kind !== undefined) set.kind = input.kind;
    if (input.description !== undefined) set.description = input.description || null;
    if (input.reviewDate !== undefined) set.review_date = input.reviewDate;
    // Naming one kind of owner replaces the other.
    if (input.ownerUserId) Object.assign(set, { owner_user_id: input.ownerUserId, owner_team_id: null });
    else if (input.ownerTeamId) Object.assign(set, { owner_team_id: input.ownerTeamId, owner_user_id: null });
    await tx.updateTable('eol_controls').set({ ...set, updated_at: new Date(), version: before.version + 1 }).where('id', '=', id).execute();
    const after = (await loadControl(tx, assetId, id)) as Control;
    await audit.record(tx, ctx, { action: 'eol.control.update', entityType: 'asset', entityId: assetId, before: { compensatingControl: snapshot(before) }, after: { compensatingControl: snapshot(after) } });
    // Compensating controls are an input of the priority rules (VUL-4).
    await requestReprioritisation(tx, { kind: 'assets', ids: [assetId] }, 'compensating control changed', new Date());
    return after;
  });
}

export async function retireControl(db: Db, ctx: Ctx, assetId: string, id: string, reason: string): Promise<Control> {
  authorizeAny(ctx, WRITE);
  return db.transaction().execute(async (tx) => {
    await writableAsset(tx, ctx, assetId);
    const before = await loadControl(tx, assetId, id);
    if (!before) throw new NotFoundError('Compensating control');
    if (before.status !== 'active') throw new ConflictError('The control is already retired');
    await tx.updateTable('eol_controls').set({ status: 'retired', retired_at: new Date(), retire_reason: reason, updated_at: new Date(), version: before.version + 1 }).where('id', '=', id).execute();
    const after = (await loadControl(tx, assetId, id)) as Control;
    await audit.record(tx, ctx, { action: 'eol.control.retire', entityType: 'asset', entityId: assetId, before: { compensatingControl: snapshot(before) }, after: { compensatingControl: snapshot(after) } });
    // Compensating controls are an input of the priority rules (VUL-4).
    await requestReprioritisation(tx, { kind: 'assets', ids: [assetId] }, 'compensating control retired', new Date());
    return after;
  });
}
