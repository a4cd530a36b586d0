import { describe, expect, it } from 'vitest';
import { fingerprintOf, HostKeyFormatError, knownHostsFor, mergePins, parseHostKeyPin, parseKeyscan } from './hostkeys.js';

// Keys and fingerprints as OpenSSH 9.2 wrote and printed them (ssh-keygen -t …; ssh-keygen -lf).
const ED = 'AAAAC3NzaC1lZDI1NTE5AAAAILzH8fmLKk8e4XJ/KdLCoNo+s28CcO8rCQX7/Wqt5SHa';
const ED_FP = 'SHA256:2/luI7koXEVyuDFX3s7Nxxld4TuIWBm6+tr+YDG2NfE';
const EC = 'AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBJxH3YGqcWSqKQWKgyMjfdWz/Rnd4Z1zR1bIp55RBpwRs5MbnC9UWQNdz5YsqY6+Vpx/FTZm3BIvxyIil4V4k5Y=';
const EC_FP = 'SHA256:aJztg9pqSs0dDZ5B7IYBDHmI4arHNWFWXUEisRx3GkU';

describe('host key pins', () => {
  it('computes the fingerprint ssh-keygen prints', () => {
    expect(fingerprintOf(Buffer.from(ED, 'base64'))).toBe(ED_FP);
    expect(fingerprintOf(Buffer.from(EC, 'base64'))).toBe(EC_FP);
  });

  it.each([
    [`ssh-ed25519 ${ED}`, 'bare key'],
    [`ssh-ed25519 ${ED} root@host with a comment`, 'key with comment'],
    [`[10.0.0.5]:2222,web01 ssh-ed25519 ${ED}`, 'known_hosts line'],
    [`  web01 ssh-ed25519 ${ED}\n`, 'surrounding space'],
  ])('reads %s (%s)', (text) => {
    expect(parseHostKeyPin(text)).toEqual({ type: 'ssh-ed25519', key: ED, fingerprint: ED_FP });
  });

  it('reads fingerprints, with or without base64 padding', () => {
    expect(parseHostKeyPin(EC_FP)).toEqual({ type: null, key: null, fingerprint: EC_FP });
    expect(parseHostKeyPin(`${EC_FP}=`)).toEqual({ type: null, key: null, fingerprint: EC_FP });
  });

  it.each([
    ['', /empty/],
    ['SHA256:short', /SHA256 fingerprint/],
    ['MD5:12:34', /MD5 fingerprints/],
    ['16:27:ac:a5:76:28:2d:36:63:1b:56:4d:eb:df:a6:48', /MD5 fingerprints/],
    [`@cert-authority *.example ssh-ed25519 ${ED}`, /markers/],
    ['ssh-ed25519', /no key data/],
    ['ssh-ed25519 !!!!', /base64/],
    [`ssh-rsa ${ED}`, /not a ssh-rsa key \(it holds "ssh-ed25519"\)/],
    [`ssh-dss ${ED}`, /neither/],
    ['a b c ssh-ed25519 AAAA', /neither/],
  ])('refuses %j', (text, message) => {
    expect(() => parseHostKeyPin(text)).toThrow(HostKeyFormatError);
    expect(() => parseHostKeyPin(text)).toThrow(message);
  });

  it('a key and its own fingerprint pin count once, the key kept', () => {
    const key = parseHostKeyPin(`ssh-ed25519 ${ED}`);
    expect(mergePins([parseHostKeyPin(ED_FP), key, key])).toEqual([key]);
  });
});

describe('known_hosts for one connection', () => {
  const offered = parseKeyscan(`# 10.0.0.5:22 SSH-2.0-OpenSSH_9.2p1\n[10.0.0.5]:2222 ssh-ed25519 ${ED}\n[10.0.0.5]:2222 ecdsa-sha2-nistp256 ${EC}\n[10.0.0.5]:2222 ssh-weird AAAA\n`);

  it('ssh-keyscan output: keys with fingerprints and the line to pin', () => {
    expect(offered).toEqual([
      { type: 'ssh-ed25519', key: ED, fingerprint: ED_FP, line: `ssh-ed25519 ${ED}` },
      { type: 'ecdsa-sha2-nistp256', key: EC, fingerprint: EC_FP, line: `ecdsa-sha2-nistp256 ${EC}` },
    ]);
  });

  it('holds the pinned keys, and an offered key only when its fingerprint is pinned', () => {
    expect(knownHostsFor('t', [parseHostKeyPin(`ssh-ed25519 ${ED}`)], offered)).toEqual({ text: `t ssh-ed25519 ${ED}\n`, keys: 1 });
    expect(knownHostsFor('t', [parseHostKeyPin(EC_FP)], offered)).toEqual({ text: `t ecdsa-sha2-nistp256 ${EC}\n`, keys: 1 });
    expect(knownHostsFor('t', [parseHostKeyPin(`SHA256:${'A'.repeat(43)}`)], offered)).toEqual({ text: '', keys: 0 });
    expect(knownHostsFor('t', [], offered).keys).toBe(0);
  });
});
