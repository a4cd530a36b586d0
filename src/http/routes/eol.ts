import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { controlCreateSchema, controlRetireSchema, controlSchema, controlUpdateSchema } from '../../domain/eol/controls.js';
import { EOL_STATES } from '../../domain/eol/cycles.js';
import { RISK_CLASSES } from '../../domain/eol/evaluate.js';
import * as controls from '../../services/eol/controls.service.js';
import { datasetStatus, importDataset, MAX_EOL_BYTES, syncDataset } from '../../services/eol/dataset.service.js';
import { getAssetEol, LIST_STATES, listEolAssets } from '../../services/eol/eol.service.js';
import { reevaluateAll } from '../../services/eol/evaluation.js';
import type { Db } from '../../storage/db.js';
import { errorResponses } from '../problem.js';
import { ctxOf } from '../types.js';

const tags = ['End of life'];
const ASSET_WRITE = ['asset:write', 'asset:write_own'] as const;
const idParams = z.strictObject({ id: z.uuid() });
const controlParams = z.strictObject({ id: z.uuid(), controlId: z.uuid() });

const eolDate = z.union([z.string(), z.boolean()]).nullable().describe('A date (YYYY-MM-DD), true (ended, date unknown) or false (no end fixed)');
const state = z.enum(EOL_STATES);
const risk = z.enum(RISK_CLASSES);

const itemSchema = z
  .object({
    kind: z.enum(['os', 'software']),
    product: z.string().describe("endoflife.date's product id"),
    cycle: z.string().nullable().describe('Null: the product is known but no cycle matches'),
    codename: z.string().nullable(),
    releaseDate: z.string().nullable(),
    eol: eolDate,
    extendedSupport: eolDate,
    latest: z.string().nullable(),
    state: state.describe("The cycle's own state: eol_soon = support ends within 90 days"),
    daysLeft: z.number().int().nullable(),
    packages: z.array(z.string()).describe('Installed packages of this cycle'),
    detectedFrom: z.string(),
    coveredBy: z.string().nullable().describe('The OS release that built these packages and patches them (its state counts)'),
    effectiveState: state,
  })
  .meta({ id: 'EolItem' });

const assetEolSchema = z
  .object({
    assetId: z.uuid(),
    hostname: z.string(),
    lifecycle: z.string(),
    state,
    risk: risk.describe('LEG-1 risk class'),
    riskReason: z.string(),
    os: itemSchema.nullable(),
    software: z.array(itemSchema),
    unsupportedFrom: z.string().nullable(),
    monitoring: z.object({ inventoryMaxAgeDays: z.number().int(), raised: z.boolean().describe('LEG-2: inventoried daily while unsupported') }),
    controls: z.array(controlSchema),
    needsControl: z.boolean().describe('Unsupported without an active compensating control'),
    dataset: z.object({ source: z.string(), version: z.string(), loadedAt: z.string() }),
    evaluatedAt: z.string(),
  })
  .meta({ id: 'AssetEol' });

const datasetState = {
  source: z.string(),
  version: z.string().describe('Content digest of the loaded cycles'),
  license: z.string().nullable(),
  products: z.number().int(),
  cycles: z.number().int(),
  loadedAt: z.string(),
  loadedBy: z.string(),
};
const loadSummarySchema = z
  .object({
    ...datasetState,
    added: z.number().int(),
    changed: z.number().int(),
    removed: z.number().int(),
    notModified: z.boolean().optional(),
    assetsEvaluated: z.number().int(),
  })
  .meta({ id: 'EolDatasetLoad' });

const listQuery = z.strictObject({
  state: z
    .string()
    .regex(new RegExp(`^(${LIST_STATES.join('|')})(,(${LIST_STATES.join('|')}))*$`), `must be states separated by commas: ${LIST_STATES.join(', ')}`)
    .optional()
    .describe('Default unsupported,eol_soon'),
  risk: risk.optional(),
  withoutControl: z.enum(['true', 'false']).optional().describe('Only assets without an active compensating control'),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});

const listSchema = z.object({
  counts: z.object({
    unsupported: z.number().int(), eolSoon: z.number().int(), supported: z.number().int(), unknown: z.number().int(),
    unsupportedWithoutControl: z.number().int(), byRisk: z.record(z.string(), z.number().int()),
  }).describe('Over all active assets'),
  total: z.number().int().describe('Assets matching the filter'),
  items: z.array(z.object({
    asset: z.object({ id: z.uuid(), hostname: z.string(), environment: z.string(), businessCriticality: z.string(), networkExposure: z.string(), owner: z.string().nullable() }),
    state, risk, riskReason: z.string(),
    os: z.string().nullable(),
    products: z.array(z.object({ kind: z.enum(['os', 'software']), product: z.string(), cycle: z.string().nullable(), state, eol: eolDate, daysLeft: z.number().int().nullable() })),
    unsupportedFrom: z.string().nullable(),
    activeControls: z.number().int(),
    nextReview: z.string().nullable(),
  })),
});

export function eolRoutes(app: FastifyInstance, db: Db) {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get('/api/eol/dataset', {
    config: { permission: 'asset:read' },
    schema: {
      tags, operationId: 'eolDataset', summary: 'The loaded end-of-life dataset: source, version, products',
      response: { 200: z.object({ ...datasetState, productList: z.array(z.object({ product: z.string(), cycles: z.number().int(), newest: z.string() })) }), ...errorResponses },
    },
  }, (req) => datasetStatus(db, ctxOf(req)));

  r.post('/api/eol/dataset', {
    config: { permission: 'system:admin' },
    bodyLimit: MAX_EOL_BYTES,
    schema: {
      tags, operationId: 'loadEolDataset', summary: 'Replace the end-of-life dataset with an uploaded one (all or nothing)',
      description: 'JSON in the endoflife.date cycle layout ({"products": {"debian": [{"cycle", "eol", ...}]}}) or the endoflife.date API v1 (/api/v1/products/full). A bad record changes nothing; the error names the product, cycle and field. Every asset is evaluated again.',
      querystring: z.strictObject({ source: z.string().min(1).max(500).optional().describe('Where the file came from; default "upload"') }),
      body: z.unknown().describe('The dataset document'),
      response: { 200: loadSummarySchema, ...errorResponses },
    },
  }, (req) => importDataset(db, ctxOf(req), req.body, { source: req.query.source ?? 'upload' }, reevaluateAll));

  r.post('/api/eol/dataset/sync', {
    config: { permission: 'system:admin' },
    schema: {
      tags, operationId: 'syncEolDataset', summary: 'Download the end-of-life dataset (endoflife.date API v1, or ?url=) and load it',
      description: 'Conditional when the loaded dataset came from the same URL (304: notModified). Download problems are 502.',
      querystring: z.strictObject({ url: z.url({ protocol: /^https?$/ }).max(2000).optional().describe('Mirror to fetch from; default https://endoflife.date/api/v1/products/full') }),
      response: { 200: loadSummarySchema, ...errorResponses },
    },
  }, (req) => syncDataset(db, ctxOf(req), { url: req.query.url }, reevaluateAll));

  r.get('/api/eol/assets', {
    config: { permission: 'asset:read' },
    schema: {
      tags, operationId: 'listEolAssets', summary: 'Active assets that are unsupported or soon (LEG-1), riskiest first, with counts',
      querystring: listQuery,
      response: { 200: listSchema, ...errorResponses },
    },
  }, (req) =>
    listEolAssets(db, ctxOf(req), {
      state: req.query.state?.split(',') as (typeof LIST_STATES)[number][] | undefined,
      risk: req.query.risk, withoutControl: req.query.withoutControl === 'true', limit: req.query.limit, offset: req.query.offset,
    }),
  );

  r.get('/api/assets/:id/eol', {
    config: { permission: 'asset:read' },
    schema: { tags, operationId: 'assetEol', summary: "The asset's OS and software end-of-life state, risk class and compensating controls", params: idParams, response: { 200: assetEolSchema, ...errorResponses } },
  }, (req) => getAssetEol(db, ctxOf(req), req.params.id));

  r.post('/api/assets/:id/eol/controls', {
    config: { permission: ASSET_WRITE },
    schema: { tags, operationId: 'createEolControl', summary: 'Record a compensating control (LEG-2)', params: idParams, body: controlCreateSchema, response: { 201: controlSchema, ...errorResponses } },
  }, async (req, reply) => reply.code(201).send(await controls.createControl(db, ctxOf(req), req.params.id, req.body)));

  r.patch('/api/assets/:id/eol/controls/:controlId', {
    config: { permission: ASSET_WRITE },
    schema: { tags, operationId: 'updateEolControl', summary: 'Change an active compensating control', params: controlParams, body: controlUpdateSchema, response: { 200: controlSchema, ...errorResponses } },
  }, (req) => controls.updateControl(db, ctxOf(req), req.params.id, req.params.controlId, req.body));

  r.post('/api/assets/:id/eol/controls/:controlId/retire', {
    config: { permission: ASSET_WRITE },
    schema: { tags, operationId: 'retireEolControl', summary: 'Retire a compensating control (kept as history)', params: controlParams, body: controlRetireSchema, response: { 200: controlSchema, ...errorResponses } },
  }, (req) => controls.retireControl(db, ctxOf(req), req.params.id, req.params.controlId, req.body.reason));
}
