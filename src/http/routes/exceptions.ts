import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  approveSchema,
  EXCEPTION_SCOPES,
  EXCEPTION_STATUSES,
  EXTENSION_STATUSES,
  exceptionListQuerySchema,
  exceptionRequestSchema,
  extensionListQuerySchema,
  extensionRequestSchema,
  findingIdSchema,
  rejectSchema,
  reviewSchema,
  revokeSchema,
  withdrawSchema,
} from '../../domain/exceptions/index.js';
import * as exceptions from '../../services/exceptions/exceptions.service.js';
import { EXCEPTION_COLUMNS, exportExceptionsCsv } from '../../services/exceptions/export.js';
import * as extensions from '../../services/exceptions/extensions.service.js';
import type { Db } from '../../storage/db.js';
import { errorResponses } from '../problem.js';
import { startStream } from '../stream.js';
import { ctxOf } from '../types.js';

const tags = ['Risk exceptions and SLA extensions'];
const person = z.object({ id: z.uuid().nullable(), name: z.string() });
const idParams = z.strictObject({ id: z.uuid('must be an id (UUID)') });

const exceptionSchema = z
  .object({
    id: z.uuid(),
    scope: z.enum(EXCEPTION_SCOPES),
    findingId: z.string().nullable(),
    vulnerability: z.object({ id: z.string(), title: z.string().nullable() }).nullable(),
    asset: z.object({ id: z.uuid(), hostname: z.string() }).nullable(),
    assets: z.array(z.object({ id: z.uuid(), hostname: z.string() })).describe('Vulnerability scope limited to these assets (empty: every asset)'),
    justification: z.string(),
    compensatingControls: z.string(),
    riskOwner: person,
    requestedBy: person,
    requestedAt: z.string(),
    expiresOn: z.string().describe('Last valid day (UTC)'),
    reviewIntervalDays: z.number().int(),
    nextReviewOn: z.string().nullable(),
    lastReviewedAt: z.string().nullable(),
    reviewDue: z.boolean(),
    unsupportedSystem: z.boolean().describe('Accepts the risk of an end-of-life system: decided by the roles in approvals.unsupportedSystemException (LEG-3)'),
    status: z.enum(EXCEPTION_STATUSES),
    renews: z.uuid().nullable(),
    decidedBy: person.nullable(),
    decidedAt: z.string().nullable(),
    decisionNote: z.string().nullable(),
    policyVersion: z.number().int().nullable().describe('The policy version whose approval rule applied'),
    endedAt: z.string().nullable(),
    endReason: z.string().nullable(),
    coveredFindings: z.number().int().describe('Open findings it covers now (they count as excepted, not overdue)'),
    updatedAt: z.string(),
    version: z.number().int().describe('For optimistic locking: send it back with a decision'),
  })
  .meta({ id: 'RiskException' });

const exceptionDetailSchema = exceptionSchema
  .extend({
    history: z.array(z.object({ at: z.string(), event: z.enum(['requested', 'approved', 'rejected', 'reviewed', 'expired', 'revoked']), actor: z.string(), note: z.string().nullable() })),
    allowed: z.object({ approve: z.boolean(), reject: z.boolean(), revoke: z.boolean(), review: z.boolean() }).describe('What you may do now (policy roles, separation of duties, status)'),
    approverRoles: z.array(z.string()).describe('The roles the policy in force lets decide it'),
    uncoveredUnsupported: z
      .number()
      .int()
      .describe("Open findings in its scope it cannot cover and no other exception does: on an unsupported system, which needs senior management's own exception (LEG-3)"),
  })
  .meta({ id: 'RiskExceptionDetail' });

const extensionSchema = z
  .object({
    id: z.uuid(),
    findings: z.array(
      z.object({
        id: z.string(), vulnerabilityId: z.string(), hostname: z.string(), status: z.string(),
        dueAt: z.string().nullable().describe('Due now'), dueAtRequest: z.string().nullable().describe('Due when requested'), dueBeforeApproval: z.string().nullable().describe('Due when it was approved, just before the extension moved it'),
      }),
    ),
    newDueOn: z.string(),
    justification: z.string(),
    incidentRef: z.string().nullable(),
    status: z.enum(EXTENSION_STATUSES),
    requestedBy: person,
    requestedAt: z.string(),
    decidedBy: person.nullable(),
    decidedAt: z.string().nullable(),
    decisionNote: z.string().nullable(),
    policyVersion: z.number().int().nullable(),
    version: z.number().int(),
    allowed: z.object({ approve: z.boolean(), reject: z.boolean(), withdraw: z.boolean() }),
  })
  .meta({ id: 'SlaExtension' });

const SOD = 'Never the requester, whatever their role (separation of duties).';

/** Risk exceptions (VUL-7, LEG-3, LEG-5, GOV-3) and SLA extensions (INC-3). */
export function exceptionRoutes(app: FastifyInstance, db: Db) {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post('/api/exceptions', {
    config: { permission: 'exception:request' },
    schema: {
      tags, operationId: 'requestException', summary: 'Request a risk exception for a finding, a vulnerability (across assets) or an asset',
      description: "The expiry must lie within the policy's exceptions.maxDays; the review interval defaults to (and is at most) exceptions.reviewIntervalDays. When an asset in scope is unsupported (end of life), the exception is flagged and only the roles in approvals.unsupportedSystemException may approve it.",
      body: exceptionRequestSchema,
      response: { 201: exceptionDetailSchema, ...errorResponses },
    },
  }, async (req, reply) => reply.code(201).send(await exceptions.requestException(db, ctxOf(req), req.body)));

  r.get('/api/exceptions', {
    config: { permission: 'asset:read' },
    schema: {
      tags, operationId: 'listExceptions', summary: 'The exception register, newest first',
      querystring: exceptionListQuerySchema,
      response: { 200: z.object({ items: z.array(exceptionSchema), total: z.number().int() }), ...errorResponses },
    },
  }, (req) => exceptions.listExceptions(db, ctxOf(req), req.query));

  r.get('/api/exceptions/export.csv', {
    config: { permission: 'asset:read' },
    schema: {
      tags, operationId: 'exportExceptions', summary: 'The exception register as CSV (the list filters; no paging)',
      description: `Columns: ${EXCEPTION_COLUMNS.join(', ')}. Cells that start with = + - @ get a leading apostrophe so spreadsheets do not run them as formulas.`,
      querystring: exceptionListQuerySchema.omit({ limit: true, offset: true }),
      produces: ['text/csv'],
      response: { 200: z.string().describe('CSV'), ...errorResponses },
    },
  }, async (req, reply) => {
    const body = await startStream(exportExceptionsCsv(db, ctxOf(req), req.query), (chunk) => chunk);
    return reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="risk-exceptions.csv"').send(body as never);
  });

  r.get('/api/exceptions/:id', {
    config: { permission: 'asset:read' },
    schema: { tags, operationId: 'getException', summary: 'One exception with its history, covered findings and what you may do', params: idParams, response: { 200: exceptionDetailSchema, ...errorResponses } },
  }, (req) => exceptions.getException(db, ctxOf(req), req.params.id));

  r.post('/api/exceptions/:id/approve', {
    config: { permission: 'exception:decide' },
    schema: {
      tags, operationId: 'approveException', summary: 'Approve a requested exception: its findings leave the overdue figures',
      description: `Only a role the policy names in approvals.exception (approvals.unsupportedSystemException for an unsupported system). ${SOD} The expiry is checked again against the policy in force.`,
      params: idParams, body: approveSchema.default({}),
      response: { 200: exceptionDetailSchema, ...errorResponses },
    },
  }, (req) => exceptions.approveException(db, ctxOf(req), req.params.id, req.body));

  r.post('/api/exceptions/:id/reject', {
    config: { permission: 'exception:decide' },
    schema: {
      tags, operationId: 'rejectException', summary: 'Reject a requested exception (a rejected renewal ends the exception it would renew)',
      description: SOD, params: idParams, body: rejectSchema, response: { 200: exceptionDetailSchema, ...errorResponses },
    },
  }, (req) => exceptions.rejectException(db, ctxOf(req), req.params.id, req.body));

  r.post('/api/exceptions/:id/revoke', {
    config: { permission: ['exception:decide', 'exception:request'] },
    schema: {
      tags, operationId: 'revokeException', summary: 'Revoke an approved exception: its findings return with a fresh due date',
      description: `A role the policy lets decide it, or its risk owner. ${SOD}`, params: idParams, body: revokeSchema, response: { 200: exceptionDetailSchema, ...errorResponses },
    },
  }, (req) => exceptions.revokeException(db, ctxOf(req), req.params.id, req.body));

  r.post('/api/exceptions/:id/review', {
    config: { permission: ['exception:decide', 'exception:request'] },
    schema: {
      tags, operationId: 'reviewException', summary: 'Record the periodic re-review; the next one is one interval from today (never after the expiry)',
      description: `A role the policy lets decide it, or its risk owner. ${SOD}`, params: idParams, body: reviewSchema, response: { 200: exceptionDetailSchema, ...errorResponses },
    },
  }, (req) => exceptions.reviewException(db, ctxOf(req), req.params.id, req.body));

  r.post('/api/sla-extensions', {
    config: { permission: 'exception:request' },
    schema: {
      tags, operationId: 'requestSlaExtension', summary: 'Request a later due date for open findings (INC-3: with justification and approval)',
      description: "All the findings or none: each must exist, be open and be due before the new day. At most the policy's exceptions.maxDays ahead.",
      body: extensionRequestSchema, response: { 201: extensionSchema, ...errorResponses },
    },
  }, async (req, reply) => reply.code(201).send(await extensions.requestExtension(db, ctxOf(req), req.body)));

  r.get('/api/sla-extensions', {
    config: { permission: 'asset:read' },
    schema: {
      tags, operationId: 'listSlaExtensions', summary: 'The SLA extension register, newest first',
      querystring: extensionListQuerySchema, response: { 200: z.object({ items: z.array(extensionSchema), total: z.number().int() }), ...errorResponses },
    },
  }, (req) => extensions.listExtensions(db, ctxOf(req), req.query));

  r.get('/api/sla-extensions/:id', {
    config: { permission: 'asset:read' },
    schema: { tags, operationId: 'getSlaExtension', summary: 'One SLA extension with its findings', params: idParams, response: { 200: extensionSchema, ...errorResponses } },
  }, (req) => extensions.getExtension(db, ctxOf(req), req.params.id));

  r.post('/api/sla-extensions/:id/approve', {
    config: { permission: 'exception:decide' },
    schema: {
      tags, operationId: 'approveSlaExtension', summary: 'Approve: the findings are due on the new day (re-prioritised at once)',
      description: `Only a role the policy names in approvals.slaExtension. ${SOD}`, params: idParams, body: approveSchema.default({}), response: { 200: extensionSchema, ...errorResponses },
    },
  }, (req) => extensions.approveExtension(db, ctxOf(req), req.params.id, req.body));

  r.post('/api/sla-extensions/:id/reject', {
    config: { permission: 'exception:decide' },
    schema: { tags, operationId: 'rejectSlaExtension', summary: 'Reject a requested SLA extension', description: SOD, params: idParams, body: rejectSchema, response: { 200: extensionSchema, ...errorResponses } },
  }, (req) => extensions.rejectExtension(db, ctxOf(req), req.params.id, req.body));

  r.post('/api/sla-extensions/:id/withdraw', {
    config: { permission: 'exception:request' },
    schema: { tags, operationId: 'withdrawSlaExtension', summary: 'Withdraw your own requested SLA extension', params: idParams, body: withdrawSchema.default({}), response: { 200: extensionSchema, ...errorResponses } },
  }, (req) => extensions.withdrawExtension(db, ctxOf(req), req.params.id, req.body));

  r.get('/api/findings/:id/extensions', {
    config: { permission: 'asset:read' },
    schema: {
      tags, operationId: 'listFindingSlaExtensions', summary: 'The SLA extensions naming a finding, newest first',
      params: z.strictObject({ id: findingIdSchema }), response: { 200: z.array(extensionSchema), ...errorResponses },
    },
  }, (req) => extensions.findingExtensions(db, ctxOf(req), req.params.id));
}
