import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { inventorySchema } from '../../domain/inventory/inventory.js';
import * as findings from '../../services/findings/findings.service.js';
import * as inventoryFiles from '../../services/inventory/inventory-files.js';
import * as inventory from '../../services/inventory/inventory.service.js';
import * as runs from '../../services/matching/runs.service.js';
import type { Db } from '../../storage/db.js';
import { errorResponses } from '../problem.js';
import { ctxOf } from '../types.js';

const idParams = z.strictObject({ id: z.uuid() });

const matchSummary = z.object({
  runId: z.string(), kind: z.string(), assets: z.number(), packagesEvaluated: z.number(),
  opened: z.number(), reopened: z.number(), resolved: z.number(), stillOpen: z.number(), ms: z.number(),
});

const findingId = z.string().regex(/^[0-9]{1,18}$/, 'must be a finding id (digits)');

export const findingSchema = z
  .object({
    id: z.string().describe('Finding id (decimal digits)'),
    asset: z.object({ id: z.uuid(), hostname: z.string() }),
    vulnerabilityId: z.string(),
    ecosystem: z.string().nullable(),
    package: z.string().nullable().describe('The installed binary package; null when a scanner named none'),
    arch: z.string().nullable(),
    installedVersion: z.string().nullable(),
    sourcePackage: z.string().nullable(),
    sourceVersion: z.string().nullable(),
    fixedVersion: z.string().nullable().describe('null: no fix yet'),
    rule: z.string().describe('Why it matched: source_version_below_fixed, no_fix_available (the engine) or reported_by_scanner'),
    source: z.string(),
    status: z.string(),
    advisory: z.object({ id: z.number(), feed: z.string(), release: z.string(), package: z.string(), urgency: z.string().nullable() }).nullable(),
    firstSeen: z.string(),
    lastSeen: z.string(),
    resolvedAt: z.string().nullable(),
  })
  .meta({ id: 'Finding' });

const runSchema = z.object({
  id: z.uuid(), kind: z.string(), status: z.enum(['queued', 'running', 'done', 'failed']), progress: z.number(), phase: z.string().nullable(),
  startedAt: z.string(), finishedAt: z.string().nullable(), stats: z.unknown(), error: z.string().nullable(),
});

export function findingRoutes(app: FastifyInstance, db: Db, enqueueRun: runs.Enqueue | null) {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.put('/api/assets/:id/inventory', {
    bodyLimit: 32 * 1024 * 1024,
    // Agents get this with issue #4, bound to their own asset.
    config: { permission: ['asset:write', 'asset:write_own'] },
    schema: {
      tags: ['Inventory'], operationId: 'putInventory', summary: 'Replace the installed software of an asset, then re-match that asset',
      params: idParams, body: inventorySchema,
      response: { 200: z.object({ assetId: z.uuid(), packages: z.number(), added: z.number(), removed: z.number(), unchanged: z.boolean(), match: matchSummary.nullable() }), ...errorResponses },
    },
  }, (req) => inventory.putInventory(db, ctxOf(req), req.params.id, req.body));

  r.post('/api/assets/:id/inventory/import', {
    bodyLimit: 48 * 1024 * 1024,
    config: { permission: ['asset:write', 'asset:write_own'] },
    schema: {
      tags: ['Inventory'], operationId: 'importInventoryFile',
      summary: "Update an asset's installed software from a dpkg status file or a CycloneDX SBOM, then re-match it",
      description: 'The file replaces the packages of the ecosystems it covers (dpkg status: deb; an SBOM: each ecosystem of its package URLs) and keeps the others, so an application SBOM adds to the operating system packages. Components without a purl, or of types not matched, are skipped and counted.',
      params: idParams, body: inventoryFiles.inventoryFileSchema,
      response: { 200: z.object({ assetId: z.uuid(), packages: z.number(), added: z.number(), removed: z.number(), unchanged: z.boolean(), skipped: z.number(), match: matchSummary.nullable() }), ...errorResponses },
    },
  }, (req) => inventoryFiles.importInventoryFile(db, ctxOf(req), req.params.id, req.body));

  r.get('/api/assets/:id/inventory/history', {
    config: { permission: 'asset:read' },
    schema: {
      tags: ['Inventory'], operationId: 'getSoftwareHistory', summary: 'Software changes of an asset, newest first: version changes, installs and removals per inventory upload',
      params: idParams,
      response: {
        200: z.array(z.object({
          at: z.string(), by: z.string(), source: z.string().nullable(), packages: z.number().nullable(), first: z.boolean().describe('The first inventory: everything was added'),
          release: z.object({ from: z.string().nullable(), to: z.string().nullable() }),
          changes: z.array(z.object({ package: z.string(), from: z.string().nullable(), to: z.string().nullable() })),
        })),
        ...errorResponses,
      },
    },
  }, (req) => inventoryFiles.softwareHistory(db, ctxOf(req), req.params.id));

  r.get('/api/assets/:id/inventory', {
    config: { permission: 'asset:read' },
    schema: {
      tags: ['Inventory'], operationId: 'getInventory', summary: 'Installed software of an asset (null before the first inventory)', params: idParams,
      response: {
        200: z.object({
          distro: z.string().nullable(), release: z.string().nullable(), source: z.string(), collectedAt: z.string(), openFindings: z.number(),
          packages: z.array(z.object({ ecosystem: z.string(), name: z.string(), version: z.string(), arch: z.string(), sourceName: z.string(), sourceVersion: z.string() })),
        }).nullable(),
        ...errorResponses,
      },
    },
  }, (req) => findings.assetInventory(db, ctxOf(req), req.params.id));

  r.get('/api/findings', {
    config: { permission: 'asset:read' },
    schema: {
      tags: ['Findings'], operationId: 'listFindings', summary: 'Findings, with the rule that matched and the fix',
      querystring: z.strictObject({
        assetId: z.uuid().optional(),
        vulnerabilityId: z.string().max(100).optional(),
        status: z.enum(['open', 'resolved']).optional(),
        package: z.string().max(200).optional(),
        limit: z.coerce.number().int().min(1).max(1000).default(100),
        cursor: z.string().max(100).optional(),
      }),
      response: { 200: z.object({ items: z.array(findingSchema), nextCursor: z.string().nullable() }), ...errorResponses },
    },
  }, (req) => findings.listFindings(db, ctxOf(req), req.query));

  r.get('/api/findings/:id', {
    config: { permission: 'asset:read' },
    schema: {
      tags: ['Findings'], operationId: 'getFinding', summary: 'One finding with its status history', params: z.strictObject({ id: findingId }),
      response: {
        200: findingSchema.extend({ history: z.array(z.object({ at: z.string(), from: z.string().nullable(), to: z.string(), reason: z.string(), installedVersion: z.string().nullable(), runId: z.string().nullable() })) }),
        ...errorResponses,
      },
    },
  }, (req) => findings.getFinding(db, ctxOf(req), req.params.id));

  r.post('/api/matching/runs', {
    config: { permission: 'asset:import' },
    schema: { tags: ['Findings'], operationId: 'startMatchRun', summary: 'Re-evaluate every asset against every advisory (background job)', response: { 202: runSchema, ...errorResponses } },
  }, async (req, reply) => reply.code(202).send(await runs.requestFullRun(db, ctxOf(req), enqueueRun)));

  r.get('/api/matching/runs/:id', {
    config: { permission: 'asset:read' },
    schema: { tags: ['Findings'], operationId: 'getMatchRun', summary: 'Progress and result of a matching run', params: idParams, response: { 200: runSchema, ...errorResponses } },
  }, (req) => runs.getRun(db, ctxOf(req), req.params.id));
}
