import { randomUUID } from 'node:crypto';
import type { Selectable } from 'kysely';
import { type Digest, webhookPayload } from '../../domain/notifications/messages.js';
import { maskWebhookUrl, type Webhook, type WebhookCreate, type WebhookFormat, type WebhookUpdate } from '../../domain/notifications/webhook.js';
import { ConflictError, NotFoundError } from '../../lib/errors.js';
import { type SecretBox, SecretKeyError } from '../../lib/secrets.js';
import type { Db, Tx } from '../../storage/db.js';
import type { NotificationWebhooksTable } from '../../storage/schema.js';
import * as audit from '../audit/audit.service.js';
import { authorize, type Ctx } from '../context.js';
import { postJson, webhookContext } from './deliveries.js';
import { absoluteLink, notificationSettings } from './settings.js';

/**
 * Chat webhooks, administrators only. The URL is sealed before it reaches
 * the database and never leaves it again: lists, the audit trail and errors
 * show the masked hint.
 */
type Row = Selectable<NotificationWebhooksTable>;

const toWebhook = (r: Row): Webhook => ({
  id: r.id,
  name: r.name,
  urlHint: r.url_hint,
  format: r.format as WebhookFormat,
  enabled: r.enabled,
  createdBy: r.created_by_name,
  createdAt: r.created_at.toISOString(),
  updatedAt: new Date(r.updated_at).toISOString(),
  lastDelivery: r.last_attempt_at ? { at: r.last_attempt_at.toISOString(), status: r.last_status === 'sent' ? 'sent' : 'failed', error: r.last_error } : null,
});

const auditView = (w: Webhook) => ({ name: w.name, urlHint: w.urlHint, format: w.format, enabled: w.enabled });

function box(): SecretBox {
  try {
    return notificationSettings().secrets();
  } catch (e) {
    if (e instanceof SecretKeyError) throw new ConflictError(`Webhook URLs cannot be stored: ${e.message}`);
    throw e;
  }
}

async function nameTaken(tx: Tx, name: string, except: string | null): Promise<void> {
  let q = tx.selectFrom('notification_webhooks').select('id').where((eb) => eb(eb.fn('lower', ['name']), '=', name.toLowerCase()));
  if (except) q = q.where('id', '<>', except);
  if (await q.executeTakeFirst()) throw new ConflictError(`A webhook named "${name}" exists already`, [{ field: 'body.name', message: 'is taken' }]);
}

export async function listWebhooks(db: Db, ctx: Ctx): Promise<Webhook[]> {
  authorize(ctx, 'system:admin');
  return (await db.selectFrom('notification_webhooks').selectAll().orderBy('name').execute()).map(toWebhook);
}

export async function createWebhook(db: Db, ctx: Ctx, input: WebhookCreate): Promise<Webhook> {
  authorize(ctx, 'system:admin');
  const id = randomUUID();
  const sealed = box().seal(input.url, webhookContext(id));
  return db.transaction().execute(async (tx) => {
    await nameTaken(tx, input.name, null);
    const row = await tx
      .insertInto('notification_webhooks')
      .values({
        id, name: input.name, url_sealed: sealed, url_hint: maskWebhookUrl(input.url), format: input.format, enabled: input.enabled,
        created_by: ctx.principal.userId, created_by_name: ctx.principal.name, updated_at: new Date(), last_attempt_at: null, last_status: null, last_error: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    const w = toWebhook(row);
    await audit.record(tx, ctx, { action: 'notification_webhook.create', entityType: 'notification_webhook', entityId: id, before: null, after: auditView(w) });
    return w;
  });
}

export async function updateWebhook(db: Db, ctx: Ctx, id: string, patch: WebhookUpdate): Promise<Webhook> {
  authorize(ctx, 'system:admin');
  const sealed = patch.url !== undefined ? box().seal(patch.url, webhookContext(id)) : null;
  return db.transaction().execute(async (tx) => {
    const before = await tx.selectFrom('notification_webhooks').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
    if (!before) throw new NotFoundError('Webhook');
    if (patch.name !== undefined) await nameTaken(tx, patch.name, id);
    const row = await tx
      .updateTable('notification_webhooks')
      .set({
        ...(patch.name !== undefined ? { name: patch.name } : {}),
        ...(patch.format !== undefined ? { format: patch.format } : {}),
        ...(patch.enabled !== undefined ? { enabled: patch.enabled } : {}),
        ...(sealed && patch.url ? { url_sealed: sealed, url_hint: maskWebhookUrl(patch.url), last_attempt_at: null, last_status: null, last_error: null } : {}),
        updated_at: new Date(),
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    const w = toWebhook(row);
    await audit.record(tx, ctx, { action: 'notification_webhook.update', entityType: 'notification_webhook', entityId: id, before: auditView(toWebhook(before)), after: { ...auditView(w), ...(sealed ? { urlReplaced: true } : {}) } });
    return w;
  });
}

export async function deleteWebhook(db: Db, ctx: Ctx, id: string): Promise<void> {
  authorize(ctx, 'system:admin');
  await db.transaction().execute(async (tx) => {
    const before = await tx.selectFrom('notification_webhooks').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
    if (!before) throw new NotFoundError('Webhook');
    await tx.deleteFrom('notification_webhooks').where('id', '=', id).execute();
    // Messages still waiting for it have nowhere to go.
    await tx
      .updateTable('notification_deliveries')
      .set({ status: 'failed', last_error: 'the webhook was removed' })
      .where('channel', '=', 'webhook')
      .where('target', '=', id)
      .where('status', '=', 'pending')
      .execute();
    await audit.record(tx, ctx, { action: 'notification_webhook.delete', entityType: 'notification_webhook', entityId: id, before: auditView(toWebhook(before)), after: null });
  });
}

/** Posts a sample message now and says how it went; the outcome is kept on the webhook and in the audit trail. */
export async function testWebhook(db: Db, ctx: Ctx, id: string): Promise<{ ok: boolean; error: string | null; webhook: Webhook }> {
  authorize(ctx, 'system:admin');
  const row = await db.selectFrom('notification_webhooks').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw new NotFoundError('Webhook');
  const now = new Date();
  const digest: Digest = {
    title: `Test message from patchloop to "${row.name}"`,
    emergency: false,
    intro: `${ctx.principal.name} sent this to check the channel. Escalations and raised priorities will arrive here like this.`,
    sections: [],
    url: absoluteLink('/settings/webhooks'),
  };
  let error: string | null;
  try {
    const url = notificationSettings().secrets().open(row.url_sealed, webhookContext(id));
    error = await postJson(url, JSON.stringify(webhookPayload(row.format as WebhookFormat, digest, now)), notificationSettings().timeoutMs);
  } catch (e) {
    if (!(e instanceof SecretKeyError)) throw e;
    error = `the webhook URL cannot be read: ${e.message}`;
  }
  return db.transaction().execute(async (tx) => {
    const updated = await tx
      .updateTable('notification_webhooks')
      .set({ last_attempt_at: now, last_status: error === null ? 'sent' : 'failed', last_error: error?.slice(0, 2000) ?? null })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    if (!updated) throw new NotFoundError('Webhook');
    await audit.record(tx, ctx, { action: 'notification_webhook.test', entityType: 'notification_webhook', entityId: id, before: null, after: { name: row.name, ok: error === null, error } });
    return { ok: error === null, error, webhook: toWebhook(updated) };
  });
}
