import { z } from 'zod';
import { ESCALATION_AUDIENCES } from '../priority/policy.js';

/** The API's shapes for notifications and the escalation log (issue #6 §4). */
export const notificationSchema = z
  .object({
    id: z.string(),
    kind: z.string().describe('escalation, emergency, priority_raised, or what another capability notifies about'),
    title: z.string(),
    body: z.string(),
    link: z.string().nullable().describe('A path in the web UI'),
    createdAt: z.string(),
    readAt: z.string().nullable(),
  })
  .meta({ id: 'Notification' });
export type Notification = z.infer<typeof notificationSchema>;

export const notificationListQuerySchema = z.strictObject({
  unread: z.enum(['true', 'false']).optional().describe('true: only unread ones'),
  limit: z.coerce.number().int().min(1, 'must be 1–200').max(200, 'must be 1–200').default(50),
  before: z
    .string()
    .regex(/^\d{1,18}$/, 'must be the id of a notification (digits)')
    .optional()
    .describe('Cursor: nextBefore of the previous page'),
});

export const notificationPageSchema = z
  .object({ items: z.array(notificationSchema), unread: z.number().int().describe('All your unread notifications'), nextBefore: z.string().nullable() })
  .meta({ id: 'NotificationPage' });

const deliveryCounts = z.object({ queued: z.number().int(), sent: z.number().int(), failed: z.number().int().describe('Attempts that failed now (retried later, see the delivery log)') });

export const escalationRunResultSchema = z
  .object({
    runId: z.string().nullable().describe('null when no rule fired'),
    at: z.string(),
    policyVersion: z.number().int(),
    rules: z.array(z.object({ name: z.string(), findings: z.number().int() })),
    findings: z.number().int(),
    recipients: z.number().int(),
    inApp: z.number().int(),
    emails: deliveryCounts,
    webhooks: deliveryCounts,
  })
  .meta({ id: 'EscalationRunResult' });

export const escalationSchema = z
  .object({
    id: z.string(),
    kind: z.enum(['rule', 'raised']).describe('rule: a policy escalation rule fired; raised: the priority rose (or the finding became an emergency)'),
    findingId: z.string(),
    hostname: z.string().nullable(),
    vulnerabilityId: z.string().nullable(),
    rule: z.string(),
    policyVersion: z.number().int(),
    dueAt: z.string().nullable().describe('The due date it fired for'),
    sentAt: z.string(),
    runId: z.string(),
    audiences: z.array(z.enum(ESCALATION_AUDIENCES)),
    channels: z.array(z.enum(['email', 'webhook', 'in_app'])).describe('The channels used (a channel that is not configured is left out)'),
    recipients: z.array(z.object({ userId: z.string().nullable(), name: z.string(), email: z.string().nullable(), via: z.array(z.string()) })),
    deliveries: z
      .array(z.object({ id: z.string(), channel: z.enum(['email', 'webhook']), target: z.string(), status: z.enum(['pending', 'sent', 'failed']), attempts: z.number().int(), error: z.string().nullable() }))
      .describe("This finding's recipients' mails and the run's chat messages"),
  })
  .meta({ id: 'Escalation' });
export type Escalation = z.infer<typeof escalationSchema>;

export const escalationListQuerySchema = z.strictObject({
  findingId: z
    .string()
    .regex(/^\d{1,18}$/, 'must be a finding id (digits)')
    .optional(),
  limit: z.coerce.number().int().min(1, 'must be 1–500').max(500, 'must be 1–500').default(100),
  before: z
    .string()
    .regex(/^\d{1,18}$/, 'must be the id of a log entry (digits)')
    .optional()
    .describe('Cursor: nextBefore of the previous page'),
});
