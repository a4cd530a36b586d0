import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { text } from '../../domain/text.js';
import * as audit from '../../services/audit/audit.service.js';
import type { Db } from '../../storage/db.js';
import { errorResponses } from '../problem.js';
import { startStream } from '../stream.js';
import { ctxOf } from '../types.js';

export const auditRecordSchema = z
  .object({
    seq: z.number().int(),
    occurredAt: z.string(),
    actorType: z.string(),
    actorId: z.string().nullable(),
    actorName: z.string(),
    action: z.string(),
    entityType: z.string(),
    entityId: z.string().nullable(),
    before: z.unknown(),
    after: z.unknown(),
    requestId: z.string().nullable(),
    prevHash: z.string(),
    hash: z.string(),
  })
  .meta({ id: 'AuditRecord' });

const tags = ['Audit'];

export function auditRoutes(app: FastifyInstance, db: Db) {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get('/api/audit', {
    config: { permission: 'audit:read' },
    schema: {
      tags, operationId: 'listAudit', summary: 'Audit trail, newest first, with filters',
      querystring: z.strictObject({
        actor: text(200).optional().describe('Exact actor name, e.g. "alice" or "alice (token)"'),
        actorId: z.string().max(200).optional().describe('User id of the actor: matches session and token actions alike'),
        entityType: text(64).optional(),
        entityId: text(200).optional(),
        action: text(100).optional(),
        from: z.iso.datetime({ offset: true }).optional(),
        to: z.iso.datetime({ offset: true }).optional(),
        beforeSeq: z.coerce.number().int().positive().optional().describe('Cursor: the seq of the last record of the previous page'),
        limit: z.coerce.number().int().min(1).max(500).default(100),
      }),
      response: { 200: z.object({ items: z.array(auditRecordSchema), nextBeforeSeq: z.number().nullable() }), ...errorResponses },
    },
  }, async (req) => {
    const q = req.query;
    const items = await audit.list(db, ctxOf(req), { ...q, from: q.from ? new Date(q.from) : undefined, to: q.to ? new Date(q.to) : undefined });
    return { items, nextBeforeSeq: items.length === q.limit ? (items[items.length - 1]?.seq ?? null) : null };
  });

  r.get('/api/audit/facets', {
    config: { permission: 'audit:read' },
    schema: {
      tags, operationId: 'auditFacets', summary: 'Entity types, actions and actors present in the trail (for filter menus)',
      response: { 200: z.object({ entityTypes: z.array(z.string()), actions: z.array(z.string()), actors: z.array(z.string()) }), ...errorResponses },
    },
  }, (req) => audit.facets(db, ctxOf(req)));

  r.get('/api/audit/verify', {
    config: { permission: 'audit:read' },
    schema: {
      tags, operationId: 'verifyAudit', summary: 'Check the whole hash chain; names the first altered, removed or reordered record',
      response: {
        200: z.object({
          ok: z.boolean(),
          checked: z.number(),
          lastSeq: z.number(),
          lastHash: z.string(),
          problem: z.object({ kind: z.enum(['altered', 'removed', 'reordered', 'truncated']), seq: z.number(), message: z.string() }).optional(),
        }),
        ...errorResponses,
      },
    },
  }, (req) => audit.verifyChain(db, ctxOf(req)));

  r.get('/api/audit/export', {
    config: { permission: 'audit:read' },
    schema: { tags, operationId: 'exportAudit', summary: 'The whole trail as JSON Lines, oldest first', produces: ['application/x-ndjson'], response: { 200: z.string(), ...errorResponses } },
  }, async (req, reply) => {
    const body = await startStream(audit.exportAll(db, ctxOf(req)), (rec) => `${JSON.stringify(rec)}\n`);
    return reply.header('content-type', 'application/x-ndjson; charset=utf-8').header('content-disposition', 'attachment; filename="audit.jsonl"').send(body as never);
  });
}
