import { type Selectable, sql } from 'kysely';
import type { Notification } from '../../domain/notifications/schemas.js';
import { ForbiddenError, NotFoundError } from '../../lib/errors.js';
import type { Db } from '../../storage/db.js';
import type { NotificationsTable } from '../../storage/schema.js';
import { authorize, type Ctx } from '../context.js';

/**
 * A person's in-app notifications. Everyone signed in reads their own;
 * marking them read is a write, so it needs a role that may change its own
 * things (token:own: auditors stay read-only). Read marks are the person's
 * own state, not a change to the system of record, so they are not audited;
 * `read_at` itself shows when someone saw an escalation.
 */
function me(ctx: Ctx): string {
  const id = ctx.principal.userId;
  // An agent account is a machine: nothing is addressed to it.
  if (!id || ctx.principal.role === 'agent') throw new ForbiddenError('Notifications belong to people: sign in, or use an API token of your own account');
  return id;
}

const toNotification = (r: Selectable<NotificationsTable>): Notification => ({
  id: String(r.id),
  kind: r.kind,
  title: r.title,
  body: r.body,
  link: r.link,
  createdAt: r.created_at.toISOString(),
  readAt: r.read_at ? r.read_at.toISOString() : null,
});

export async function listMine(db: Db, ctx: Ctx, q: { unread?: 'true' | 'false'; limit: number; before?: string }) {
  const userId = me(ctx);
  let query = db.selectFrom('notifications').selectAll().where('user_id', '=', userId);
  if (q.unread === 'true') query = query.where('read_at', 'is', null);
  if (q.before) query = query.where('id', '<', q.before);
  const rows = await query.orderBy('id', 'desc').limit(q.limit + 1).execute();
  const unread = await db.selectFrom('notifications').select((eb) => eb.fn.countAll<string>().as('n')).where('user_id', '=', userId).where('read_at', 'is', null).executeTakeFirstOrThrow();
  const items = rows.slice(0, q.limit).map(toNotification);
  return { items, unread: Number(unread.n), nextBefore: rows.length > q.limit ? (items.at(-1)?.id ?? null) : null };
}

export async function markRead(db: Db, ctx: Ctx, id: string): Promise<Notification> {
  authorize(ctx, 'token:own');
  const userId = me(ctx);
  // Someone else's notification is "not found": its existence is not the caller's business.
  const row = await db
    .updateTable('notifications')
    .set({ read_at: sql`coalesce(read_at, now())` })
    .where('id', '=', id)
    .where('user_id', '=', userId)
    .returningAll()
    .executeTakeFirst();
  if (!row) throw new NotFoundError('Notification');
  return toNotification(row);
}

export async function markAllRead(db: Db, ctx: Ctx): Promise<{ marked: number }> {
  authorize(ctx, 'token:own');
  const userId = me(ctx);
  const r = await db.updateTable('notifications').set({ read_at: new Date() }).where('user_id', '=', userId).where('read_at', 'is', null).executeTakeFirst();
  return { marked: Number(r.numUpdatedRows) };
}
