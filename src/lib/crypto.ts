import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export function sha256Hex(input: string | Buffer): string {
  return createHash('sha256').update(input).digest('hex');
}

/** URL-safe random secret with a recognisable prefix (helps secret scanners). */
export function randomSecret(prefix: string, bytes = 32): string {
  return `${prefix}${randomBytes(bytes).toString('base64url')}`;
}

export function safeEqual(a: string, b: string): boolean {
  const ba = Buffer.from(a);
  const bb = Buffer.from(b);
  return ba.length === bb.length && timingSafeEqual(ba, bb);
}

/** Human-typable one-time code, e.g. for first-admin setup: XXXX-XXXX-XXXX. */
export function humanCode(): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  const raw = randomBytes(12);
  let out = '';
  for (let i = 0; i < 12; i++) {
    out += alphabet[(raw[i] as number) % alphabet.length];
    if (i % 4 === 3 && i < 11) out += '-';
  }
  return out;
}
