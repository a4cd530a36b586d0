import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseKev } from '../feeds/kev.js';
import { type DeadlineInput, type DeadlineState, deadline, elapsedPercent, endOfDay, slaState } from './deadline.js';
import { diffPolicies } from './diff.js';
import { DEFAULT_POLICY } from './policy.js';

const d = (s: string) => new Date(s);
const day = (n: number) => n * 86_400_000;
const START = d('2026-01-01T00:00:00Z');
const input = (over: Partial<DeadlineInput>): DeadlineInput => ({
  previous: null, priority: 'high', emergency: false, slaDays: 30, slaStart: START, at: START, kevDueDate: null, extendedDueAt: null, ...over,
});
const prev = (over: Partial<DeadlineState>): DeadlineState => ({ priority: 'high', emergency: false, slaDays: 30, dueAt: d('2026-01-31T00:00:00Z'), classSince: START, ...over });

describe('due dates', () => {
  const cases: [string, Partial<DeadlineInput>, string | null, string][] = [
    ['first evaluation: detection + SLA', {}, '2026-01-31T00:00:00.000Z', 'initial'],
    ['no SLA for the class: no due date', { priority: 'informational', slaDays: null }, null, 'initial'],
    ['raised on day 100 from low (due day 180) to critical: 7 days from the change', { previous: prev({ priority: 'low', slaDays: 180, dueAt: d('2026-06-30T00:00:00Z') }), priority: 'critical', slaDays: 7, at: d('2026-04-11T00:00:00Z') }, '2026-04-18T00:00:00.000Z', 'raised'],
    ['raised, but the old due date is earlier: it stays', { previous: prev({ priority: 'low', slaDays: 180, dueAt: d('2026-01-05T00:00:00Z') }), priority: 'high', slaDays: 30, at: d('2026-01-03T00:00:00Z') }, '2026-01-05T00:00:00.000Z', 'raised'],
    ['becoming an emergency within critical is a rise', { previous: prev({ priority: 'critical', slaDays: 7, dueAt: d('2026-01-08T00:00:00Z') }), priority: 'critical', emergency: true, slaDays: 3, at: d('2026-01-04T00:00:00Z') }, '2026-01-07T00:00:00.000Z', 'raised'],
    ['lowered: never earlier than the previous due date', { previous: prev({ priority: 'critical', slaDays: 7, dueAt: d('2026-04-18T00:00:00Z'), classSince: d('2026-04-11T00:00:00Z') }), priority: 'medium', slaDays: 90, at: d('2026-04-12T00:00:00Z') }, '2026-04-18T00:00:00.000Z', 'lowered'],
    ['lowered: detection + the lower SLA when that is later', { previous: prev({}), priority: 'low', slaDays: 180, at: d('2026-01-10T00:00:00Z') }, '2026-06-30T00:00:00.000Z', 'lowered'],
    ['lowered to informational: no deadline', { previous: prev({}), priority: 'informational', slaDays: null }, null, 'lowered'],
    ['same class, same SLA: unchanged (even after a rise moved it)', { previous: prev({ dueAt: d('2026-05-01T00:00:00Z'), classSince: d('2026-04-01T00:00:00Z') }), at: d('2026-04-20T00:00:00Z') }, '2026-05-01T00:00:00.000Z', 'unchanged'],
    ['same class, policy SLA changed: from when the class began', { previous: prev({ classSince: d('2026-01-10T00:00:00Z') }), slaDays: 14, at: d('2026-01-12T00:00:00Z') }, '2026-01-24T00:00:00.000Z', 'sla_changed'],
    ['never later than the KEV due date (end of that day)', { kevDueDate: '2026-01-15' }, '2026-01-15T23:59:59.999Z', 'kev_due_date'],
    ['a KEV due date later than the SLA changes nothing', { kevDueDate: '2026-03-01' }, '2026-01-31T00:00:00.000Z', 'initial'],
    ['an approved extension moves it later', { kevDueDate: '2026-01-15', extendedDueAt: d('2026-02-15T00:00:00Z') }, '2026-02-15T00:00:00.000Z', 'extension'],
    ['an extension earlier than the due date does nothing', { extendedDueAt: d('2026-01-20T00:00:00Z') }, '2026-01-31T00:00:00.000Z', 'initial'],
  ];
  it.each(cases)('%s', (_, over, due, basis) => {
    const r = deadline(input(over));
    expect(r.dueAt?.toISOString() ?? null).toBe(due);
    expect(r.basis).toBe(basis);
  });

  it('a rise restarts the class clock; a fall goes back to detection', () => {
    const up = deadline(input({ previous: prev({ priority: 'low' }), priority: 'critical', slaDays: 7, at: d('2026-02-01T00:00:00Z') }));
    expect(up.classSince.toISOString()).toBe('2026-02-01T00:00:00.000Z');
    const down = deadline(input({ previous: { ...up }, priority: 'low', slaDays: 180, at: d('2026-02-02T00:00:00Z') }));
    expect(down.classSince).toEqual(START);
  });
});

describe('SLA state', () => {
  const f = { dueAt: d('2026-01-31T00:00:00Z'), classSince: START, excepted: false };
  it.each([
    ['day 10 of 30', '2026-01-11T00:00:00Z', 'on_track'],
    ['day 23 of 30 (≥ 75 %)', '2026-01-23T12:00:00Z', 'due_soon'],
    ['the due date itself', '2026-01-31T00:00:00Z', 'due_soon'],
    ['a second later', '2026-01-31T00:00:01Z', 'overdue'],
  ])('%s → %s', (_, now, state) => expect(slaState(f, d(now), DEFAULT_POLICY.dueSoonPercent)).toBe(state));
  it('an exception takes it out of the overdue figures; no deadline is its own state', () => {
    expect(slaState({ ...f, excepted: true }, d('2027-01-01T00:00:00Z'), 75)).toBe('excepted');
    expect(slaState({ ...f, dueAt: null }, d('2027-01-01T00:00:00Z'), 75)).toBe('no_deadline');
  });
  it('elapsed share of the window for escalation rules', () => {
    expect(elapsedPercent(f, d('2026-01-16T00:00:00Z'))).toBe(50);
    expect(elapsedPercent(f, d('2026-02-15T00:00:00Z'))).toBe(150);
    expect(elapsedPercent({ ...f, dueAt: null }, d('2026-01-16T00:00:00Z'))).toBeNull();
  });
});

const KEV_FILE = path.resolve(process.cwd(), '../shared/fixtures/kev/known_exploited_vulnerabilities.json');
const haveKev = fs.existsSync(KEV_FILE);

describe.skipIf(!haveKev)(`KEV due dates from the real catalogue${haveKev ? '' : ' — skipped: ../shared/fixtures is absent'}`, () => {
  const cat = haveKev ? parseKev(JSON.parse(fs.readFileSync(KEV_FILE, 'utf8'))) : { entries: [] };

  it('a finding detected when CISA added the entry is due no later than its own dueDate, for every entry', () => {
    const gaps = new Map<number, number>();
    for (const e of cat.entries) {
      const start = d(`${e.dateAdded}T00:00:00Z`);
      for (const days of [DEFAULT_POLICY.sla.critical, DEFAULT_POLICY.sla.high, DEFAULT_POLICY.sla.low]) {
        const r = deadline(input({ slaStart: start, at: start, slaDays: days, kevDueDate: e.dueDate }));
        const sla = start.getTime() + day(days);
        const kev = endOfDay(e.dueDate as string).getTime();
        expect(r.dueAt?.getTime(), `${e.cve} with a ${days}-day SLA`).toBe(Math.min(sla, kev));
      }
      const gap = Math.round((d(`${e.dueDate}T00:00:00Z`).getTime() - d(`${e.dateAdded}T00:00:00Z`).getTime()) / day(1));
      gaps.set(gap, (gaps.get(gap) ?? 0) + 1);
    }
    // The catalogue's own dates differ per entry (14 and 21 days among them): a fixed offset would be wrong.
    expect(cat.entries.length).toBeGreaterThan(1000);
    expect(gaps.get(14)).toBeGreaterThan(0);
    expect(gaps.get(21)).toBeGreaterThan(0);
    expect(gaps.size).toBeGreaterThan(2);
  });
});

describe('policy diff', () => {
  it('names each changed field with both values', () => {
    const after = structuredClone(DEFAULT_POLICY);
    after.sla.critical = 5;
    after.approvals.exception = ['admin'];
    after.escalation[1]!.channels = ['email'];
    after.riskScore.epss.push({ min: 0.01, effect: 0.1 });
    expect(diffPolicies(DEFAULT_POLICY, after)).toEqual([
      { path: 'sla.critical', before: 7, after: 5 },
      { path: 'riskScore.epss[2]', before: undefined, after: { min: 0.01, effect: 0.1 } },
      { path: 'approvals.exception', before: ['security_analyst', 'admin'], after: ['admin'] },
      { path: 'escalation[1].channels', before: ['email', 'webhook', 'in_app'], after: ['email'] },
    ]);
    expect(diffPolicies(DEFAULT_POLICY, structuredClone(DEFAULT_POLICY))).toEqual([]);
  });
});
