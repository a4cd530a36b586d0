import { describe, expect, it } from 'vitest';
import { classifySshError, confineLinkTarget, parsePreamble, remoteScript, TAR_MARKER } from './remote.js';

describe('confineLinkTarget: links in the copy stay inside it', () => {
  it.each([
    ['etc/os-release', '../usr/lib/os-release', '../usr/lib/os-release'],
    ['etc/os-release', '/usr/lib/os-release', '../usr/lib/os-release'],
    ['var/run', '/run', '../run'],
    ['var/lib/rpm', '../../usr/lib/sysimage/rpm', '../../usr/lib/sysimage/rpm'],
    ['var/lib/dbus/machine-id', '/etc/machine-id', '../../../etc/machine-id'],
    ['etc/x', '../../../../../etc/shadow', 'shadow'],
    ['etc/x', '/../../etc/shadow', 'shadow'],
    ['etc/x', '../../../../../root/.ssh/id', '../root/.ssh/id'],
    ['a', '/', '.'],
    ['a/b', 'c/./d//e', 'c/d/e'],
    ['lib', 'usr/lib', 'usr/lib'],
  ])('%s -> %s becomes %s', (link, target, want) => {
    expect(confineLinkTarget(link, target)).toBe(want);
  });
});

describe('the remote script', () => {
  it('quotes the root and refuses one that would need quoting', () => {
    expect(remoteScript('/srv/chroot-1')).toContain("cd '/srv/chroot-1'");
    for (const bad of ['relative', "/x'y", '/x y', '/x$(id)', '/x\ny', '']) expect(() => remoteScript(bad)).toThrow(/absolute path/);
  });

  it('ends the facts with the marker before the archive', () => {
    const s = remoteScript('/');
    expect(s.indexOf(`printf '%s\\n' '${TAR_MARKER}'`)).toBeGreaterThan(s.indexOf('uname -r'));
    expect(s.trimEnd().endsWith('exec tar -cf - "$@"')).toBe(true);
  });
});

describe('parsePreamble', () => {
  const text = 'kernel=6.1.0-18-amd64\nuptime=12345.67 40000.1\naddresses=10.0.0.5 fe80::1 169.254.1.1 2001:db8::5 10.0.0.5 \n';
  it('reads the live facts of the host itself', () => {
    expect(parsePreamble(text, true)).toEqual({ kernel: '6.1.0-18-amd64', uptimeSeconds: 12345, addresses: ['10.0.0.5', '2001:db8::5'] });
  });
  it('keeps none of them for another root (its running kernel is not the host\'s)', () => {
    expect(parsePreamble(text, false)).toEqual({ kernel: null, uptimeSeconds: null, addresses: [] });
  });
  it('takes nothing odd', () => {
    expect(parsePreamble('kernel=\nuptime=x\naddresses=<script>\n', true)).toEqual({ kernel: null, uptimeSeconds: null, addresses: [] });
  });
});

describe('classifySshError: OpenSSH 9.2 messages', () => {
  it.each([
    [
      '@@@@@@@\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\nThe fingerprint for the ED25519 key sent by the remote host is\nSHA256:2/luI7koXEVyuDFX3s7Nxxld4TuIWBm6+tr+YDG2NfE.\nHost key for patchloop-target has changed and you have requested strict checking.\nHost key verification failed.',
      'host_key_changed',
      'SHA256:2/luI7koXEVyuDFX3s7Nxxld4TuIWBm6+tr+YDG2NfE',
    ],
    ['No ED25519 host key is known for patchloop-target and you have requested strict checking.\nHost key verification failed.', 'host_key_unknown', null],
    ['root@127.0.0.1: Permission denied (publickey,password).', 'auth_failed', null],
    ['ssh: connect to host 127.0.0.1 port 1: Connection refused', 'unreachable', null],
    ['ssh: Could not resolve hostname nowhere.invalid: Name or service not known', 'unreachable', null],
    ['kex_exchange_identification: read: Connection reset by peer', 'unreachable', null],
    ['something new', 'ssh_failed', null],
  ])('%#', (stderr, kind, offered) => {
    const c = classifySshError(stderr);
    expect(c.kind).toBe(kind);
    expect(c.offered).toBe(offered);
    if (offered) expect(c.message).toContain(offered);
  });
});
