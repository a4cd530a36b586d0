import { PassThrough, type Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { SCAN_FORMATS } from '../../domain/scanners/report.js';
import { getImport, listImports } from '../../services/scan-import/history.js';
import { importReport } from '../../services/scan-import/import.service.js';
import type { Db } from '../../storage/db.js';
import { errorResponses } from '../problem.js';
import { ctxOf } from '../types.js';

const tags = ['Scanner imports'];

export const scanImportSummarySchema = z
  .object({
    importId: z.uuid(),
    format: z.enum(SCAN_FORMATS),
    scanner: z.string(),
    reportName: z.string().nullable(),
    scannedAt: z.string().nullable(),
    fileName: z.string().nullable(),
    sha256: z.string(),
    bytes: z.number(),
    assets: z.object({
      reported: z.number().describe('Distinct hosts, images or applications in the report'),
      matched: z.number().describe('Of those, existing assets'),
      created: z.number().describe('New assets, flagged for review'),
      matchedBy: z.record(z.string(), z.number()).describe('How targets were recognised: agent, image digest, fqdn, hostname, address, created'),
      createdForReview: z.array(z.object({ id: z.uuid(), hostname: z.string() })).describe('The first 200 created assets'),
    }),
    findings: z.object({
      reported: z.number().describe('Distinct findings the report names'),
      new: z.number(),
      seenAgain: z.number().describe('Already in the register (from this or another source): only "last seen" changes'),
      reopened: z.number(),
      resolved: z.number().describe('Resolved by scan: the same source scanned the asset again and no longer reports them'),
      validationsLifted: z.number().describe('False positive / not affected marks lifted because the evidence changed'),
      validatedByVex: z.number().describe("Marked not affected by the report's own VEX analysis"),
    }),
    evidence: z.object({ new: z.number(), changed: z.number() }),
    vulnerabilitiesCreated: z.number().describe('Vulnerability ids the register did not know yet'),
    vex: z.object({ statements: z.number(), notAffected: z.number(), findingsValidated: z.number(), unmatched: z.number() }),
    skipped: z.array(z.object({ reason: z.string(), count: z.number() })),
    ms: z.number(),
  })
  .meta({ id: 'ScanImportSummary' });

const mapping = z
  .string()
  .max(2000)
  .regex(/^[A-Za-z]+=[^,=]+(,[A-Za-z]+=[^,=]+)*$/, 'must be field=Column pairs separated by commas, e.g. host=IP,vulnerability=CVE')
  .transform((s) => Object.fromEntries(s.split(',').map((p) => p.split('=').map((x) => x.trim()) as [string, string])));

export function scanImportRoutes(app: FastifyInstance, db: Db, maxBytes: number) {
  // The report arrives as the raw body and is parsed as a stream by the importer: nothing buffers a 500 MB file.
  app.register(async (scope) => {
    for (const ct of ['application/json', 'text/csv', 'text/plain']) if (scope.hasContentTypeParser(ct)) scope.removeContentTypeParser(ct);
    scope.addContentTypeParser('*', (_req, payload, done) => done(null, payload));
    scope.withTypeProvider<ZodTypeProvider>().post('/api/imports', {
      config: { permission: 'asset:import' },
      schema: {
        tags, operationId: 'importScan', summary: 'Import a scanner report into the register (all or nothing)',
        description: `Send the file as the body (any content type; gzip is recognised by content). Formats: ${SCAN_FORMATS.join(', ')}; detected from the content unless ?format= names it. Hosts and images map to assets by agent id, image digest, FQDN, host name or address; unknown ones become assets flagged for review. Re-importing a file changes only "last seen"; a finding the same source no longer reports on a re-scanned asset is resolved by scan. A malformed, truncated or hostile file changes nothing and the error names the position.`,
        querystring: z.strictObject({
          format: z.enum(SCAN_FORMATS).optional(),
          fileName: z.string().min(1).max(255).optional().describe('The original file name, kept with the import'),
          map: mapping.optional().describe('CSV only: patchloop field = column header, e.g. host=IP,vulnerability=CVE,package=Package'),
        }),
        consumes: ['application/octet-stream', 'application/xml', 'application/json', 'text/csv'],
        response: { 200: scanImportSummarySchema, ...errorResponses },
      },
    }, async (req) => {
      const body = req.body as Readable | undefined;
      // The importer reads through a pass-through: when it stops early (too large, broken at byte N) the request is
      // drained rather than destroyed, so the client, still sending, gets the answer instead of a reset connection.
      const input = new PassThrough({ highWaterMark: 1024 * 1024 });
      if (body) {
        body.on('error', (err) => input.destroy(err));
        body.pipe(input);
      } else input.end();
      try {
        return await importReport(db, ctxOf(req), { input, format: req.query.format ?? null, fileName: req.query.fileName ?? null, csvMapping: req.query.map, maxBytes });
      } catch (err) {
        if (body && !body.readableEnded) {
          body.unpipe(input);
          body.resume();
          await finished(body).catch(() => {});
        }
        throw err;
      }
    });
  });

  const r = app.withTypeProvider<ZodTypeProvider>();
  const listed = z.object({
    id: z.uuid(), format: z.string(), scanner: z.string(), reportName: z.string().nullable(), fileName: z.string().nullable(), bytes: z.number().nullable(),
    scannedAt: z.string().nullable(), importedAt: z.string(), actor: z.string(),
    counts: z.object({ assets: z.number(), created: z.number(), findings: z.number(), new: z.number(), resolved: z.number() }),
  });
  r.get('/api/imports', {
    config: { permission: 'asset:read' },
    schema: {
      tags, operationId: 'listScanImports', summary: 'Scanner imports, newest first',
      querystring: z.strictObject({ limit: z.coerce.number().int().min(1).max(500).default(50), before: z.iso.datetime().optional().describe('Imports before this time (paging)') }),
      response: { 200: z.array(listed), ...errorResponses },
    },
  }, (req) => listImports(db, ctxOf(req), req.query));
  r.get('/api/imports/:id', {
    config: { permission: 'asset:read' },
    schema: { tags, operationId: 'getScanImport', summary: 'What one import did', params: z.strictObject({ id: z.uuid() }), response: { 200: scanImportSummarySchema, ...errorResponses } },
  }, (req) => getImport(db, ctxOf(req), req.params.id));
}
