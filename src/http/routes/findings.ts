import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { PRIORITIES, SLA_STATES } from '../../domain/priority/index.js';
import { inventorySchema } from '../../domain/inventory/inventory.js';
import { EXPORT_COLUMNS, exportCsv } from '../../services/findings/export.js';
import * as findings from '../../services/findings/findings.service.js';
import * as register from '../../services/findings/register.js';
import * as views from '../../services/findings/views.service.js';
import * as inventoryFiles from '../../services/inventory/inventory-files.js';
import * as inventory from '../../services/inventory/inventory.service.js';
import * as runs from '../../services/matching/runs.service.js';
import type { Db } from '../../storage/db.js';
import { errorResponses } from '../problem.js';
import { startStream } from '../stream.js';
import { ctxOf } from '../types.js';
import { slaSummarySchema } from '../../domain/priority/summary.js';
import { slaSummary, slaSummaryQuerySchema } from '../../services/findings/sla-summary.js';

const idParams = z.strictObject({ id: z.uuid() });

const matchSummary = z.object({
  runId: z.string(), kind: z.string(), assets: z.number(), packagesEvaluated: z.number(),
  opened: z.number(), reopened: z.number(), resolved: z.number(), stillOpen: z.number(), ms: z.number(),
});

const findingId = z.string().regex(/^[0-9]{1,18}$/, 'must be a finding id (digits)');

const severity = z.enum(['critical', 'high', 'medium', 'low', 'none']);
const kevSchema = z.object({ dateAdded: z.string(), dueDate: z.string().nullable(), ransomware: z.boolean().nullable() });

export const findingSchema = z
  .object({
    id: z.string().describe('Finding id (decimal digits)'),
    asset: z.object({
      id: z.uuid(), hostname: z.string(), environment: z.string(), systemType: z.string(), department: z.string().nullable(),
      businessCriticality: z.string(), networkExposure: z.string(),
      owner: z.object({ type: z.enum(['user', 'team']), id: z.uuid(), name: z.string() }).nullable(), lifecycle: z.string(),
    }),
    vulnerabilityId: z.string(),
    title: z.string().nullable(),
    severity: severity.nullable().describe("The vulnerability's severity, or the strongest one its evidence states; null when unknown"),
    severitySource: z.enum(['vulnerability', 'evidence']).nullable(),
    cvssScore: z.number().nullable().describe("The vulnerability's CVSS base score"),
    epss: z.object({ score: z.number(), percentile: z.number().nullable() }).nullable(),
    kev: kevSchema.nullable().describe('In CISA KEV: when added and the due date CISA set'),
    ecosystem: z.string().nullable(),
    package: z.string().nullable().describe('The installed binary package; null when a scanner named none'),
    arch: z.string().nullable(),
    installedVersion: z.string().nullable(),
    sourcePackage: z.string().nullable(),
    sourceVersion: z.string().nullable(),
    fixedVersion: z.string().nullable().describe('null: no fix yet'),
    rule: z.string().describe('Why it matched: source_version_below_fixed, no_fix_available (the engine) or reported_by_scanner'),
    source: z.string().describe('Who found it first'),
    sources: z.array(z.string()).describe('Who reports it: the first source and every source whose evidence is still present'),
    status: z.string().describe('open, resolved, false_positive or not_affected'),
    advisory: z.object({ id: z.number(), feed: z.string(), release: z.string(), package: z.string(), urgency: z.string().nullable() }).nullable(),
    priority: z.enum(PRIORITIES).nullable().describe('Priority class from the patch policy (null until first evaluated); GET /api/findings/{id}/priority explains it'),
    priorityScore: z.number().nullable().describe('Risk score 0–10 (risk score model)'),
    priorityDecision: z.string().nullable().describe('SSVC decision or BOD 26-04 tier (those models)'),
    emergency: z.boolean().describe('Actively exploited on an exposed asset: the emergency procedure applies (INC-1)'),
    dueAt: z.string().nullable().describe('When it must be fixed: the policy SLA, never later than the KEV due date, or an approved extension'),
    slaState: z.enum(SLA_STATES).nullable().describe('Open findings: on_track, due_soon, overdue, excepted (a risk exception covers it) or no_deadline'),
    policyVersion: z.number().int().nullable().describe('The policy version that set the due date'),
    exceptionId: z.uuid().nullable().describe('The approved risk exception covering it'),
    extendedDueAt: z.string().nullable().describe('Due date granted by an approved SLA extension (INC-3)'),
    firstSeen: z.string(),
    lastSeen: z.string(),
    resolvedAt: z.string().nullable(),
  })
  .meta({ id: 'Finding' });

const findingPageSchema = z.object({ items: z.array(findingSchema), nextCursor: z.string().nullable() }).meta({ id: 'FindingPage' });

export const evidenceSchema = z
  .object({
    id: z.string(), source: z.string(), sourceKey: z.string().describe('What identifies it within the source (plugin and port, package and target…)'),
    firstSeen: z.string(), lastSeen: z.string(), goneAt: z.string().nullable().describe('When a re-scan of the same scope no longer reported it'),
    firstImportId: z.uuid().nullable(), lastImportId: z.uuid().nullable(), goneImportId: z.uuid().nullable(),
    title: z.string().nullable(), severity: z.string().nullable(), cvssScore: z.number().nullable(), cvssVector: z.string().nullable(),
    installedVersion: z.string().nullable(), fixedVersion: z.string().nullable(), location: z.string().nullable(), output: z.string().nullable(),
  })
  .meta({ id: 'FindingEvidence' });

const historyEntrySchema = z
  .object({
    at: z.string(),
    kind: z.enum(['detected', 'status', 'evidence_seen', 'evidence_gone', 'validated', 'validation_lifted']),
    from: z.string().nullable(), to: z.string(), reason: z.string(), installedVersion: z.string().nullable(),
    runId: z.string().nullable().describe('The matching run or scan import'), source: z.string().nullable(), actor: z.string().nullable(),
  })
  .meta({ id: 'FindingHistoryEntry' });

export const findingDetailSchema = findingSchema
  .extend({
    evidence: z.array(evidenceSchema),
    imports: z.array(z.object({ id: z.uuid(), format: z.string(), scanner: z.string(), fileName: z.string().nullable(), importedAt: z.string() })).describe('The scan imports the evidence and history name'),
    validation: z
      .object({ id: z.string(), status: z.string(), justification: z.string().nullable(), reason: z.string(), reviewer: z.object({ id: z.string().nullable(), name: z.string() }), at: z.string() })
      .nullable()
      .describe('The validation in force (false positive, not affected); null when none'),
    history: z.array(historyEntrySchema).describe('Oldest first: detection, evidence seen and gone, validations, status changes'),
  })
  .meta({ id: 'FindingDetail' });

const groupSchema = z
  .object({
    key: z.string().describe('Vulnerability id, asset id or package name: the list filter for this group'),
    label: z.string(),
    total: z.number().int(), open: z.number().int(), assets: z.number().int(),
    worstSeverity: severity.nullable(),
    vulnerability: z.object({ id: z.string(), title: z.string().nullable(), cvssScore: z.number().nullable(), epssScore: z.number().nullable(), kev: z.object({ dateAdded: z.string(), dueDate: z.string().nullable() }).nullable() }).nullable(),
    asset: z.object({ id: z.uuid(), hostname: z.string(), environment: z.string(), businessCriticality: z.string(), networkExposure: z.string() }).nullable(),
    package: z.object({ name: z.string().nullable(), ecosystems: z.array(z.string()) }).nullable(),
  })
  .meta({ id: 'FindingGroup' });

const viewSchema = z
  .object({ id: z.uuid(), name: z.string(), query: z.string(), shared: z.boolean(), owner: z.object({ id: z.uuid(), name: z.string() }).nullable(), mine: z.boolean(), createdAt: z.string() })
  .meta({ id: 'FindingView' });

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
      tags: ['Findings'], operationId: 'listFindings', summary: 'The findings register: filter, sort, page (cursor)',
      description: 'Filters combine with AND; a filter with several values matches any of them. Sorting by severity, CVSS or EPSS puts unknown values last (desc) or first (asc); ties go by vulnerability, then finding id, so a cursor is stable.',
      querystring: register.findingListQuerySchema,
      response: { 200: findingPageSchema, ...errorResponses },
    },
  }, (req) => findings.listFindings(db, ctxOf(req), req.query));

  r.get('/api/findings/groups', {
    config: { permission: 'asset:read' },
    schema: {
      tags: ['Findings'], operationId: 'groupFindings', summary: 'Findings grouped by vulnerability, asset or package, worst severity first',
      querystring: register.findingGroupQuerySchema,
      response: { 200: z.object({ by: z.enum(register.GROUP_BY), items: z.array(groupSchema), nextCursor: z.string().nullable() }), ...errorResponses },
    },
  }, (req) => findings.listGroups(db, ctxOf(req), req.query));

  r.get('/api/findings/sla-summary', {
    config: { permission: 'asset:read' },
    schema: {
      tags: ['Findings'], operationId: 'findingSlaSummary', summary: 'The overdue figures: open findings by priority class and SLA state',
      description: 'Takes the register\'s filters (not status or slaState: it counts open findings in every state). Excepted findings (a valid risk exception covers them) are counted apart, never as overdue. mine=true: your own systems.',
      querystring: slaSummaryQuerySchema,
      response: { 200: slaSummarySchema, ...errorResponses },
    },
  }, (req) => slaSummary(db, ctxOf(req), req.query));

  r.get('/api/findings/export.csv', {
    config: { permission: 'asset:read' },
    schema: {
      tags: ['Findings'], operationId: 'exportFindings', summary: 'Every finding the filters select, as CSV (streamed), in the list\'s sort',
      description: `Columns: ${EXPORT_COLUMNS.join(', ')}. Cells that start with = + - @ get a leading apostrophe so spreadsheets do not run them as formulas. ids=… exports a selection.`,
      querystring: z.strictObject({ ...register.findingFilterFields, ...register.findingSortFields }),
      produces: ['text/csv'],
      response: { 200: z.string().describe('CSV'), ...errorResponses },
    },
  }, async (req, reply) => {
    const body = await startStream(exportCsv(db, ctxOf(req), req.query), (chunk) => chunk);
    return reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="findings.csv"').send(body as never);
  });

  r.get('/api/findings/views', {
    config: { permission: 'asset:read' },
    schema: { tags: ['Findings'], operationId: 'listFindingViews', summary: 'Saved views: your own and the shared ones', response: { 200: z.array(viewSchema), ...errorResponses } },
  }, (req) => views.listViews(db, ctxOf(req)));

  r.post('/api/findings/views', {
    config: { permission: 'token:own' },
    schema: {
      tags: ['Findings'], operationId: 'createFindingView', summary: 'Save a view (a name and the list\'s query string); shared views need asset:write',
      body: views.viewCreateSchema, response: { 201: viewSchema, ...errorResponses },
    },
  }, async (req, reply) => reply.code(201).send(await views.createView(db, ctxOf(req), req.body)));

  r.patch('/api/findings/views/:id', {
    config: { permission: 'token:own' },
    schema: {
      tags: ['Findings'], operationId: 'updateFindingView', summary: 'Rename a view, change its query or share it',
      params: idParams, body: views.viewUpdateSchema, response: { 200: viewSchema, ...errorResponses },
    },
  }, (req) => views.updateView(db, ctxOf(req), req.params.id, req.body));

  r.delete('/api/findings/views/:id', {
    config: { permission: 'token:own' },
    schema: { tags: ['Findings'], operationId: 'deleteFindingView', summary: 'Delete a view', params: idParams, response: { 204: z.null(), ...errorResponses } },
  }, async (req, reply) => {
    await views.deleteView(db, ctxOf(req), req.params.id);
    return reply.code(204).send(null);
  });

  r.get('/api/findings/:id', {
    config: { permission: 'asset:read' },
    schema: {
      tags: ['Findings'], operationId: 'getFinding', summary: 'One finding with every piece of evidence, its validation and its history',
      params: z.strictObject({ id: findingId }),
      response: { 200: findingDetailSchema, ...errorResponses },
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
