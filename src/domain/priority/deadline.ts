import { PRIORITY_RANK, type PriorityClass } from './policy.js';

/**
 * Due dates (issue #6 §3). The rules, in the words the finding page uses:
 * - A finding's clock starts when it is detected (or reopened, or when an
 *   exception covering it ends): due = start + the SLA of its class.
 * - When its priority rises, the new class's SLA counts from the moment of
 *   the change, and a deadline never moves later: due = min(previous due,
 *   change + new SLA).
 * - When its priority falls, the deadline never moves earlier: due =
 *   max(previous due, start + new SLA).
 * - Same class, same SLA: the due date stays. Same class, the policy changed
 *   the SLA: due = the time the class began + new SLA.
 * - Never later than CISA's KEV due date (end of that day, UTC).
 * - An approved SLA extension (INC-3) is the one thing that moves it later.
 */
const DAY = 86_400_000;

export interface DeadlineState {
  priority: PriorityClass;
  /** An emergency ranks above critical: becoming one is a rise. */
  emergency: boolean;
  slaDays: number | null;
  dueAt: Date | null;
  /** When the current class's clock began. */
  classSince: Date;
}

export const DEADLINE_BASES = ['initial', 'raised', 'lowered', 'unchanged', 'sla_changed', 'kev_due_date', 'extension'] as const;

export interface DeadlineChange extends DeadlineState {
  /** Why the due date is what it is, for the history and the explanation. */
  basis: (typeof DEADLINE_BASES)[number];
}

export interface DeadlineInput {
  previous: DeadlineState | null;
  priority: PriorityClass;
  emergency: boolean;
  slaDays: number | null;
  /** Detection, reopening or the end of an exception. */
  slaStart: Date;
  /** When the change that triggered this evaluation happened. */
  at: Date;
  kevDueDate: string | null;
  extendedDueAt: Date | null;
}

const plusDays = (d: Date, n: number) => new Date(d.getTime() + n * DAY);
/** KEV due dates are calendar days: the whole day counts. */
export const endOfDay = (day: string) => new Date(`${day}T23:59:59.999Z`);

const level = (s: { priority: PriorityClass; emergency: boolean }) => PRIORITY_RANK[s.priority] + (s.emergency ? 1 : 0);

export function deadline(i: DeadlineInput): DeadlineChange {
  const p = i.previous;
  let due: Date | null;
  let classSince: Date;
  let basis: DeadlineChange['basis'];
  if (!p) {
    classSince = i.slaStart;
    due = i.slaDays === null ? null : plusDays(i.slaStart, i.slaDays);
    basis = 'initial';
  } else if (level(i) > level(p)) {
    classSince = i.at;
    const fresh = i.slaDays === null ? null : plusDays(i.at, i.slaDays);
    due = minDate(p.dueAt, fresh);
    basis = 'raised';
  } else if (level(i) < level(p)) {
    classSince = i.slaStart;
    due = i.slaDays === null || p.dueAt === null ? null : maxDate(p.dueAt, plusDays(i.slaStart, i.slaDays));
    basis = 'lowered';
  } else if (i.slaDays === p.slaDays) {
    classSince = p.classSince;
    due = p.dueAt;
    basis = 'unchanged';
  } else {
    classSince = p.classSince;
    due = i.slaDays === null ? null : plusDays(p.classSince, i.slaDays);
    basis = 'sla_changed';
  }
  if (i.kevDueDate) {
    const kev = endOfDay(i.kevDueDate);
    if (due === null || kev < due) {
      due = kev;
      basis = 'kev_due_date';
    }
  }
  if (i.extendedDueAt && (due === null || i.extendedDueAt > due)) {
    due = i.extendedDueAt;
    basis = 'extension';
  }
  return { priority: i.priority, emergency: i.emergency, slaDays: i.slaDays, dueAt: due, classSince, basis };
}

function minDate(a: Date | null, b: Date | null): Date | null {
  if (a === null) return b;
  if (b === null) return a;
  return a < b ? a : b;
}

function maxDate(a: Date, b: Date): Date {
  return a > b ? a : b;
}

export const SLA_STATES = ['on_track', 'due_soon', 'overdue', 'excepted', 'no_deadline'] as const;
export type SlaState = (typeof SLA_STATES)[number];

/**
 * on track → due soon once dueSoonPercent of the window from the class's
 * start to the due date has passed → overdue after the due date. A finding
 * an exception covers is "excepted": it leaves the overdue figures (VUL-7).
 */
export function slaState(f: { dueAt: Date | null; classSince: Date | null; excepted: boolean }, now: Date, dueSoonPercent: number): SlaState {
  if (f.excepted) return 'excepted';
  if (!f.dueAt) return 'no_deadline';
  if (now > f.dueAt) return 'overdue';
  const start = f.classSince ?? f.dueAt;
  const window = f.dueAt.getTime() - start.getTime();
  return now.getTime() - start.getTime() >= (window * dueSoonPercent) / 100 ? 'due_soon' : 'on_track';
}

/** Share of the SLA window elapsed (100 = due now), for escalation rules; null without a deadline. */
export function elapsedPercent(f: { dueAt: Date | null; classSince: Date | null }, now: Date): number | null {
  if (!f.dueAt || !f.classSince) return null;
  const window = f.dueAt.getTime() - f.classSince.getTime();
  if (window <= 0) return now >= f.dueAt ? 100 : 0;
  return ((now.getTime() - f.classSince.getTime()) / window) * 100;
}
