import { NotFoundError } from '../../lib/errors.js';
import type { Db } from '../../storage/db.js';
import { authorize, type Ctx } from '../context.js';
import type { ImportSummary } from './import.service.js';

/** The record of past imports: what each file did, for the register's "source" and for auditors. */
export async function listImports(db: Db, ctx: Ctx, q: { limit: number; before?: string }) {
  authorize(ctx, 'asset:read');
  let query = db.selectFrom('scan_imports').selectAll().orderBy('imported_at', 'desc').limit(q.limit);
  if (q.before) query = query.where('imported_at', '<', new Date(q.before));
  const rows = await query.execute();
  return rows.map((r) => {
    const s = r.summary as unknown as ImportSummary;
    return {
      id: r.id,
      format: r.format,
      scanner: r.scanner,
      reportName: r.report_name,
      fileName: r.file_name,
      bytes: r.bytes === null ? null : Number(r.bytes),
      scannedAt: r.scanned_at?.toISOString() ?? null,
      importedAt: r.imported_at.toISOString(),
      actor: r.actor_name,
      counts: { assets: s.assets.reported, created: s.assets.created, findings: s.findings.reported, new: s.findings.new, resolved: s.findings.resolved },
    };
  });
}

export async function getImport(db: Db, ctx: Ctx, id: string): Promise<ImportSummary> {
  authorize(ctx, 'asset:read');
  const row = await db.selectFrom('scan_imports').select('summary').where('id', '=', id).executeTakeFirst();
  if (!row) throw new NotFoundError('Scan import');
  return row.summary as unknown as ImportSummary;
}
