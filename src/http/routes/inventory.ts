import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import * as cmdb from '../../services/inventory/cmdb-import.js';
import type { Db } from '../../storage/db.js';
import { errorResponses } from '../problem.js';
import { ctxOf } from '../types.js';

const assetResult = z.object({
  assetId: z.uuid(),
  hostname: z.string(),
  packages: z.number().describe('Packages of the asset after the import'),
  listed: z.number().describe('Packages the file lists for it'),
  added: z.number(),
  removed: z.number(),
  unchanged: z.boolean(),
  findings: z.object({ opened: z.number(), reopened: z.number(), resolved: z.number(), stillOpen: z.number() }).nullable().describe('null in a dry run, or for an unchanged asset'),
});

/** Fleet-wide inventory imports (INV-3); per-asset uploads live with the asset (findings.ts). */
export function inventoryRoutes(app: FastifyInstance, db: Db) {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post('/api/inventory/import/csv', {
    bodyLimit: cmdb.CSV_IMPORT_BODY_LIMIT,
    config: { permission: 'asset:import' },
    schema: {
      tags: ['Inventory'],
      operationId: 'importInventoryCsv',
      summary: 'Import installed packages of many assets from a CSV or CMDB export, with a column mapping; all assets or none',
      description:
        'Rows name a host (matched to an active asset by asset id, FQDN, host name or IP address), a package and its version. ' +
        "For each asset the file replaces its packages of the ecosystems the file lists for it and keeps the others (mode=replace, like an SBOM upload), or only adds and updates (mode=merge). " +
        'Every row is checked first: any problem (unknown host, empty cell, a version the ecosystem cannot order, a mapping naming no column) and nothing is written; the error lists each problem as "row N, column <header>". ' +
        'Otherwise every asset is updated and re-matched in one transaction, audited. dryRun=true checks and reports what would change, writing nothing.',
      querystring: z.strictObject({ dryRun: z.enum(['true', 'false']).optional().describe('Check and report only') }),
      body: cmdb.cmdbImportSchema,
      response: {
        200: z.object({
          importId: z.uuid().nullable().describe('Audit entity id of the import (null in a dry run)'),
          dryRun: z.boolean(),
          rows: z.number(),
          skipped: z.array(z.object({ row: z.number(), reason: z.string() })).describe('Rows not imported (a purl type the engine does not match), first 100'),
          skippedCount: z.number(),
          assets: z.array(assetResult),
        }),
        ...errorResponses,
      },
    },
  }, (req) => cmdb.importInventoryCsv(db, ctxOf(req), req.body, { dryRun: req.query.dryRun === 'true' }));
}
