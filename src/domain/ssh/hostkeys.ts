/**
 * Pinned SSH host keys (INV-3, agentless collection). A pin is either a
 * public key as ssh-keyscan and known_hosts write it (`[hosts] type base64
 * [comment]`), or the SHA256 fingerprint `ssh-keygen -lf` prints, for an
 * administrator who has only the fingerprint from the host's console.
 *
 * OpenSSH checks keys, not fingerprints, so a fingerprint pin is turned into
 * a key at connection time: the key the host offers is taken only when its
 * fingerprint is pinned, and ssh then proves the host holds its private half.
 */
import { createHash } from 'node:crypto';

export const HOST_KEY_TYPES = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
  'sk-ssh-ed25519@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com',
] as const;

/** A pinned key (type and base64 blob known) or a pinned fingerprint (only the fingerprint known). */
export interface HostKeyPin {
  type: string | null;
  key: string | null;
  fingerprint: string;
}

export class HostKeyFormatError extends Error {}

const FINGERPRINT_RE = /^SHA256:[A-Za-z0-9+/]{43}$/;

/** SHA256 fingerprint of a key blob, as `ssh-keygen -l` prints it. */
export function fingerprintOf(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type written inside a blob (its first SSH string), or null when the blob is not one. */
function blobType(blob: Buffer): string | null {
  if (blob.length < 4) return null;
  const n = blob.readUInt32BE(0);
  if (n < 1 || n > 64 || 4 + n > blob.length) return null;
  return blob.subarray(4, 4 + n).toString('latin1');
}

/** `type base64`, checked: a known type, valid base64, and a blob that names the same type. */
export function parsePublicKey(type: string, b64: string): HostKeyPin {
  if (!(HOST_KEY_TYPES as readonly string[]).includes(type)) throw new HostKeyFormatError(`unsupported key type ${JSON.stringify(type.slice(0, 60))} (expected one of ${HOST_KEY_TYPES.join(', ')})`);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || b64.length % 4 !== 0) throw new HostKeyFormatError('the key is not valid base64');
  const blob = Buffer.from(b64, 'base64');
  const inner = blobType(blob);
  // rsa-sha2-* are signature names; the key itself is always "ssh-rsa".
  const expected = type.startsWith('rsa-sha2-') ? 'ssh-rsa' : type;
  if (inner !== expected) throw new HostKeyFormatError(`the key data is not a ${type} key${inner ? ` (it holds ${JSON.stringify(inner)})` : ''}`);
  return { type: expected, key: blob.toString('base64'), fingerprint: fingerprintOf(blob) };
}

/**
 * One pin as a user writes it: a SHA256 fingerprint, `type base64 [comment]`,
 * or a known_hosts line `hosts type base64 [comment]` (the host names are
 * dropped: the pin belongs to the target). Markers (@cert-authority,
 * @revoked) and hashed host names are known_hosts features we do not take.
 */
export function parseHostKeyPin(text: string): HostKeyPin {
  const s = text.trim();
  if (!s) throw new HostKeyFormatError('is empty');
  if (s.startsWith('SHA256:')) {
    const fp = s.replace(/=+$/, '');
    if (!FINGERPRINT_RE.test(fp)) throw new HostKeyFormatError('is not a SHA256 fingerprint (SHA256: followed by 43 base64 characters, as ssh-keygen -l prints it)');
    return { type: null, key: null, fingerprint: fp };
  }
  if (s.startsWith('@')) throw new HostKeyFormatError('known_hosts markers (@cert-authority, @revoked) are not supported: pin the host\'s own key');
  if (/^(MD5:|[0-9a-f]{2}(:[0-9a-f]{2}){15}$)/i.test(s)) throw new HostKeyFormatError('MD5 fingerprints are not accepted: use the SHA256 fingerprint (ssh-keygen -l -E sha256)');
  const fields = s.split(/\s+/);
  const at = fields.findIndex((f) => (HOST_KEY_TYPES as readonly string[]).includes(f));
  if (at < 0 || at > 1) throw new HostKeyFormatError('is neither a SHA256 fingerprint nor a public key line ("ssh-ed25519 AAAA…", optionally after the host names as in known_hosts)');
  const b64 = fields[at + 1];
  if (!b64) throw new HostKeyFormatError('has a key type but no key data after it');
  return parsePublicKey(fields[at] as string, b64);
}

/** Pins without duplicates (a key and the fingerprint of the same key count once, the key kept). */
export function mergePins(pins: readonly HostKeyPin[]): HostKeyPin[] {
  const out = new Map<string, HostKeyPin>();
  for (const p of pins) {
    const had = out.get(p.fingerprint);
    if (!had || (had.key === null && p.key !== null)) out.set(p.fingerprint, p);
  }
  return [...out.values()];
}

/** A key ssh-keyscan reported. */
export interface ScannedKey {
  type: string;
  key: string;
  fingerprint: string;
  /** `type base64`: what to pin. */
  line: string;
}

/** ssh-keyscan's standard output: `host type base64` lines (comments and unknown types are passed over). */
export function parseKeyscan(out: string): ScannedKey[] {
  const keys = new Map<string, ScannedKey>();
  for (const raw of out.split('\n')) {
    const l = raw.trim();
    if (!l || l.startsWith('#')) continue;
    try {
      const pin = parsePublicKey(l.split(/\s+/)[1] ?? '', l.split(/\s+/)[2] ?? '');
      keys.set(pin.fingerprint, { type: pin.type as string, key: pin.key as string, fingerprint: pin.fingerprint, line: `${pin.type} ${pin.key}` });
    } catch {
      /* a type we do not pin (or a garbled line): not offered */
    }
  }
  return [...keys.values()];
}

/**
 * The known_hosts file for one connection: every pinned key, and the offered
 * keys whose fingerprint is pinned, all under `alias` (ssh is run with
 * HostKeyAlias, so the host name and port never enter the comparison).
 */
export function knownHostsFor(alias: string, pins: readonly HostKeyPin[], offered: readonly ScannedKey[] = []): { text: string; keys: number } {
  const lines = new Set<string>();
  for (const p of pins) if (p.key) lines.add(`${alias} ${p.type} ${p.key}`);
  const wanted = new Set(pins.filter((p) => p.key === null).map((p) => p.fingerprint));
  for (const k of offered) if (wanted.has(k.fingerprint)) lines.add(`${alias} ${k.type} ${k.key}`);
  return { text: lines.size ? `${[...lines].join('\n')}\n` : '', keys: lines.size };
}
