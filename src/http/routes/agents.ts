import { createGunzip } from 'node:zlib';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  AGENT_STATUSES,
  agentSchema,
  checkinResponseSchema,
  checkinSchema,
  enrolmentTokenCreateSchema,
  enrolmentTokenSchema,
  enrolRequestSchema,
  enrolResponseSchema,
} from '../../domain/agents/protocol.js';
import { text } from '../../domain/text.js';
import { AppError } from '../../lib/errors.js';
import { assetAgent, listAgents, revokeAgent } from '../../services/agents/agents.service.js';
import { checkin } from '../../services/agents/checkin.service.js';
import { createEnrolmentToken, enrol, listEnrolmentTokens, revokeEnrolmentToken } from '../../services/agents/enrolment.service.js';
import type { Db } from '../../storage/db.js';
import { errorResponses } from '../problem.js';
import { ctxOf } from '../types.js';

const tags = ['Agents'];
/** A check-in's body after decompression (a 50,000-package inventory is ~10 MB of JSON); bounds a gzip bomb too. */
export const CHECKIN_BODY_LIMIT = 32 * 1024 * 1024;

class UnsupportedEncodingError extends AppError {
  constructor(enc: string) {
    super(415, 'Unsupported Media Type', `Content-Encoding "${enc}" is not supported; send gzip or an uncompressed body`);
  }
}

/**
 * Agents compress their reports (Content-Encoding: gzip). Fastify counts the bytes of the stream returned here
 * against the body limit, so the limit applies to the decompressed body; receivedEncodedLength keeps its
 * Content-Length check on the bytes that actually arrived.
 */
async function gunzipBody(req: FastifyRequest, _reply: unknown, payload: NodeJS.ReadableStream & { receivedEncodedLength?: number }) {
  const enc = String(req.headers['content-encoding'] ?? 'identity').toLowerCase();
  if (enc === 'identity') return payload;
  if (enc !== 'gzip') throw new UnsupportedEncodingError(enc);
  const out = createGunzip() as ReturnType<typeof createGunzip> & { receivedEncodedLength: number };
  out.receivedEncodedLength = 0;
  payload.on('data', (chunk: Buffer) => {
    out.receivedEncodedLength += chunk.length;
  });
  payload.on('error', (err) => out.destroy(err));
  payload.pipe(out);
  return out;
}

const idParams = z.strictObject({ id: z.uuid() });

export function agentRoutes(app: FastifyInstance, db: Db, onAccepted?: () => void) {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post('/api/agent/enrol', {
    config: { public: true, rateLimit: { max: 5000, timeWindow: '1 minute' } },
    preParsing: gunzipBody,
    schema: {
      tags, operationId: 'enrolAgent', summary: 'Exchange a one-time enrolment token for an agent credential',
      description: 'Called by `patchloop agent enroll`. The host joins the register: matched to an active asset by machine id, FQDN, host name or address (each only when exactly one asset matches), else created with the token\'s asset defaults. The credential is returned once.',
      security: [],
      body: enrolRequestSchema,
      response: { 200: enrolResponseSchema, ...errorResponses },
    },
  }, (req) => enrol(db, req.body, { ip: req.ip, requestId: String(req.id) }));

  r.post('/api/agent/checkin', {
    config: { permission: 'agent:checkin' },
    bodyLimit: CHECKIN_BODY_LIMIT,
    preParsing: gunzipBody,
    schema: {
      tags, operationId: 'agentCheckin', summary: 'An agent delivers a report (full snapshot or differences); idempotent by reportId',
      description: 'Authenticated by the agent credential (Bearer pla_…). The body may be gzip-compressed (Content-Encoding: gzip; at most 32 MiB once decompressed). An accepted report is stored at once and applied shortly after, in sequence order (inventory, its history, host facts and the asset\'s re-match in one transaction). Sending the same reportId again answers "duplicate" without applying anything; differences that do not apply to the stored snapshot answer "full_required". Sequence numbers must grow: an older report with a new id is refused (409).',
      body: checkinSchema,
      response: { 200: checkinResponseSchema, ...errorResponses },
    },
  }, async (req) => {
    const res = await checkin(db, ctxOf(req), req.body);
    if (res.status === 'accepted') onAccepted?.();
    return res;
  });

  r.get('/api/agents', {
    config: { permission: 'asset:read' },
    schema: {
      tags, operationId: 'listAgents', summary: 'Enrolled agents with their health (ok, late, silent, never) and last check-in',
      querystring: z.strictObject({
        status: z.enum([...AGENT_STATUSES, 'all']).default('active'),
        health: agentSchema.shape.health.optional(),
        q: text(200).optional().describe('Host name part or machine id'),
        limit: z.coerce.number().int().min(1).max(5000).default(500),
      }),
      response: { 200: z.object({ items: z.array(agentSchema), counts: z.record(agentSchema.shape.health, z.number().int()) }), ...errorResponses },
    },
  }, (req) => listAgents(db, ctxOf(req), req.query));

  r.post('/api/agents/:id/revoke', {
    config: { permission: 'system:admin' },
    schema: {
      tags, operationId: 'revokeAgent', summary: 'Revoke an agent\'s credential (its next check-in is refused)',
      params: idParams,
      body: z.strictObject({ reason: text(500).nullable().optional() }),
      response: { 200: agentSchema, ...errorResponses },
    },
  }, (req) => revokeAgent(db, ctxOf(req), req.params.id, req.body.reason ?? null));

  r.get('/api/agents/enrolment-tokens', {
    config: { permission: 'system:admin' },
    schema: { tags, operationId: 'listEnrolmentTokens', summary: 'Enrolment tokens (without their secrets)', response: { 200: z.array(enrolmentTokenSchema), ...errorResponses } },
  }, (req) => listEnrolmentTokens(db, ctxOf(req)));

  r.post('/api/agents/enrolment-tokens', {
    config: { permission: 'system:admin' },
    schema: {
      tags, operationId: 'createEnrolmentToken', summary: 'Create an enrolment token (the secret is shown once)',
      body: enrolmentTokenCreateSchema,
      response: { 201: z.object({ token: z.string(), info: enrolmentTokenSchema }), ...errorResponses },
    },
  }, async (req, reply) => reply.code(201).send(await createEnrolmentToken(db, ctxOf(req), req.body)));

  r.delete('/api/agents/enrolment-tokens/:id', {
    config: { permission: 'system:admin' },
    schema: { tags, operationId: 'revokeEnrolmentToken', summary: 'Revoke an enrolment token', params: idParams, response: { 200: enrolmentTokenSchema, ...errorResponses } },
  }, (req) => revokeEnrolmentToken(db, ctxOf(req), req.params.id));

  r.get('/api/assets/:id/agent', {
    config: { permission: 'asset:read' },
    schema: {
      tags, operationId: 'getAssetAgent', summary: 'The host facts last reported for an asset and its agent',
      params: idParams,
      response: {
        200: z.object({
          facts: z.object({
            machineId: z.string().nullable(), kernel: z.string().nullable(), uptimeSeconds: z.number().nullable(), rebootRequired: z.boolean().nullable(),
            os: z.object({ id: z.string(), versionId: z.string().nullable(), codename: z.string().nullable(), prettyName: z.string().nullable() }).nullable(),
            addresses: z.array(z.string()), source: z.string(), collectedAt: z.string(),
          }).nullable(),
          agent: agentSchema.nullable(),
        }),
        ...errorResponses,
      },
    },
  }, (req) => assetAgent(db, ctxOf(req), req.params.id));
}
