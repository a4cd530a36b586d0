import path from 'node:path';
import { z } from 'zod';
import { decodeKey } from './secrets.js';

/**
 * Configuration is read from the environment exactly once, validated, and
 * frozen. A bad value stops start-up with a message naming the variable.
 */
const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  PATCHLOOP_DATA_DIR: z.string().min(1).default('./data'),
  PATCHLOOP_PUBLIC_URL: z.url().optional(),
  PATCHLOOP_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  PATCHLOOP_SECURE_COOKIES: bool.optional(),
  PATCHLOOP_SESSION_HOURS: z.coerce.number().positive().max(24 * 30).default(12),
  PATCHLOOP_BODY_LIMIT_MB: z.coerce.number().positive().max(1024).default(10),
  /** Largest scanner report accepted (read as a stream, so memory does not grow with it). */
  PATCHLOOP_IMPORT_LIMIT_MB: z.coerce.number().positive().max(65536).default(2048),
  PATCHLOOP_JOBS_IN_SERVER: bool.default(true),
  PATCHLOOP_TRUST_PROXY: bool.default(false),
  PATCHLOOP_FEED_SYNC: z
    .string()
    .regex(/^(off|(\S+\s+){4}\S+)$/, 'must be a five-field cron expression (UTC) or "off"')
    .default('30 4 * * *'),
  PATCHLOOP_FEED_SYNC_RELEASES: z.string().regex(/^[a-z0-9,-]+$/, 'must be release codenames separated by commas').default('bookworm,trixie'),
  PATCHLOOP_TLS_CERT: z.string().min(1).optional(),
  PATCHLOOP_TLS_KEY: z.string().min(1).optional(),
  OIDC_ISSUER: z.url().optional(),
  OIDC_CLIENT_ID: z.string().min(1).optional(),
  OIDC_CLIENT_SECRET: z.string().min(1).optional(),
  OIDC_SCOPES: z.string().default('openid email profile'),
  OIDC_ROLE_CLAIM: z.string().default('patchloop_role'),
  OIDC_DEFAULT_ROLE: z.string().optional(),
  OIDC_BUTTON_LABEL: z.string().default('Single sign-on'),
  /** Mail server for notifications (issue #6 §4); without it, notifications stay in the app and chat webhooks. */
  PATCHLOOP_SMTP_URL: z
    .string()
    .refine((v) => smtpUrlOk(v), 'must be smtp://[user:password@]host[:port] or smtps://… (password URL-encoded)')
    .optional(),
  PATCHLOOP_MAIL_FROM: z
    .string()
    .max(320)
    .regex(/^([^<>\r\n]*<[^<>@\s]+@[^<>@\s]+>|[^<>@\s]+@[^<>@\s]+)$/, 'must be an address, or a name and <address>')
    .optional(),
  PATCHLOOP_SECRET_KEY: z.string().refine((v) => decodeKey(v) !== null, 'must be 32 bytes in base64 (openssl rand -base64 32)').transform((v) => decodeKey(v) as Buffer).optional(),
});

function smtpUrlOk(v: string): boolean {
  try {
    const u = new URL(v);
    return (u.protocol === 'smtp:' || u.protocol === 'smtps:') && u.hostname !== '';
  } catch {
    return false;
  }
}

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly databaseUrl: string | undefined;
  readonly dataDir: string;
  readonly publicUrl: string;
  readonly logLevel: string;
  readonly secureCookies: boolean;
  readonly sessionHours: number;
  readonly bodyLimitBytes: number;
  readonly importLimitBytes: number;
  readonly jobsInServer: boolean;
  readonly trustProxy: boolean;
  /** Cron (UTC) of the daily feed sync, or null when off (offline sites import files instead). */
  readonly feedSyncCron: string | null;
  readonly feedSyncReleases: readonly string[];
  /** smtp:// or smtps:// URL of the mail server, or undefined: no e-mail notifications. */
  readonly smtpUrl: string | undefined;
  /** Sender of notification mails. */
  readonly mailFrom: string;
  /** Master key for secrets at rest (PATCHLOOP_SECRET_KEY); without it the embedded database keeps one in the data directory (lib/secrets.ts). */
  readonly secretKey: Buffer | undefined;
  /** Serve HTTPS with this certificate chain and key (PEM files); agents verify it. */
  readonly tls: { readonly certFile: string; readonly keyFile: string } | undefined;
  readonly oidc:
    | {
        readonly issuer: string;
        readonly clientId: string;
        readonly clientSecret: string | undefined;
        readonly scopes: string;
        readonly roleClaim: string;
        readonly defaultRole: string | undefined;
        readonly label: string;
      }
    | undefined;
}

export class ConfigError extends Error {}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const cleaned: Record<string, string> = {};
  for (const key of Object.keys(envSchema.shape)) {
    const v = env[key];
    if (v !== undefined && v !== '') cleaned[key] = v;
  }
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  if (e.OIDC_ISSUER && !e.OIDC_CLIENT_ID) {
    throw new ConfigError('Invalid configuration:\n  OIDC_CLIENT_ID: required when OIDC_ISSUER is set');
  }
  if (!!e.PATCHLOOP_TLS_CERT !== !!e.PATCHLOOP_TLS_KEY) {
    throw new ConfigError(`Invalid configuration:\n  ${e.PATCHLOOP_TLS_CERT ? 'PATCHLOOP_TLS_KEY' : 'PATCHLOOP_TLS_CERT'}: required when ${e.PATCHLOOP_TLS_CERT ? 'PATCHLOOP_TLS_CERT' : 'PATCHLOOP_TLS_KEY'} is set`);
  }
  const publicUrl = (e.PATCHLOOP_PUBLIC_URL ?? `${e.PATCHLOOP_TLS_CERT ? 'https' : 'http'}://localhost:${e.PORT}`).replace(/\/$/, '');
  return Object.freeze({
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    dataDir: path.resolve(e.PATCHLOOP_DATA_DIR),
    publicUrl,
    logLevel: e.PATCHLOOP_LOG_LEVEL,
    secureCookies: e.PATCHLOOP_SECURE_COOKIES ?? publicUrl.startsWith('https://'),
    sessionHours: e.PATCHLOOP_SESSION_HOURS,
    bodyLimitBytes: Math.floor(e.PATCHLOOP_BODY_LIMIT_MB * 1024 * 1024),
    importLimitBytes: Math.floor(e.PATCHLOOP_IMPORT_LIMIT_MB * 1024 * 1024),
    jobsInServer: e.PATCHLOOP_JOBS_IN_SERVER,
    trustProxy: e.PATCHLOOP_TRUST_PROXY,
    feedSyncCron: e.PATCHLOOP_FEED_SYNC === 'off' ? null : e.PATCHLOOP_FEED_SYNC,
    tls: e.PATCHLOOP_TLS_CERT && e.PATCHLOOP_TLS_KEY ? Object.freeze({ certFile: path.resolve(e.PATCHLOOP_TLS_CERT), keyFile: path.resolve(e.PATCHLOOP_TLS_KEY) }) : undefined,
    feedSyncReleases: Object.freeze(e.PATCHLOOP_FEED_SYNC_RELEASES.split(',').filter(Boolean)),
    secretKey: e.PATCHLOOP_SECRET_KEY,
    smtpUrl: e.PATCHLOOP_SMTP_URL,
    mailFrom: e.PATCHLOOP_MAIL_FROM ?? `patchloop <patchloop@${new URL(publicUrl).hostname}>`,
    oidc: e.OIDC_ISSUER
      ? Object.freeze({
          issuer: e.OIDC_ISSUER,
          clientId: e.OIDC_CLIENT_ID as string,
          clientSecret: e.OIDC_CLIENT_SECRET,
          scopes: e.OIDC_SCOPES,
          roleClaim: e.OIDC_ROLE_CLAIM,
          defaultRole: e.OIDC_DEFAULT_ROLE,
          label: e.OIDC_BUTTON_LABEL,
        })
      : undefined,
  });
}
