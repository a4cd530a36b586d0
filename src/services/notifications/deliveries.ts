import { sql } from 'kysely';
import nodemailer, { type Transporter } from 'nodemailer';
import { SecretKeyError } from '../../lib/secrets.js';
import type { Db, Tx } from '../../storage/db.js';
import { notificationSettings } from './settings.js';

/**
 * The outbox of e-mails and webhook calls. Whoever decides to notify writes
 * rows in its own transaction; they are sent after it committed, by the
 * caller (deliverQueued) or by the minute job (deliverPending). An attempt
 * that fails is kept with its error and tried again later, at most
 * MAX_ATTEMPTS times; it never fails the work that queued it.
 */
export const MAX_ATTEMPTS = 5;
/** A claimed row nobody finished (a crash) is tried again after this. */
const LEASE = "interval '5 minutes'";
const PARALLEL = 4;

export interface DeliveryCounts {
  sent: number;
  failed: number;
}

export const webhookContext = (id: string) => `notification_webhooks.url:${id}`;

export async function queueEmail(tx: Db | Tx, m: { to: string; subject: string; text: string; runId?: string | null }): Promise<string> {
  const r = await tx.insertInto('notification_deliveries').values({ channel: 'email', target: m.to, subject: m.subject, body: m.text, run_id: m.runId ?? null, last_error: null, sent_at: null }).returning('id').executeTakeFirstOrThrow();
  return String(r.id);
}

export async function queueWebhook(tx: Db | Tx, m: { webhookId: string; subject: string; payload: unknown; runId?: string | null }): Promise<string> {
  const r = await tx
    .insertInto('notification_deliveries')
    .values({ channel: 'webhook', target: m.webhookId, subject: m.subject, body: JSON.stringify(m.payload), run_id: m.runId ?? null, last_error: null, sent_at: null })
    .returning('id')
    .executeTakeFirstOrThrow();
  return String(r.id);
}

interface Claimed {
  id: string;
  channel: 'email' | 'webhook';
  target: string;
  subject: string;
  body: string;
  attempts: number;
}

async function claim(db: Db, ids: readonly string[] | null, limit: number): Promise<Claimed[]> {
  const only = ids ? sql`and id = any(${sql.val(ids)}::bigint[])` : sql``;
  const r = await sql<Claimed>`
    update notification_deliveries set attempts = attempts + 1, next_attempt_at = now() + ${sql.raw(LEASE)}
    where id in (select id from notification_deliveries where status = 'pending' and next_attempt_at <= now() ${only}
                 order by id limit ${limit} for update skip locked)
    returning id, channel, target, subject, body, attempts`.execute(db);
  return r.rows.map((x) => ({ ...x, id: String(x.id) }));
}

/** Sends the rows just queued (after the transaction that queued them committed). */
export async function deliverQueued(db: Db, ids: readonly string[]): Promise<DeliveryCounts> {
  if (!ids.length) return { sent: 0, failed: 0 };
  return send(db, await claim(db, ids, ids.length));
}

/** Everything due: new rows nobody sent, and failed attempts whose wait is over. */
export async function deliverPending(db: Db, budgetMs = 50_000): Promise<DeliveryCounts> {
  const total: DeliveryCounts = { sent: 0, failed: 0 };
  const until = Date.now() + budgetMs;
  while (Date.now() < until) {
    const batch = await claim(db, null, 100);
    if (!batch.length) break;
    const c = await send(db, batch);
    total.sent += c.sent;
    total.failed += c.failed;
  }
  return total;
}

async function send(db: Db, rows: Claimed[]): Promise<DeliveryCounts> {
  const counts: DeliveryCounts = { sent: 0, failed: 0 };
  if (!rows.length) return counts;
  const s = notificationSettings();
  const mailer = rows.some((r) => r.channel === 'email') && s.smtpUrl ? transport(s.smtpUrl, s.timeoutMs) : null;
  try {
    await pool(rows, PARALLEL, async (row) => {
      const error = await attempt(db, row, mailer);
      if (error === null) {
        counts.sent++;
        await sql`update notification_deliveries set status = 'sent', sent_at = now(), last_error = null where id = ${row.id}::bigint`.execute(db);
      } else {
        counts.failed++;
        const last = row.attempts >= MAX_ATTEMPTS;
        s.logger?.warn({ delivery: row.id, channel: row.channel, attempt: row.attempts, error }, last ? 'notification could not be delivered; giving up' : 'notification delivery failed; will retry');
        // Waits of 2, 4, 8, 16 minutes between attempts.
        await sql`update notification_deliveries
          set status = ${last ? 'failed' : 'pending'}, last_error = ${error.slice(0, 2000)},
              next_attempt_at = now() + make_interval(mins => ${2 ** row.attempts})
          where id = ${row.id}::bigint`.execute(db);
      }
    });
  } finally {
    mailer?.close();
  }
  return counts;
}

/** null when it went through, else what went wrong (never the webhook URL: it is a secret). */
async function attempt(db: Db, row: Claimed, mailer: Transporter | null): Promise<string | null> {
  const s = notificationSettings();
  try {
    if (row.channel === 'email') {
      if (!mailer) return 'no mail server is configured (PATCHLOOP_SMTP_URL)';
      await mailer.sendMail({ from: s.mailFrom, to: row.target, subject: row.subject, text: row.body });
      return null;
    }
    return await callWebhook(db, row);
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

async function callWebhook(db: Db, row: Claimed): Promise<string | null> {
  const hook = await db.selectFrom('notification_webhooks').select(['url_sealed', 'enabled']).where('id', '=', row.target).executeTakeFirst();
  if (!hook) return 'the webhook was removed';
  if (!hook.enabled) return 'the webhook is disabled';
  let url: string;
  try {
    url = notificationSettings().secrets().open(hook.url_sealed, webhookContext(row.target));
  } catch (e) {
    if (e instanceof SecretKeyError) return recordWebhook(db, row.target, `the webhook URL cannot be read: ${e.message}`);
    throw e;
  }
  const error = await postJson(url, row.body, notificationSettings().timeoutMs);
  return recordWebhook(db, row.target, error);
}

async function recordWebhook(db: Db, id: string, error: string | null): Promise<string | null> {
  await db
    .updateTable('notification_webhooks')
    .set({ last_attempt_at: new Date(), last_status: error === null ? 'sent' : 'failed', last_error: error?.slice(0, 2000) ?? null })
    .where('id', '=', id)
    .execute();
  return error;
}

/** POSTs JSON; a redirect counts as a failure (the configured URL is the one trusted with the message). */
export async function postJson(url: string, body: string, timeoutMs: number): Promise<string | null> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', 'user-agent': 'patchloop' },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text().catch(() => '');
    if (res.status >= 200 && res.status < 300) return null;
    return `the webhook answered HTTP ${res.status}${text ? `: ${text.replace(/\s+/g, ' ').slice(0, 200)}` : ''}`;
  } catch (e) {
    const err = e as Error & { cause?: { code?: string; message?: string } };
    if (err.name === 'TimeoutError') return `the webhook did not answer within ${Math.round(timeoutMs / 1000)} s`;
    return `the webhook could not be reached: ${err.cause?.code ?? err.cause?.message ?? err.message}`;
  }
}

/** smtp://user:pass@host:port or smtps://…; parsed here so the timeouts apply and the password never reaches a log. */
export function transport(smtpUrl: string, timeoutMs: number): Transporter {
  const u = new URL(smtpUrl);
  const secure = u.protocol === 'smtps:';
  return nodemailer.createTransport({
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port ? Number(u.port) : secure ? 465 : 587,
    secure,
    auth: u.username ? { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) } : undefined,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs * 3,
  });
}

async function pool<T>(items: readonly T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
}
