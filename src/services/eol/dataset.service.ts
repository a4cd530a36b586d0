import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { systemPrincipal } from '../../domain/auth/principal.js';
import { countCycles, type EolCycle, type EolDataset, EolFormatError, parseEolDataset } from '../../domain/eol/dataset.js';
import { AppError, BadRequestError, ValidationError } from '../../lib/errors.js';
import type { Db, Tx } from '../../storage/db.js';
import * as audit from '../audit/audit.service.js';
import { authorize, type Ctx } from '../context.js';
import { DownloadError, fetchFeed } from '../feeds/download.js';

/** endoflife.date's API v1: every product with its releases in one document. */
export const DEFAULT_EOL_URL = 'https://endoflife.date/api/v1/products/full';
/** Source label of the dataset shipped with patchloop (see bundled/NOTICE). */
export const BUNDLED_SOURCE_PREFIX = 'bundled with patchloop:';
export const MAX_EOL_BYTES = 64 * 1024 * 1024;

export class EolDownloadFailed extends AppError {
  constructor(message: string) {
    super(502, 'Download failed', message);
  }
}

export interface DatasetState {
  source: string;
  version: string;
  license: string | null;
  products: number;
  cycles: number;
  loadedAt: string;
  loadedBy: string;
}

export interface DatasetLoadSummary extends DatasetState {
  added: number;
  changed: number;
  removed: number;
  notModified?: boolean;
}

/** Content version: the same cycles give the same version whatever file or URL they came from. */
export function datasetVersion(d: EolDataset): string {
  const h = createHash('sha256');
  for (const product of Object.keys(d.products).sort()) h.update(`${product}\n${JSON.stringify(d.products[product])}\n`);
  return `sha256:${h.digest('hex').slice(0, 16)}`;
}

let bundled: Promise<{ dataset: EolDataset; version: string }> | null = null;

function loadBundled() {
  bundled ??= import('./bundled/eol.json', { with: { type: 'json' } }).then((m) => {
    const dataset = parseEolDataset(m.default);
    return { dataset, version: datasetVersion(dataset) };
  });
  return bundled;
}

/** The dataset shipped in the package (immutable, so parsed once per process). */
export async function bundledDataset(): Promise<EolDataset> {
  return (await loadBundled()).dataset;
}

function toState(r: { source: string; version: string; license: string | null; products: number; cycles: number; loaded_at: Date; loaded_by: string }): DatasetState {
  return { source: r.source, version: r.version, license: r.license, products: r.products, cycles: r.cycles, loadedAt: r.loaded_at.toISOString(), loadedBy: r.loaded_by };
}

const dateCol = (v: EolCycle['eol'] | null) => ({ date: typeof v === 'string' ? v : null, flag: typeof v === 'boolean' ? v : null });

function rowsOf(d: EolDataset) {
  return Object.entries(d.products).flatMap(([product, cycles]) =>
    cycles.map((c, ord) => {
      const eol = dateCol(c.eol);
      const ext = dateCol(c.extendedSupport);
      const lts = dateCol(c.lts);
      return {
        product, cycle: c.cycle, ord, codename: c.codename, label: c.label, release_date: c.releaseDate,
        eol_date: eol.date, eol_flag: eol.flag, extended_date: ext.date, extended_flag: ext.flag, lts_date: lts.date, lts_flag: lts.flag, latest: c.latest,
      };
    }),
  );
}

/** The loaded cycles per product, in source order. */
export async function loadProducts(db: Db | Tx): Promise<Record<string, EolCycle[]>> {
  const rows = await sql<{ product: string; cycle: string; codename: string | null; label: string | null; release_date: string | null; eol_date: string | null; eol_flag: boolean | null; extended_date: string | null; extended_flag: boolean | null; lts_date: string | null; lts_flag: boolean | null; latest: string | null }>`
    select product, cycle, codename, label, release_date::text as release_date, eol_date::text as eol_date, eol_flag,
      extended_date::text as extended_date, extended_flag, lts_date::text as lts_date, lts_flag, latest
    from eol_cycles order by product, ord`.execute(db);
  const out: Record<string, EolCycle[]> = {};
  for (const r of rows.rows) {
    const list = out[r.product] ?? [];
    list.push({
      cycle: r.cycle, codename: r.codename, label: r.label, releaseDate: r.release_date,
      eol: r.eol_date ?? (r.eol_flag as boolean), extendedSupport: r.extended_date ?? r.extended_flag, lts: r.lts_date ?? r.lts_flag, latest: r.latest,
    });
    out[r.product] = list;
  }
  return out;
}

async function readState(db: Db | Tx): Promise<DatasetState | null> {
  const r = await db.selectFrom('eol_dataset').select(['source', 'version', 'license', 'products', 'cycles', 'loaded_at', 'loaded_by']).executeTakeFirst();
  return r ? toState(r) : null;
}

/** Replaces the loaded dataset in the caller's transaction (whole, never merged) with one audit record. */
async function writeDataset(tx: Tx, ctx: Ctx, d: EolDataset, meta: { source: string; etag?: string | null; lastModified?: string | null }): Promise<DatasetLoadSummary> {
  await sql`select pg_advisory_xact_lock(hashtext('patchloop.eol.dataset'))`.execute(tx);
  const before = await readState(tx);
  const old = new Map(Object.entries(await loadProducts(tx)).flatMap(([p, cs]) => cs.map((c) => [`${p}\t${c.cycle}`, JSON.stringify(c)] as const)));
  let added = 0;
  let changed = 0;
  const rows = rowsOf(d);
  for (const [p, cs] of Object.entries(d.products)) {
    for (const c of cs) {
      const was = old.get(`${p}\t${c.cycle}`);
      if (was === undefined) added++;
      else if (was !== JSON.stringify(c)) changed++;
      old.delete(`${p}\t${c.cycle}`);
    }
  }
  await tx.deleteFrom('eol_cycles').execute();
  for (let i = 0; i < rows.length; i += 1000) await tx.insertInto('eol_cycles').values(rows.slice(i, i + 1000)).execute();
  const state = {
    source: meta.source, version: datasetVersion(d), license: d.license, products: Object.keys(d.products).length, cycles: countCycles(d),
    loaded_at: new Date(), loaded_by: ctx.principal.name, etag: meta.etag ?? null, last_modified: meta.lastModified ?? null,
  };
  await tx.insertInto('eol_dataset').values({ id: 1, ...state }).onConflict((oc) => oc.column('id').doUpdateSet(state)).execute();
  const summary: DatasetLoadSummary = { ...toState(state), added, changed, removed: old.size };
  const { license: _l, ...shown } = summary;
  await audit.record(tx, ctx, { action: 'eol.dataset.load', entityType: 'eol_dataset', entityId: null, before: before && { source: before.source, version: before.version, products: before.products, cycles: before.cycles }, after: shown });
  return summary;
}

/**
 * The dataset every evaluation reads. The first use loads the one shipped
 * with patchloop; a later patchloop release with newer bundled data replaces
 * an older bundled load, never a dataset an administrator imported.
 */
export async function ensureDataset(db: Db): Promise<DatasetState> {
  const current = await readState(db);
  if (current && !current.source.startsWith(BUNDLED_SOURCE_PREFIX)) return current;
  const { dataset: d, version } = await loadBundled();
  if (current?.version === version) return current;
  const ctx: Ctx = { principal: systemPrincipal('patchloop (bundled end-of-life data)'), requestId: null };
  return db.transaction().execute(async (tx) => {
    await sql`select pg_advisory_xact_lock(hashtext('patchloop.eol.dataset'))`.execute(tx);
    const again = await readState(tx);
    if (again && (again.version === version || !again.source.startsWith(BUNDLED_SOURCE_PREFIX))) return again;
    return writeDataset(tx, ctx, d, { source: `${BUNDLED_SOURCE_PREFIX} ${d.source ?? 'endoflife.date'}` });
  });
}

export async function datasetStatus(db: Db, ctx: Ctx) {
  authorize(ctx, 'asset:read');
  const state = await ensureDataset(db);
  const rows = await sql<{ product: string; cycles: number; newest: string }>`
    select product, count(*)::int as cycles, (array_agg(cycle order by ord))[1] as newest from eol_cycles group by product order by product`.execute(db);
  return { ...state, productList: rows.rows.map((r) => ({ product: r.product, cycles: Number(r.cycles), newest: r.newest })) };
}

function parseOrRefuse(doc: unknown, where: string): EolDataset {
  try {
    return parseEolDataset(doc);
  } catch (err) {
    if (err instanceof EolFormatError) throw new ValidationError(err.message, err.problems.map((p) => ({ field: `${where}${p.field}`, message: p.message })));
    throw err;
  }
}

export interface ImportMeta {
  source: string;
  etag?: string | null;
  lastModified?: string | null;
  /** Prefix of problem fields: "body." for an upload, "" for a download. */
  where?: string;
}

/** Loads a dataset document (all or nothing: a bad record and nothing changes), then `after` re-evaluates the assets. */
export async function importDataset(db: Db, ctx: Ctx, doc: unknown, meta: ImportMeta, after?: (db: Db) => Promise<number>): Promise<DatasetLoadSummary & { assetsEvaluated: number }> {
  authorize(ctx, 'system:admin');
  const d = parseOrRefuse(doc, meta.where ?? 'body.');
  const summary = await db.transaction().execute((tx) => writeDataset(tx, ctx, d, meta));
  return { ...summary, assetsEvaluated: after ? await after(db) : 0 };
}

/**
 * Fetches a dataset (endoflife.date's API v1 by default, or a mirror of
 * either shape) and imports it. Conditional when the loaded dataset came
 * from the same URL: 304 changes nothing.
 */
export async function syncDataset(db: Db, ctx: Ctx, opts: { url?: string; timeoutMs?: number; retries?: number } = {}, after?: (db: Db) => Promise<number>) {
  authorize(ctx, 'system:admin');
  const url = opts.url ?? DEFAULT_EOL_URL;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new BadRequestError(`${JSON.stringify(url)} is not a URL`, [{ field: 'query.url', message: 'is not a URL' }]);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new BadRequestError('The dataset is fetched over http or https only', [{ field: 'query.url', message: 'must be an http(s) URL' }]);
  if (parsed.username || parsed.password) throw new BadRequestError('The URL must not carry credentials', [{ field: 'query.url', message: 'must not contain a user name or password' }]);
  const prev = await db.selectFrom('eol_dataset').select(['source', 'etag', 'last_modified']).executeTakeFirst();
  const conditional = prev && prev.source === url ? { etag: prev.etag, lastModified: prev.last_modified } : {};
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'patchloop-eol-'));
  try {
    let result: Awaited<ReturnType<typeof fetchFeed>>;
    try {
      result = await fetchFeed(url, { timeoutMs: opts.timeoutMs ?? 60_000, retries: opts.retries ?? 2, backoffMs: 500, maxBytes: MAX_EOL_BYTES, ...conditional, dest: path.join(dir, 'eol.json'), userAgent: 'patchloop' });
    } catch (err) {
      if (err instanceof DownloadError) throw new EolDownloadFailed(`Could not download the end-of-life dataset: ${err.message}`);
      throw err;
    }
    if (result.status === 'not-modified') {
      const state = (await readState(db)) as DatasetState;
      return { ...state, added: 0, changed: 0, removed: 0, notModified: true, assetsEvaluated: 0 };
    }
    let doc: unknown;
    try {
      doc = JSON.parse(fs.readFileSync(result.path, 'utf8'));
    } catch (err) {
      throw new ValidationError(`${url} did not answer with JSON (${(err as Error).message}); nothing was loaded`, [{ field: 'document', message: 'is not JSON' }]);
    }
    return await importDataset(db, ctx, doc, { source: url, etag: result.etag, lastModified: result.lastModified, where: '' }, after);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
