import { describe, expect, it } from 'vitest';
import { fqdnFrom, hostAddresses, osFamily, parseOsRelease } from './facts.js';

describe('os-release', () => {
  it('reads quoted, single-quoted and unquoted values with shell escapes, ignoring comments and junk', () => {
    const osr = parseOsRelease(
      ['# comment', 'NAME="Rocky Linux"', "ID='rocky'", 'ID_LIKE="rhel centos fedora"', 'VERSION_ID=9.4', 'PRETTY_NAME="Say \\"hi\\" \\$HOME"', 'not a line', 'BARE=a\\ b', ''].join('\n'),
    );
    expect(osr).toMatchObject({ id: 'rocky', idLike: ['rhel', 'centos', 'fedora'], versionId: '9.4', codename: null, prettyName: 'Say "hi" $HOME' });
    expect(osr.fields['BARE']).toBe('a b');
  });

  it('defaults ID to linux (os-release(5)) and lower-cases it', () => {
    expect(parseOsRelease('').id).toBe('linux');
    expect(parseOsRelease('ID=Debian\n').id).toBe('debian');
  });

  it('maps distributions to their package manager by ID, then ID_LIKE', () => {
    expect(osFamily({ id: 'debian', idLike: [] })).toBe('deb');
    expect(osFamily({ id: 'ubuntu', idLike: ['debian'] })).toBe('deb');
    expect(osFamily({ id: 'linuxmint', idLike: ['ubuntu', 'debian'] })).toBe('deb');
    expect(osFamily({ id: 'alpine', idLike: [] })).toBe('apk');
    expect(osFamily({ id: 'almalinux', idLike: ['rhel', 'centos', 'fedora'] })).toBe('rpm');
    expect(osFamily({ id: 'opensuse-leap', idLike: ['suse', 'opensuse'] })).toBe('rpm');
    expect(osFamily({ id: 'arch', idLike: [] })).toBeNull();
  });
});

describe('host facts', () => {
  it('derives the FQDN from a dotted hostname or the canonical name of its /etc/hosts line', () => {
    const hosts = '127.0.0.1 localhost\n# 10.0.0.9 web1.wrong.example web1\n127.0.1.1\tweb1.corp.example web1 # comment\n';
    expect(fqdnFrom('web1', hosts)).toBe('web1.corp.example');
    expect(fqdnFrom('WEB1', hosts)).toBe('web1.corp.example');
    expect(fqdnFrom('db.corp.example', null)).toBe('db.corp.example');
    expect(fqdnFrom('web2', hosts)).toBeNull();
    expect(fqdnFrom('localhost', hosts)).toBeNull();
    expect(fqdnFrom(null, hosts)).toBeNull();
  });

  it('lists addresses without loopback and link-local ones, once each, sorted', () => {
    const a = (address: string, family: 'IPv4' | 'IPv6', internal = false) => ({ address, family, internal, netmask: '', mac: '', cidr: null }) as never;
    expect(
      hostAddresses({
        lo: [a('127.0.0.1', 'IPv4', true), a('::1', 'IPv6', true)],
        eth0: [a('192.0.2.10', 'IPv4'), a('fe80::1%eth0', 'IPv6'), a('2001:db8::10', 'IPv6'), a('169.254.3.4', 'IPv4')],
        eth1: [a('192.0.2.10', 'IPv4'), a('10.1.2.3', 'IPv4')],
      }),
    ).toEqual(['10.1.2.3', '192.0.2.10', '2001:db8::10']);
  });
});
