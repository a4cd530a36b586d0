import { createHash, randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { z } from 'zod';
import {
  type AssetRef,
  type CsvTable,
  CsvFileError,
  type CurrentInventory,
  HOST_MATCHES,
  hostFinder,
  IMPORT_MODES,
  MAX_CSV_ROWS,
  planImport,
  readCsv,
  resolveMapping,
} from '../../domain/inventory/cmdb-csv.js';
import { inventorySchema } from '../../domain/inventory/inventory.js';
import { ECOSYSTEMS } from '../../domain/versions/index.js';
import { BadRequestError, type FieldProblem, NotFoundError, ValidationError } from '../../lib/errors.js';
import type { Db, Tx } from '../../storage/db.js';
import * as audit from '../audit/audit.service.js';
import { authorize, type Ctx } from '../context.js';
import { engineCache } from '../matching/engine-cache.js';
import { applyInventory, inventoryProblems } from './inventory.service.js';

/**
 * The CMDB/CSV inventory import (INV-3): installed packages of many assets
 * from one CSV, read through a column mapping. All or nothing: every row is
 * checked first, then every asset's inventory is written and re-matched in
 * one transaction, so a failure anywhere leaves the database as it was.
 */
export const MAX_CSV_CHARS = 32 * 1024 * 1024;
export const CSV_IMPORT_BODY_LIMIT = 40 * 1024 * 1024;

const column = z.string().trim().min(1).max(200);
export const cmdbImportSchema = z.strictObject({
  csv: z.string().min(1).max(MAX_CSV_CHARS).describe(`The CSV text, a header row first (comma, semicolon, tab or | separated; at most ${MAX_CSV_ROWS} rows)`),
  mapping: z
    .strictObject({
      host: column.optional().describe('Column naming the host: asset id, FQDN, host name or IP address (see hostMatch)'),
      name: column.optional().describe('Column of the package name (required unless purl is mapped)'),
      version: column.optional().describe('Column of the installed version (required unless purl is mapped)'),
      arch: column.optional(),
      ecosystem: column.optional().describe('Column of the ecosystem (deb, rpm, apk, npm, pypi, maven, go, or aliases such as debian, alpine, python)'),
      purl: column.optional().describe('Column of a package URL; when its cell is set it gives ecosystem, name, architecture and version'),
      sourceName: column.optional().describe('Column of the source package name'),
      sourceVersion: column.optional(),
      release: column.optional().describe("Column of the host's release (bookworm, 22.04); one value per host"),
    })
    .describe('Which column (by its header text) holds what'),
  assetId: z.uuid().optional().describe('Every row belongs to this asset (a CSV of one asset): no host column needed'),
  hostMatch: z.enum(HOST_MATCHES).default('auto').describe('How host cells find assets: auto = asset id, else FQDN, else host name, else IP address'),
  mode: z.enum(IMPORT_MODES).default('replace').describe("replace: the file replaces each asset's packages of the ecosystems it lists for it (as the SBOM import does); merge: only adds or updates the listed packages"),
  ecosystem: z.enum(ECOSYSTEMS).optional().describe("Ecosystem of rows without one; default: the asset's OS package manager (deb when unknown)"),
  release: inventorySchema.shape.release.optional().describe('Release for assets without an inventory yet (when there is no release column)'),
  distro: inventorySchema.shape.distro.unwrap().optional().describe('Distribution for assets without an inventory yet; default debian'),
  source: z.string().trim().min(1).max(64).default('cmdb-csv').describe('Recorded as the inventory source'),
});
export type CmdbImport = z.infer<typeof cmdbImportSchema>;

export interface CmdbAssetResult {
  assetId: string;
  hostname: string;
  packages: number;
  listed: number;
  added: number;
  removed: number;
  unchanged: boolean;
  findings: { opened: number; reopened: number; resolved: number; stillOpen: number } | null;
}

export interface CmdbImportSummary {
  importId: string | null;
  dryRun: boolean;
  rows: number;
  skipped: { row: number; reason: string }[];
  skippedCount: number;
  assets: CmdbAssetResult[];
}

function readTable(csv: string): CsvTable {
  try {
    return readCsv(csv);
  } catch (err) {
    if (err instanceof CsvFileError) {
      const message = err.message.slice(err.where.length + 2);
      throw new BadRequestError(`The file ${message}; nothing was imported`, [{ field: err.where, message }]);
    }
    throw err;
  }
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The assets any host cell could name (by id, FQDN, host name or address), of every lifecycle, so a decommissioned one can be named. */
async function candidateAssets(q: Db | Tx, values: string[]): Promise<AssetRef[]> {
  const found: AssetRef[] = [];
  for (let i = 0; i < values.length; i += 5000) {
    const chunk = values.slice(i, i + 5000);
    const ids = chunk.filter((v) => UUID_RE.test(v));
    const rows = await q
      .selectFrom('assets')
      .select(['id', 'hostname', 'fqdn', 'ip_addresses', 'lifecycle'])
      .where((eb) =>
        eb.or([
          eb(sql`lower(hostname)`, '=', sql<string>`any(${sql.val(chunk)}::text[])`),
          eb(sql`lower(fqdn)`, '=', sql<string>`any(${sql.val(chunk)}::text[])`),
          sql<boolean>`exists (select 1 from unnest(ip_addresses) ip where lower(ip) = any(${sql.val(chunk)}::text[]))`,
          ...(ids.length ? [eb('id', '=', sql<string>`any(${sql.val(ids)}::uuid[])`)] : []),
        ]),
      )
      .execute();
    for (const r of rows) found.push({ id: r.id, hostname: r.hostname, fqdn: r.fqdn, ipAddresses: r.ip_addresses, lifecycle: r.lifecycle });
  }
  return [...new Map(found.map((a) => [a.id, a])).values()];
}

async function currentInventories(q: Db | Tx, assetIds: string[]): Promise<Map<string, CurrentInventory>> {
  const out = new Map<string, CurrentInventory>();
  if (!assetIds.length) return out;
  const invs = await q.selectFrom('asset_inventories').select(['asset_id', 'release', 'distro', 'package_ids']).where('asset_id', '=', sql<string>`any(${sql.val(assetIds)}::uuid[])`).execute();
  // A fleet shares most package versions: each distinct package is read once, not once per asset.
  const ids = [...new Set(invs.flatMap((i) => i.package_ids.map(Number)))];
  const pkgs = new Map<number, CurrentInventory['packages'][number]>();
  for (let i = 0; i < ids.length; i += 20_000) {
    const rows = await q
      .selectFrom('packages')
      .select(['id', 'ecosystem', 'name', 'version', 'arch', 'source_name', 'source_version'])
      .where('id', '=', sql<number>`any(${sql.val(ids.slice(i, i + 20_000))}::bigint[])`)
      .execute();
    for (const r of rows) pkgs.set(Number(r.id), { ecosystem: r.ecosystem, name: r.name, version: r.version, arch: r.arch, sourceName: r.source_name, sourceVersion: r.source_version });
  }
  for (const inv of invs) {
    out.set(inv.asset_id, { release: inv.release, distro: inv.distro, packages: inv.package_ids.flatMap((id) => pkgs.get(Number(id)) ?? []) });
  }
  return out;
}

function rowsWithProblems(problems: readonly FieldProblem[]): number {
  return new Set(problems.map((p) => p.field.split(',')[0])).size;
}

/**
 * Checks the whole file and plans every asset's inventory. With `lock`, the assets are locked (in id order, as
 * every writer locks them) before their current inventories are read, so the plan is of what will be replaced.
 */
async function plan(q: Db | Tx, input: CmdbImport, table: CsvTable, lock: boolean) {
  const { columns, problems } = resolveMapping(table.header, input.mapping, { hostRequired: !input.assetId });
  if (problems.length) throw new ValidationError('The column mapping does not fit the file; nothing was imported', problems);
  let assets: AssetRef[];
  let single: AssetRef | undefined;
  if (input.assetId) {
    const a = await q.selectFrom('assets').select(['id', 'hostname', 'fqdn', 'ip_addresses', 'lifecycle']).where('id', '=', input.assetId).executeTakeFirst();
    if (!a) throw new NotFoundError('Asset');
    if (a.lifecycle !== 'active') throw new ValidationError('The asset is decommissioned; nothing was imported', [{ field: 'body.assetId', message: 'is decommissioned (INV-4): reactivate it to change its inventory' }]);
    single = { id: a.id, hostname: a.hostname, fqdn: a.fqdn, ipAddresses: a.ip_addresses, lifecycle: a.lifecycle };
    assets = [single];
  } else {
    const hostCol = columns.host as number;
    assets = await candidateAssets(q, [...new Set(table.rows.map((r) => (r.cells[hostCol] ?? '').trim().toLowerCase()).filter(Boolean))]);
  }
  const ids = assets.filter((a) => a.lifecycle === 'active').map((a) => a.id).sort();
  if (lock && ids.length) await sql`select id from assets where id = any(${sql.val(ids)}::uuid[]) order by id for update`.execute(q);
  const currents = await currentInventories(q, ids);
  const result = planImport(table, hostFinder(assets), currents, {
    columns,
    hostMatch: input.hostMatch,
    mode: input.mode,
    ecosystem: input.ecosystem,
    release: input.release,
    distro: input.distro,
    source: input.source,
    asset: single,
  });
  if (result.problems.length) {
    throw new ValidationError(`${rowsWithProblems(result.problems)} row(s) have problems; nothing was imported`, result.problems);
  }
  // The inventory service's own rules, in case they ever go beyond what the plan checks.
  const later: FieldProblem[] = [];
  for (const p of result.plans) {
    for (const issue of inventoryProblems(p.inventory)) {
      const i = Number(/^body\.packages\.(\d+)/.exec(issue.field)?.[1] ?? -1);
      const row = p.rowOf[i];
      later.push({ field: row ? `row ${row}` : `asset ${p.asset.hostname}`, message: issue.message });
    }
  }
  if (later.length) throw new ValidationError(`${rowsWithProblems(later)} row(s) have problems; nothing was imported`, later.slice(0, 1000));
  return result;
}

export async function importInventoryCsv(db: Db, ctx: Ctx, input: CmdbImport, opts: { dryRun?: boolean } = {}): Promise<CmdbImportSummary> {
  authorize(ctx, 'asset:import');
  const table = readTable(input.csv);
  const summary = (r: Awaited<ReturnType<typeof plan>>, importId: string | null, assets: CmdbAssetResult[]): CmdbImportSummary => ({
    importId,
    dryRun: !!opts.dryRun,
    rows: table.rows.length,
    skipped: r.skipped.slice(0, 100),
    skippedCount: r.skipped.length,
    assets,
  });
  const planned = (p: Awaited<ReturnType<typeof plan>>['plans'][number]): CmdbAssetResult => ({
    assetId: p.asset.id, hostname: p.asset.hostname, packages: p.inventory.packages.length, listed: p.rows, added: p.added, removed: p.removed, unchanged: p.unchanged, findings: null,
  });
  if (opts.dryRun) {
    const r = await plan(db, input, table, false);
    return summary(r, null, r.plans.map(planned));
  }
  const cache = engineCache(db);
  const importId = randomUUID();
  return db.transaction().execute(async (tx) => {
    const r = await plan(tx, input, table, true);
    const results: CmdbAssetResult[] = [];
    for (const p of r.plans) {
      const s = await applyInventory(tx, cache, ctx, p.asset.id, p.inventory);
      const m = s.match;
      results.push({ ...planned(p), added: s.added, removed: s.removed, unchanged: s.unchanged, findings: m ? { opened: m.opened, reopened: m.reopened, resolved: m.resolved, stillOpen: m.stillOpen } : null });
    }
    // One record for the import as a whole; each asset's change has its own inventory.update record.
    await audit.record(tx, ctx, {
      action: 'inventory.import_csv',
      entityType: 'inventory_import',
      entityId: importId,
      before: null,
      after: {
        file: { sha256: createHash('sha256').update(input.csv).digest('hex'), rows: table.rows.length, delimiter: table.delimiter },
        mapping: input.mapping,
        hostMatch: input.hostMatch,
        mode: input.mode,
        source: input.source,
        skipped: r.skipped.length,
        assets: results.length,
        changed: results.filter((x) => !x.unchanged).length,
        assetIds: results.slice(0, 1000).map((x) => x.assetId),
      },
    });
    return summary(r, importId, results);
  });
}
