/**
 * Secrets at rest (lib/secrets.ts): AES-256-GCM under the master key, bound
 * to the row it belongs to; the key from PATCHLOOP_SECRET_KEY or a key file
 * made once in the data directory (mode 0600); PostgreSQL requires the
 * variable.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/lib/config.js';
import { KEY_FILE, keyFromDataDir, masterKey, SecretKeyError, secretBox } from '../../src/lib/secrets.js';

const dirs: string[] = [];
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'patchloop-secrets-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe('secretBox', () => {
  const box = secretBox(randomBytes(32));

  it('opens what it sealed, and each sealing is different', () => {
    const a = box.seal('-----BEGIN OPENSSH PRIVATE KEY-----\nabc', 'row-1');
    expect(box.open(a, 'row-1')).toBe('-----BEGIN OPENSSH PRIVATE KEY-----\nabc');
    expect(box.seal('same', 'row-1')).not.toBe(box.seal('same', 'row-1'));
    expect(a).toMatch(new RegExp(`^v1\\.${box.keyId}\\.`));
    expect(a).not.toContain('abc');
  });

  it('refuses another row, an altered value and another key, saying which', () => {
    const sealed = box.seal('secret', 'row-1');
    expect(() => box.open(sealed, 'row-2')).toThrow(/altered, or moved from another record/);
    const parts = sealed.split('.');
    const ct = Buffer.from(parts[4] as string, 'base64url');
    ct[0] = (ct[0] as number) ^ 1;
    expect(() => box.open([...parts.slice(0, 4), ct.toString('base64url')].join('.'), 'row-1')).toThrow(/altered/);
    expect(() => secretBox(randomBytes(32)).open(sealed, 'row-1')).toThrow(/encrypted under another master key/);
    expect(() => box.open('plain text', 'row-1')).toThrow(SecretKeyError);
    expect(() => secretBox(randomBytes(16))).toThrow(/32 bytes/);
  });
});

describe('the master key', () => {
  it('is made once in the data directory, readable by its owner only, and kept', () => {
    const dir = tmp();
    const key = keyFromDataDir(dir);
    const file = path.join(dir, KEY_FILE);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(key).toHaveLength(32);
    expect(keyFromDataDir(dir).equals(key)).toBe(true);
    expect(fs.readdirSync(dir)).toEqual([KEY_FILE]);
  });

  it('is refused from a file others can read, or that holds no key, or a data directory that does not exist', () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, KEY_FILE), `${randomBytes(32).toString('base64')}\n`, { mode: 0o644 });
    fs.chmodSync(path.join(dir, KEY_FILE), 0o644);
    expect(() => keyFromDataDir(dir)).toThrow(/can be read by other users \(mode 644\): chmod 600/);
    fs.writeFileSync(path.join(dir, KEY_FILE), 'short\n');
    fs.chmodSync(path.join(dir, KEY_FILE), 0o600);
    expect(() => keyFromDataDir(dir)).toThrow(/does not hold a 32-byte base64 key/);
    expect(() => keyFromDataDir(path.join(dir, 'missing'))).toThrow(/does not exist/);
  });

  it('PATCHLOOP_SECRET_KEY wins; PostgreSQL without it is a clear error when a secret is needed, not before', () => {
    const envKey = randomBytes(32);
    const dir = tmp();
    const fromEnv = masterKey(loadConfig({ PATCHLOOP_SECRET_KEY: envKey.toString('base64'), PATCHLOOP_DATA_DIR: dir }))();
    expect(fromEnv.keyId).toBe(secretBox(envKey).keyId);
    expect(fs.existsSync(path.join(dir, KEY_FILE))).toBe(false);
    const pg = masterKey(loadConfig({ DATABASE_URL: 'postgres://db.example/patchloop', PATCHLOOP_DATA_DIR: dir }));
    expect(() => pg()).toThrow(/on PostgreSQL needs PATCHLOOP_SECRET_KEY/);
    const embedded = masterKey(loadConfig({ PATCHLOOP_DATA_DIR: dir }))();
    expect(embedded.keyId).toBe(secretBox(keyFromDataDir(dir)).keyId);
  });

  it('a malformed PATCHLOOP_SECRET_KEY stops start-up naming the variable, not its value', () => {
    for (const bad of ['c2hvcnQ=', 'not base64 at all!', randomBytes(33).toString('base64')]) {
      let err: unknown;
      try {
        loadConfig({ PATCHLOOP_SECRET_KEY: bad });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      expect(String(err)).toContain('PATCHLOOP_SECRET_KEY: must be 32 bytes in base64');
      expect(String(err)).not.toContain(bad);
    }
    expect(loadConfig({ PATCHLOOP_SECRET_KEY: randomBytes(32).toString('base64url') }).secretKey).toHaveLength(32);
  });
});
