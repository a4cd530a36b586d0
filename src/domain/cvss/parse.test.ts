// Vector string rules of the CVSS v2.0 guide (section 2.4), v3.0/v3.1
// specifications (section 6) and v4.0 specification (section 7).
import { describe, expect, it } from 'vitest';
import { CvssError, parseCvss } from './index.js';

const V31 = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H';
const V40 = 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N';

function rejects(vector: string, message: RegExp) {
  expect(() => parseCvss(vector)).toThrow(CvssError);
  expect(() => parseCvss(vector)).toThrow(message);
}

describe('parseCvss: version detection', () => {
  it('detects each version from its prefix', () => {
    expect(parseCvss(V40).version).toBe('4.0');
    expect(parseCvss(V31).version).toBe('3.1');
    expect(parseCvss(V31.replace('3.1', '3.0')).version).toBe('3.0');
    expect(parseCvss('AV:N/AC:L/Au:N/C:P/I:P/A:P').version).toBe('2.0');
  });
  it('accepts the parenthesised v2 form and strips the parentheses', () => {
    const parsed = parseCvss('(AV:N/AC:L/Au:N/C:P/I:P/A:P)');
    expect(parsed.version).toBe('2.0');
    expect(parsed.vector).toBe('AV:N/AC:L/Au:N/C:P/I:P/A:P');
    rejects('(AV:N/AC:L/Au:N/C:P/I:P/A:P', /Unbalanced parentheses/);
  });
  it('returns metrics in input order and the base vector in specification order', () => {
    const parsed = parseCvss('CVSS:3.1/S:C/AV:N/AC:L/PR:N/UI:N/C:H/I:H/A:H/E:P');
    expect(Object.keys(parsed.metrics)).toEqual(['S', 'AV', 'AC', 'PR', 'UI', 'C', 'I', 'A', 'E']);
    expect(parsed.baseVector).toBe('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H');
    expect(parseCvss(`${V40}/E:A/MSI:S/U:Amber`).metrics).toMatchObject({ E: 'A', MSI: 'S', U: 'Amber' });
  });
  it('trims surrounding whitespace', () => {
    expect(parseCvss(`  ${V31}\n`).vector).toBe(V31);
  });
  it('rejects unsupported prefixes and non-vectors', () => {
    rejects('CVSS:3.2/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', /Unsupported CVSS version prefix "CVSS:3.2"/);
    rejects('CVSS:2.0/AV:N/AC:L/Au:N/C:P/I:P/A:P', /Unsupported CVSS version prefix/);
    rejects('', /empty/);
    rejects('   ', /empty/);
    rejects('CVSS:3.1/', /has no metrics/);
    rejects('hello', /not of the form METRIC:VALUE/);
  });
  it('names a v3 vector whose prefix is missing', () => {
    rejects('AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', /v3 vector without its mandatory CVSS:3\.0\/ or CVSS:3\.1\/ prefix/);
  });
});

describe('parseCvss: malformed vectors', () => {
  it('rejects an unknown metric', () => {
    rejects(`${V31}/ZZ:L`, /Unknown CVSS v3\.1 metric "ZZ"/);
    rejects(`${V40}/MS:X`, /Unknown CVSS v4\.0 metric "MS"/); // v3's Modified Scope does not exist in v4
    rejects('AV:N/AC:L/Au:N/C:P/I:P/A:P/MAV:N', /Unknown CVSS v2\.0 metric "MAV"/);
  });
  it('rejects a duplicate metric', () => {
    rejects(`${V31}/A:L`, /Duplicate CVSS v3\.1 metric "A" \(Availability\)/);
    rejects('CVSS:4.0/AV:N/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', /Duplicate CVSS v4\.0 metric "AV"/);
  });
  it('rejects a missing mandatory base metric, naming every missing one', () => {
    rejects('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H', /Missing mandatory CVSS v3\.1 base metric: A \(Availability\)/);
    rejects('CVSS:4.0/AV:N/AC:L/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N', /base metrics: AT \(Attack Requirements\), SA \(/);
    rejects('AV:N/AC:L/Au:N/C:P/I:P', /Missing mandatory CVSS v2\.0 base metric: A /);
  });
  it('rejects a bad value, listing the allowed ones', () => {
    rejects('CVSS:3.1/AV:Q/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', /Invalid value "Q" for CVSS v3\.1 metric AV \(Attack Vector\): expected one of N, A, L, P/);
    rejects('CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', /Invalid value "X" for CVSS v3\.1 metric AV/); // base metrics have no Not Defined
    rejects('CVSS:3.0/AV:N/AC:L/PR:N/UI:P/S:U/C:H/I:H/A:H', /metric UI/); // UI:P is v4 only
    rejects('CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:S/SA:N', /metric SI/); // S only for MSI/MSA
    rejects('AV:N/AC:L/Au:N/C:P/I:P/A:P/E:X', /Invalid value "X" for CVSS v2\.0 metric E/); // v2 uses ND
    rejects('CVSS:3.1/AV:n/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', /Invalid value "n"/); // case-sensitive
  });
  it('rejects components that are not METRIC:VALUE', () => {
    rejects(`${V31}/`, /component 9 "" is not of the form METRIC:VALUE/);
    rejects('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H:H', /"A:H:H" is not of the form/);
    rejects('CVSS:3.1/AV:N//AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', /component 2 ""/);
    rejects('CVSS:3.1/AV: N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', /"AV: N"/);
  });
});

describe('parseCvss: metric order, per specification', () => {
  it('v3.0 and v3.1 accept any order ("Metrics can be specified in any order")', () => {
    const shuffled = 'A:H/I:H/C:H/S:U/UI:N/PR:N/AC:L/AV:N';
    expect(parseCvss(`CVSS:3.1/${shuffled}`).baseVector).toBe(V31);
    expect(parseCvss(`CVSS:3.0/E:U/${shuffled}`).version).toBe('3.0');
  });
  it('v4.0 requires the order of table 23', () => {
    rejects(
      'CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:H/SC:N/VI:H/SI:N/VA:H/SA:N',
      /CVSS v4\.0 metric "VI" is out of order: the specification requires it before "SC"/,
    );
    rejects(`CVSS:4.0/E:A/${V40.slice('CVSS:4.0/'.length)}`, /metric "AV" is out of order/);
    expect(parseCvss(`${V40}/E:U/CR:H/MAV:L/S:P/U:Red`).version).toBe('4.0');
    rejects(`${V40}/U:Red/S:P`, /metric "S" is out of order/);
  });
  it('v2.0 requires its predetermined order', () => {
    rejects('AC:L/AV:N/Au:N/C:P/I:P/A:P', /CVSS v2\.0 metric "AV" is out of order/);
    expect(parseCvss('AV:N/AC:L/Au:N/C:P/I:P/A:P/E:POC/RL:OF/RC:C/CDP:LM/TD:H/CR:M/IR:M/AR:H').metrics.CDP).toBe('LM');
    rejects('AV:N/AC:L/Au:N/C:P/I:P/A:P/RL:OF/E:POC', /"E" is out of order/);
  });
});
