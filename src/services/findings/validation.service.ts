import { sql } from 'kysely';
import { z } from 'zod';
import { VEX_JUSTIFICATIONS } from '../../domain/scanners/report.js';
import { ConflictError, NotFoundError, ValidationError } from '../../lib/errors.js';
import type { Db } from '../../storage/db.js';
import { record } from '../audit/audit.service.js';
import { authorize, type Ctx } from '../context.js';

/**
 * Validating findings (issue #5 §5, VUL-6): a reviewer marks findings false
 * positive or not affected, with a reason and, for not affected, a VEX
 * justification. The mark is a finding_validations row carrying the
 * evidence it was made on; a later import whose evidence differs lifts it
 * (scan-import/statuses.ts), and a reviewer can lift it by hand. Same
 * tables, statuses and event style as the validations imports make.
 */

export const MAX_VALIDATE = 10_000;
const findingId = z.string().regex(/^[0-9]{1,18}$/, 'must be a finding id (digits)');
const reason = z.string().trim().min(1, 'is required').max(2000, 'must be at most 2,000 characters');

export const validateInputSchema = z
  .strictObject({
    findingIds: z.array(findingId).min(1, 'name at least one finding').max(MAX_VALIDATE, `at most ${MAX_VALIDATE.toLocaleString('en')} findings at once`),
    status: z.enum(['false_positive', 'not_affected']),
    justification: z.enum(VEX_JUSTIFICATIONS).nullish().describe('VEX justification: required for not_affected, optional for false_positive'),
    reason: reason.describe('Why: shown in the finding history and exported as the VEX impact statement'),
  })
  .superRefine((v, ctx) => {
    if (v.status === 'not_affected' && !v.justification) {
      ctx.addIssue({ code: 'custom', path: ['justification'], message: `is required for not_affected (one of ${VEX_JUSTIFICATIONS.join(', ')})` });
    }
  });
export type ValidateInput = z.input<typeof validateInputSchema>;

export const liftInputSchema = z.strictObject({ reason: reason.describe('Why the mark no longer holds') });

export interface ValidationResult {
  validated: number;
  status: 'false_positive' | 'not_affected';
  findingIds: string[];
}

/** At most this many problems are listed one by one; the message says how many more. */
const LISTED = 100;

function parse<T>(schema: z.ZodType<T>, input: unknown, where = 'body'): T {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const problems = r.error.issues.map((i) => ({ field: [where, ...i.path.map(String)].join('.'), message: i.message }));
  throw new ValidationError(`The request is not valid: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`, problems);
}

function listed(ids: string[]): string {
  const shown = ids.slice(0, 20).join(', ');
  return ids.length > 20 ? `${shown} and ${ids.length - 20} more` : shown;
}

const statusWords = (s: string) => (s === 'false_positive' ? 'false positive' : s === 'not_affected' ? 'not affected' : s);

/** Marks open findings false positive or not affected: all of them or, if any is missing or not open, none. */
export async function validateFindings(db: Db, ctx: Ctx, input: ValidateInput): Promise<ValidationResult> {
  authorize(ctx, 'finding:validate');
  const v = parse(validateInputSchema, input);
  const ids = [...new Set(v.findingIds)];
  const justification = v.justification ?? null;
  const who = ctx.principal.name;
  const now = new Date();
  const eventReason = `marked ${statusWords(v.status)}${justification ? ` (${justification})` : ''} by ${who}: ${v.reason}`;

  return db.transaction().execute(async (tx) => {
    // Row locks: an import or another reviewer changing these findings waits, then sees the new status.
    const rows = await sql<{ id: string; status: string; package_id: string | null; fps: string }>`
      select f.id::text as id, f.status, f.package_id::text as package_id,
        coalesce((select string_agg(e.fingerprint, ',' order by e.id) from finding_evidence e where e.finding_id = f.id and e.gone_at is null), '') as fps
      from findings f where f.id = any(${sql.val(ids)}::bigint[]) order by f.id for update of f`.execute(tx);
    const found = new Map(rows.rows.map((r) => [r.id, r]));
    const missing = ids.filter((id) => !found.has(id));
    if (missing.length) {
      throw new ValidationError(
        `No finding has the id ${listed(missing)}: nothing was marked`,
        missing.slice(0, LISTED).map((id) => ({ field: `body.findingIds[${v.findingIds.indexOf(id)}]`, message: `there is no finding ${id}` })),
      );
    }
    const notOpen = rows.rows.filter((r) => r.status !== 'open');
    if (notOpen.length) {
      throw new ConflictError(
        `Only open findings can be marked; ${notOpen.length === 1 ? 'this one is' : 'these are'} not open: ${listed(notOpen.map((r) => `${r.id} (${statusWords(r.status)})`))}. Nothing was marked.`,
        notOpen.slice(0, LISTED).map((r) => ({ field: `body.findingIds[${v.findingIds.indexOf(r.id)}]`, message: `finding ${r.id} is ${statusWords(r.status)}, not open` })),
      );
    }
    // What the decision was made on: the current evidence and the installed package (VUL-6).
    const fingerprints = ids.map((id) => {
      const r = found.get(id) as { package_id: string | null; fps: string };
      return `${r.fps};package:${r.package_id ?? '-'}`;
    });
    const idList = sql.val(ids);
    // A mark left behind by a status change elsewhere would otherwise read as still current.
    await sql`update finding_validations set lifted_at = ${now}, lifted_reason = ${`superseded by a new mark by ${who}`}
      where finding_id = any(${idList}::bigint[]) and lifted_at is null`.execute(tx);
    await sql`insert into finding_validations (finding_id, status, justification, reason, reviewer_id, reviewer_name, at, evidence_fingerprint)
      select u.id, ${v.status}, ${justification}, ${v.reason}, ${ctx.principal.userId}::uuid, ${who}, ${now}, u.fp
      from unnest(${idList}::bigint[], ${sql.val(fingerprints)}::text[]) as u(id, fp)`.execute(tx);
    await sql`update findings set status = ${v.status} where id = any(${idList}::bigint[])`.execute(tx);
    await sql`insert into finding_events (finding_id, at, from_status, to_status, reason, installed_version, run_id)
      select id, ${now}, 'open', ${v.status}, ${eventReason}, null, null from unnest(${idList}::bigint[]) as u(id)`.execute(tx);
    await record(tx, ctx, {
      action: 'finding.validate',
      entityType: 'finding',
      entityId: ids.length === 1 ? (ids[0] as string) : null,
      before: { status: 'open' },
      after: { status: v.status, justification, reason: v.reason, count: ids.length, findingIds: ids },
    });
    return { validated: ids.length, status: v.status, findingIds: ids };
  });
}

export interface CurrentValidation {
  status: 'false_positive' | 'not_affected';
  justification: string | null;
  reason: string;
  reviewer: string;
  at: string;
}

/** The mark in force on a finding (null when none): for the finding detail. */
export async function currentValidation(db: Db, ctx: Ctx, findingId: string): Promise<CurrentValidation | null> {
  authorize(ctx, 'asset:read');
  if (!/^[0-9]{1,18}$/.test(findingId)) return null;
  const row = await db
    .selectFrom('finding_validations')
    .select(['status', 'justification', 'reason', 'reviewer_name', 'at'])
    .where('finding_id', '=', findingId)
    .where('lifted_at', 'is', null)
    .orderBy('id', 'desc')
    .executeTakeFirst();
  return row ? { status: row.status, justification: row.justification, reason: row.reason, reviewer: row.reviewer_name, at: row.at.toISOString() } : null;
}

/** Takes a mark back: the finding is open again, the validation lifted with the reviewer's reason. */
export async function liftValidation(db: Db, ctx: Ctx, findingId: string, input: { reason: string }): Promise<{ id: string; status: 'open'; lifted: number }> {
  authorize(ctx, 'finding:validate');
  if (!/^[0-9]{1,18}$/.test(findingId)) throw new NotFoundError('Finding');
  const { reason: why } = parse(liftInputSchema, input);
  const who = ctx.principal.name;
  const now = new Date();
  return db.transaction().execute(async (tx) => {
    const f = await sql<{ status: string }>`select status from findings where id = ${findingId} for update`.execute(tx);
    const status = f.rows[0]?.status;
    if (status === undefined) throw new NotFoundError('Finding');
    if (status !== 'false_positive' && status !== 'not_affected') {
      throw new ConflictError(`Finding ${findingId} is ${statusWords(status)}: it is not marked false positive or not affected, so there is nothing to lift`);
    }
    const lifted = await sql<{ id: string; status: string; justification: string | null; reason: string; reviewer_name: string; at: Date }>`
      update finding_validations set lifted_at = ${now}, lifted_reason = ${`lifted by ${who}: ${why}`}
      where finding_id = ${findingId} and lifted_at is null
      returning id::text as id, status, justification, reason, reviewer_name, at`.execute(tx);
    // Back in the register with a fresh SLA clock (evaluated by the next prioritisation).
    await sql`update findings set status = 'open', resolved_at = null, sla_start = ${now}, prioritised_at = null where id = ${findingId}`.execute(tx);
    await sql`insert into finding_events (finding_id, at, from_status, to_status, reason, installed_version, run_id)
      values (${findingId}, ${now}, ${status}, 'open', ${`validation lifted by ${who}: ${why}`}, null, null)`.execute(tx);
    const was = lifted.rows[0];
    await record(tx, ctx, {
      action: 'finding.validation_lifted',
      entityType: 'finding',
      entityId: findingId,
      before: { status, validation: was ? { status: was.status, justification: was.justification, reason: was.reason, reviewer: was.reviewer_name, at: was.at } : null },
      after: { status: 'open', reason: why },
    });
    return { id: findingId, status: 'open' as const, lifted: lifted.rows.length };
  });
}
