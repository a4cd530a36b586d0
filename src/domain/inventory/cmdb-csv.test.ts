import { describe, expect, it } from 'vitest';
import { type AssetRef, type CurrentInventory, CsvFileError, detectDelimiter, hostFinder, planImport, readCsv, resolveMapping } from './cmdb-csv.js';

// INV-3: the CMDB/CSV import, without a database.
const web: AssetRef = { id: '00000000-0000-4000-8000-000000000001', hostname: 'web-01', fqdn: 'web-01.example.org', ipAddresses: ['192.0.2.10', '2001:DB8::10'], lifecycle: 'active' };
const old: AssetRef = { id: '00000000-0000-4000-8000-000000000002', hostname: 'old-01', fqdn: null, ipAddresses: ['192.0.2.10'], lifecycle: 'decommissioned' };
const find = hostFinder([web, old]);

describe('reading the file', () => {
  it('detects the delimiter from the header line, ignoring quoted ones', () => {
    expect(detectDelimiter('a,b,c\n1;2;3;4;5')).toBe(',');
    expect(detectDelimiter('"a,1";"b,2";c\n')).toBe(';');
    expect(detectDelimiter('a\tb\n')).toBe('\t');
    expect(detectDelimiter('single\n')).toBe(',');
  });

  it('numbers rows as a spreadsheet does (header = row 1) and names broken lines', () => {
    // A spreadsheet's empty rows (",") keep their number and are left out.
    const t = readCsv('\uFEFFHost,Name\n\nweb-01,curl\n,\n"web-01","multi\nline"\n , \n');
    expect(t.header).toEqual(['Host', 'Name']);
    expect(t.rows.map((r) => r.row)).toEqual([2, 4]);
    expect(() => readCsv('a,b\n1,2\n3\n')).toThrow(CsvFileError);
    expect(() => readCsv('a,b\n1,2\n3\n')).toThrow(/^line 3: is not valid CSV: Invalid Record Length/);
    expect(() => readCsv('a,b\n1,"2\n3,4\n')).toThrow('line 2: is not valid CSV: the quoted cell opened on line 2 is never closed (Quote Not Closed)');
    expect(() => readCsv('')).toThrow('file: is empty');
    expect(() => readCsv('a,b\n1,2\n3,4\n5,6\n', 2)).toThrow('file: has more than 2 rows');
  });
});

describe('the column mapping', () => {
  const header = ['CI Name', 'Software', 'Version', 'Version'];
  it('finds columns exactly, then loosely, and names what it cannot find', () => {
    expect(resolveMapping(header, { host: 'ci_name', name: 'Software', version: 'version' }, { hostRequired: true })).toEqual({
      columns: { host: 0, name: 1 },
      problems: [{ field: 'body.mapping.version', message: 'column "version" appears 2 times in the header (columns 3, 4)' }],
    });
    const r = resolveMapping(header, { host: 'Host', purl: 'purl' }, { hostRequired: true });
    expect(r.problems.map((p) => p.field)).toEqual(['body.mapping.host', 'body.mapping.purl']);
    expect(resolveMapping(header, { name: 'Software' }, { hostRequired: false }).problems).toEqual([{ field: 'body.mapping.version', message: 'is required unless a purl column is mapped' }]);
  });
});

describe('finding hosts', () => {
  it('by id, FQDN, host name or address, case-insensitively; decommissioned assets are named as such', () => {
    expect(find(web.id.toUpperCase(), 'auto')).toBe(web);
    expect(find('WEB-01.example.org', 'auto')).toBe(web);
    expect(find('web-01', 'auto')).toBe(web);
    expect(find('2001:db8::10', 'auto')).toBe(web);
    // The active asset wins over a decommissioned one with the same address.
    expect(find('192.0.2.10', 'auto')).toBe(web);
    expect(find('old-01', 'auto')).toBe('asset "old-01" is decommissioned (INV-4): reactivate it to change its inventory');
    expect(find('web-01', 'fqdn')).toBe('no active asset has the FQDN "web-01"');
  });
});

describe('planning', () => {
  const current: CurrentInventory = {
    release: 'bookworm',
    distro: 'debian',
    packages: [
      { ecosystem: 'deb', name: 'curl', version: '7.88.1-10+deb12u8', arch: 'amd64', sourceName: 'curl', sourceVersion: '7.88.1-10+deb12u8' },
      { ecosystem: 'npm', name: 'lodash', version: '4.17.20', arch: '', sourceName: 'lodash', sourceVersion: '4.17.20' },
    ],
  };
  const table = readCsv('host,name,version,arch\nweb-01,curl,7.88.1-10+deb12u9,\nweb-01,bash,5.2.15-2+b2,amd64\n');
  const columns = resolveMapping(table.header, { host: 'host', name: 'name', version: 'version', arch: 'arch' }, { hostRequired: true }).columns;
  const names = (pkgs: { name: string; version: string; arch: string; ecosystem?: string }[]) => pkgs.map((p) => `${p.ecosystem ?? '-'} ${p.name}${p.arch ? `:${p.arch}` : ''} ${p.version}`).sort();

  it('replace: the deb packages are the file\'s, the npm ones stay', () => {
    const r = planImport(table, find, new Map([[web.id, current]]), { columns, hostMatch: 'auto', mode: 'replace', source: 'cmdb' });
    expect(r.problems).toEqual([]);
    const [plan] = r.plans;
    expect(plan?.inventory).toMatchObject({ ecosystem: 'deb', release: 'bookworm', source: 'cmdb' });
    expect(names(plan?.inventory.packages ?? [])).toEqual(['- bash:amd64 5.2.15-2+b2', '- curl 7.88.1-10+deb12u9', 'npm lodash 4.17.20']);
    expect(plan).toMatchObject({ rows: 2, added: 2, removed: 1, unchanged: false });
    expect(plan?.rowOf).toEqual([0, 2, 3]);
  });

  it('merge: a row without an architecture updates the package of any architecture', () => {
    const r = planImport(table, find, new Map([[web.id, current]]), { columns, hostMatch: 'auto', mode: 'merge', source: 'cmdb' });
    expect(names(r.plans[0]?.inventory.packages ?? [])).toEqual(['- bash:amd64 5.2.15-2+b2', '- curl 7.88.1-10+deb12u9', 'npm lodash 4.17.20']);
  });

  it('an asset without an inventory takes its ecosystem from its packages and needs a release', () => {
    const rpm = readCsv('host,name,version\nweb-01,openssl,1:3.0.7-28.el9_4\n');
    const cols = resolveMapping(rpm.header, { host: 'host', name: 'name', version: 'version' }, { hostRequired: true }).columns;
    const opts = { columns: cols, hostMatch: 'auto' as const, mode: 'replace' as const, source: 'cmdb', ecosystem: 'rpm' as const };
    expect(planImport(rpm, find, new Map(), opts).problems).toEqual([{ field: 'row 2, column host', message: 'asset "web-01" has no inventory yet: give its release (the release option or a release column)' }]);
    const r = planImport(rpm, find, new Map(), { ...opts, release: '9.4', distro: 'rocky' });
    expect(r.plans[0]?.inventory).toEqual({ ecosystem: 'rpm', distro: 'rocky', release: '9.4', source: 'cmdb', packages: [{ name: 'openssl', version: '1:3.0.7-28.el9_4', arch: '' }] });
  });

  it('an exact duplicate row is one package; a release column must agree for a host', () => {
    const t = readCsv('host,name,version,rel\nweb-01,curl,1.0-1,bookworm\nweb-01,curl,1.0-1,bookworm\nweb-01,bash,5.2,trixie\n');
    const cols = resolveMapping(t.header, { host: 'host', name: 'name', version: 'version', release: 'rel' }, { hostRequired: true }).columns;
    const r = planImport(t, find, new Map(), { columns: cols, hostMatch: 'auto', mode: 'replace', source: 'cmdb' });
    expect(r.problems).toEqual([{ field: 'row 4, column rel', message: 'is "trixie" but row 2 gives "bookworm" for the same host' }]);
  });
});
