import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { name as nameText } from '../../domain/text.js';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../lib/errors.js';
import type { Db, Tx } from '../../storage/db.js';
import { record } from '../audit/audit.service.js';
import { authorize, type Ctx } from '../context.js';
import { parseQueryString } from './register.js';

/**
 * Saved views of the register (VUL-8): a name and the list's query string.
 * Anyone who may read the register keeps personal views; a view shared with
 * everyone is part of the register, so sharing, and changing a shared view
 * somebody else made, needs asset:write. Every change is audited in the
 * transaction that makes it.
 */
export const viewCreateSchema = z.strictObject({
  name: nameText(100),
  query: z.string().max(4000).describe('The list\'s query string (status=open&severity=critical&sort=epss); checked like a request'),
  shared: z.boolean().default(false).describe('Visible to everyone (needs asset:write)'),
});
export const viewUpdateSchema = z
  .strictObject({ name: nameText(100).optional(), query: z.string().max(4000).optional(), shared: z.boolean().optional() })
  .refine((v) => v.name !== undefined || v.query !== undefined || v.shared !== undefined, { message: 'change at least one of name, query, shared' });
export type ViewCreate = z.infer<typeof viewCreateSchema>;
export type ViewUpdate = z.infer<typeof viewUpdateSchema>;

export interface FindingView {
  id: string;
  name: string;
  query: string;
  shared: boolean;
  owner: { id: string; name: string } | null;
  mine: boolean;
  createdAt: string;
}

function canonical(query: string): string {
  const r = parseQueryString(query);
  if (!r.ok) throw new ValidationError('The view\'s query is not a valid findings query', r.problems.map((p) => ({ field: `body.${p.field}`, message: p.message })));
  return r.canonical;
}

function isMine(ctx: Ctx, ownerId: string | null): boolean {
  return ownerId === (ctx.principal.userId ?? null);
}

async function load(db: Db | Tx, ctx: Ctx, id: string): Promise<FindingView | null> {
  const r = await db
    .selectFrom('finding_views as fv')
    .leftJoin('users as u', 'u.id', 'fv.owner_id')
    .select(['fv.id', 'fv.name', 'fv.query', 'fv.shared', 'fv.owner_id', 'fv.created_at', 'u.username'])
    .where('fv.id', '=', id)
    .executeTakeFirst();
  if (!r || !(r.shared || isMine(ctx, r.owner_id))) return null;
  return toView(ctx, r);
}

function toView(ctx: Ctx, r: { id: string; name: string; query: unknown; shared: boolean; owner_id: string | null; created_at: Date; username: string | null }): FindingView {
  return {
    id: r.id,
    name: r.name,
    query: (r.query as { qs?: string } | null)?.qs ?? '',
    shared: r.shared,
    owner: r.owner_id ? { id: r.owner_id, name: r.username ?? '' } : null,
    mine: isMine(ctx, r.owner_id),
    createdAt: r.created_at.toISOString(),
  };
}

/** The caller's own views and the shared ones, by name. */
export async function listViews(db: Db, ctx: Ctx): Promise<FindingView[]> {
  authorize(ctx, 'asset:read');
  const me = ctx.principal.userId ?? null;
  const rows = await db
    .selectFrom('finding_views as fv')
    .leftJoin('users as u', 'u.id', 'fv.owner_id')
    .select(['fv.id', 'fv.name', 'fv.query', 'fv.shared', 'fv.owner_id', 'fv.created_at', 'u.username'])
    .where((eb) => eb.or([eb('fv.shared', '=', true), me ? eb('fv.owner_id', '=', me) : eb('fv.owner_id', 'is', null)]))
    .orderBy('fv.name')
    .orderBy('fv.id')
    .limit(500)
    .execute();
  return rows.map((r) => toView(ctx, r));
}

async function assertNameFree(tx: Tx, ownerId: string | null, name: string, except: string | null) {
  let q = tx.selectFrom('finding_views').select('id').where((eb) => eb.fn('lower', ['name']), '=', name.toLowerCase());
  q = ownerId ? q.where('owner_id', '=', ownerId) : q.where('owner_id', 'is', null);
  if (except) q = q.where('id', '<>', except);
  if (await q.executeTakeFirst()) throw new ConflictError(`You already have a view named "${name}"`, [{ field: 'body.name', message: 'is already the name of one of your views' }]);
}

export async function createView(db: Db, ctx: Ctx, input: ViewCreate): Promise<FindingView> {
  // Saved views are personal settings, like API tokens: auditor sessions stay read-only (SEC-2).
  authorize(ctx, 'token:own');
  if (input.shared) authorize(ctx, 'asset:write');
  const qs = canonical(input.query);
  const ownerId = ctx.principal.userId ?? null;
  const id = randomUUID();
  return db.transaction().execute(async (tx) => {
    await assertNameFree(tx, ownerId, input.name, null);
    await tx.insertInto('finding_views').values({ id, owner_id: ownerId, name: input.name, query: JSON.stringify({ qs }), shared: input.shared }).execute();
    const view = (await load(tx, ctx, id)) as FindingView;
    await record(tx, ctx, { action: 'finding_view.create', entityType: 'finding_view', entityId: id, after: view });
    return view;
  });
}

/** Your own views; a shared view also for whoever keeps the register (asset:write). */
async function editable(tx: Tx, ctx: Ctx, id: string): Promise<FindingView> {
  const view = await load(tx, ctx, id);
  if (!view) throw new NotFoundError('View');
  if (!view.mine && !ctx.principal.permissions.has('asset:write')) throw new ForbiddenError('Only its owner, or someone allowed asset:write, may change a shared view');
  return view;
}

export async function updateView(db: Db, ctx: Ctx, id: string, patch: ViewUpdate): Promise<FindingView> {
  // Saved views are personal settings, like API tokens: auditor sessions stay read-only (SEC-2).
  authorize(ctx, 'token:own');
  if (patch.shared !== undefined) authorize(ctx, 'asset:write');
  const qs = patch.query === undefined ? undefined : canonical(patch.query);
  return db.transaction().execute(async (tx) => {
    const before = await editable(tx, ctx, id);
    if (patch.name !== undefined) await assertNameFree(tx, before.owner?.id ?? null, patch.name, id);
    await tx
      .updateTable('finding_views')
      .set({ ...(patch.name !== undefined ? { name: patch.name } : {}), ...(qs !== undefined ? { query: JSON.stringify({ qs }) } : {}), ...(patch.shared !== undefined ? { shared: patch.shared } : {}) })
      .where('id', '=', id)
      .execute();
    const after = (await load(tx, { ...ctx }, id)) ?? { ...before, shared: false };
    await record(tx, ctx, { action: 'finding_view.update', entityType: 'finding_view', entityId: id, before, after });
    return after;
  });
}

export async function deleteView(db: Db, ctx: Ctx, id: string): Promise<void> {
  // Saved views are personal settings, like API tokens: auditor sessions stay read-only (SEC-2).
  authorize(ctx, 'token:own');
  await db.transaction().execute(async (tx) => {
    const before = await editable(tx, ctx, id);
    await tx.deleteFrom('finding_views').where('id', '=', id).execute();
    await record(tx, ctx, { action: 'finding_view.delete', entityType: 'finding_view', entityId: id, before });
  });
}
