import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { Permission } from '../../src/domain/auth/roles.js';
import { VEX_JUSTIFICATIONS } from '../../src/domain/scanners/report.js';
import { SessionContext } from '../../web/src/components.js';
import { JUSTIFICATION_LABELS, ValidationPanel, type ValidationPanelProps } from '../../web/src/components/ValidationPanel.js';

/**
 * The validation panel's states, rendered as the browser would first show
 * them (FindingDetail mounts it; the API round trips are in
 * test/api/finding-validation.test.ts): what a reviewer may do on an open
 * or a marked finding, and what a reader sees.
 */
function render(finding: ValidationPanelProps['finding'], permissions: Permission[]): string {
  const session = {
    me: { user: null, principal: { kind: 'user' as const, name: 'tester', role: 'security_analyst', permissions }, csrfToken: 'csrf' },
    can: (p: Permission) => permissions.includes(p),
    signOut: async () => {},
  };
  return renderToStaticMarkup(createElement(SessionContext.Provider, { value: session }, createElement(ValidationPanel, { finding, onChanged: () => {} })));
}
const text = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim();

describe('ValidationPanel', () => {
  it('an open finding and a reviewer: the mark form with the five VEX justifications and a bounded reason', () => {
    const html = render({ id: '42', status: 'open', validation: null }, ['asset:read', 'finding:validate']);
    expect(text(html)).toContain('Not marked: the finding is open.');
    expect(html).toContain('Mark this finding');
    const options = [...html.matchAll(/<option value="([a-z_]+)">([^<]+)<\/option>/g)].map((m) => [m[1], m[2]]);
    expect(options).toEqual(VEX_JUSTIFICATIONS.map((j) => [j, JUSTIFICATION_LABELS[j]]));
    expect(html).toMatch(/<textarea[^>]*maxLength="2000"/);
    expect(html).toMatch(/<button type="submit" class="primary" disabled="">Mark false positive<\/button>/);
    expect(html).not.toContain('Lift the mark');
    expect(html).toContain('role="status"');
  });

  it('a marked finding: the decision, justification, reason, reviewer and time; a reviewer may lift it', () => {
    const validation = { status: 'not_affected', justification: 'vulnerable_code_not_in_execute_path', reason: 'the module is not loaded', reviewer: { id: null, name: 'alice' }, at: '2026-12-03T10:00:00.000Z' };
    const html = render({ id: '42', status: 'not_affected', validation }, ['asset:read', 'finding:validate']);
    const t = text(html);
    expect(t).toContain('Marked Not affected');
    expect(t).toContain('Justification Vulnerable code not in execute path');
    expect(t).toContain('Reason the module is not loaded');
    expect(t).toContain('Reviewer alice');
    expect(html).toContain('dateTime="2026-12-03T10:00:00.000Z"');
    expect(html).toContain('Lift the mark');
    expect(html).not.toContain('Mark this finding');
  });

  it('a reader sees the mark and no form', () => {
    const validation = { status: 'false_positive', justification: null, reason: 'banner misread', reviewer: 'bob', at: '2026-12-03T10:00:00.000Z' };
    const marked = render({ id: '7', status: 'false_positive', validation }, ['asset:read']);
    expect(text(marked)).toContain('Marked False positive');
    expect(text(marked)).toContain('Reviewer bob');
    expect(marked).not.toContain('<form');
    const open = render({ id: '7', status: 'open' }, ['asset:read']);
    expect(open).not.toContain('<form');
    expect(text(open)).toContain('needs the finding:validate permission');
    expect(text(render({ id: '7', status: 'resolved' }, ['finding:validate']))).toContain('Only open findings can be marked; this one is resolved.');
  });
});
