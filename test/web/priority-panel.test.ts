import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { PriorityExplanation } from '../../web/src/policy/api.js';

// The router listens to the browser's history when it loads; a stand-in is enough to render markup.
(globalThis as { window?: unknown }).window ??= { addEventListener: () => {} };
const { Explanation } = await import('../../web/src/components/PriorityPanel.js');

/**
 * The priority panel's states as the finding page renders them (the API
 * round trip and a real explanation are in test/browser/policy.test.ts):
 * an up-to-date emergency, a stale evaluation, an extension and an exception,
 * and a finding not prioritised yet.
 */
const base: PriorityExplanation = {
  findingId: '42',
  status: 'open',
  stored: {
    priority: 'critical', score: 9.9, decision: null, emergency: true, slaDays: 3, slaStart: '2026-10-01T00:00:00.000Z', classSince: '2026-10-01T00:00:00.000Z',
    dueAt: '2026-10-04T00:00:00.000Z', extendedDueAt: null, exceptionId: null, policyVersion: 2, prioritisedAt: '2026-10-01T00:01:00.000Z', slaState: 'overdue', elapsedPercent: 250,
  },
  current: {
    policyVersion: 2, model: 'risk_score', modelLabel: 'Risk score (CVSS adjusted by threat and business context)', priority: 'critical', score: 9.9, decision: null, emergency: true, slaDays: 3,
    factors: [
      { factor: 'CVSS base score', value: '9.8 (v3.1)', effect: 'starting point', points: 9.8 },
      { factor: 'Emergency (policy)', value: 'yes', effect: 'known exploited on a internet facing asset: class critical, due within 3 days' },
    ],
    upToDate: true,
  },
  history: [
    { at: '2026-10-01T00:01:00.000Z', policyVersion: 1, priority: 'high', previousPriority: null, emergency: false, dueAt: '2026-10-31T00:00:00.000Z', previousDueAt: null, basis: 'initial', trigger: 'policy version 1' },
    { at: '2026-10-02T00:00:00.000Z', policyVersion: 2, priority: 'critical', previousPriority: 'high', emergency: true, dueAt: '2026-10-04T00:00:00.000Z', previousDueAt: '2026-10-31T00:00:00.000Z', basis: 'raised', trigger: 'KEV feed' },
  ],
};
const render = (x: PriorityExplanation) => renderToStaticMarkup(createElement(Explanation, { x }));
const text = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim();

describe('PriorityPanel', () => {
  it('an overdue emergency: class, flag, due date, elapsed share, version, factors and history', () => {
    const html = render(base);
    const t = text(html);
    expect(html).toContain('class="prio prio-critical"');
    expect(t).toContain('EMERGENCY');
    expect(html).toContain('dateTime="2026-10-04T00:00:00.000Z"');
    expect(t).toContain('Overdue');
    expect(t).toContain('250 % (past due) of 3 days');
    expect(html).toContain('href="/policy/history?version=2"');
    expect(t).toContain('CVSS base score 9.8 (v3.1) starting point');
    expect(t).not.toContain('Priority fell');
    expect(t).toContain('High → Critical');
    expect(t).toContain('Priority rose: the stricter SLA counts from the change');
    expect(t).toContain('KEV feed');
    expect(t).not.toContain('re-prioritisation is queued');
    expect(t).not.toContain('SLA extension');
  });

  it('says when the inputs changed since the evaluation, and what the next one makes of it', () => {
    const t = text(render({ ...base, current: { ...base.current, priority: 'high', emergency: false, slaDays: 30, upToDate: false } }));
    expect(t).toContain('a re-prioritisation is queued. Under policy version 2 it will be High with an SLA of 30 days.');
  });

  it('shows an approved extension and a covering exception', () => {
    const t = text(render({ ...base, stored: { ...base.stored, extendedDueAt: '2026-11-01T00:00:00.000Z', exceptionId: '6c0b8a4e-1111-4222-8333-444455556666', slaState: 'excepted' } }));
    expect(t).toContain('An approved SLA extension (INC-3) moved the due date to');
    expect(t).toContain('Covered by an approved risk exception');
    expect(t).toContain('Excepted');
  });

  it('a finding not evaluated yet says so and what the policy would make of it', () => {
    const t = text(render({ ...base, stored: { ...base.stored, priority: null, dueAt: null, slaState: null, elapsedPercent: null, policyVersion: null }, history: [] }));
    expect(t).toContain('Not prioritised yet');
    expect(t).toContain('would make it Critical');
    expect(t).toContain('No priority changes recorded yet.');
  });
});
