import { settlePriorities } from '../priority/worker.js';
import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { sql } from 'kysely';
import { DETECT_BYTES, detectFormat } from '../../domain/scanners/detect.js';
import { parserFor } from '../../domain/scanners/index.js';
import { type ReportFinding, type ReportTarget, SCAN_FORMATS, type ScanFormat, ScanFormatError, VULN_ID_RE, type VexStatement } from '../../domain/scanners/report.js';
import { ValidationError } from '../../lib/errors.js';
import type { Db } from '../../storage/db.js';
import { record } from '../audit/audit.service.js';
import { authorize, type Ctx } from '../context.js';
import { AssetResolver, type MatchedBy } from './asset-resolver.js';
import { resolveFindings, resolvePackages, resolveVulnerabilities, writeEvidence } from './merge.js';
import { Stage } from './stage.js';
import { applyStatements } from './statements.js';
import { applyStatuses } from './statuses.js';

/**
 * Importing a scanner report into the register (issue #5, VUL-2): detect the
 * format, stream the file through its parser, resolve each target to an
 * asset (or create one for review), stage the findings, merge them, and
 * record what happened, all in one transaction: a file that fails anywhere
 * changes nothing.
 */
export interface ImportRequest {
  input: AsyncIterable<Uint8Array | string>;
  format?: ScanFormat | null;
  fileName?: string | null;
  csvMapping?: Record<string, string>;
  /** Refuse files larger than this many bytes (the caller's limit, counted as read). */
  maxBytes?: number;
}

export const DEFAULT_MAX_BYTES = 2 * 1024 ** 3;
const MAX_STATEMENTS = 1_000_000;
const MAX_LISTED_ASSETS = 200;

export interface ImportSummary {
  importId: string;
  format: ScanFormat;
  scanner: string;
  reportName: string | null;
  scannedAt: string | null;
  fileName: string | null;
  sha256: string;
  bytes: number;
  assets: { reported: number; matched: number; created: number; matchedBy: Partial<Record<MatchedBy, number>>; createdForReview: { id: string; hostname: string }[] };
  findings: { reported: number; new: number; seenAgain: number; reopened: number; resolved: number; validationsLifted: number; validatedByVex: number };
  evidence: { new: number; changed: number };
  vulnerabilitiesCreated: number;
  vex: { statements: number; notAffected: number; findingsValidated: number; unmatched: number };
  skipped: { reason: string; count: number }[];
  ms: number;
}

/** A gzip-compressed report (1f 8b) is read through gunzip; the limit applies to what comes out. */
async function gunzipped(input: AsyncIterable<Uint8Array | string>): Promise<AsyncIterable<Uint8Array | string>> {
  const it = input[Symbol.asyncIterator]();
  const first = await it.next();
  async function* all() {
    if (first.done) return;
    yield first.value;
    for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
  }
  const v = first.done ? null : first.value;
  if (v && typeof v !== 'string' && v[0] === 0x1f && v[1] === 0x8b) return inflate(Readable.from(all()).pipe(createGunzip()));
  return all();
}

async function* inflate(gunzip: AsyncIterable<Uint8Array>) {
  let out = 0;
  try {
    for await (const chunk of gunzip) {
      out += chunk.byteLength;
      yield chunk;
    }
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('Z_')) throw new ScanFormatError(`the gzip data is broken or truncated (${(err as Error).message})`, `byte ${out} of the uncompressed data`);
    throw err;
  }
}

/** Reads the first bytes for detection and hands back a stream that still starts at byte 0. */
async function peek(input: AsyncIterable<Uint8Array | string>): Promise<{ head: string; stream: AsyncIterable<Uint8Array | string> }> {
  const it = input[Symbol.asyncIterator]();
  const first: (Uint8Array | string)[] = [];
  let size = 0;
  let done = false;
  while (size < DETECT_BYTES) {
    const r = await it.next();
    if (r.done) {
      done = true;
      break;
    }
    first.push(r.value);
    size += typeof r.value === 'string' ? r.value.length : r.value.byteLength;
  }
  const head = first.map((c) => (typeof c === 'string' ? c : Buffer.from(c).toString('utf8'))).join('').slice(0, DETECT_BYTES);
  async function* stream() {
    yield* first;
    if (done) return;
    for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
  }
  return { head, stream: stream() };
}

async function* counted(input: AsyncIterable<Uint8Array | string>, hash: ReturnType<typeof createHash>, size: { bytes: number }, max: number) {
  for await (const chunk of input) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size.bytes += buf.byteLength;
    if (size.bytes > max) throw new ScanFormatError(`the file is larger than the limit of ${max} bytes`, `byte ${max}`);
    hash.update(buf);
    yield buf;
  }
}

export async function importReport(db: Db, ctx: Ctx, req: ImportRequest): Promise<ImportSummary> {
  authorize(ctx, 'asset:import');
  const started = Date.now();
  const { head, stream } = await peek(await gunzipped(req.input)).catch((err) => {
    throw err instanceof ScanFormatError ? new ValidationError(`The file cannot be read: ${err.message.replace(/\.$/, '')}. Nothing was imported.`, [{ field: err.where ?? 'file', message: err.message }]) : err;
  });
  let format = req.format ?? null;
  if (format && !(SCAN_FORMATS as readonly string[]).includes(format)) throw new ValidationError(`Unknown format "${format}"`, [{ field: 'format', message: `must be one of ${SCAN_FORMATS.join(', ')}` }]);
  if (!format) {
    const d = detectFormat(head, req.fileName);
    if (!d.format) throw new ValidationError(`Cannot tell the format of this file: ${d.reason}. Name it with --format (API: ?format=).`, [{ field: 'file', message: d.reason }]);
    format = d.format;
  }
  const parser = await parserFor(format);
  const hash = createHash('sha256');
  const size = { bytes: 0 };
  const importId = randomUUID();
  const now = new Date();
  const fileName = req.fileName?.slice(0, 255) ?? null;
  const actorId = ctx.principal.userId;
  const actorName = ctx.principal.name;
  try {
    const summary = await db.transaction().execute(async (tx) => {
      const resolver = await AssetResolver.load(tx);
      const stage = await Stage.create(tx);
      const skipped = new Map<string, number>();
      const skip = (reason: string, count = 1) => skipped.set(reason, (skipped.get(reason) ?? 0) + count);
      const statements: VexStatement[] = [];
      const scope = new Set<string>();
      const targets = new Map<string, string>();
      const matchedBy: Partial<Record<MatchedBy, number>> = {};
      let scannerName: string = format;
      const onTarget = async (t: ReportTarget, findings: ReportFinding[]) => {
        let assetId = targets.get(t.key);
        if (!assetId) {
          const r = resolver.resolve(t) ?? (await resolver.create(tx, t, importId, scannerName));
          assetId = r.assetId;
          targets.set(t.key, assetId);
          matchedBy[r.by] = (matchedBy[r.by] ?? 0) + 1;
        }
        scope.add(assetId);
        for (const f of findings) {
          if (!VULN_ID_RE.test(f.vulnerabilityId)) skip('the vulnerability id is not one patchloop can store');
          else await stage.add(assetId, f);
        }
      };
      const meta = await parser(
        counted(stream, hash, size, req.maxBytes ?? DEFAULT_MAX_BYTES),
        {
          target: onTarget,
          statement: (s) => {
            if (statements.length >= MAX_STATEMENTS) throw new ScanFormatError(`more than ${MAX_STATEMENTS} VEX statements`);
            statements.push(s);
          },
          skip,
        },
        { csvMapping: req.csvMapping },
      );
      scannerName = meta.scanner;
      await stage.flush();
      await resolver.applyDigestUpdates(tx);
      const source = format as string;
      const vulnerabilitiesCreated = await resolveVulnerabilities(tx, now);
      await resolvePackages(tx);
      const found = await resolveFindings(tx, source, now);
      const evidence = await writeEvidence(tx, source, importId, now);
      const reported = await sql<{ n: number }>`select count(distinct finding_id)::int as n from tmp_evidence`.execute(tx);
      const base = { scanner: meta.scanner, importId, now, actorId, actorName, fileName };
      const statuses = await applyStatuses(tx, { ...base, source, scopeAssets: [...scope] });
      const vex = await applyStatements(tx, statements, base, (r) => skip(r));
      const reportedFindings = reported.rows[0]?.n ?? 0;
      const summary: ImportSummary = {
        importId,
        format: format as ScanFormat,
        scanner: meta.scanner,
        reportName: meta.reportName ?? null,
        scannedAt: meta.scannedAt ?? null,
        fileName,
        sha256: hash.digest('hex'),
        bytes: size.bytes,
        assets: {
          reported: targets.size,
          matched: resolver.matched.size,
          created: resolver.created.length,
          matchedBy,
          createdForReview: resolver.created.slice(0, MAX_LISTED_ASSETS),
        },
        findings: {
          reported: reportedFindings,
          new: found.created,
          seenAgain: reportedFindings - found.created,
          reopened: statuses.reopened,
          resolved: statuses.resolved,
          validationsLifted: statuses.validationsLifted,
          validatedByVex: statuses.validatedByVex,
        },
        evidence: { new: evidence.created, changed: evidence.changed },
        vulnerabilitiesCreated,
        vex,
        skipped: [...skipped].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count),
        ms: 0,
      };
      summary.ms = Date.now() - started;
      await tx
        .insertInto('scan_imports')
        .values({
          id: importId, format: summary.format, scanner: summary.scanner, report_name: summary.reportName, file_name: fileName, sha256: summary.sha256,
          bytes: summary.bytes, scanned_at: safeDate(summary.scannedAt), imported_at: now, actor_id: actorId, actor_name: actorName, summary: JSON.stringify(summary),
        })
        .execute();
      const { createdForReview, ...assetCounts } = summary.assets;
      await record(tx, ctx, {
        action: 'scan.import',
        entityType: 'scan_import',
        entityId: importId,
        after: { ...summary, assets: { ...assetCounts, createdForReview: resolver.created } },
      });
      return summary;
    });
    // New and reopened findings get their priority and due date now (small imports) or from the worker.
    await settlePriorities(db);
    return summary;
  } catch (err) {
    if (err instanceof ScanFormatError) {
      throw new ValidationError(`The ${format} report cannot be imported: ${err.message.replace(/\.$/, '')}. Nothing was imported.`, [{ field: err.where ?? 'file', message: err.message }]);
    }
    throw err;
  }
}

function safeDate(iso: string | null): Date | null {
  if (!iso) return null;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? null : d;
}
