import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { ReportFinding } from '../../domain/scanners/report.js';
import type { Tx } from '../../storage/db.js';

/**
 * The rows of one import, staged in a temporary table as the report is read
 * (issue #5): parsers hand on targets one by one, rows go to the database in
 * batches of BATCH, and the merge into the register is then a handful of
 * set-based statements, whatever the size of the report. The table lives
 * for the import's transaction only.
 */
const BATCH = 5_000;
/** …or fewer, when their text is long (plugin outputs): a batch is one query whose parameters the driver holds as text. */
const BATCH_BYTES = 4 * 1024 * 1024;
/** Longest output kept as evidence; the rest is cut (the fingerprint still covers all of it). */
const MAX_OUTPUT = 16 * 1024;

const COLUMNS = [
  ['asset_id', 'uuid'],
  ['vuln_id', 'text'],
  ['aliases', 'text'],
  ['eco', 'text'],
  ['pkg_name', 'text'],
  ['pkg_version', 'text'],
  ['fixed_version', 'text'],
  ['source_key', 'text'],
  ['title', 'text'],
  ['severity', 'text'],
  ['cvss', 'numeric'],
  ['cvss_vector', 'text'],
  ['location', 'text'],
  ['output', 'text'],
  ['fingerprint', 'text'],
  ['vex_status', 'text'],
  ['vex_justification', 'text'],
  ['vex_detail', 'text'],
] as const;
type Column = (typeof COLUMNS)[number][0];

export class Stage {
  private buffer: Record<Column, (string | number | null)[]> = Stage.empty();
  private pending = 0;
  private pendingBytes = 0;
  rows = 0;

  private constructor(private readonly tx: Tx) {}

  private static empty() {
    return Object.fromEntries(COLUMNS.map(([c]) => [c, []])) as unknown as Record<Column, (string | number | null)[]>;
  }

  static async create(tx: Tx): Promise<Stage> {
    await sql
      .raw(`create temp table tmp_import (row_no bigint generated always as identity, ${COLUMNS.map(([c, t]) => `${c} ${t}`).join(', ')},
        vnum int, name_id int, package_id bigint, finding_id bigint, is_new boolean not null default false) on commit drop`)
      .execute(tx);
    return new Stage(tx);
  }

  async add(assetId: string, f: ReportFinding): Promise<void> {
    const b = this.buffer;
    const output = f.output?.trim() || null;
    b.asset_id.push(assetId);
    b.vuln_id.push(f.vulnerabilityId);
    b.aliases.push(f.aliases?.length ? f.aliases.join(' ') : null);
    b.eco.push(f.package?.ecosystem ?? null);
    b.pkg_name.push(f.package?.name ?? null);
    b.pkg_version.push(f.package?.version ?? null);
    b.fixed_version.push(f.package?.fixedVersion ?? null);
    b.source_key.push(f.sourceKey);
    b.title.push(f.title?.slice(0, 500) ?? null);
    b.severity.push(f.severity);
    b.cvss.push(f.cvssScore ?? null);
    b.cvss_vector.push(f.cvssVector?.slice(0, 300) ?? null);
    b.location.push(f.location?.slice(0, 500) ?? null);
    b.output.push(output === null ? null : output.length > MAX_OUTPUT ? `${output.slice(0, MAX_OUTPUT)}\n[… ${output.length - MAX_OUTPUT} more characters]` : output);
    // What the source saw: a change of version or output is a change of evidence (VUL-6).
    b.fingerprint.push(createHash('sha256').update(`${f.package?.version ?? ''}\u0000${f.package?.fixedVersion ?? ''}\u0000${output ?? ''}`).digest('hex').slice(0, 32));
    b.vex_status.push(f.vex?.status ?? null);
    b.vex_justification.push(f.vex?.justification ?? null);
    b.vex_detail.push(f.vex?.detail?.slice(0, 4000) ?? null);
    this.rows++;
    this.pendingBytes += (output?.length ?? 0) + (f.title?.length ?? 0) + 200;
    if (++this.pending >= BATCH || this.pendingBytes >= BATCH_BYTES) await this.flush();
  }

  async flush(): Promise<void> {
    if (!this.pending) return;
    const b = this.buffer;
    const arrays = COLUMNS.map(([c, t]) => sql`${sql.val(b[c])}::${sql.raw(t)}[]`);
    await sql`insert into tmp_import (${sql.raw(COLUMNS.map(([c]) => c).join(', '))})
      select * from unnest(${sql.join(arrays)})`.execute(this.tx);
    this.buffer = Stage.empty();
    this.pending = 0;
    this.pendingBytes = 0;
  }
}
