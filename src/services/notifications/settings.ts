import type { Logger } from 'pino';
import type { Config } from '../../lib/config.js';
import { masterKey, type SecretBox, SecretKeyError } from '../../lib/secrets.js';

/**
 * How this process reaches people: the mail server, the sender, the web UI's
 * address for links, and the master key that opens webhook URLs. Set once
 * per process (the HTTP app and the job worker do it from the configuration);
 * notifications raised by code that has no configuration at hand (the
 * re-prioritisation worker, a feed import) read it from here.
 */
export interface NotificationSettings {
  smtpUrl: string | null;
  mailFrom: string;
  publicUrl: string;
  secrets: () => SecretBox;
  logger: Pick<Logger, 'warn' | 'error' | 'info'> | null;
  /** Per attempt, in milliseconds (a mail server or webhook that hangs must not stall a feed import). */
  timeoutMs: number;
}

const noKey = () => {
  throw new SecretKeyError('no master key is configured in this process');
};

let current: NotificationSettings = { smtpUrl: null, mailFrom: 'patchloop <patchloop@localhost>', publicUrl: 'http://localhost:8080', secrets: noKey, logger: null, timeoutMs: 10_000 };

export function configureNotifications(config: Pick<Config, 'smtpUrl' | 'mailFrom' | 'publicUrl' | 'secretKey' | 'databaseUrl' | 'dataDir'>, logger: NotificationSettings['logger'] = null, overrides: Partial<NotificationSettings> = {}): void {
  current = { smtpUrl: config.smtpUrl ?? null, mailFrom: config.mailFrom, publicUrl: config.publicUrl.replace(/\/$/, ''), secrets: masterKey(config), logger, timeoutMs: 10_000, ...overrides };
}

export function notificationSettings(): NotificationSettings {
  return current;
}

/** A web UI path ("/findings/12") as an absolute link for mail and chat. */
export function absoluteLink(path: string): string {
  return `${current.publicUrl}${path.startsWith('/') ? path : `/${path}`}`;
}
