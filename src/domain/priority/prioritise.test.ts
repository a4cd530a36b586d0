import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DEFAULT_POLICY, type Policy, policySchema } from './policy.js';
import { decisionPoints, type PriorityInputs, prioritise } from './prioritise.js';

type V = PriorityInputs['vulnerability'];
type A = PriorityInputs['asset'];
const vuln = (over: Partial<V> = {}): V => ({
  cvssScore: null, cvssVersion: null, cvssVector: null, severityRank: null, epssScore: null, epssPercentile: null, kev: null, ...over,
});
const asset = (over: Partial<A> = {}): A => ({ criticality: 'medium', exposure: 'internal', environment: 'production', controls: [], ...over });
const policy = (over: Partial<Policy> = {}): Policy => ({ ...DEFAULT_POLICY, ...over });
const KEV = { dueDate: '2026-12-18', ransomware: false };
const V31_NET_TOTAL = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H';
const V31_LOCAL_PARTIAL = 'CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N';

describe('default policy', () => {
  it('is valid against its own schema', () => expect(policySchema.parse(DEFAULT_POLICY)).toEqual(DEFAULT_POLICY));
  it('refuses a rule set that cannot work, naming the field', () => {
    const bad = policySchema.safeParse({ ...DEFAULT_POLICY, riskScore: { ...DEFAULT_POLICY.riskScore, classes: { critical: 5, high: 7, medium: 4, low: 0.1 } } });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path.join('.')).toBe('riskScore.classes');
    const roles = policySchema.safeParse({ ...DEFAULT_POLICY, approvals: { ...DEFAULT_POLICY.approvals, exception: [] } });
    expect(roles.error?.issues[0]?.path.join('.')).toBe('approvals.exception');
    const agent = policySchema.safeParse({ ...DEFAULT_POLICY, approvals: { ...DEFAULT_POLICY.approvals, slaExtension: ['agent'] } });
    expect(agent.success).toBe(false);
    // A system owner or an auditor could never decide (no exception:decide): naming them is refused.
    const owner = policySchema.safeParse({ ...DEFAULT_POLICY, approvals: { ...DEFAULT_POLICY.approvals, exception: ['system_owner'] } });
    expect(owner.error?.issues[0]?.message).toContain('must be roles that may decide');
    expect(policySchema.safeParse({ ...DEFAULT_POLICY, approvals: { ...DEFAULT_POLICY.approvals, exception: ['change_approver', 'senior_manager'] } }).success).toBe(true);
    const twice = policySchema.safeParse({ ...DEFAULT_POLICY, escalation: [DEFAULT_POLICY.escalation[0], { ...DEFAULT_POLICY.escalation[1], name: 'owner AT HALF TIME' }] });
    expect(twice.error?.issues[0]).toMatchObject({ path: ['escalation'], message: 'each escalation rule needs its own name' });
  });
});

describe('risk score model', () => {
  // [case, vulnerability, asset, expected class, expected score, SLA days]
  const cases: [string, Partial<V>, Partial<A>, string, number | null, number | null][] = [
    ['CVSS 9.8 on a medium internal production asset', { cvssScore: 9.8, cvssVersion: '3.1' }, {}, 'critical', 9.8, 7],
    ['CVSS 7.5, nothing else', { cvssScore: 7.5 }, {}, 'high', 7.5, 30],
    ['CVSS 7.5 on an isolated test system', { cvssScore: 7.5 }, { exposure: 'isolated', environment: 'test' }, 'medium', 5, 90],
    ['CVSS 7.5 on a critical internet-facing asset', { cvssScore: 7.5 }, { criticality: 'critical', exposure: 'internet_facing' }, 'critical', 9.5, 7],
    ['CVSS 5.3 with EPSS 0.62 (≥ 0.5: +1.5) at percentile 0.99 (+0.5)', { cvssScore: 5.3, epssScore: 0.62, epssPercentile: 0.99 }, {}, 'high', 7.3, 30],
    ['CVSS 5.3 with EPSS 0.2 (≥ 0.1: +0.5)', { cvssScore: 5.3, epssScore: 0.2, epssPercentile: 0.9 }, {}, 'medium', 5.8, 90],
    ['CVSS 4.3 in KEV: +2, and the KEV floor makes it high', { cvssScore: 4.3, kev: KEV }, {}, 'high', 6.3, 30],
    ['CVSS 6.1 in KEV with ransomware: +3', { cvssScore: 6.1, kev: { ...KEV, ransomware: true } }, {}, 'critical', 9.1, 7],
    ['CVSS 9.8 behind a WAF and segmentation (−2)', { cvssScore: 9.8 }, { controls: ['waf', 'segmentation'] }, 'high', 7.8, 30],
    ['controls lower by at most 3', { cvssScore: 9.8 }, { controls: ['waf', 'segmentation', 'isolation'] }, 'medium', 6.8, 90],
    ['no score: the stated severity counts at the top of its band (high → 8.9)', { severityRank: 3 }, {}, 'high', 8.9, 30],
    ['nothing known: the policy assumes 5.0', {}, {}, 'medium', 5, 90],
    ['CVSS 2.0 on a low-criticality development box', { cvssScore: 2 }, { criticality: 'low', environment: 'development' }, 'informational', 0, null],
    ['score is capped at 10', { cvssScore: 10, kev: { ...KEV, ransomware: true }, epssScore: 0.97, epssPercentile: 0.999 }, { criticality: 'critical', exposure: 'internal' }, 'critical', 10, 7],
  ];
  it.each(cases)('%s', (_, v, a, cls, score, days) => {
    const r = prioritise(policy(), { vulnerability: vuln(v), asset: asset(a) });
    expect(r.priority).toBe(cls);
    expect(r.score).toBe(score);
    expect(r.slaDays).toBe(days);
    expect(r.emergency).toBe(false);
  });

  it('explains every factor with its value and effect, and the points add up to the score', () => {
    const r = prioritise(policy(), { vulnerability: vuln({ cvssScore: 7.5, cvssVersion: '3.1', epssScore: 0.3, epssPercentile: 0.96 }), asset: asset({ criticality: 'high', exposure: 'isolated', controls: ['monitoring'] }) });
    const names = r.factors.map((f) => f.factor);
    expect(names).toEqual(['CVSS base score', 'Known exploited (CISA KEV)', 'EPSS probability', 'EPSS percentile', 'Asset criticality', 'Network exposure', 'Environment', 'Compensating control', 'Risk score']);
    expect(r.factors.find((f) => f.factor === 'Network exposure')).toMatchObject({ value: 'isolated', effect: '−1.5' });
    expect(r.factors.find((f) => f.factor === 'EPSS probability')).toMatchObject({ value: '30 %', effect: '+0.5' });
    const sum = r.factors.reduce((n, f) => n + (f.points ?? 0), 0);
    expect(Math.round(sum * 10) / 10).toBe(r.score);
    // 7.5 + 0.5 + 0.5 + 0.5 − 1.5 − 0.5
    expect(r.score).toBe(7);
  });

  it('follows an edited rule set', () => {
    const strict = policy({ riskScore: { ...DEFAULT_POLICY.riskScore, kev: 4, kevFloor: 'critical' }, sla: { ...DEFAULT_POLICY.sla, high: 14 } });
    expect(prioritise(strict, { vulnerability: vuln({ cvssScore: 4, kev: KEV }), asset: asset() }).priority).toBe('critical');
    expect(prioritise(strict, { vulnerability: vuln({ cvssScore: 7.5 }), asset: asset() }).slaDays).toBe(14);
  });
});

describe('emergency (INC-1)', () => {
  it('KEV on an internet-facing asset is an emergency: critical, due within the emergency days', () => {
    const r = prioritise(policy(), { vulnerability: vuln({ cvssScore: 5, kev: KEV }), asset: asset({ exposure: 'internet_facing' }) });
    expect(r).toMatchObject({ priority: 'critical', emergency: true, slaDays: 3 });
    expect(r.factors.at(-1)?.factor).toBe('Emergency (policy)');
  });
  it('is not one on an internal asset, behind an isolation control, or when disabled', () => {
    const v = vuln({ cvssScore: 5, kev: KEV });
    expect(prioritise(policy(), { vulnerability: v, asset: asset() }).emergency).toBe(false);
    expect(prioritise(policy(), { vulnerability: v, asset: asset({ exposure: 'internet_facing', controls: ['isolation'] }) }).emergency).toBe(false);
    const off = policy({ emergency: { ...DEFAULT_POLICY.emergency, enabled: false } });
    expect(prioritise(off, { vulnerability: v, asset: asset({ exposure: 'internet_facing' }) }).emergency).toBe(false);
  });
  it('ransomware use anywhere, when the policy says so', () => {
    const p = policy({ emergency: { ...DEFAULT_POLICY.emergency, ransomwareAnyExposure: true } });
    expect(prioritise(p, { vulnerability: vuln({ kev: { ...KEV, ransomware: true } }), asset: asset({ exposure: 'isolated' }) }).emergency).toBe(true);
  });
  it('applies to every model', () => {
    for (const model of ['ssvc', 'bod_26_04'] as const) {
      const r = prioritise(policy({ model }), { vulnerability: vuln({ kev: KEV }), asset: asset({ exposure: 'internet_facing' }) });
      expect([model, r.priority, r.emergency, r.slaDays]).toEqual([model, 'critical', true, 3]);
    }
  });
});

describe('decision points from CVSS', () => {
  it.each([
    [V31_NET_TOTAL, true, true],
    [V31_LOCAL_PARTIAL, false, false],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H', false, true],
    ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', true, true],
    ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/AU:N', false, true],
    ['AV:N/AC:L/Au:N/C:C/I:C/A:C', true, true],
  ])('%s → automatable %s, total impact %s', (vector, auto, total) => {
    expect(decisionPoints(vector)).toMatchObject({ automatable: auto, totalImpact: total });
  });
  it('says when it cannot tell', () => {
    expect(decisionPoints(null)).toMatchObject({ automatable: null, why: 'no CVSS vector' });
    expect(decisionPoints('CVSS:3.1/AV:X')).toMatchObject({ automatable: null, why: 'unreadable CVSS vector' });
  });
});

describe('SSVC model', () => {
  const ssvc = policy({ model: 'ssvc' });
  it.each([
    ['KEV, automatable, total impact, critical asset → Act', { kev: KEV, cvssVector: V31_NET_TOTAL }, { criticality: 'critical' }, 'Act', 'critical'],
    ['KEV, not automatable, partial, low-criticality asset → Track', { kev: KEV, cvssVector: V31_LOCAL_PARTIAL }, { criticality: 'low' }, 'Track', 'low'],
    ['EPSS percentile 0.95 counts as PoC: automatable, total, medium → Track*', { epssPercentile: 0.95, cvssVector: V31_NET_TOTAL }, {}, 'Track*', 'medium'],
    ['no exploitation, automatable, total, high criticality → Attend', { cvssVector: V31_NET_TOTAL }, { criticality: 'high' }, 'Attend', 'high'],
  ] as [string, Partial<V>, Partial<A>, string, string][])('%s', (_, v, a, decision, cls) => {
    const r = prioritise(ssvc, { vulnerability: vuln(v), asset: asset(a) });
    expect([r.decision, r.priority]).toEqual([decision, cls]);
    expect(r.factors.map((f) => f.factor)).toEqual(['Exploitation', 'Automatable', 'Technical impact', 'Mission & well-being', 'SSVC decision']);
  });
});

describe('BOD 26-04 model', () => {
  const bod = policy({ model: 'bod_26_04' });
  it.each([
    ['KEV, exposed, automatable, total → 3DF, 3 days', { kev: KEV, cvssVector: V31_NET_TOTAL }, { exposure: 'internet_facing' }, '3DF', 'critical', 3],
    ['KEV only → 14D', { kev: KEV, cvssVector: V31_LOCAL_PARTIAL }, {}, '14D', 'high', 14],
    ['automatable only → 60D', { cvssVector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N' }, {}, '60D', 'medium', 60],
    ['nothing → FSU: the policy Low SLA', { cvssVector: V31_LOCAL_PARTIAL }, {}, 'FSU', 'low', 180],
    ['exposed, automatable, total → 3D', { cvssVector: V31_NET_TOTAL }, { exposure: 'internet_facing' }, '3D', 'critical', 3],
    ['an isolation control: internet facing is not publicly exposed', { cvssVector: V31_NET_TOTAL }, { exposure: 'internet_facing', controls: ['isolation'] }, '60D', 'medium', 60],
  ] as [string, Partial<V>, Partial<A>, string, string, number][])('%s', (_, v, a, tier, cls, days) => {
    const r = prioritise(bod, { vulnerability: vuln(v), asset: asset(a) });
    expect([r.decision, r.priority, r.slaDays]).toEqual([tier, cls, days]);
  });
});

describe('without the explanation', () => {
  it('gives the same class, score, decision, emergency and SLA for any input and model', () => {
    fc.assert(
      fc.property(
        fc.record({
          cvssScore: fc.option(fc.integer({ min: 0, max: 100 }).map((n) => n / 10)),
          severityRank: fc.option(fc.integer({ min: 0, max: 4 })),
          epssScore: fc.option(fc.double({ min: 0, max: 1, noNaN: true })),
          epssPercentile: fc.option(fc.double({ min: 0, max: 1, noNaN: true })),
          kev: fc.option(fc.record({ dueDate: fc.constant('2026-12-18'), ransomware: fc.boolean() })),
          cvssVector: fc.constantFrom(null, V31_NET_TOTAL, V31_LOCAL_PARTIAL),
        }),
        fc.record({
          criticality: fc.constantFrom('critical', 'high', 'medium', 'low'),
          exposure: fc.constantFrom('internet_facing', 'internal', 'isolated'),
          environment: fc.constantFrom('production', 'staging', 'test', 'development'),
          controls: fc.subarray(['waf', 'segmentation', 'isolation', 'monitoring', 'other'] as const),
        }),
        fc.constantFrom('risk_score', 'ssvc', 'bod_26_04'),
        (v, a, model) => {
          const input = { vulnerability: vuln({ ...v, cvssVersion: v.cvssScore === null ? null : '3.1' }), asset: asset(a as Partial<A>) };
          const { factors: _f, ...full } = prioritise(policy({ model }), input);
          const { factors: _g, ...quick } = prioritise(policy({ model }), input, { explain: false });
          expect(quick).toEqual(full);
        },
      ),
      { numRuns: 500 },
    );
  });
});
