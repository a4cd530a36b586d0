import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { systemPrincipal } from '../../domain/auth/principal.js';
import type { Db } from '../../storage/db.js';
import * as audit from '../audit/audit.service.js';
import type { Ctx } from '../context.js';
import { type DeliveryCounts, deliverQueued } from '../notifications/deliveries.js';
import { notificationSettings } from '../notifications/settings.js';
import { currentPolicy } from '../priority/policy.service.js';
import { type Channel, dispatch, enabledWebhooks, type SectionSpec } from './dispatch.js';

/**
 * Findings whose priority rose, or that became emergencies (including new
 * and reopened findings that are emergencies from the start), are announced at
 * once (INC-1: a KEV addition affecting the fleet notifies within the same
 * feed sync): the owner and security, on every channel configured, grouped
 * by recipient, emergencies first and flagged in the subject and text. The
 * re-prioritisation worker calls this after its change committed; nothing
 * here may fail that work, so errors are logged and swallowed.
 */
export interface RaisedResult {
  runId: string;
  findings: number;
  emergencies: number;
  recipients: number;
  inApp: number;
  emails: DeliveryCounts & { queued: number };
  webhooks: DeliveryCounts & { queued: number };
}

const SYSTEM: Ctx = { principal: systemPrincipal('escalation'), requestId: null };
const EMERGENCY = 'Emergency';
const RAISED = 'Priority raised';
/** The worker's trigger for new and reopened findings (their first class). */
const DETECTED = 'detected';

export async function notifyRaised(db: Db, findingIds: readonly string[], trigger: string): Promise<RaisedResult | null> {
  if (!findingIds.length) return null;
  try {
    return await raise(db, findingIds, trigger);
  } catch (err) {
    notificationSettings().logger?.error({ err, trigger, findings: findingIds.length }, 'raised findings could not be notified');
    return null;
  }
}

async function raise(db: Db, findingIds: readonly string[], trigger: string): Promise<RaisedResult | null> {
  const settings = notificationSettings();
  const runId = randomUUID();
  const now = new Date();
  const policy = await currentPolicy(db);
  const planned = await db.transaction().execute(async (tx) => {
    const webhooks = await enabledWebhooks(tx);
    const channels: Channel[] = ['in_app', ...(settings.smtpUrl ? (['email'] as const) : []), ...(webhooks.length ? (['webhook'] as const) : [])];
    const summary = JSON.stringify({ audiences: ['owner', 'security'], channels, trigger: trigger.slice(0, 500) });
    const ins = await sql<{ emergency: boolean }>`
      insert into finding_escalations (kind, finding_id, rule, policy_version, due_at, sent_at, run_id, summary)
      select 'raised', f.id, case when f.emergency then ${EMERGENCY} else ${RAISED} end, coalesce(f.policy_version, ${policy.version}),
             f.due_at, ${now.toISOString()}::timestamptz, ${runId}::uuid, ${summary}::jsonb
      from findings f where f.id = any(${sql.val([...findingIds])}::bigint[]) and f.status = 'open'
      returning rule = ${EMERGENCY} as emergency`.execute(tx);
    const findings = ins.rows.length;
    if (!findings) return null;
    const emergencies = ins.rows.filter((r) => r.emergency).length;
    const sections = new Map<string, SectionSpec>([
      [EMERGENCY, { heading: 'EMERGENCY: actively exploited on an exposed system', channels, moreUrl: '/findings?emergency=true&status=open&sort=dueAt' }],
      [RAISED, { heading: 'Priority raised', channels, moreUrl: '/findings?status=open&sort=priority' }],
    ]);
    const d = await dispatch(tx, {
      runId, now, kind: 'priority_raised', sections, webhookPerSection: false, webhooks,
      title: (total, emergency, perRule) => {
        const e = perRule.get(EMERGENCY) ?? 0;
        const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
        if (trigger === DETECTED && emergency && e === total) return plural(e, 'new emergency', 'new emergencies');
        return emergency ? `${plural(e, 'emergency', 'emergencies')} among ${plural(total, 'raised finding', 'raised findings')}` : `Priority raised on ${plural(total, 'finding', 'findings')}`;
      },
      intro: trigger === DETECTED
        ? 'Newly detected or reopened: actively exploited vulnerabilities on exposed systems. The emergency procedure applies from now.'
        : `Their priority rose after: ${trigger.slice(0, 300)}. Their due dates may have moved earlier.`,
    });
    await audit.record(tx, SYSTEM, {
      action: 'escalation.raised', entityType: 'escalation', entityId: runId, before: null,
      after: { trigger: trigger.slice(0, 500), findings, emergencies, recipients: d.recipients, inApp: d.inApp, emails: d.emailIds.length, webhooks: d.webhookIds.length },
    });
    return { findings, emergencies, ...d };
  });
  if (!planned) return null;
  const send = (ids: string[]) =>
    deliverQueued(db, ids).catch((err: unknown) => {
      settings.logger?.error({ err, runId }, 'raised-priority messages not sent yet; the delivery job retries them');
      return { sent: 0, failed: 0 };
    });
  const emails = await send(planned.emailIds);
  const hooks = await send(planned.webhookIds);
  return {
    runId, findings: planned.findings, emergencies: planned.emergencies, recipients: planned.recipients, inApp: planned.inApp,
    emails: { queued: planned.emailIds.length, ...emails }, webhooks: { queued: planned.webhookIds.length, ...hooks },
  };
}
