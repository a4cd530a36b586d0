import type { PriorityClass } from '../priority/policy.js';
import type { WebhookFormat } from './webhook.js';

/**
 * What a notification says, rendered for each channel: a plain-text e-mail,
 * a Slack-compatible message and a Microsoft Teams Adaptive Card. One digest
 * lists findings in sections (one per escalation rule or trigger); long
 * lists are cut and end with a link to the register, so a fleet-wide event
 * still makes one readable message.
 */
export interface DigestItem {
  findingId: string;
  hostname: string;
  vulnerability: string;
  priority: PriorityClass | null;
  emergency: boolean;
  dueAt: string | null;
  url: string;
}

export interface DigestSection {
  heading: string;
  /** All findings of the section; `items` may hold fewer. */
  total: number;
  items: DigestItem[];
  /** Where the rest can be seen. */
  moreUrl: string;
}

export interface Digest {
  title: string;
  emergency: boolean;
  intro: string;
  sections: DigestSection[];
  /** The link a reader follows first (the register, or one finding). */
  url: string;
}

const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();
const day = (iso: string | null) => (iso ? iso.slice(0, 10) : 'no due date');

function itemLine(i: DigestItem, now: Date): string {
  const overdue = i.dueAt && new Date(i.dueAt) < now ? ' (overdue)' : '';
  const prio = i.emergency ? 'EMERGENCY' : (i.priority ?? 'unprioritised');
  return `${i.hostname}  ${i.vulnerability}  ${prio}  due ${day(i.dueAt)}${overdue}`;
}

/** Subject line: emergencies are flagged first, and nothing can break the header. */
export function subjectOf(d: Digest): string {
  return oneLine(`${d.emergency ? '[EMERGENCY] ' : ''}[patchloop] ${d.title}`).slice(0, 200);
}

export function emailText(d: Digest, opts: { greeting: string; why: string; footerUrl: string; now: Date }): string {
  const lines = [`${opts.greeting},`, '', d.intro, ''];
  if (d.emergency) lines.push('EMERGENCY: actively exploited vulnerabilities on exposed systems. Follow the emergency patch procedure.', '');
  for (const s of d.sections) {
    lines.push(`${s.heading} (${s.total} finding${s.total === 1 ? '' : 's'})`);
    for (const i of s.items) lines.push(`  - ${itemLine(i, opts.now)}`, `    ${i.url}`);
    if (s.total > s.items.length) lines.push(`  … and ${s.total - s.items.length} more: ${s.moreUrl}`);
    lines.push('');
  }
  lines.push(opts.why, '', '-- ', `patchloop · your notifications: ${opts.footerUrl}`);
  return lines.join('\n');
}

/** Slack mrkdwn: &, < and > are control characters and must be escaped. */
const slackEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const slackLink = (url: string, text: string) => `<${url.replace(/[<>|]/g, encodeURIComponent)}|${slackEscape(text).replace(/\|/g, '¦')}>`;

/**
 * Slack incoming-webhook payload: `text` is the notification fallback (and
 * all that Mattermost or Rocket.Chat need), `blocks` the formatted message.
 * Block limits: header 150 characters, section text 3,000.
 */
export function slackPayload(d: Digest, now: Date): { text: string; blocks: unknown[] } {
  const head = `${d.emergency ? ':rotating_light: EMERGENCY: ' : ''}${d.title}`;
  const blocks: unknown[] = [
    { type: 'header', text: { type: 'plain_text', text: oneLine(head).slice(0, 150) } },
    { type: 'section', text: { type: 'mrkdwn', text: slackEscape(d.intro).slice(0, 3000) } },
  ];
  for (const s of d.sections) {
    const lines = s.items.map((i) => `• ${slackLink(i.url, `${i.hostname} · ${i.vulnerability}`)} · ${i.emergency ? '*EMERGENCY*' : (i.priority ?? 'unprioritised')} · due ${day(i.dueAt)}${i.dueAt && new Date(i.dueAt) < now ? ' (overdue)' : ''}`);
    let body = `*${slackEscape(oneLine(s.heading))}* (${s.total})\n`;
    for (const l of lines) {
      if (body.length + l.length > 2900) break;
      body += `${l}\n`;
    }
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: body.trimEnd() } });
    if (s.total > s.items.length) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `… and ${s.total - s.items.length} more: ${slackLink(s.moreUrl, 'open the register')}` }] });
  }
  const total = d.sections.reduce((n, s) => n + s.total, 0);
  const text = `${d.emergency ? 'EMERGENCY: ' : ''}${oneLine(d.title)}: ${total} finding${total === 1 ? '' : 's'} ${d.url}`;
  return { text: slackEscape(text), blocks: blocks.slice(0, 50) };
}

/** Adaptive Card TextBlock markdown: keep link texts from closing the link. */
const cardText = (s: string) => oneLine(s).replace(/[[\]]/g, (c) => (c === '[' ? '(' : ')'));

/**
 * Microsoft Teams: an Adaptive Card (schema 1.2) in a message with one
 * attachment, the shape Teams incoming webhooks and the Workflows app's
 * "When a Teams webhook request is received" trigger both accept (Microsoft
 * Learn, "Create and send messages": send Adaptive Cards using an incoming
 * webhook). The retired Office 365 connector MessageCard is not used.
 */
export function teamsPayload(d: Digest, now: Date): { type: 'message'; attachments: unknown[] } {
  const body: unknown[] = [
    { type: 'TextBlock', text: cardText(`${d.emergency ? 'EMERGENCY: ' : ''}${d.title}`), weight: 'Bolder', size: 'Medium', wrap: true, ...(d.emergency ? { color: 'Attention' } : {}) },
    { type: 'TextBlock', text: cardText(d.intro), wrap: true },
  ];
  for (const s of d.sections) {
    body.push({ type: 'TextBlock', text: `${cardText(s.heading)} (${s.total})`, weight: 'Bolder', wrap: true, spacing: 'Medium' });
    for (const i of s.items) {
      body.push({
        type: 'TextBlock', wrap: true, spacing: 'None',
        text: `- [${cardText(`${i.hostname} · ${i.vulnerability}`)}](${i.url}) · ${i.emergency ? '**EMERGENCY**' : (i.priority ?? 'unprioritised')} · due ${day(i.dueAt)}${i.dueAt && new Date(i.dueAt) < now ? ' (overdue)' : ''}`,
      });
    }
    if (s.total > s.items.length) body.push({ type: 'TextBlock', wrap: true, isSubtle: true, text: `… and ${s.total - s.items.length} more: [open the register](${s.moreUrl})` });
  }
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: { $schema: 'http://adaptivecards.io/schemas/adaptive-card.json', type: 'AdaptiveCard', version: '1.2', body, actions: [{ type: 'Action.OpenUrl', title: 'Open in patchloop', url: d.url }] },
      },
    ],
  };
}

export function webhookPayload(format: WebhookFormat, d: Digest, now: Date): unknown {
  return format === 'teams' ? teamsPayload(d, now) : slackPayload(d, now);
}
