import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { systemPrincipal } from '../../domain/auth/principal.js';
import { type EscalationRule, PRIORITY_RANK } from '../../domain/priority/policy.js';
import type { Db, Tx } from '../../storage/db.js';
import * as audit from '../audit/audit.service.js';
import { authorize, type Ctx } from '../context.js';
import { type DeliveryCounts, deliverQueued } from '../notifications/deliveries.js';
import { notificationSettings } from '../notifications/settings.js';
import { currentPolicy } from '../priority/policy.service.js';
import { type Channel, dispatch, enabledWebhooks, type SectionSpec } from './dispatch.js';

/**
 * Escalation (issue #6 §4, INC-1, DORA RTS Art. 10(4)(d)): the policy's
 * rules ("the owner at 50 % of the SLA, the manager and security on
 * breach") applied to every open finding with a due date that no exception
 * covers. Which findings are due is one INSERT … SELECT per rule, so the
 * work grows with what fires, not with the fleet; the log's unique key makes
 * each rule fire once per finding and due date, also when two workers run
 * at once. Log rows, in-app notifications and the queued mails and chat
 * messages commit together; sending happens after.
 */
export interface EscalationRunResult {
  runId: string | null;
  at: string;
  policyVersion: number;
  rules: { name: string; findings: number }[];
  findings: number;
  recipients: number;
  inApp: number;
  emails: DeliveryCounts & { queued: number };
  webhooks: DeliveryCounts & { queued: number };
}

const SYSTEM: Ctx = { principal: systemPrincipal('escalation'), requestId: null };

/** elapsedPercent() of domain/priority/deadline.ts ≥ atPercent, in SQL (a window of zero counts as 100 % once due). */
export function elapsedAtLeast(atPercent: number, now: Date) {
  const t = sql`${now.toISOString()}::timestamptz`;
  // From 100 % on, the finding is past due: a condition the due-date index (migration 0012) answers.
  const pastDue = atPercent >= 100 ? sql`and coalesce(f.due_at, timestamptz '2200-01-01 00:00:00+00') <= ${t}` : sql``;
  return sql`(case when f.due_at <= f.class_since then ${sql.raw(atPercent <= 100 ? 'true' : 'false')} and ${t} >= f.due_at
                   else ${t} >= f.class_since + (f.due_at - f.class_since) * ${atPercent / 100}::float8 end) ${pastDue}`;
}

async function fire(tx: Tx, rule: EscalationRule, version: number, channels: Channel[], runId: string, now: Date): Promise<number> {
  const summary = JSON.stringify({ audiences: rule.notify, channels, atPercent: rule.atPercent, minPriority: rule.minPriority });
  const r = await sql`
    insert into finding_escalations (kind, finding_id, rule, policy_version, due_at, sent_at, run_id, summary)
    select 'rule', f.id, ${rule.name}, ${version}, f.due_at, ${now.toISOString()}::timestamptz, ${runId}::uuid, ${summary}::jsonb
    from findings f
    where f.status = 'open' and f.exception_id is null and f.due_at is not null and f.class_since is not null
      and coalesce(f.priority, -1) >= ${PRIORITY_RANK[rule.minPriority]}
      and ${elapsedAtLeast(rule.atPercent, now)}
      and not exists (select 1 from finding_escalations e where e.kind = 'rule' and e.finding_id = f.id and e.rule = ${rule.name} and e.due_at = f.due_at)
    on conflict (finding_id, rule, due_at) where kind = 'rule' do nothing`.execute(tx);
  return Number(r.numAffectedRows ?? 0);
}

const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;

/**
 * Applies the current policy's escalation rules as of `now`. A run that
 * fires nothing writes nothing (the 15-minute job would otherwise fill the
 * audit trail with empty records), unless `alwaysAudit` (a person asked).
 */
export async function runEscalations(db: Db, now: Date = new Date(), ctx: Ctx = SYSTEM, opts: { alwaysAudit?: boolean } = {}): Promise<EscalationRunResult> {
  const policy = await currentPolicy(db);
  const settings = notificationSettings();
  const runId = randomUUID();
  const base = { at: now.toISOString(), policyVersion: policy.version };
  const planned = await db.transaction().execute(async (tx) => {
    // One run at a time: recipients of one run get one mail, not one per worker.
    await sql`select pg_advisory_xact_lock(hashtext('patchloop.escalation'))`.execute(tx);
    const webhooks = await enabledWebhooks(tx);
    const sections = new Map<string, SectionSpec>();
    const rules: { name: string; findings: number }[] = [];
    for (const rule of policy.document.escalation) {
      const channels = rule.channels.filter((c) => c === 'in_app' || (c === 'email' && !!settings.smtpUrl) || (c === 'webhook' && webhooks.length > 0));
      const n = await fire(tx, rule, policy.version, channels, runId, now);
      rules.push({ name: rule.name, findings: n });
      const heading = `${rule.name}: ${rule.atPercent === 100 ? 'the due date has passed' : `${rule.atPercent} % of the SLA window elapsed`}`;
      if (!sections.has(rule.name)) sections.set(rule.name, { heading, channels, moreUrl: rule.atPercent >= 100 ? '/findings?slaState=overdue&sort=dueAt' : '/findings?status=open&sort=dueAt' });
    }
    const findings = rules.reduce((s, r) => s + r.findings, 0);
    const empty = { rules, findings, recipients: 0, inApp: 0, emailIds: [] as string[], webhookIds: [] as string[] };
    const d = findings
      ? await dispatch(tx, {
          runId, now, kind: 'escalation', sections, webhookPerSection: true, webhooks,
          title: (total) => `Escalation: ${plural(total, 'finding')} need${total === 1 ? 's' : ''} attention`,
          intro: `The patch policy (version ${policy.version}) escalates these open findings: their remediation deadline is near or has passed.`,
        })
      : null;
    const out = d ? { ...empty, ...d } : empty;
    if (findings || opts.alwaysAudit) {
      await audit.record(tx, ctx, {
        action: 'escalation.run', entityType: 'escalation', entityId: findings ? runId : null, before: null,
        after: { ...base, rules, findings, recipients: out.recipients, inApp: out.inApp, emails: out.emailIds.length, webhooks: out.webhookIds.length },
      });
    }
    return out;
  });
  // Committed: a failure to send is recorded on the delivery and retried by the minute job, never undoes the run.
  const send = (ids: string[]) =>
    deliverQueued(db, ids).catch((err: unknown) => {
      settings.logger?.error({ err, runId }, 'escalation messages not sent yet; the delivery job retries them');
      return { sent: 0, failed: 0 };
    });
  const emails = await send(planned.emailIds);
  const hooks = await send(planned.webhookIds);
  return {
    runId: planned.findings ? runId : null, ...base, rules: planned.rules, findings: planned.findings, recipients: planned.recipients, inApp: planned.inApp,
    emails: { queued: planned.emailIds.length, ...emails }, webhooks: { queued: planned.webhookIds.length, ...hooks },
  };
}

/** POST /api/escalations/run: an administrator runs the escalation now. */
export async function runEscalationsNow(db: Db, ctx: Ctx): Promise<EscalationRunResult> {
  authorize(ctx, 'system:admin');
  return runEscalations(db, new Date(), ctx, { alwaysAudit: true });
}
