import { sql } from 'kysely';
import type { Digest, DigestItem, DigestSection } from '../../domain/notifications/messages.js';
import { emailText, subjectOf, webhookPayload } from '../../domain/notifications/messages.js';
import type { WebhookFormat } from '../../domain/notifications/webhook.js';
import { type ESCALATION_AUDIENCES, type PriorityClass, priorityOfRank } from '../../domain/priority/policy.js';
import type { Tx } from '../../storage/db.js';
import { queueEmail, queueWebhook } from '../notifications/deliveries.js';
import { absoluteLink, notificationSettings } from '../notifications/settings.js';
import { type RecipientRow, type RuleTotal, resolveRecipients, ruleTotals } from './recipients.js';

/**
 * From the escalation log rows of one run to messages: who is told
 * (resolved in SQL, whatever the number of findings), and what each channel
 * carries. Every row's summary already names its audiences and channels;
 * recipients.ts adds the people it reached (the security audience once per
 * run). Per recipient there is one e-mail and one
 * in-app notification per run, listing their findings by rule; chat gets
 * one message per rule (or one per run) and webhook.
 *
 * Audiences:
 * - owner: the asset's owner; for a team-owned asset its members (in the
 *   app), and by e-mail the team's address when it has one, else each member;
 * - owner_manager: the owning team's manager; for a user-owned asset, the
 *   managers of that user's teams;
 * - security: enabled security analysts, or the administrators when there
 *   are none;
 * - risk_owner: the risk owner named by an exception requested for the
 *   finding and not yet decided.
 * Disabled accounts are never told.
 */
export type Audience = (typeof ESCALATION_AUDIENCES)[number];
export type Channel = 'email' | 'webhook' | 'in_app';

export interface SectionSpec {
  heading: string;
  channels: readonly Channel[];
  /** Register link for "and N more". */
  moreUrl: string;
}

export interface DispatchSpec {
  runId: string;
  now: Date;
  /** Notification kind in the app ('escalation', 'priority_raised'). */
  kind: string;
  /** `perRule`: this recipient's findings by log rule (their own figures, not the run's). */
  title: (total: number, emergency: boolean, perRule: ReadonlyMap<string, number>) => string;
  intro: string;
  /** By the log rows' `rule`. */
  sections: ReadonlyMap<string, SectionSpec>;
  /** One chat message per section (escalation rules), or one per run. */
  webhookPerSection: boolean;
  webhooks: readonly { id: string; format: WebhookFormat }[];
}

export interface DispatchResult {
  recipients: number;
  inApp: number;
  emailIds: string[];
  webhookIds: string[];
}

const CHAT_SAMPLE = 10;
const chatSample = (t: RuleTotal) => t.sample.slice(0, CHAT_SAMPLE);

const WHY: Record<Audience, string> = {
  owner: 'you own the affected systems, or your team does',
  owner_manager: 'you manage the team that owns the affected systems',
  security: 'you are in the security team',
  risk_owner: 'you are the risk owner of an exception requested for them and not yet decided',
};

async function details(tx: Tx, ids: string[]): Promise<Map<string, DigestItem>> {
  const out = new Map<string, DigestItem>();
  if (!ids.length) return out;
  const rows = await sql<{ id: string; hostname: string; vulnerability: string; priority: number | null; emergency: boolean; due_at: Date | null }>`
    select f.id::text as id, a.hostname, v.id as vulnerability, f.priority, f.emergency, f.due_at
    from findings f join assets a on a.id = f.asset_id join vulnerabilities v on v.num = f.vulnerability_num
    where f.id = any(${sql.val(ids)}::bigint[])`.execute(tx);
  for (const r of rows.rows) {
    out.set(r.id, {
      findingId: r.id, hostname: r.hostname, vulnerability: r.vulnerability,
      priority: r.priority === null ? null : (priorityOfRank(r.priority) as PriorityClass),
      emergency: r.emergency, dueAt: r.due_at ? new Date(r.due_at).toISOString() : null, url: absoluteLink(`/findings/${r.id}`),
    });
  }
  return out;
}

export async function dispatch(tx: Tx, spec: DispatchSpec): Promise<DispatchResult> {
  const totals = await ruleTotals(tx, spec.runId);
  const rows = await resolveRecipients(tx, spec.runId, spec.kind, spec.now, totals);
  const items = await details(tx, [...new Set([...rows.flatMap((r) => r.sample), ...totals.flatMap(chatSample)])]);
  const smtp = !!notificationSettings().smtpUrl;
  const section = (rule: string, total: number, sample: string[]): DigestSection => {
    const s = spec.sections.get(rule);
    return { heading: s?.heading ?? rule, total, items: sample.map((id) => items.get(id)).filter((x): x is DigestItem => !!x), moreUrl: absoluteLink(s?.moreUrl ?? '/findings') };
  };
  const ruleOf = new Map([...spec.sections].map(([rule, s]) => [s.heading, rule]));
  const digest = (sections: DigestSection[], total = sections.reduce((n, s) => n + s.total, 0)): Digest => {
    const emergency = sections.some((s) => s.items.some((i) => i.emergency));
    const only = sections.length === 1 && sections[0]?.total === 1 ? sections[0].items[0] : undefined;
    const perRule = new Map(sections.map((s) => [ruleOf.get(s.heading) ?? s.heading, s.total]));
    return { title: spec.title(total, emergency, perRule), emergency, intro: spec.intro, sections, url: only?.url ?? sections[0]?.moreUrl ?? absoluteLink('/findings') };
  };
  const has = (rule: string, c: Channel) => spec.sections.get(rule)?.channels.includes(c) ?? false;

  const byRecipient = new Map<string, RecipientRow[]>();
  for (const r of rows) byRecipient.set(r.rkey, [...(byRecipient.get(r.rkey) ?? []), r]);

  const notifications: { user_id: string; kind: string; title: string; body: string; link: string | null; read_at: null }[] = [];
  const mails = new Map<string, { name: string; vias: Set<Audience>; sections: Map<string, DigestSection>; findings: number }>();
  for (const list of byRecipient.values()) {
    const first = list[0] as RecipientRow;
    const vias = new Set(list.flatMap((r) => r.vias.split(',')) as Audience[]);
    const inApp = list.filter((r) => has(r.rule, 'in_app'));
    if (first.user_id && inApp.length) {
      const d = digest(inApp.map((r) => section(r.rule, r.total, r.sample)), inApp.length === list.length ? first.findings : undefined);
      const lines = d.sections.flatMap((s) => [
        `${s.heading} (${s.total}):`,
        ...s.items.slice(0, 5).map((i) => `• ${i.hostname} · ${i.vulnerability} · ${i.emergency ? 'EMERGENCY' : (i.priority ?? 'unprioritised')} · due ${i.dueAt?.slice(0, 10) ?? 'none'}`),
        ...(s.total > Math.min(5, s.items.length) ? [`… and ${s.total - Math.min(5, s.items.length)} more`] : []),
      ]);
      const single = d.sections.length === 1 && d.sections[0]?.total === 1 ? d.sections[0].items[0] : undefined;
      const link = single ? `/findings/${single.findingId}` : (spec.sections.get(inApp[0]?.rule ?? '')?.moreUrl ?? '/findings');
      notifications.push({ user_id: first.user_id, kind: d.emergency ? 'emergency' : spec.kind, title: `${d.emergency ? 'EMERGENCY: ' : ''}${d.title}`.slice(0, 300), body: lines.join('\n').slice(0, 10_000), link, read_at: null });
    }
    const byMail = list.filter((r) => r.mail && r.email && has(r.rule, 'email'));
    if (smtp && byMail.length) {
      // A team address that is also a person's address gets one mail.
      const key = (first.email as string).toLowerCase();
      const m = mails.get(key) ?? { name: first.name, vias: new Set<Audience>(), sections: new Map<string, DigestSection>(), findings: 0 };
      m.findings = Math.max(m.findings, byMail.length === list.length ? first.findings : byMail.reduce((n, r) => n + r.total, 0));
      for (const v of vias) m.vias.add(v);
      for (const r of byMail) {
        const prev = m.sections.get(r.rule);
        if (!prev || prev.total < r.total) m.sections.set(r.rule, section(r.rule, r.total, r.sample));
      }
      mails.set(key, m);
    }
  }
  if (notifications.length) await tx.insertInto('notifications').values(notifications).execute();

  const emailIds: string[] = [];
  for (const [address, m] of mails) {
    const d = digest([...m.sections.values()], m.findings);
    const why = `You receive this because ${[...m.vias].map((v) => WHY[v]).join('; ')}.`;
    const text = emailText(d, { greeting: `Hello ${m.name}`, why, footerUrl: absoluteLink('/notifications'), now: spec.now });
    emailIds.push(await queueEmail(tx, { to: address, subject: subjectOf(d), text, runId: spec.runId }));
  }

  const webhookIds: string[] = [];
  const chat = totals.filter((t) => has(t.rule, 'webhook'));
  const messages = spec.webhookPerSection ? chat.map((t) => [t]) : chat.length ? [chat] : [];
  for (const group of messages) {
    const d = digest(group.map((t) => section(t.rule, t.total, chatSample(t))));
    for (const w of spec.webhooks) webhookIds.push(await queueWebhook(tx, { webhookId: w.id, subject: subjectOf(d), payload: webhookPayload(w.format, d, spec.now), runId: spec.runId }));
  }
  return { recipients: byRecipient.size, inApp: notifications.length, emailIds, webhookIds };
}

export async function enabledWebhooks(tx: Tx): Promise<{ id: string; format: WebhookFormat }[]> {
  const rows = await tx.selectFrom('notification_webhooks').select(['id', 'format']).where('enabled', '=', true).orderBy('name').execute();
  return rows.map((r) => ({ id: r.id, format: r.format as WebhookFormat }));
}
