import { sql } from 'kysely';
import {
  type DeadlineChange,
  elapsedPercent,
  type Factor,
  MODEL_LABELS,
  type PriorityClass,
  type PriorityModel,
  priorityOfRank,
  prioritise,
  type SlaState,
  slaState,
} from '../../domain/priority/index.js';
import { NotFoundError } from '../../lib/errors.js';
import type { Db } from '../../storage/db.js';
import { authorize, type Ctx } from '../context.js';
import { loadAssets, loadVulnerabilities } from './inputs.js';
import { currentPolicy } from './policy.service.js';

/**
 * Why a finding has its class and due date (VUL-4 "the user sees why"): the
 * stored result, every factor of the policy in force with its value and
 * effect, and the history of class and due-date changes with what caused
 * each. When the inputs changed since the last evaluation (a re-prioritisation
 * is queued), `current` says what the next one will make of it.
 */
export interface PriorityExplanation {
  findingId: string;
  status: string;
  stored: {
    priority: PriorityClass | null;
    score: number | null;
    decision: string | null;
    emergency: boolean;
    slaDays: number | null;
    slaStart: string | null;
    classSince: string | null;
    dueAt: string | null;
    extendedDueAt: string | null;
    exceptionId: string | null;
    policyVersion: number | null;
    prioritisedAt: string | null;
    slaState: SlaState | null;
    elapsedPercent: number | null;
  };
  current: { policyVersion: number; model: PriorityModel; modelLabel: string; priority: PriorityClass; score: number | null; decision: string | null; emergency: boolean; slaDays: number | null; factors: Factor[]; upToDate: boolean };
  history: { at: string; policyVersion: number; priority: PriorityClass; previousPriority: PriorityClass | null; emergency: boolean; dueAt: string | null; previousDueAt: string | null; basis: DeadlineChange['basis']; trigger: string }[];
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export async function explainPriority(db: Db, ctx: Ctx, findingId: string): Promise<PriorityExplanation> {
  authorize(ctx, 'asset:read');
  const f = await db.selectFrom('findings').selectAll().where('id', '=', findingId).executeTakeFirst();
  if (!f) throw new NotFoundError(`Finding ${findingId}`);
  const { version, document: policy } = await currentPolicy(db);
  const v = (await loadVulnerabilities(db, [f.vulnerability_num], true)).get(f.vulnerability_num);
  const a = (await loadAssets(db, [f.asset_id])).get(f.asset_id);
  if (!v || !a) throw new NotFoundError(`Finding ${findingId}`);
  const r = prioritise(policy, { vulnerability: { ...v, severityRank: v.severityRank ?? (f as { evidence_rank?: number | null }).evidence_rank ?? null }, asset: a });
  const stored = f.priority === null ? null : priorityOfRank(f.priority);
  const now = new Date();
  const events = await sql<{ at: Date; policy_version: number; priority: number; previous_priority: number | null; emergency: boolean; due_at: Date | null; previous_due_at: Date | null; basis: string; trigger: string }>`
    select at, policy_version, priority, previous_priority, emergency, due_at, previous_due_at, basis, trigger
    from finding_priority_events where finding_id = ${findingId}::bigint order by id`.execute(db);
  return {
    findingId: String(f.id),
    status: f.status,
    stored: {
      priority: stored,
      score: f.priority_score === null ? null : Math.round(f.priority_score * 10) / 10,
      decision: f.priority_decision,
      emergency: f.emergency,
      slaDays: f.sla_days,
      slaStart: iso(f.sla_start),
      classSince: iso(f.class_since),
      dueAt: iso(f.due_at),
      extendedDueAt: iso(f.extended_due_at),
      exceptionId: f.exception_id,
      policyVersion: f.policy_version,
      prioritisedAt: iso(f.prioritised_at),
      slaState: f.status === 'open' && stored ? slaState({ dueAt: f.due_at, classSince: f.class_since, excepted: f.exception_id !== null }, now, policy.dueSoonPercent) : null,
      elapsedPercent: f.due_at ? Math.round((elapsedPercent({ dueAt: f.due_at, classSince: f.class_since }, now) ?? 0) * 10) / 10 : null,
    },
    current: {
      policyVersion: version, model: policy.model, modelLabel: MODEL_LABELS[policy.model], priority: r.priority, score: r.score, decision: r.decision, emergency: r.emergency, slaDays: r.slaDays, factors: r.factors,
      upToDate: f.prioritised_at !== null && stored === r.priority && f.emergency === r.emergency && f.sla_days === r.slaDays,
    },
    history: events.rows.map((e) => ({
      at: e.at.toISOString(), policyVersion: e.policy_version, priority: priorityOfRank(e.priority), previousPriority: e.previous_priority === null ? null : priorityOfRank(e.previous_priority),
      emergency: e.emergency, dueAt: iso(e.due_at), previousDueAt: iso(e.previous_due_at), basis: e.basis as DeadlineChange['basis'], trigger: e.trigger,
    })),
  };
}
