/**
 * An asset's SSH collection target (INV-3): where to connect, as whom, with
 * which credential, and the host keys that must answer. Credentials are
 * write-only: the API shows that one is set and the fingerprint of a key,
 * never the secret.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { REMOTE_ROOT_RE } from './remote.js';

const HOSTNAME_RE = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

export const sshHostSchema = z
  .string()
  .min(1)
  .max(253)
  .refine((h) => isIP(h) !== 0 || HOSTNAME_RE.test(h), 'must be a host name or an IP address (without brackets or port)')
  .describe('Host name or IP address to connect to');

export const sshPortSchema = z.number().int().min(1).max(65535).default(22);

export const sshUserSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_][A-Za-z0-9._-]*\$?$/, 'must be a user name (letters, digits, . _ -)')
  .describe('User to log in as; it needs read access to the package database (root is not required on Debian or Alpine)');

const privateKey = z
  .string()
  .max(32 * 1024)
  .regex(/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]+-----END [A-Z0-9 ]*PRIVATE KEY-----/, 'must be a private key file (OpenSSH or PEM, "-----BEGIN … PRIVATE KEY-----")');
const secret = z.string().min(1).max(1024);

export const sshAuthInputSchema = z.discriminatedUnion('method', [
  z.strictObject({
    method: z.literal('key'),
    privateKey: privateKey.optional().describe('Private key (OpenSSH or PEM). Omit to keep the stored key'),
    passphrase: secret.optional().describe("The private key's passphrase, when it has one (only together with privateKey)"),
  }),
  z.strictObject({
    method: z.literal('password'),
    password: secret.optional().describe('Password. Omit to keep the stored password'),
  }),
]);

export const sshTargetInputSchema = z
  .strictObject({
    host: sshHostSchema,
    port: sshPortSchema,
    user: sshUserSchema,
    auth: sshAuthInputSchema,
    hostKeys: z
      .array(z.string().max(16 * 1024))
      .max(20)
      .default([])
      .describe('Pinned host keys: public key lines ("ssh-ed25519 AAAA…", as ssh-keyscan or known_hosts write them) or SHA256 fingerprints. Collection refuses any other key'),
    root: z
      .string()
      .regex(REMOTE_ROOT_RE, 'must be an absolute path of plain characters')
      .default('/')
      .describe('Directory on the host to inventory as its root (/ for the host itself; a chroot or mounted image otherwise)'),
  });
export type SshTargetInput = z.infer<typeof sshTargetInputSchema>;

/** The secret part, sealed in the database as JSON (lib/secrets.ts). */
export type SshCredential = { method: 'key'; privateKey: string; passphrase?: string } | { method: 'password'; password: string };

export const SSH_ERROR_KINDS = [
  'host_key_unpinned',
  'host_key_unknown',
  'host_key_changed',
  'auth_failed',
  'unreachable',
  'timeout',
  'too_large',
  'remote_failed',
  'ssh_failed',
  'collect_failed',
  'inventory_rejected',
  'credentials_unavailable',
] as const;
export type SshErrorKind = (typeof SSH_ERROR_KINDS)[number];

export const sshCollectionResultSchema = z
  .object({
    packages: z.number().int(),
    added: z.number().int(),
    removed: z.number().int(),
    unchanged: z.boolean(),
    skipped: z.number().int().describe('Packages the collectors left out (partly installed, invalid version)'),
    database: z.string().describe('The package database that was read: dpkg, rpm or apk'),
    os: z.string().nullable(),
    kernel: z.string().nullable(),
    hostname: z.string().nullable(),
    machineId: z.string().nullable(),
    hostKey: z.string().describe('Fingerprint of the pinned key the host proved it holds'),
    bytes: z.number().int().describe('Bytes the host sent (the facts and the archive, before ssh compression)'),
    durationMs: z.number().int(),
    findings: z.object({ opened: z.number().int(), reopened: z.number().int(), resolved: z.number().int() }).nullable(),
    warnings: z.array(z.string()),
  })
  .meta({ id: 'SshCollectionResult' });
export type SshCollectionResult = z.infer<typeof sshCollectionResultSchema>;

export const sshLastCollectionSchema = z.object({
  at: z.string(),
  status: z.enum(['succeeded', 'failed']),
  errorKind: z.enum(SSH_ERROR_KINDS).nullable(),
  error: z.string().nullable(),
  lastSuccessAt: z.string().nullable(),
  result: sshCollectionResultSchema.nullable().describe('The last successful collection'),
});

export const sshTargetSchema = z
  .object({
    assetId: z.uuid(),
    assetHostname: z.string(),
    host: z.string(),
    port: z.number().int(),
    user: z.string(),
    root: z.string(),
    auth: z.object({
      method: z.enum(['key', 'password']),
      set: z.boolean().describe('A credential is stored (never returned)'),
      keyFingerprint: z.string().nullable().describe("SHA256 fingerprint of the client key's public half (key authentication)"),
      passphrase: z.boolean().describe('The stored key has a passphrase'),
    }),
    hostKeys: z.array(z.object({ type: z.string().nullable(), fingerprint: z.string(), key: z.string().nullable() })).describe('Pinned host keys (a fingerprint pin has no key)'),
    lastCollection: sshLastCollectionSchema.nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
    version: z.number().int(),
  })
  .meta({ id: 'SshTarget' });
export type SshTarget = z.infer<typeof sshTargetSchema>;

export const sshCollectSchema = z
  .object({
    assetId: z.uuid(),
    status: z.enum(['succeeded', 'failed']),
    errorKind: z.enum(SSH_ERROR_KINDS).nullable(),
    error: z.string().nullable(),
    result: sshCollectionResultSchema.nullable(),
  })
  .meta({ id: 'SshCollection' });
export type SshCollect = z.infer<typeof sshCollectSchema>;
