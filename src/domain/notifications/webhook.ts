import { z } from 'zod';
import { name } from '../text.js';

/**
 * Chat webhooks (issue #6 §4). The URL is the credential of the channel
 * (Slack and Teams accept anything posted to it), so it is write-only: after
 * saving, only its scheme, host and the last characters of the rest are
 * shown. Only http(s) URLs without user information are accepted; internal
 * hosts are allowed on purpose (self-hosted Mattermost, Rocket.Chat, a Teams
 * relay), since only administrators configure webhooks.
 */
export const WEBHOOK_FORMATS = ['slack', 'teams'] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

export const WEBHOOK_FORMAT_LABELS: Record<WebhookFormat, string> = {
  slack: 'Slack-compatible ({"text": …} with blocks; also Mattermost, Rocket.Chat)',
  teams: 'Microsoft Teams (Adaptive Card message: Workflows or incoming webhook)',
};

function urlProblem(v: string): string | null {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    return 'must be an absolute http:// or https:// URL';
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return `must be an http:// or https:// URL, not ${u.protocol.replace(/:$/, '')}:`;
  if (!u.hostname) return 'must name a host';
  if (u.username || u.password) return 'must not contain a user name or password (put the secret in the path, as Slack and Teams do)';
  if (u.hash) return 'must not contain a #fragment';
  return null;
}

export const webhookUrlSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(2048, 'must be at most 2,048 characters')
  .superRefine((v, ctx) => {
    const p = urlProblem(v);
    if (p) ctx.addIssue({ code: 'custom', message: p });
  })
  .describe('The webhook URL (write-only: never shown again in full)');

export const webhookCreateSchema = z.strictObject({
  name: name(100).describe('What the channel is, e.g. "#vuln-alerts"'),
  url: webhookUrlSchema,
  format: z.enum(WEBHOOK_FORMATS).describe('Payload shape: slack ({"text", "blocks"}) or teams (Adaptive Card in a message)'),
  enabled: z.boolean().default(true),
});
export type WebhookCreate = z.infer<typeof webhookCreateSchema>;

export const webhookUpdateSchema = z
  .strictObject({
    name: name(100).optional(),
    url: webhookUrlSchema.optional().describe('A new URL replaces the stored one'),
    format: z.enum(WEBHOOK_FORMATS).optional(),
    enabled: z.boolean().optional(),
  })
  .refine((p) => Object.values(p).some((v) => v !== undefined), 'change at least one of name, url, format, enabled');
export type WebhookUpdate = z.infer<typeof webhookUpdateSchema>;

export const webhookSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    urlHint: z.string().describe('Scheme, host and the last characters of the URL; the rest is never shown'),
    format: z.enum(WEBHOOK_FORMATS),
    enabled: z.boolean(),
    createdBy: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
    lastDelivery: z
      .object({ at: z.string(), status: z.enum(['sent', 'failed']), error: z.string().nullable() })
      .nullable()
      .describe('The outcome of the latest call'),
  })
  .meta({ id: 'NotificationWebhook' });
export type Webhook = z.infer<typeof webhookSchema>;

/** "https://hooks.slack.com/…x9Qz": enough to recognise a URL, not to use it. */
export function maskWebhookUrl(url: string): string {
  const u = new URL(url);
  const rest = `${u.pathname}${u.search}`.replace(/^\//, '');
  const tail = rest.length > 12 ? rest.slice(-4) : '';
  return `${u.protocol}//${u.host}/${rest ? `…${tail}` : ''}`;
}
