import { describe, expect, it } from 'vitest';
import { DpkgStatusError, installedPackages, parseDpkgStatus } from './dpkg-status.js';

const STATUS = `Package: libssl3
Status: install ok installed
Priority: optional
Architecture: amd64
Multi-Arch: same
Source: openssl
Version: 3.0.17-1~deb12u2
Description: Secure Sockets Layer toolkit
 This package is part of the OpenSSL project.
 .
 More text.

Package: libfoo1
Status: install ok installed
Architecture: amd64
Source: foo (1.2-3)
Version: 1.2-3+b1

Package: oldpkg
Status: deinstall ok config-files
Architecture: all
Version: 0.9-1

Package: bash
Status: install ok installed
Architecture: amd64
Version: 5.2.15-2+b8
`;

describe('dpkg status file', () => {
  it('reads binary name, version, architecture, source name and source version', () => {
    const pkgs = parseDpkgStatus(STATUS);
    expect(pkgs).toEqual([
      { name: 'libssl3', version: '3.0.17-1~deb12u2', architecture: 'amd64', source: 'openssl', sourceVersion: '3.0.17-1~deb12u2', state: 'installed' },
      { name: 'libfoo1', version: '1.2-3+b1', architecture: 'amd64', source: 'foo', sourceVersion: '1.2-3', state: 'installed' },
      { name: 'oldpkg', version: '0.9-1', architecture: 'all', source: 'oldpkg', sourceVersion: '0.9-1', state: 'config-files' },
      { name: 'bash', version: '5.2.15-2+b8', architecture: 'amd64', source: 'bash', sourceVersion: '5.2.15-2+b8', state: 'installed' },
    ]);
    expect(installedPackages(pkgs).map((p) => p.name)).toEqual(['libssl3', 'libfoo1', 'bash']);
  });

  it('tolerates CRLF line ends and a file without a final newline', () => {
    expect(parseDpkgStatus('Package: a\r\nStatus: install ok installed\r\nVersion: 1\r\n')).toHaveLength(1);
  });

  it('names the line of a broken record', () => {
    expect(() => parseDpkgStatus('Package: a\nStatus: install ok installed\nVersion: 1\n\nnot a field\n')).toThrow(new DpkgStatusError(5, 'expected "Field: value", got "not a field"'));
    expect(() => parseDpkgStatus('\n\nStatus: install ok installed\nVersion: 1\n')).toThrow(/line 3: record has no Package field/);
    expect(() => parseDpkgStatus('Package: a\nStatus: install ok installed\nSource: bad source (1) x\nVersion: 1\n')).toThrow(/invalid source package/);
    expect(() => parseDpkgStatus(' leading continuation\n')).toThrow(/line 1: continuation line/);
  });
});
