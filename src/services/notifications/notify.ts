import type { Db, Tx } from '../../storage/db.js';
import { deliverQueued, queueEmail } from './deliveries.js';
import { absoluteLink, notificationSettings } from './settings.js';

/** An in-app notification for some people (and, when asked and a mail server is configured, an e-mail to each). */
export interface NotifyInput {
  userIds: readonly string[];
  kind: string;
  title: string;
  body: string;
  /** A path in the web UI, e.g. /findings/123 or /exceptions/<id>. */
  link: string | null;
  /** Also e-mail them (when SMTP is configured). */
  email?: boolean;
}

export interface NotifyResult {
  /** In-app notifications written. */
  notified: number;
  /** E-mails queued (sent after commit). */
  emails: string[];
}

const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();

/**
 * Writes the in-app notifications (disabled accounts are skipped) and queues
 * the e-mails. Called with a transaction, everything is part of it and the
 * mails go out once it committed: the caller passes `emails` to
 * deliverQueued(db, …) after commit, or the minute job sends them. Called
 * with the database, the mails are sent before this returns; a failure is
 * recorded on the delivery and logged, never thrown.
 */
export async function notifyUsers(db: Db | Tx, n: NotifyInput): Promise<NotifyResult> {
  const ids = [...new Set(n.userIds)];
  if (!ids.length) return { notified: 0, emails: [] };
  const users = await db.selectFrom('users').select(['id', 'email', 'display_name', 'username']).where('id', 'in', ids).where('disabled', '=', false).execute();
  if (!users.length) return { notified: 0, emails: [] };
  const title = oneLine(n.title).slice(0, 300);
  const body = n.body.slice(0, 10_000);
  await db
    .insertInto('notifications')
    .values(users.map((u) => ({ user_id: u.id, kind: n.kind.slice(0, 64), title, body, link: n.link, read_at: null })))
    .execute();
  const emails: string[] = [];
  if (n.email && notificationSettings().smtpUrl) {
    for (const u of users) {
      if (!u.email) continue;
      const text = [`Hello ${u.display_name || u.username},`, '', body, '', ...(n.link ? [absoluteLink(n.link), ''] : []), '-- ', `patchloop · your notifications: ${absoluteLink('/notifications')}`].join('\n');
      emails.push(await queueEmail(db, { to: u.email, subject: `[patchloop] ${title}`.slice(0, 200), text }));
    }
  }
  if (!db.isTransaction && emails.length) await deliverQueued(db as Db, emails).catch((e) => notificationSettings().logger?.error({ err: e }, 'notification mail delivery failed'));
  return { notified: users.length, emails };
}
