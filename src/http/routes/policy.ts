import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { DEADLINE_BASES, MODELS, PRIORITIES, policyEditSchema, policySchema, SLA_STATES } from '../../domain/priority/index.js';
import { explainPriority } from '../../services/priority/explain.js';
import { acknowledgePolicy, comparePolicies, editPolicy, getPolicy, listAcknowledgements, listPolicyVersions } from '../../services/priority/policy.service.js';
import { pendingRequests, requestReprioritisation } from '../../services/priority/requests.js';
import * as audit from '../../services/audit/audit.service.js';
import type { Db } from '../../storage/db.js';
import { errorResponses } from '../problem.js';
import { ctxOf } from '../types.js';

const tags = ['Policy and prioritisation'];
const version = z.coerce.number().int().min(1).max(1_000_000);
const author = z.object({ id: z.uuid().nullable(), name: z.string() });
const policyVersionSchema = z.object({ version: z.number().int(), document: policySchema, reason: z.string(), author, createdAt: z.string() }).meta({ id: 'PolicyVersion' });
const changeSchema = z.object({ path: z.string().describe('Field, e.g. sla.critical or escalation[1].channels'), before: z.unknown(), after: z.unknown() }).meta({ id: 'PolicyChange' });

const explanationSchema = z
  .object({
    findingId: z.string(),
    status: z.string(),
    stored: z.object({
      priority: z.enum(PRIORITIES).nullable(), score: z.number().nullable(), decision: z.string().nullable(), emergency: z.boolean(), slaDays: z.number().nullable(),
      slaStart: z.string().nullable().describe('When the SLA clock started: detection, reopening or the end of an exception'),
      classSince: z.string().nullable().describe('When the current class began (a rise restarts the clock for the stricter class)'),
      dueAt: z.string().nullable(), extendedDueAt: z.string().nullable(), exceptionId: z.string().nullable(), policyVersion: z.number().nullable(), prioritisedAt: z.string().nullable(),
      slaState: z.enum(SLA_STATES).nullable(), elapsedPercent: z.number().nullable().describe('Share of the SLA window elapsed (100 = due now)'),
    }),
    current: z.object({
      policyVersion: z.number(), model: z.enum(MODELS), modelLabel: z.string(), priority: z.enum(PRIORITIES), score: z.number().nullable(), decision: z.string().nullable(),
      emergency: z.boolean(), slaDays: z.number().nullable(),
      factors: z.array(z.object({ factor: z.string(), value: z.string(), effect: z.string(), points: z.number().optional() })).describe('Each input the model read, its value and its effect'),
      upToDate: z.boolean().describe('false: the inputs changed since the last evaluation; a re-prioritisation is queued'),
    }),
    history: z.array(
      z.object({
        at: z.string(), policyVersion: z.number(), priority: z.enum(PRIORITIES), previousPriority: z.enum(PRIORITIES).nullable(), emergency: z.boolean(),
        dueAt: z.string().nullable(), previousDueAt: z.string().nullable(), basis: z.enum(DEADLINE_BASES).describe('Which due-date rule applied'), trigger: z.string().describe('What caused it'),
      }),
    ),
  })
  .meta({ id: 'PriorityExplanation' });

/** The patch policy as versions (GOV-1, STK-4) and the explanation of each finding's priority (VUL-4). */
export function policyRoutes(app: FastifyInstance, db: Db) {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get('/api/policy', {
    config: { permission: 'asset:read' },
    schema: { tags, operationId: 'getPolicy', summary: 'The patch policy in force (the newest version)', response: { 200: policyVersionSchema, ...errorResponses } },
  }, (req) => getPolicy(db, ctxOf(req)));

  r.put('/api/policy', {
    config: { permission: 'policy:write' },
    schema: {
      tags, operationId: 'editPolicy', summary: 'Edit the policy: a new version with your reason',
      description: 'The whole document is sent; it becomes a new version (author, time, reason kept; earlier versions stay readable). Every open finding is then re-prioritised against it in the background, and the findings whose class or due date it changes record the new version.',
      body: policyEditSchema,
      response: { 201: policyVersionSchema, ...errorResponses },
    },
  }, async (req, reply) => reply.code(201).send(await editPolicy(db, ctxOf(req), req.body)));

  r.get('/api/policy/versions', {
    config: { permission: 'asset:read' },
    schema: {
      tags, operationId: 'listPolicyVersions', summary: 'Every version, newest first, with how many fields each changed',
      response: { 200: z.array(z.object({ version: z.number(), reason: z.string(), author, createdAt: z.string(), changes: z.number() })), ...errorResponses },
    },
  }, (req) => listPolicyVersions(db, ctxOf(req)));

  r.get('/api/policy/versions/:version', {
    config: { permission: 'asset:read' },
    schema: { tags, operationId: 'getPolicyVersion', summary: 'One version as it was', params: z.strictObject({ version }), response: { 200: policyVersionSchema, ...errorResponses } },
  }, (req) => getPolicy(db, ctxOf(req), req.params.version));

  r.get('/api/policy/diff', {
    config: { permission: 'asset:read' },
    schema: {
      tags, operationId: 'comparePolicyVersions', summary: 'The fields that differ between two versions',
      querystring: z.strictObject({ from: version, to: version }),
      response: { 200: z.object({ from: z.number(), to: z.number(), changes: z.array(changeSchema) }), ...errorResponses },
    },
  }, (req) => comparePolicies(db, ctxOf(req), req.query.from, req.query.to));

  r.post('/api/policy/acknowledge', {
    config: { permission: 'asset:read' },
    schema: {
      tags, operationId: 'acknowledgePolicy', summary: 'Confirm you have read the policy in force (STK-4)',
      body: z.strictObject({ version: z.number().int().min(1).optional().describe('The version you read; refused if it is not the one in force') }).default({}),
      response: { 200: z.object({ version: z.number(), acknowledgedAt: z.string() }), ...errorResponses },
    },
  }, (req) => acknowledgePolicy(db, ctxOf(req), req.body.version));

  r.get('/api/policy/acknowledgements', {
    config: { permission: 'user:read' },
    schema: {
      tags, operationId: 'listPolicyAcknowledgements', summary: 'Who has acknowledged the version in force, and who has not',
      response: {
        200: z.object({
          version: z.number(), acknowledged: z.number(), pending: z.number(),
          people: z.array(z.object({ userId: z.uuid(), username: z.string(), displayName: z.string(), role: z.string(), version: z.number().nullable(), acknowledgedAt: z.string().nullable(), current: z.boolean() })),
        }),
        ...errorResponses,
      },
    },
  }, (req) => listAcknowledgements(db, ctxOf(req)));

  r.get('/api/findings/:id/priority', {
    config: { permission: 'asset:read' },
    schema: {
      tags, operationId: 'explainFindingPriority', summary: 'Why a finding has its priority and due date: each factor, its value and its effect, and the history',
      params: z.strictObject({ id: z.string().regex(/^[0-9]{1,18}$/, 'must be a finding id (digits)') }),
      response: { 200: explanationSchema, ...errorResponses },
    },
  }, (req) => explainPriority(db, ctxOf(req), req.params.id));

  r.post('/api/priority/reprioritise', {
    config: { permission: 'system:admin' },
    schema: {
      tags, operationId: 'requestReprioritisation', summary: 'Re-prioritise every open finding (queued for the background worker)',
      body: z.strictObject({ reason: z.string().trim().min(3).max(500).describe('Why (recorded in the history of every finding it changes)') }),
      response: { 202: z.object({ queued: z.number().describe('Requests waiting, this one included') }), ...errorResponses },
    },
  }, async (req, reply) => {
    const ctx = ctxOf(req);
    await db.transaction().execute(async (tx) => {
      await requestReprioritisation(tx, { kind: 'all' }, `requested by ${ctx.principal.name}: ${req.body.reason}`, new Date());
      await audit.record(tx, ctx, { action: 'priority.reprioritise_requested', entityType: 'policy', entityId: null, after: { reason: req.body.reason } });
    });
    return reply.code(202).send({ queued: await pendingRequests(db) });
  });
}
