import type { Db, Tx } from '../../storage/db.js';

/** An in-app notification for some people (and, by their settings, e-mail). Placeholder until issue #6 §4 lands. */
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

export async function notifyUsers(_db: Db | Tx, _n: NotifyInput): Promise<void> {}
