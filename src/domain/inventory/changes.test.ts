import { describe, expect, it } from 'vitest';
import { softwareChanges } from './changes.js';

describe('software changes from an inventory record', () => {
  it('pairs a removal and an addition of one package as a version change', () => {
    expect(softwareChanges(['openssl:amd64 3.0.15-1~deb12u1', 'telnet:amd64 0.17-44'], ['openssl:amd64 3.0.17-1~deb12u2', 'curl:amd64 7.88.1-10+deb12u12'])).toEqual([
      { package: 'curl:amd64', from: null, to: '7.88.1-10+deb12u12' },
      { package: 'openssl:amd64', from: '3.0.15-1~deb12u1', to: '3.0.17-1~deb12u2' },
      { package: 'telnet:amd64', from: '0.17-44', to: null },
    ]);
  });
  it('keeps the same name on another architecture apart', () => {
    expect(softwareChanges(['libc6:i386 2.36-9'], ['libc6:amd64 2.36-9'])).toEqual([
      { package: 'libc6:amd64', from: null, to: '2.36-9' },
      { package: 'libc6:i386', from: '2.36-9', to: null },
    ]);
  });
});
