import { describe, expect, it } from 'vitest';
import { parseRpmQuery, parseSourceRpm } from './rpm.js';

describe('rpm query output', () => {
  it('splits source RPM names at the last two hyphens', () => {
    expect(parseSourceRpm('openssl-3.0.7-27.el9.src.rpm')).toEqual({ name: 'openssl', version: '3.0.7', release: '27.el9' });
    expect(parseSourceRpm('python-pip-21.3.1-1.el9.nosrc.rpm')).toEqual({ name: 'python-pip', version: '21.3.1', release: '1.el9' });
    expect(parseSourceRpm('garbage.rpm')).toBeNull();
  });

  it('writes [epoch:]version-release (no epoch when unset or 0), gives the source the epoch, skips gpg-pubkey', () => {
    const out = [
      'vim-enhanced\t2\t8.2.2637\t20.el9_1\tx86_64\tvim-8.2.2637-20.el9_1.src.rpm',
      'bash\t(none)\t5.1.8\t9.el9\tx86_64\tbash-5.1.8-9.el9.src.rpm',
      'tzdata\t0\t2024a\t1.el9\tnoarch\ttzdata-2024a-1.el9.src.rpm',
      'gpg-pubkey\t(none)\t350d275d\t6279464b\t(none)\t(none)',
      'odd\t(none)\t1\t1\tx86_64\tnot-a-source-name',
      '',
    ].join('\n');
    const r = parseRpmQuery(out);
    expect(r.packages).toEqual([
      { name: 'vim-enhanced', version: '2:8.2.2637-20.el9_1', arch: 'x86_64', sourceName: 'vim', sourceVersion: '2:8.2.2637-20.el9_1' },
      { name: 'bash', version: '5.1.8-9.el9', arch: 'x86_64', sourceName: 'bash', sourceVersion: '5.1.8-9.el9' },
      { name: 'tzdata', version: '2024a-1.el9', arch: 'noarch', sourceName: 'tzdata', sourceVersion: '2024a-1.el9' },
      { name: 'odd', version: '1-1', arch: 'x86_64' },
    ]);
    expect(r.warnings).toEqual(['odd: source RPM "not-a-source-name" is not name-version-release.src.rpm; matched by its own name']);
  });

  it('names the line of output it cannot read', () => {
    expect(() => parseRpmQuery('bash\t(none)\t5.1.8\t9.el9\tx86_64\tbash-5.1.8-9.el9.src.rpm\nbroken line\n')).toThrow(/line 2: expected 6 tab-separated fields, got "broken line"/);
  });
});
