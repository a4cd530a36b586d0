import { sql } from 'kysely';
import { systemPrincipal } from '../../domain/auth/principal.js';
import { addDays, utcDay } from '../../domain/eol/cycles.js';
import type { Db } from '../../storage/db.js';
import * as audit from '../audit/audit.service.js';
import { notifyUsers } from '../notifications/notify.js';

/**
 * Re-review reminders (LEG-3: unsupported systems re-reviewed annually; every
 * exception at its own interval). The risk owner and the requester hear of a
 * review `leadDays` before it is due, once per review date; the review itself
 * moves the date and so re-arms the reminder.
 */
export const REMINDER_LEAD_DAYS = 14;

export async function sendReviewReminders(db: Db, now: Date = new Date(), leadDays = REMINDER_LEAD_DAYS): Promise<{ reminded: number }> {
  const horizon = addDays(utcDay(now), leadDays);
  const due = await sql<{ id: string; next_review_on: string; expires_on: string; scope: string; risk_owner_id: string; requested_by: string | null; label: string }>`
    select e.id, e.next_review_on::text as next_review_on, e.expires_on::text as expires_on, e.scope, e.risk_owner_id, e.requested_by,
      coalesce(case e.scope when 'finding' then 'finding ' || e.finding_id::text || coalesce(' (' || v.id || ' on ' || a.hostname || ')', '')
                            when 'vulnerability' then v.id else a.hostname end, e.scope) as label
    from risk_exceptions e left join vulnerabilities v on v.num = e.vulnerability_num left join assets a on a.id = e.asset_id
    where e.status = 'approved' and e.next_review_on <= ${horizon}::date and e.review_reminded_for is distinct from e.next_review_on
    order by e.next_review_on, e.id`.execute(db);
  const ctx = { principal: systemPrincipal('exception review reminders'), requestId: null };
  for (const e of due.rows) {
    await db.transaction().execute(async (tx) => {
      const userIds = [...new Set([e.risk_owner_id, e.requested_by].filter((x): x is string => !!x))];
      await notifyUsers(tx, {
        userIds,
        kind: 'exception.review_due',
        title: `Risk exception for ${e.label}: re-review due ${e.next_review_on}`,
        body: `The risk exception for ${e.label} (valid until ${e.expires_on}) is due for its periodic re-review on ${e.next_review_on}. Confirm it still holds, or revoke it.`,
        link: `/exceptions/${e.id}`,
        email: true,
      });
      await tx.updateTable('risk_exceptions').set({ review_reminded_for: e.next_review_on }).where('id', '=', e.id).execute();
      await audit.record(tx, ctx, { action: 'exception.review_reminder', entityType: 'risk_exception', entityId: e.id, before: null, after: { reviewDue: e.next_review_on, notified: userIds } });
    });
  }
  return { reminded: due.rows.length };
}
