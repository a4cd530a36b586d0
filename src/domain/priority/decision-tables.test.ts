import { describe, expect, it } from 'vitest';
import { bod2604Tier, ssvcDecision } from './decision-tables.js';

// BOD 26-04's decision table row by row (CISA, 10 June 2026; CERTCC/SSVC "CISA BOD 26-04" 1.0.0):
// in KEV, publicly exposed, automatable, total technical impact → tier.
const BOD: [string, string, string, string, string][] = [
  ['N', 'N', 'N', 'P', 'FSU'],
  ['Y', 'N', 'N', 'P', '14D'],
  ['N', 'Y', 'N', 'P', '60D'],
  ['N', 'N', 'Y', 'P', '60D'],
  ['N', 'N', 'N', 'T', 'FSU'],
  ['Y', 'Y', 'N', 'P', '14D'],
  ['Y', 'N', 'Y', 'P', '14D'],
  ['N', 'Y', 'Y', 'P', '14D'],
  ['Y', 'N', 'N', 'T', '14D'],
  ['N', 'Y', 'N', 'T', '14D'],
  ['N', 'N', 'Y', 'T', '60D'],
  ['Y', 'Y', 'Y', 'P', '3D'],
  ['Y', 'Y', 'N', 'T', '3DF'],
  ['Y', 'N', 'Y', 'T', '3DF'],
  ['N', 'Y', 'Y', 'T', '3D'],
  ['Y', 'Y', 'Y', 'T', '3DF'],
];

describe('BOD 26-04 decision table', () => {
  it.each(BOD)('KEV %s, exposed %s, automatable %s, impact %s → %s', (kev, ae, a, ti, tier) => {
    expect(bod2604Tier(kev === 'Y', ae === 'Y', a === 'Y', ti === 'T')).toBe(tier);
  });

  it('covers all sixteen combinations, and the summary in standards.md', () => {
    expect(new Set(BOD.map((r) => r.slice(0, 4).join(''))).size).toBe(16);
    // "none → FSU; KEV only → 14D; exposed only or automatable only → 60D; total impact only → FSU"
    expect(bod2604Tier(false, false, false, false)).toBe('FSU');
    expect(bod2604Tier(true, false, false, false)).toBe('14D');
    expect(bod2604Tier(false, true, false, false)).toBe('60D');
    expect(bod2604Tier(false, false, true, false)).toBe('60D');
    expect(bod2604Tier(false, false, false, true)).toBe('FSU');
  });
});

// CISA's SSVC coordinator table 2.0.3: exploitation, automatable, technical impact, mission & well-being → decision.
const SSVC = `
none n partial low track | none n partial medium track | none n partial high track
none n total low track | none n total medium track | none n total high track_star
none y partial low track | none y partial medium track | none y partial high attend
none y total low track | none y total medium track | none y total high attend
poc n partial low track | poc n partial medium track | poc n partial high track_star
poc n total low track | poc n total medium track_star | poc n total high attend
poc y partial low track | poc y partial medium track | poc y partial high attend
poc y total low track | poc y total medium track_star | poc y total high attend
active n partial low track | active n partial medium track | active n partial high attend
active n total low track | active n total medium attend | active n total high act
active y partial low attend | active y partial medium attend | active y partial high act
active y total low attend | active y total medium act | active y total high act`
  .split(/[|\n]/)
  .map((s) => s.trim())
  .filter(Boolean)
  .map((s) => s.split(' ') as [string, string, string, string, string]);

describe('SSVC coordinator decision table', () => {
  it('has the 36 rows', () => expect(SSVC).toHaveLength(36));
  it.each(SSVC)('exploitation %s, automatable %s, impact %s, mission %s → %s', (e, a, ti, mwi, out) => {
    expect(ssvcDecision(e as 'none', a === 'y', ti === 'total', mwi as 'low')).toBe(out);
  });
});
