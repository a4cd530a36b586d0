import { describe, expect, it } from 'vitest';
import { parseOsRelease } from './facts.js';
import { chooseDatabase, releaseOf } from './index.js';

describe('release key', () => {
  it.each([
    ['ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm', 'bookworm'],
    ['ID=debian\nVERSION_CODENAME=trixie', 'trixie'],
    ['ID=debian\nVERSION_ID="8"\nVERSION="8 (jessie)"', 'jessie'],
    ['ID=raspbian\nID_LIKE=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm', 'bookworm'],
    // The matching engine keys Ubuntu by VERSION_ID (OSV "Ubuntu:22.04:LTS"), not by codename.
    ['ID=ubuntu\nID_LIKE=debian\nVERSION_ID="22.04"\nVERSION_CODENAME=jammy', '22.04'],
    ['ID=alpine\nVERSION_ID=3.19.1', '3.19.1'],
    ['ID="rocky"\nVERSION_ID="9.4"', '9.4'],
  ])('%j → %s', (text, release) => {
    expect(releaseOf(parseOsRelease(text))).toBe(release);
  });

  it('refuses an os-release without a usable release', () => {
    expect(() => releaseOf(parseOsRelease('ID=arch\nBUILD_ID=rolling'))).toThrow(/os-release of arch names no usable release/);
    expect(() => releaseOf(parseOsRelease('ID=x\nVERSION_ID="9 beta"'))).toThrow(/no usable release/);
  });
});

describe('choice of package database', () => {
  it("takes the distribution's own database, else the only one present", () => {
    expect(chooseDatabase('rpm', ['dpkg', 'rpm'], '/r')).toBe('rpm');
    expect(chooseDatabase('deb', ['dpkg', 'rpm'], '/r')).toBe('dpkg');
    expect(chooseDatabase('deb', ['apk'], '/r')).toBe('apk');
    expect(chooseDatabase(null, ['rpm'], '/r')).toBe('rpm');
    expect(() => chooseDatabase(null, ['dpkg', 'rpm'], '/r')).toThrow('/r: the distribution does not say which package database is its own, and there are several: dpkg, rpm');
    expect(() => chooseDatabase('apk', [], '/r')).toThrow(/\/r: no package database found/);
  });
});
