import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { escalationListQuerySchema, escalationRunResultSchema, escalationSchema, notificationListQuerySchema, notificationPageSchema, notificationSchema } from '../../domain/notifications/schemas.js';
import { webhookCreateSchema, webhookSchema, webhookUpdateSchema } from '../../domain/notifications/webhook.js';
import { listEscalations } from '../../services/escalation/log.service.js';
import { runEscalationsNow } from '../../services/escalation/run.js';
import * as notifications from '../../services/notifications/notifications.service.js';
import * as webhooks from '../../services/notifications/webhooks.service.js';
import type { Db } from '../../storage/db.js';
import { errorResponses } from '../problem.js';
import { ctxOf } from '../types.js';

const notificationId = z.strictObject({ id: z.string().regex(/^\d{1,18}$/, 'must be a notification id (digits)') });
const webhookId = z.strictObject({ id: z.uuid() });

/** In-app notifications, chat webhooks and the escalation log (issue #6 §4, INC-1). */
export function notificationRoutes(app: FastifyInstance, db: Db) {
  const r = app.withTypeProvider<ZodTypeProvider>();

  const nt = ['Notifications'];
  r.get('/api/notifications', {
    schema: {
      tags: nt, operationId: 'listNotifications', summary: 'Your notifications, newest first',
      description: 'Only the signed-in person’s own; an agent or the local operator has none (403). `unread` counts all unread ones, for the badge in the navigation.',
      querystring: notificationListQuerySchema,
      response: { 200: notificationPageSchema, ...errorResponses },
    },
  }, (req) => notifications.listMine(db, ctxOf(req), req.query));

  r.post('/api/notifications/read-all', {
    config: { permission: 'token:own' },
    schema: { tags: nt, operationId: 'markAllNotificationsRead', summary: 'Mark all your notifications read', response: { 200: z.object({ marked: z.number().int() }), ...errorResponses } },
  }, (req) => notifications.markAllRead(db, ctxOf(req)));

  r.post('/api/notifications/:id/read', {
    config: { permission: 'token:own' },
    schema: {
      tags: nt, operationId: 'markNotificationRead', summary: 'Mark one of your notifications read (someone else’s is 404)',
      params: notificationId,
      response: { 200: notificationSchema, ...errorResponses },
    },
  }, (req) => notifications.markRead(db, ctxOf(req), req.params.id));

  const wt = ['Notification webhooks'];
  r.get('/api/notification-webhooks', {
    config: { permission: 'system:admin' },
    schema: { tags: wt, operationId: 'listNotificationWebhooks', summary: 'Chat webhooks (URLs masked)', response: { 200: z.array(webhookSchema), ...errorResponses } },
  }, (req) => webhooks.listWebhooks(db, ctxOf(req)));

  r.post('/api/notification-webhooks', {
    config: { permission: 'system:admin' },
    schema: {
      tags: wt, operationId: 'createNotificationWebhook', summary: 'Add a Slack- or Teams-compatible webhook',
      description: 'The URL is stored encrypted under the master key and never returned: answers show its scheme, host and last characters. Only http(s) URLs without user information are accepted.',
      body: webhookCreateSchema,
      response: { 201: webhookSchema, ...errorResponses },
    },
  }, async (req, reply) => reply.code(201).send(await webhooks.createWebhook(db, ctxOf(req), req.body)));

  r.patch('/api/notification-webhooks/:id', {
    config: { permission: 'system:admin' },
    schema: { tags: wt, operationId: 'updateNotificationWebhook', summary: 'Rename, re-point (a new URL), change the format, enable or disable', params: webhookId, body: webhookUpdateSchema, response: { 200: webhookSchema, ...errorResponses } },
  }, (req) => webhooks.updateWebhook(db, ctxOf(req), req.params.id, req.body));

  r.delete('/api/notification-webhooks/:id', {
    config: { permission: 'system:admin' },
    schema: { tags: wt, operationId: 'deleteNotificationWebhook', summary: 'Remove a webhook (messages still waiting for it are dropped)', params: webhookId, response: { 204: z.null(), ...errorResponses } },
  }, async (req, reply) => {
    await webhooks.deleteWebhook(db, ctxOf(req), req.params.id);
    return reply.code(204).send(null);
  });

  r.post('/api/notification-webhooks/:id/test', {
    config: { permission: 'system:admin' },
    schema: {
      tags: wt, operationId: 'testNotificationWebhook', summary: 'Post a test message now',
      description: 'A failed call is an answer (ok: false with the reason), not an error.',
      params: webhookId,
      response: { 200: z.object({ ok: z.boolean(), error: z.string().nullable(), webhook: webhookSchema }), ...errorResponses },
    },
  }, (req) => webhooks.testWebhook(db, ctxOf(req), req.params.id));

  const et = ['Escalation'];
  r.get('/api/escalations', {
    config: { permission: 'asset:read' },
    schema: {
      tags: et, operationId: 'listEscalations', summary: 'The escalation log, newest first: rule, finding, due date, recipients, delivery',
      querystring: escalationListQuerySchema,
      response: { 200: z.object({ items: z.array(escalationSchema), nextBefore: z.string().nullable() }), ...errorResponses },
    },
  }, (req) => listEscalations(db, ctxOf(req), req.query));

  r.post('/api/escalations/run', {
    config: { permission: 'system:admin' },
    schema: {
      tags: et, operationId: 'runEscalations', summary: 'Apply the policy’s escalation rules now (the server does it every 15 minutes)',
      description: 'Each rule fires once per finding and due date: running again soon after finds nothing new. Counts say what was queued and what went out.',
      response: { 200: escalationRunResultSchema, ...errorResponses },
    },
  }, (req) => runEscalationsNow(db, ctxOf(req)));
}
