import { describe, expect, it } from 'vitest';
import { DEADLINE_BASES } from '../../src/domain/priority/deadline.js';
import { DEFAULT_POLICY } from '../../src/domain/priority/policy.js';
import { describeValues, PRIORITY_PRESETS, SLA_PRESETS } from '../../web/src/components/findings/query.js';
import { BASIS_TEXT, basisText, formatElapsed, formatPolicyValue, getIn, parseNumber, pathLabel, serverProblems, setIn, signed, validateDraft } from '../../web/src/policy/format.js';

/**
 * The pure helpers behind the policy and priority pages (web/src/policy/format.ts):
 * what a diff row, a due-date rule and a field problem say, and the editor's
 * draft handling with the server's own schema.
 */
describe('policy paths and values in words', () => {
  it('labels field paths, escalation rules by their number', () => {
    expect(pathLabel('sla.critical')).toBe('SLA (days) › Critical');
    expect(pathLabel('riskScore.criticality.high')).toBe('Risk score › Criticality › High');
    expect(pathLabel('escalation[1].channels')).toBe('Escalation rule 2 › Channels');
    expect(pathLabel('escalation.0.name')).toBe('Escalation rule 1 › Name');
    expect(pathLabel('riskScore.epss[0]')).toBe('Risk score › EPSS › #1');
    expect(pathLabel('emergency.exposures')).toBe('Emergency › Exposures');
    expect(pathLabel('ssvc.outcomes.track_star')).toBe('SSVC › Outcomes › Track*');
  });

  it('shows each kind of value, absent and null apart', () => {
    expect(formatPolicyValue(7)).toBe('7');
    expect(formatPolicyValue(null)).toBe('none');
    expect(formatPolicyValue(undefined)).toBe('(absent)');
    expect(formatPolicyValue(true)).toBe('yes');
    expect(formatPolicyValue(['security_analyst', 'admin'])).toBe('security_analyst, admin');
    expect(formatPolicyValue([])).toBe('(empty)');
    expect(formatPolicyValue({ min: 0.5, effect: -1.5 })).toBe('from 0.5: −1.5');
    expect(formatPolicyValue(DEFAULT_POLICY.escalation[0])).toBe('Name Owner at half time; At % of the SLA 50; Minimum class high; Notify owner; Channels email, in_app');
  });

  it('signs effects with a real minus and ±0', () => {
    expect([signed(1.5), signed(-1), signed(0)]).toEqual(['+1.5', '−1', '±0']);
  });
});

describe('due dates in words', () => {
  it('says every due-date rule the engine records, and passes an unknown one through', () => {
    for (const b of DEADLINE_BASES) expect(BASIS_TEXT[b]).toMatch(/\w{4}/);
    expect(basisText('kev_due_date')).toBe("Capped at CISA's KEV due date");
    expect(basisText('something_new')).toBe('something_new');
  });

  it('gives the elapsed share of the SLA window', () => {
    expect(formatElapsed(37.4)).toBe('37 %');
    expect(formatElapsed(100)).toBe('100 %');
    expect(formatElapsed(1400.2)).toBe('1400 % (past due)');
    expect(formatElapsed(-5)).toBe('0 %');
    expect(formatElapsed(null)).toBe('');
  });
});

describe("the editor's draft", () => {
  it('replaces one value without touching the original or its other branches', () => {
    const before = structuredClone(DEFAULT_POLICY);
    const after = setIn(before, ['escalation', 1, 'atPercent'], 120);
    expect(after.escalation[1]?.atPercent).toBe(120);
    expect(before.escalation[1]?.atPercent).toBe(100);
    expect(after.sla).toBe(before.sla);
    expect(after.escalation[0]).toBe(before.escalation[0]);
    expect(getIn(after, ['escalation', 1, 'atPercent'])).toBe(120);
    expect(getIn(after, ['nope', 3, 'x'])).toBeUndefined();
  });

  it('reads number fields: blank or unreadable is NaN, a decimal comma is accepted', () => {
    expect(parseNumber(' 5 ')).toBe(5);
    expect(parseNumber('0,5')).toBe(0.5);
    expect(parseNumber('')).toBeNaN();
    expect(parseNumber('abc')).toBeNaN();
  });

  it('validates with the server schema, keyed by field path, a blank number as "enter a number"', () => {
    expect(validateDraft(DEFAULT_POLICY).ok).toBe(true);
    let draft = setIn(DEFAULT_POLICY, ['sla', 'high'], 0);
    draft = setIn(draft, ['riskScore', 'criticality', 'low'], Number.NaN);
    draft = setIn(draft, ['escalation', 0, 'channels'], []);
    draft = setIn(draft, ['riskScore', 'classes', 'high'], 9.5);
    const r = validateDraft(draft);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems['sla.high']).toEqual(['must be at least 1 day']);
    expect(r.problems['riskScore.criticality.low']).toEqual(['enter a number']);
    expect(Object.keys(r.problems)).toContain('escalation.0.channels');
    expect(r.problems['riskScore.classes']).toEqual(['class thresholds must fall from critical to low']);
    const extra = validateDraft({ ...DEFAULT_POLICY, surprise: 1 });
    expect(extra.ok).toBe(false);
  });

  it("keys the server's field errors like the client's", () => {
    expect(serverProblems({ 'document.sla.high': ['must be at least 1 day'], reason: ['too short'], document: ['is the same as the current version'] })).toEqual({
      'sla.high': ['must be at least 1 day'],
      reason: ['too short'],
      document: ['is the same as the current version'],
    });
  });
});

describe('register filter presets', () => {
  it('names a combination no preset lists, and every preset value is a real class or state', () => {
    expect(describeValues('overdue,on_track')).toBe('Overdue or On track');
    const known = new Set(['critical', 'high', 'medium', 'low', 'informational', 'overdue', 'due_soon', 'on_track', 'excepted', 'no_deadline']);
    for (const [v] of [...PRIORITY_PRESETS, ...SLA_PRESETS]) for (const x of v.split(',')) expect(known.has(x)).toBe(true);
  });
});
