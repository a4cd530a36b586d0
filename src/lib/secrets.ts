/**
 * Secrets at rest (SSH credentials): AES-256-GCM under the server's master
 * key. The key comes from PATCHLOOP_SECRET_KEY (32 bytes, base64) or, for
 * the embedded database, from `secret.key` in the data directory, generated
 * once with mode 0600. Servers sharing a PostgreSQL database must share the
 * key, so there the variable is required: a key file on one machine would
 * leave the others unable to read what it wrote.
 *
 * A sealed value names the key it was sealed under (a short id), and its
 * additional authenticated data binds it to its row and column: a
 * ciphertext copied into another row does not open.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export class SecretKeyError extends Error {}

export const KEY_FILE = 'secret.key';
const VERSION = 'v1';

export function keyId(key: Buffer): string {
  return createHash('sha256').update('patchloop master key id\0').update(key).digest('hex').slice(0, 12);
}

export interface SecretBox {
  readonly keyId: string;
  seal(plain: string, context: string): string;
  open(sealed: string, context: string): string;
}

export function secretBox(key: Buffer): SecretBox {
  if (key.length !== 32) throw new SecretKeyError(`the master key must be 32 bytes, not ${key.length}`);
  const id = keyId(key);
  return {
    keyId: id,
    seal(plain, context) {
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', key, iv);
      c.setAAD(Buffer.from(`${VERSION}.${id}.${context}`));
      const ct = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
      return [VERSION, id, iv.toString('base64url'), c.getAuthTag().toString('base64url'), ct.toString('base64url')].join('.');
    },
    open(sealed, context) {
      const [v, kid, iv, tag, ct, ...rest] = sealed.split('.');
      if (v !== VERSION || !kid || !iv || !tag || ct === undefined || rest.length) throw new SecretKeyError('the stored secret is not in a format this version understands');
      if (kid !== id) throw new SecretKeyError(`the stored secret was encrypted under another master key (key id ${kid}; this server's is ${id}): set PATCHLOOP_SECRET_KEY to the key it was written with, or enter the credential again`);
      try {
        const d = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
        d.setAAD(Buffer.from(`${VERSION}.${kid}.${context}`));
        d.setAuthTag(Buffer.from(tag, 'base64url'));
        return Buffer.concat([d.update(Buffer.from(ct, 'base64url')), d.final()]).toString('utf8');
      } catch {
        throw new SecretKeyError('the stored secret does not decrypt: it was altered, or moved from another record');
      }
    },
  };
}

/** PATCHLOOP_SECRET_KEY's value → the key; null when it is not 32 bytes of base64. */
export function decodeKey(text: string): Buffer | null {
  const t = text.trim();
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(t)) return null;
  const key = Buffer.from(t.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  return key.length === 32 ? key : null;
}

/** Reads the key file, creating it first when there is none (two processes racing end up with the same key). */
export function keyFromDataDir(dataDir: string): Buffer {
  if (!fs.existsSync(dataDir)) throw new SecretKeyError(`the data directory ${dataDir} does not exist, so it holds no ${KEY_FILE}; start the server once, or set PATCHLOOP_SECRET_KEY`);
  const file = path.join(dataDir, KEY_FILE);
  if (!fs.existsSync(file)) {
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
    fs.writeFileSync(tmp, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    try {
      fs.linkSync(tmp, file); // fails if another process made it first: then theirs is the key
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    } finally {
      fs.rmSync(tmp, { force: true });
    }
  }
  const st = fs.statSync(file);
  if (st.mode & 0o077) throw new SecretKeyError(`${file} can be read by other users (mode ${(st.mode & 0o777).toString(8)}): chmod 600 it`);
  const key = decodeKey(fs.readFileSync(file, 'utf8'));
  if (!key) throw new SecretKeyError(`${file} does not hold a 32-byte base64 key`);
  return key;
}

export interface MasterKeyConfig {
  readonly secretKey: Buffer | undefined;
  readonly databaseUrl: string | undefined;
  readonly dataDir: string;
}

/** The master key's source for a configuration, resolved on first use (servers that store no secret need none) and then kept. */
export function masterKey(config: MasterKeyConfig): () => SecretBox {
  let box: SecretBox | undefined;
  return () => {
    if (box) return box;
    if (config.secretKey) box = secretBox(config.secretKey);
    else if (config.databaseUrl) throw new SecretKeyError('storing credentials on PostgreSQL needs PATCHLOOP_SECRET_KEY (32 random bytes in base64, e.g. from "openssl rand -base64 32"), the same on every server sharing the database');
    else box = secretBox(keyFromDataDir(config.dataDir));
    return box;
  };
}
