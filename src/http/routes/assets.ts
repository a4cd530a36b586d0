import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { assetCreateSchema, assetListQuerySchema, assetSchema, assetUpdateSchema } from '../../domain/assets/asset.js';
import { text } from '../../domain/text.js';
import * as assetsCsv from '../../services/assets/assets-csv.service.js';
import * as assets from '../../services/assets/assets.service.js';
import type { Db } from '../../storage/db.js';
import { errorResponses } from '../problem.js';
import { startStream } from '../stream.js';
import { ctxOf } from '../types.js';
import { auditRecordSchema } from './audit.js';

const idParams = z.strictObject({ id: z.uuid() });
const tags = ['Assets'];

const ASSET_WRITE = ['asset:write', 'asset:write_own'] as const;

export const IMPORT_BODY_LIMIT = 64 * 1024 * 1024;

export function assetRoutes(app: FastifyInstance, db: Db) {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get('/api/assets', {
    config: { permission: 'asset:read' },
    schema: {
      tags, operationId: 'listAssets', summary: 'List, search, filter and sort assets (cursor pagination)',
      querystring: assetListQuerySchema,
      response: { 200: z.object({ items: z.array(assetSchema), nextCursor: z.string().nullable(), total: z.number().int() }), ...errorResponses },
    },
  }, (req) => assets.listAssets(db, ctxOf(req), req.query));

  r.get('/api/assets/facets', {
    config: { permission: 'asset:read' },
    schema: {
      tags, operationId: 'assetFacets', summary: 'Values in use, for filter menus',
      response: { 200: z.object({ departments: z.array(z.string()), locations: z.array(z.string()), maintenanceGroups: z.array(z.string()) }), ...errorResponses },
    },
  }, (req) => assets.facets(db, ctxOf(req)));

  const counts = z.record(z.string(), z.number().int());
  r.get('/api/assets/stats', {
    config: { permission: 'asset:read' },
    schema: {
      tags, operationId: 'assetStats', summary: 'Counts for the dashboard: active, unowned (GOV-4), decommissioned, and per environment, criticality and system type',
      response: {
        200: z.object({
          total: z.number().int(), unowned: z.number().int(), decommissioned: z.number().int(),
          neverInventoried: z.number().int().describe('Active assets without any inventory (INV-5)'),
          inventoryOverdue: z.number().int().describe('Active assets last inventoried longer ago than the policy interval (INV-5)'),
          byEnvironment: counts, byCriticality: counts, bySystemType: counts,
        }),
        ...errorResponses,
      },
    },
  }, (req) => assets.stats(db, ctxOf(req)));

  r.get('/api/assets/export', {
    config: { permission: 'asset:read' },
    schema: {
      tags, operationId: 'exportAssets', summary: 'Export assets as CSV (same columns as the import)',
      querystring: assetListQuerySchema.omit({ cursor: true, limit: true }),
      produces: ['text/csv'],
      response: { 200: z.string().describe('CSV'), ...errorResponses },
    },
  }, async (req, reply) => {
    const body = await startStream(assetsCsv.exportCsv(db, ctxOf(req), { ...req.query, limit: 500 }), (chunk) => chunk);
    return reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="assets.csv"').send(body as never);
  });

  r.post('/api/assets/import', {
    config: { permission: 'asset:import' },
    bodyLimit: IMPORT_BODY_LIMIT,
    schema: {
      tags, operationId: 'importAssets',
      summary: 'Bulk import assets from CSV; all rows or none',
      description: 'Send the CSV as the request body (Content-Type: text/csv). Rows match existing active assets by id, FQDN or host name and update them; other rows create assets. Any invalid row and nothing is written; the error lists every problem by row and column.',
      querystring: z.strictObject({ dryRun: z.enum(['true', 'false']).optional().describe('Validate and count only') }),
      consumes: ['text/csv'],
      body: z.string().describe('CSV text with a header row'),
      response: {
        200: z.object({ dryRun: z.boolean(), rows: z.number(), created: z.number(), updated: z.number(), unchanged: z.number(), decommissioned: z.number() }),
        ...errorResponses,
      },
    },
  }, (req) => assetsCsv.importCsv(db, ctxOf(req), req.body, { dryRun: req.query.dryRun === 'true' }));

  r.post('/api/assets', {
    config: { permission: ASSET_WRITE },
    schema: { tags, operationId: 'createAsset', summary: 'Create an asset', body: assetCreateSchema, response: { 201: assetSchema, ...errorResponses } },
  }, async (req, reply) => reply.code(201).send(await assets.createAsset(db, ctxOf(req), req.body)));

  r.get('/api/assets/:id', {
    config: { permission: 'asset:read' },
    schema: { tags, operationId: 'getAsset', summary: 'One asset', params: idParams, response: { 200: assetSchema, ...errorResponses } },
  }, (req) => assets.getAsset(db, ctxOf(req), req.params.id));

  r.patch('/api/assets/:id', {
    config: { permission: ASSET_WRITE },
    schema: {
      tags, operationId: 'updateAsset', summary: 'Change fields of an asset',
      description: 'Send If-Match with the asset\'s version to refuse the change when someone else changed it first.',
      params: idParams, body: assetUpdateSchema,
      headers: z.object({ 'if-match': z.string().regex(/^"?\d+"?$/, 'must be the asset version').optional() }),
      response: { 200: assetSchema, ...errorResponses },
    },
  }, (req) => {
    const ifMatch = req.headers['if-match'];
    return assets.updateAsset(db, ctxOf(req), req.params.id, req.body, ifMatch ? Number(ifMatch.replace(/"/g, '')) : undefined);
  });

  r.post('/api/assets/:id/review', {
    config: { permission: ASSET_WRITE },
    schema: { tags, operationId: 'confirmAssetReview', summary: 'Confirm an asset a scanner import created (clears "review required"; editing it does too)', params: idParams, response: { 200: assetSchema, ...errorResponses } },
  }, (req) => assets.confirmReview(db, ctxOf(req), req.params.id));

  const reasonBody = z.strictObject({ reason: text(1000).nullable().optional() });
  r.post('/api/assets/:id/decommission', {
    config: { permission: ASSET_WRITE },
    schema: { tags, operationId: 'decommissionAsset', summary: 'Decommission: leaves targeting and figures, keeps history', params: idParams, body: reasonBody.optional(), response: { 200: assetSchema, ...errorResponses } },
  }, (req) => assets.setLifecycle(db, ctxOf(req), req.params.id, 'decommissioned', req.body?.reason ?? null));

  r.post('/api/assets/:id/reactivate', {
    config: { permission: ASSET_WRITE },
    schema: { tags, operationId: 'reactivateAsset', summary: 'Bring a decommissioned asset back', params: idParams, body: reasonBody.optional(), response: { 200: assetSchema, ...errorResponses } },
  }, (req) => assets.setLifecycle(db, ctxOf(req), req.params.id, 'active', req.body?.reason ?? null));

  r.get('/api/assets/:id/history', {
    config: { permission: 'audit:read' },
    schema: { tags, operationId: 'assetHistory', summary: 'Every recorded change of the asset, newest first', params: idParams, response: { 200: z.array(auditRecordSchema), ...errorResponses } },
  }, (req) => assets.history(db, ctxOf(req), req.params.id));
}
