import { sql } from 'kysely';
import type { Escalation } from '../../domain/notifications/schemas.js';
import type { Db } from '../../storage/db.js';
import { authorize, type Ctx } from '../context.js';
import type { SecurityMember } from './recipients.js';

/**
 * The escalation log (INC-1 evidence): which rule fired for which finding and
 * due date, who was told on which channel, and whether the message went out.
 * Newest first; one finding's history with `findingId`.
 */
interface Row {
  id: string;
  kind: 'rule' | 'raised';
  finding_id: string;
  rule: string;
  policy_version: number;
  due_at: Date | null;
  sent_at: Date;
  run_id: string;
  summary: unknown;
  hostname: string | null;
  vulnerability_id: string | null;
}

interface Summary {
  audiences?: Escalation['audiences'];
  channels?: Escalation['channels'];
  recipients?: Escalation['recipients'];
}

const parse = <T>(v: unknown): T => (typeof v === 'string' ? JSON.parse(v) : v) as T;

/** The run's security audience joins the finding's own recipients (recipients.ts keeps it once per run). */
function withSecurity(own: Escalation['recipients'], security: readonly SecurityMember[]): Escalation['recipients'] {
  if (!security.length) return own;
  const out = own.map((x) => ({ ...x, via: [...x.via] }));
  for (const m of security) {
    const same = out.find((x) => x.userId === m.userId);
    if (same) {
      if (!same.via.includes('security')) same.via.push('security');
      if (!same.email) same.email = m.email;
    } else out.push({ userId: m.userId, name: m.name, email: m.email, via: ['security'] });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

export async function listEscalations(db: Db, ctx: Ctx, q: { findingId?: string; limit: number; before?: string }): Promise<{ items: Escalation[]; nextBefore: string | null }> {
  authorize(ctx, 'asset:read');
  const rows = (
    await sql<Row>`
      select e.id::text as id, e.kind, e.finding_id::text as finding_id, e.rule, e.policy_version, e.due_at, e.sent_at, e.run_id::text as run_id, e.summary,
             a.hostname, v.id as vulnerability_id
      from finding_escalations e
      left join findings f on f.id = e.finding_id
      left join assets a on a.id = f.asset_id
      left join vulnerabilities v on v.num = f.vulnerability_num
      where true ${q.findingId ? sql`and e.finding_id = ${q.findingId}::bigint` : sql``} ${q.before ? sql`and e.id < ${q.before}::bigint` : sql``}
      order by e.id desc limit ${q.limit + 1}`.execute(db)
  ).rows;
  const page = rows.slice(0, q.limit);
  const runs = [...new Set(page.map((r) => r.run_id))];
  const deliveries = runs.length
    ? (
        await sql<{ id: string; run_id: string; channel: 'email' | 'webhook'; target: string; status: 'pending' | 'sent' | 'failed'; attempts: number; last_error: string | null; hook: string | null }>`
          select d.id::text as id, d.run_id::text as run_id, d.channel, d.target, d.status, d.attempts, d.last_error, w.name as hook
          from notification_deliveries d left join notification_webhooks w on d.channel = 'webhook' and w.id::text = d.target
          where d.run_id = any(${sql.val(runs)}::uuid[]) order by d.id`.execute(db)
      ).rows
    : [];
  const security = new Map(
    runs.length
      ? (await db.selectFrom('escalation_runs').select(['run_id', 'security']).where('run_id', 'in', runs).execute()).map((x) => [x.run_id, parse<SecurityMember[]>(x.security)])
      : [],
  );
  const items = page.map((r): Escalation => {
    const s = parse<Summary>(r.summary);
    const recipients = withSecurity(s.recipients ?? [], s.audiences?.includes('security') ? (security.get(r.run_id) ?? []) : []);
    const mine = new Set(recipients.map((x) => x.email?.toLowerCase()).filter(Boolean));
    return {
      id: r.id, kind: r.kind, findingId: r.finding_id, hostname: r.hostname, vulnerabilityId: r.vulnerability_id, rule: r.rule, policyVersion: r.policy_version,
      dueAt: r.due_at ? new Date(r.due_at).toISOString() : null, sentAt: new Date(r.sent_at).toISOString(), runId: r.run_id,
      audiences: s.audiences ?? [], channels: s.channels ?? [], recipients,
      deliveries: deliveries
        .filter((d) => d.run_id === r.run_id && (d.channel === 'webhook' || mine.has(d.target.toLowerCase())))
        .map((d) => ({ id: d.id, channel: d.channel, target: d.channel === 'webhook' ? (d.hook ?? `removed webhook ${d.target}`) : d.target, status: d.status, attempts: d.attempts, error: d.last_error })),
    };
  });
  return { items, nextBefore: rows.length > q.limit ? (page.at(-1)?.id ?? null) : null };
}
