import { describe, expect, it } from 'vitest';
import { addDays, cycleForVersion, stateOf, upstreamVersion } from './cycles.js';
import type { EolCycle } from './dataset.js';
import { type AssetEolInput, evaluateAsset } from './evaluate.js';
import { builtByDistribution, identifyOs, PACKAGE_RULES, ruleFor } from './mapping.js';

const TODAY = '2026-11-23';
const c = (cycle: string, eol: EolCycle['eol'], extra: Partial<EolCycle> = {}): EolCycle => ({ cycle, codename: null, label: null, releaseDate: null, eol, extendedSupport: null, lts: null, latest: null, ...extra });

const PRODUCTS: Record<string, EolCycle[]> = {
  debian: [c('13', '2028-08-09', { codename: 'Trixie' }), c('12', '2026-07-11', { codename: 'Bookworm', extendedSupport: '2028-06-30' }), c('11', '2024-08-14', { codename: 'Bullseye', extendedSupport: '2026-08-31' })],
  ubuntu: [c('24.04', '2029-05-31', { codename: 'Noble Numbat' }), c('22.04', '2027-06-01', { codename: 'Jammy Jellyfish' })],
  rhel: [c('9', '2032-05-31'), c('8', '2029-05-31')],
  'rocky-linux': [c('9', '2032-05-31')],
  almalinux: [c('9', '2032-05-31')],
  'alpine-linux': [c('3.20', '2026-04-01'), c('3.19', '2025-11-01'), c('3.21', '2026-11-01'), c('3.22', addDays(TODAY, 90))],
  'windows-server': [c('2022', '2031-10-14'), c('2019', '2029-01-09'), c('2012-r2', '2023-10-10'), c('2012', '2023-10-10')],
  windows: [c('11-24h2-e', '2027-10-12'), c('11-24h2-w', '2026-10-13')],
  postgresql: [c('17', '2029-11-08'), c('15', '2027-11-11'), c('9.6', '2021-11-11'), c('11', '2023-11-09')],
  nginx: [c('1.30', false), c('1.22', '2023-10-24')],
  openssl: [c('3.0', '2026-09-07'), c('1.1.1', '2023-09-11')],
  nodejs: [c('22', '2027-04-30'), c('18', '2025-04-30'), c('3', true), c('1', true)],
  python: [c('3.11', '2027-10-31'), c('3.9', '2025-10-31')],
  'eclipse-temurin': [c('17', '2027-10-31'), c('8', '2030-12-31')],
  redis: [c('7.0', '2024-07-29'), c('8.10', false)],
  php: [c('8.2', addDays(TODAY, 91))],
};

const asset = (over: Partial<AssetEolInput> = {}): AssetEolInput => ({ os: {}, packages: [], networkExposure: 'internal', businessCriticality: 'medium', tags: [], ...over });

describe('states and dates', () => {
  it('eol dates, booleans and missing dates; exactly 90 days away is eol_soon, 91 is not', () => {
    expect(stateOf(true, TODAY)).toBe('unsupported');
    expect(stateOf(false, TODAY)).toBe('supported');
    expect(stateOf(null, TODAY)).toBe('unknown');
    expect(stateOf(undefined, TODAY)).toBe('unknown');
    expect(stateOf(TODAY, TODAY)).toBe('unsupported');
    expect(stateOf(addDays(TODAY, -1), TODAY)).toBe('unsupported');
    expect(stateOf(addDays(TODAY, 1), TODAY)).toBe('eol_soon');
    expect(stateOf(addDays(TODAY, 90), TODAY)).toBe('eol_soon');
    expect(stateOf(addDays(TODAY, 91), TODAY)).toBe('supported');
  });

  it('maps package versions to cycles: epoch and revision dropped, longest cycle, digit boundary', () => {
    expect(upstreamVersion('1:15.8-0+deb12u1')).toBe('15.8');
    expect(upstreamVersion('18.19.0+dfsg-6~deb12u2')).toBe('18.19.0+dfsg');
    expect(upstreamVersion('3.1.4-r5')).toBe('3.1.4');
    expect(upstreamVersion('7.0.14')).toBe('7.0.14');
    expect(cycleForVersion(PRODUCTS.postgresql as EolCycle[], upstreamVersion('1:15.8-0+deb12u1'))?.cycle).toBe('15');
    expect(cycleForVersion(PRODUCTS.postgresql as EolCycle[], '9.6.24')?.cycle).toBe('9.6');
    expect(cycleForVersion(PRODUCTS.openssl as EolCycle[], '1.1.1w')?.cycle).toBe('1.1.1');
    expect(cycleForVersion(PRODUCTS.nodejs as EolCycle[], '18.19.0+dfsg')?.cycle).toBe('18');
    // "18.19.0" must not be read as cycle 1, nor "30.1" as cycle 3.
    expect(cycleForVersion([c('1', true)], '18.19.0')).toBeNull();
    expect(cycleForVersion(PRODUCTS.nodejs as EolCycle[], '30.1.0')).toBeNull();
  });
});

describe('identifyOs', () => {
  it('prefers the inventory: codenames and VERSION_IDs', () => {
    expect(identifyOs(PRODUCTS, { distro: 'debian', release: 'bookworm', osName: 'Ubuntu', osVersion: '22.04' })).toMatchObject({ product: 'debian', cycle: { cycle: '12' }, detectedFrom: 'inventory: debian bookworm' });
    expect(identifyOs(PRODUCTS, { distro: 'debian', release: '12' })?.cycle?.cycle).toBe('12');
    expect(identifyOs(PRODUCTS, { distro: 'ubuntu', release: 'jammy' })?.cycle?.cycle).toBe('22.04');
    expect(identifyOs(PRODUCTS, { distro: 'ubuntu', release: '22.04' })?.cycle?.cycle).toBe('22.04');
    expect(identifyOs(PRODUCTS, { distro: 'rocky', release: '9.4' })).toMatchObject({ product: 'rocky-linux', cycle: { cycle: '9' } });
    expect(identifyOs(PRODUCTS, { distro: 'almalinux', release: '9' })?.cycle?.cycle).toBe('9');
    expect(identifyOs(PRODUCTS, { distro: 'rhel', release: '9.4' })?.cycle?.cycle).toBe('9');
    expect(identifyOs(PRODUCTS, { distro: 'alpine', release: '3.19.1' })).toMatchObject({ product: 'alpine-linux', cycle: { cycle: '3.19' } });
    expect(identifyOs(PRODUCTS, { distro: 'debian', release: 'sid' })).toMatchObject({ product: 'debian', cycle: null });
  });

  it('falls back to the register\'s OS name and version', () => {
    expect(identifyOs(PRODUCTS, { osName: 'Debian GNU/Linux', osVersion: '12' })?.cycle?.cycle).toBe('12');
    expect(identifyOs(PRODUCTS, { osName: 'Debian GNU/Linux 11 (bullseye)' })?.cycle?.cycle).toBe('11');
    expect(identifyOs(PRODUCTS, { osName: 'Ubuntu', osVersion: '22.04.3 LTS' })?.cycle?.cycle).toBe('22.04');
    expect(identifyOs(PRODUCTS, { osName: 'Red Hat Enterprise Linux', osVersion: '8.10' })).toMatchObject({ product: 'rhel', cycle: { cycle: '8' } });
    expect(identifyOs(PRODUCTS, { osName: 'Windows Server', osVersion: '2012 R2' })?.cycle?.cycle).toBe('2012-r2');
    expect(identifyOs(PRODUCTS, { osName: 'Windows Server', osVersion: '2019' })?.cycle?.cycle).toBe('2019');
    expect(identifyOs(PRODUCTS, { osName: 'Windows 11 Enterprise', osVersion: '24H2' })?.cycle?.cycle).toBe('11-24h2-e');
    expect(identifyOs(PRODUCTS, { osName: 'Junos OS', osVersion: '22.4R3' })).toBeNull();
    const more = { ...PRODUCTS, 'cisco-ios-xe': [c('17.9', '2025-07-31')], macos: [c('15', false, { codename: 'Sequoia' }), c('10.15', '2022-09-12')] };
    expect(identifyOs(more, { osName: 'Cisco IOS XE', osVersion: '17.9.5' })).toMatchObject({ product: 'cisco-ios-xe', cycle: { cycle: '17.9' } });
    expect(identifyOs(more, { osName: 'macOS', osVersion: '15.1' })).toMatchObject({ product: 'macos', cycle: { cycle: '15' } });
    expect(identifyOs(more, { osName: 'Mac OS X', osVersion: '10.15.7' })?.cycle?.cycle).toBe('10.15');
    expect(identifyOs(PRODUCTS, {})).toBeNull();
  });
});

describe('the package mapping table', () => {
  it('maps the server packages of deb, rpm and apk to products, and nothing else', () => {
    const product = (eco: string, name: string) => ruleFor(eco, name)?.rule.product ?? null;
    const cases: [string, string, string | null][] = [
      ['deb', 'nginx', 'nginx'], ['deb', 'nginx-core', 'nginx'], ['deb', 'nginx-common', null],
      ['deb', 'apache2', 'apache-http-server'], ['rpm', 'httpd', 'apache-http-server'], ['deb', 'apache2-utils', null],
      ['deb', 'openssl', 'openssl'], ['deb', 'libssl3', 'openssl'], ['deb', 'libssl1.1', 'openssl'], ['rpm', 'openssl-libs', 'openssl'], ['deb', 'libssl-dev', null],
      ['deb', 'postgresql-15', 'postgresql'], ['rpm', 'postgresql-server', 'postgresql'], ['rpm', 'postgresql16-server', 'postgresql'], ['apk', 'postgresql15', 'postgresql'], ['deb', 'postgresql-client-15', null],
      ['deb', 'mysql-server-8.0', 'mysql'], ['rpm', 'mysql-community-server', 'mysql'], ['deb', 'mariadb-server', 'mariadb'], ['deb', 'redis-server', 'redis'], ['rpm', 'mongodb-org-server', 'mongodb'],
      ['deb', 'python3.11', 'python'], ['deb', 'python3', 'python'], ['deb', 'python3-requests', null],
      ['deb', 'php8.2', 'php'], ['apk', 'php82', 'php'], ['deb', 'php8.2-fpm', 'php'], ['deb', 'php8.2-mysql', null],
      ['deb', 'nodejs', 'nodejs'], ['deb', 'ruby3.1', 'ruby'], ['deb', 'ruby-rack', null], ['deb', 'golang-1.19-go', 'go'], ['deb', 'golang-github-foo-dev', null],
      ['deb', 'openjdk-17-jre-headless', 'eclipse-temurin'], ['rpm', 'java-17-openjdk-headless', 'eclipse-temurin'], ['rpm', 'java-1.8.0-openjdk', 'eclipse-temurin'], ['apk', 'openjdk17-jre', 'eclipse-temurin'],
      ['deb', 'tomcat10', 'tomcat'], ['rpm', 'tomcat', 'tomcat'], ['deb', 'docker.io', 'docker-engine'], ['rpm', 'docker-ce', 'docker-engine'], ['rpm', 'moby-engine', 'docker-engine'],
      ['npm', 'nginx', null], ['pypi', 'redis', null], ['maven', 'tomcat', null],
    ];
    for (const [eco, name, want] of cases) expect(product(eco, name), `${eco} ${name}`).toBe(want);
    expect(ruleFor('deb', 'postgresql-9.6')?.cycleHint).toBe('9.6');
    expect(ruleFor('rpm', 'java-1.8.0-openjdk')?.cycleHint).toBe('8');
    // The prefixes go into SQL LIKE patterns: no wildcards of their own.
    for (const r of PACKAGE_RULES) expect(r.prefix, r.names.source).toMatch(/^[a-z0-9.-]+$/);
  });
});

describe('builtByDistribution', () => {
  const deb12 = { product: 'debian', cycle: '12' };
  it('recognises the release\'s own builds and not vendor or other-release builds', () => {
    expect(builtByDistribution(deb12, 'deb', '1:15.8-0+deb12u1')).toBe(true);
    expect(builtByDistribution(deb12, 'deb', '1.22.1-9')).toBe(true);
    expect(builtByDistribution(deb12, 'deb', '3.11.2-6+b1')).toBe(true);
    expect(builtByDistribution(deb12, 'deb', '1.1.1w-0+deb11u1')).toBe(false);
    expect(builtByDistribution(deb12, 'deb', '16.4-1.pgdg120+1')).toBe(false);
    expect(builtByDistribution(deb12, 'deb', '18.20.4-1nodesource1')).toBe(false);
    expect(builtByDistribution(deb12, 'deb', '1.26.2-1~bookworm')).toBe(false);
    expect(builtByDistribution(deb12, 'deb', '7.0.14')).toBe(false);
    expect(builtByDistribution({ product: 'ubuntu', cycle: '22.04' }, 'deb', '3.0.2-0ubuntu1.18')).toBe(true);
    expect(builtByDistribution({ product: 'rocky-linux', cycle: '9' }, 'rpm', '3.9.18-3.el9_4.5')).toBe(true);
    expect(builtByDistribution({ product: 'rhel', cycle: '9' }, 'rpm', '15.8-1PGDG.rhel9')).toBe(false);
    expect(builtByDistribution({ product: 'rhel', cycle: '8' }, 'rpm', '3.9.18-3.el9')).toBe(false);
    expect(builtByDistribution({ product: 'alpine-linux', cycle: '3.19' }, 'apk', '3.1.4-r5')).toBe(true);
  });
});

describe('evaluateAsset', () => {
  it('judges OS and software per product cycle, with the distribution\'s care for its own packages', () => {
    const r = evaluateAsset(PRODUCTS, asset({
      os: { distro: 'debian', release: 'bookworm' },
      packages: [
        { ecosystem: 'deb', name: 'postgresql-15', version: '1:15.8-0+deb12u1' },
        { ecosystem: 'deb', name: 'nodejs', version: '18.20.4-1nodesource1' },
        { ecosystem: 'deb', name: 'python3.11', version: '3.11.2-6+deb12u2' },
        { ecosystem: 'deb', name: 'python3', version: '3.11.2-1+b1' },
        { ecosystem: 'deb', name: 'openjdk-17-jre-headless', version: '17.0.12+7-2~deb12u1' },
        { ecosystem: 'deb', name: 'libc6', version: '2.36-9+deb12u8' },
        { ecosystem: 'npm', name: 'nodejs', version: '1.0.0' },
      ],
    }), TODAY);
    expect(r.os).toMatchObject({ product: 'debian', cycle: '12', codename: 'Bookworm', eol: '2026-07-11', state: 'unsupported', daysLeft: -135, extendedSupport: '2028-06-30' });
    const sw = Object.fromEntries(r.software.map((s) => [s.product, s]));
    expect(Object.keys(sw).sort()).toEqual(['eclipse-temurin', 'nodejs', 'postgresql', 'python']);
    expect(sw.postgresql).toMatchObject({ cycle: '15', eol: '2027-11-11', state: 'supported', coveredBy: 'debian 12', effectiveState: 'unsupported', packages: ['postgresql-15 1:15.8-0+deb12u1'] });
    expect(sw.python).toMatchObject({ cycle: '3.11', packages: ['python3 3.11.2-1+b1', 'python3.11 3.11.2-6+deb12u2'] });
    expect(sw.nodejs).toMatchObject({ cycle: '18', state: 'unsupported', coveredBy: null, effectiveState: 'unsupported' });
    expect(sw['eclipse-temurin']).toMatchObject({ cycle: '17', state: 'supported' });
    expect(r.state).toBe('unsupported');
    // OS past regular support but inside Debian LTS: medium, plus vendor nodejs 18 unsupported: medium.
    expect(r.risk).toBe('medium');
    expect(r.riskReason).toContain('unsupported software: nodejs 18');
    expect(r.unsupportedFrom).toBe('2025-04-30');
  });

  it('risk: no fixes at all is high, critical when internet-facing; eol_soon is low; all supported is none', () => {
    const bullseyeLate = evaluateAsset({ ...PRODUCTS, debian: [c('11', '2024-08-14', { extendedSupport: '2026-08-31' })] }, asset({ os: { distro: 'debian', release: '11' } }), TODAY);
    expect(bullseyeLate).toMatchObject({ state: 'unsupported', risk: 'high' });
    expect(evaluateAsset(PRODUCTS, asset({ os: { osName: 'Windows Server', osVersion: '2012 R2' }, networkExposure: 'internet_facing' }), TODAY)).toMatchObject({ state: 'unsupported', risk: 'critical' });
    expect(evaluateAsset(PRODUCTS, asset({ os: { distro: 'alpine', release: '3.22' } }), TODAY)).toMatchObject({ state: 'eol_soon', risk: 'low', validUntil: addDays(TODAY, 90) });
    const fine = evaluateAsset(PRODUCTS, asset({ os: { distro: 'rocky', release: '9.4' }, packages: [{ ecosystem: 'rpm', name: 'nginx', version: '1:1.30.1-1.el9' }] }), TODAY);
    expect(fine).toMatchObject({ state: 'supported', risk: 'none', unsupportedFrom: '2032-05-31' });
    expect(fine.software[0]).toMatchObject({ product: 'nginx', cycle: '1.30', eol: false, coveredBy: 'rocky-linux 9', daysLeft: null });
  });

  it('unknown: nothing recognised; unknown cycles are listed but do not decide', () => {
    expect(evaluateAsset(PRODUCTS, asset({ os: { osName: 'Junos OS', osVersion: '22.4R3' } }), TODAY)).toMatchObject({ state: 'unknown', risk: 'unknown', os: null, software: [], unsupportedFrom: null, validUntil: null });
    const r = evaluateAsset(PRODUCTS, asset({ os: { distro: 'rocky', release: '9' }, packages: [{ ecosystem: 'rpm', name: 'nodejs', version: '99.1.0-1' }] }), TODAY);
    expect(r.software[0]).toMatchObject({ product: 'nodejs', cycle: null, state: 'unknown', effectiveState: 'unknown' });
    expect(r.state).toBe('supported');
    // Software known but the OS not: at least low.
    expect(evaluateAsset(PRODUCTS, asset({ packages: [{ ecosystem: 'apk', name: 'redis', version: '8.10.1-r0' }] }), TODAY)).toMatchObject({ state: 'supported', risk: 'low' });
  });

  it('eol: true without a date is unsupported from today; the same cycle from two builds stays apart', () => {
    const r = evaluateAsset(PRODUCTS, asset({ os: { distro: 'debian', release: 'trixie' }, packages: [{ ecosystem: 'deb', name: 'nodejs', version: '3.3.1-1' }, { ecosystem: 'deb', name: 'redis-server', version: '5:7.0.15-1~deb12u1' }, { ecosystem: 'deb', name: 'redis-server', version: '5:7.0.15-1' }] }), TODAY);
    expect(r.software.find((s) => s.product === 'nodejs')).toMatchObject({ cycle: '3', eol: true, state: 'unsupported', coveredBy: 'debian 13', effectiveState: 'supported' });
    const redis = r.software.filter((s) => s.product === 'redis');
    // A bookworm build on a trixie host is not trixie's own.
    expect(redis.map((s) => [s.coveredBy, s.effectiveState])).toEqual([[null, 'unsupported'], ['debian 13', 'supported']]);
    expect(r.unsupportedFrom).toBe('2024-07-29');
    const flagOnly = evaluateAsset({ nodejs: [c('3', true)] }, asset({ packages: [{ ecosystem: 'deb', name: 'nodejs', version: '3.3.1' }] }), TODAY);
    expect(flagOnly.unsupportedFrom).toBe(TODAY);
  });
});
