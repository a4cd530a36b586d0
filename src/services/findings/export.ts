import { stringify } from 'csv-stringify/sync';
import type { Db } from '../../storage/db.js';
import { authorize, type Ctx } from '../context.js';
import { type Finding, hydrate } from './findings.service.js';
import { type FindingFilters, type FindingSort, findPage, prepareFilters, withoutJit } from './register.js';

/**
 * The register as CSV (VUL-8): the list's filters and sort, every matching
 * finding, streamed page by page so a million rows never sit in memory.
 */
export const EXPORT_COLUMNS = [
  'finding_id', 'vulnerability', 'title', 'severity', 'cvss', 'epss', 'kev', 'kev_due_date', 'priority', 'priority_score', 'emergency', 'due_at', 'sla_state',
  'policy_version', 'exception_id', 'extended_due_at', 'status', 'asset_id', 'hostname', 'environment', 'system_type',
  'department', 'business_criticality', 'network_exposure', 'owner', 'ecosystem', 'package', 'installed_version', 'fixed_version', 'sources',
  'first_seen', 'last_seen', 'resolved_at',
] as const;

const PAGE = 1000;

/** A cell a spreadsheet would read as a formula gets a leading apostrophe (CSV injection); plain numbers stay as they are. */
export function defuse(cell: string): string {
  return /^[=+\-@\t\r]/.test(cell) && !/^-?\d+(\.\d+)?$/.test(cell) ? `'${cell}` : cell;
}

export function toCsvRow(f: Finding): string[] {
  return [
    f.id, f.vulnerabilityId, f.title ?? '', f.severity ?? '', f.cvssScore === null ? '' : f.cvssScore.toFixed(1), f.epss ? String(f.epss.score) : '',
    f.kev ? 'yes' : '', f.kev?.dueDate ?? '', f.priority ?? '', f.priorityScore === null ? '' : f.priorityScore.toFixed(1), f.emergency ? 'yes' : '',
    f.dueAt ?? '', f.slaState ?? '', f.policyVersion === null ? '' : String(f.policyVersion), f.exceptionId ?? '', f.extendedDueAt ?? '', f.status, f.asset.id, f.asset.hostname, f.asset.environment, f.asset.systemType, f.asset.department ?? '',
    f.asset.businessCriticality, f.asset.networkExposure, f.asset.owner ? `${f.asset.owner.type}:${f.asset.owner.name}` : '', f.ecosystem ?? '', f.package ?? '',
    f.installedVersion ?? '', f.fixedVersion ?? '', f.sources.join(' '), f.firstSeen, f.lastSeen, f.resolvedAt ?? '',
  ].map(defuse);
}

export async function* exportCsv(db: Db, ctx: Ctx, q: FindingFilters & { sort: FindingSort; order?: 'asc' | 'desc' }): AsyncGenerator<string> {
  authorize(ctx, 'asset:read');
  const p = await prepareFilters(db, q, ctx.principal.userId);
  yield stringify([[...EXPORT_COLUMNS]]);
  let cursor: string | undefined;
  for (;;) {
    const { rows, nextCursor } = await withoutJit(db, (tx) => findPage(tx, p, { sort: q.sort, order: q.order, limit: PAGE, cursor }));
    const items = await hydrate(db, rows.map((r) => r.id));
    if (items.length) yield stringify(items.map(toCsvRow));
    if (!nextCursor) return;
    cursor = nextCursor;
  }
}
