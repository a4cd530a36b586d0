import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import type { z } from 'zod';
import { type Asset, type AssetCreate, type AssetListQuery, type AssetUpdate, assetCreateSchema, assetUpdateSchema } from '../../domain/assets/asset.js';
import { CSV_COLUMNS, fieldToColumn, mapHeader, rowToFields } from '../../domain/assets/csv.js';
import { BadRequestError, ConflictError, type FieldProblem, ValidationError } from '../../lib/errors.js';
import * as repo from '../../storage/assets.repo.js';
import type { Db, Tx } from '../../storage/db.js';
import { authorize, type Ctx } from '../context.js';
import { insertAsset, patchAsset, toAsset } from './assets.service.js';

/** The asset register's CSV door: bulk import (all rows or none) and export in the same columns. */
export interface ImportSummary {
  dryRun: boolean;
  rows: number;
  created: number;
  updated: number;
  unchanged: number;
  decommissioned: number;
}

export const MAX_IMPORT_ROWS = 100_000;

function zodProblems(err: z.ZodError, row: number): FieldProblem[] {
  return err.issues.map((i) => ({ field: `row ${row}, column ${fieldToColumn(String(i.path[0] ?? ''))}`, message: i.message }));
}

/**
 * Bulk import. Every row is checked before anything is written; any problem
 * and nothing is written, and the error lists every problem row by row.
 * Rows match existing active assets by id, then FQDN, then host name.
 */
export async function importCsv(db: Db, ctx: Ctx, csv: string, opts: { dryRun?: boolean } = {}): Promise<ImportSummary> {
  authorize(ctx, 'asset:import');
  let records: string[][];
  try {
    records = parse(csv, { bom: true, skip_empty_lines: true, relax_column_count: false, max_record_size: 64 * 1024 });
  } catch (err) {
    const e = err as { lines?: number; message: string };
    throw new BadRequestError(`The file is not valid CSV${e.lines ? ` (line ${e.lines})` : ''}: ${e.message}`, [{ field: e.lines ? `line ${e.lines}` : 'file', message: e.message }]);
  }
  if (records.length === 0) throw new BadRequestError('The file is empty: expected a header row and at least one asset row');
  const [header, ...rows] = records as [string[], ...string[][]];
  const { columns, problems: headerProblems } = mapHeader(header);
  if (headerProblems.length) {
    throw new ValidationError('The header row has problems; nothing was imported', headerProblems.map((p) => ({ field: p.column ? `header, column ${p.column}` : 'header', message: p.message })));
  }
  if (rows.length === 0) throw new BadRequestError('The file has a header but no asset rows');
  if (rows.length > MAX_IMPORT_ROWS) throw new BadRequestError(`The file has ${rows.length} rows; at most ${MAX_IMPORT_ROWS} can be imported at once`);

  const summary: ImportSummary = { dryRun: !!opts.dryRun, rows: rows.length, created: 0, updated: 0, unchanged: 0, decommissioned: 0 };
  const importCtx: Ctx = ctx;
  const run = async (tx: Tx) => {
    const problems: FieldProblem[] = [];
    const users = new Map((await tx.selectFrom('users').select(['id', 'username']).execute()).map((u) => [u.username.toLowerCase(), u.id]));
    const teams = new Map((await tx.selectFrom('teams').select(['id', 'name']).execute()).map((t) => [t.name.toLowerCase(), t.id]));
    const seenNames = new Map<string, number>();
    type Planned = { line: number; id?: string; create?: AssetCreate; update?: AssetUpdate; lifecycle?: 'active' | 'decommissioned' };
    const planned: Planned[] = [];

    for (const [i, cells] of rows.entries()) {
      const line = i + 2; // header is line 1
      const { fields, owner, id, lifecycle } = rowToFields(columns, cells);
      const rowProblems: FieldProblem[] = [];
      if (owner !== undefined && owner !== '') {
        const o = owner.replace(/^(user|team):/i, '');
        const kind = /^team:/i.test(owner) ? 'team' : /^user:/i.test(owner) ? 'user' : null;
        const u = kind !== 'team' ? users.get(o.toLowerCase()) : undefined;
        const t = kind !== 'user' ? teams.get(o.toLowerCase()) : undefined;
        if (u && t) rowProblems.push({ field: `row ${line}, column owner`, message: `"${o}" is both a user and a team; write user:${o} or team:${o}` });
        else if (!u && !t) rowProblems.push({ field: `row ${line}, column owner`, message: `no user or team named "${o}"` });
        else Object.assign(fields, u ? { ownerUserId: u, ownerTeamId: null } : { ownerTeamId: t, ownerUserId: null });
      } else if (owner === '') Object.assign(fields, { ownerUserId: null, ownerTeamId: null });
      if (lifecycle && lifecycle !== 'active' && lifecycle !== 'decommissioned') {
        rowProblems.push({ field: `row ${line}, column lifecycle`, message: 'must be active or decommissioned' });
      }
      if (id && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) {
        rowProblems.push({ field: `row ${line}, column id`, message: 'must be an asset id (UUID) or empty' });
      }
      let existingId: string | undefined;
      if (id && rowProblems.length === 0) {
        existingId = (await tx.selectFrom('assets').select('id').where('id', '=', id).executeTakeFirst())?.id;
        if (!existingId) rowProblems.push({ field: `row ${line}, column id`, message: `no asset with id ${id}` });
      } else if (typeof fields.hostname === 'string' && fields.hostname) {
        existingId = (await repo.findActiveByName(tx, fields.hostname, fields.fqdn as string | null | undefined))?.id;
      }
      const nameKey = String(fields.fqdn ?? fields.hostname ?? id ?? '').toLowerCase();
      if (nameKey && seenNames.has(nameKey)) rowProblems.push({ field: `row ${line}, column hostname`, message: `repeats row ${seenNames.get(nameKey)}` });
      else if (nameKey) seenNames.set(nameKey, line);

      const parsed = existingId ? assetUpdateSchema.safeParse(fields) : assetCreateSchema.safeParse(fields);
      if (!parsed.success) rowProblems.push(...zodProblems(parsed.error, line));
      if (rowProblems.length) {
        problems.push(...rowProblems);
        if (problems.length >= 1000) break;
        continue;
      }
      const lc = lifecycle as Planned['lifecycle'];
      planned.push(existingId ? { line, id: existingId, update: parsed.data as AssetUpdate, lifecycle: lc } : { line, create: parsed.data as AssetCreate, lifecycle: lc });
    }
    if (problems.length) {
      throw new ValidationError(`${new Set(problems.map((p) => p.field.split(',')[0])).size} row(s) have problems; nothing was imported`, problems);
    }
    for (const p of planned) {
      try {
        if (p.create) {
          const a = await insertAsset(tx, importCtx, p.create, 'asset.import_create');
          summary.created++;
          if (p.lifecycle === 'decommissioned') {
            await tx.updateTable('assets').set({ lifecycle: 'decommissioned', decommissioned_at: new Date() }).where('id', '=', a.id).execute();
            summary.decommissioned++;
          }
        } else if (p.id && p.update) {
          const { changed } = await patchAsset(tx, importCtx, p.id, p.update, { action: 'asset.import_update' });
          if (changed) summary.updated++;
          else summary.unchanged++;
        }
      } catch (err) {
        if (err instanceof ConflictError) throw new ValidationError(`Row ${p.line}: ${err.message}; nothing was imported`, err.problems.map((q) => ({ field: `row ${p.line}, column ${q.field}`, message: q.message })));
        throw err;
      }
    }
    if (opts.dryRun) throw new DryRunDone();
  };
  try {
    await db.transaction().execute(run);
  } catch (err) {
    if (!(err instanceof DryRunDone)) throw err;
  }
  return summary;
}

class DryRunDone extends Error {}

export function assetToCsvRow(a: Asset): string[] {
  return [
    a.id, a.hostname, a.fqdn ?? '', a.ipAddresses.join(' '), a.osFamily ?? '', a.osName ?? '', a.osVersion ?? '',
    a.environment, a.systemType, a.department ?? '', a.location ?? '',
    a.owner ? `${a.owner.type}:${a.owner.name}` : '', a.businessCriticality, a.networkExposure,
    a.maintenanceGroup ?? '', a.tags.join(';'), a.supplier ?? '', a.description ?? '', a.lifecycle,
  ];
}

/** Streams CSV lines; spreadsheet formula prefixes are neutralised (CSV injection). */
export async function* exportCsv(db: Db, ctx: Ctx, filters: AssetListQuery): AsyncGenerator<string> {
  authorize(ctx, 'asset:read');
  yield stringify([[...CSV_COLUMNS]]);
  for await (const row of repo.scanAssets(db, filters)) {
    yield stringify([assetToCsvRow(toAsset(row)).map(defuse)]);
  }
}

function defuse(cell: string): string {
  return /^[=+\-@\t\r]/.test(cell) && !/^-?\d/.test(cell) ? `'${cell}` : cell;
}
