import { stringify } from 'csv-stringify/sync';
import type { ExceptionListQuery, RiskException } from '../../domain/exceptions/index.js';
import type { Db } from '../../storage/db.js';
import type { Ctx } from '../context.js';
import { defuse } from '../findings/export.js';
import { allExceptions } from './register.js';

/** The exception register as CSV (VUL-7): the list's filters, every matching exception, cells a spreadsheet would run defused. */
export const EXCEPTION_COLUMNS = [
  'id', 'status', 'scope', 'finding_id', 'vulnerability', 'asset', 'assets', 'unsupported_system', 'justification', 'compensating_controls',
  'risk_owner', 'requested_by', 'requested_at', 'decided_by', 'decided_at', 'decision_note', 'policy_version', 'expires_on',
  'review_interval_days', 'next_review_on', 'last_reviewed_at', 'review_due', 'covered_findings', 'renews', 'ended_at', 'end_reason',
] as const;

export function exceptionCsvRow(e: RiskException): string[] {
  return [
    e.id, e.status, e.scope, e.findingId ?? '', e.vulnerability?.id ?? '', e.asset?.hostname ?? '', e.assets.map((a) => a.hostname).join(' '),
    e.unsupportedSystem ? 'yes' : '', e.justification, e.compensatingControls, e.riskOwner.name, e.requestedBy.name, e.requestedAt,
    e.decidedBy?.name ?? '', e.decidedAt ?? '', e.decisionNote ?? '', e.policyVersion === null ? '' : String(e.policyVersion), e.expiresOn,
    String(e.reviewIntervalDays), e.nextReviewOn ?? '', e.lastReviewedAt ?? '', e.reviewDue ? 'yes' : '', String(e.coveredFindings), e.renews ?? '',
    e.endedAt ?? '', e.endReason ?? '',
  ].map(defuse);
}

export async function* exportExceptionsCsv(db: Db, ctx: Ctx, q: ExceptionListQuery): AsyncGenerator<string> {
  const pages = allExceptions(db, ctx, q);
  // The first page is read before the header goes out, so a refusal is an HTTP error, not a truncated file.
  const first = await pages.next();
  yield stringify([[...EXCEPTION_COLUMNS]]);
  if (first.done) return;
  yield stringify(first.value.map(exceptionCsvRow));
  for await (const page of pages) yield stringify(page.map(exceptionCsvRow));
}
