/**
 * Real endpoints for the escalation tests: an SMTP server in a child process
 * (smtp-server.mjs) that files every message it accepts, and a local HTTP
 * receiver standing in for Slack and Teams.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { configureNotifications } from '../../src/services/notifications/settings.js';
import type { Database } from '../../src/storage/db.js';

export interface Mail {
  from: string;
  to: string[];
  user: string | null;
  subject: string;
  text: string;
  headers: Record<string, string>;
}

export interface SmtpServer {
  port: number;
  url: string;
  messages(): Mail[];
  clear(): void;
  stop(): Promise<void>;
}

export async function startSmtp(mode: 'accept' | 'reject' = 'accept'): Promise<SmtpServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'patchloop-smtp-'));
  const child: ChildProcess = spawn(process.execPath, [path.join(import.meta.dirname, 'smtp-server.mjs'), dir, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /^(\d+)\n/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`the SMTP server exited (${code}) before listening`)));
    setTimeout(() => reject(new Error('the SMTP server did not start within 20 s')), 20_000);
  });
  return {
    port,
    url: `smtp://mailer:${encodeURIComponent('s3cret p@ss')}@127.0.0.1:${port}`,
    messages: () =>
      fs
        .readdirSync(dir)
        .filter((f) => f.endsWith('.json'))
        .sort()
        .map((f) => parseMail(JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')))),
    clear: () => {
      for (const f of fs.readdirSync(dir)) fs.rmSync(path.join(dir, f));
    },
    stop: async () => {
      if (child.exitCode === null) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await gone;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Enough of RFC 5322/2045/2047 for what nodemailer writes: unfolded headers, encoded words, quoted-printable or base64 text. */
function parseMail(rec: { from: string; to: string[]; user: string | null; raw: string }): Mail {
  const split = rec.raw.indexOf('\r\n\r\n');
  const head = rec.raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
  const headers: Record<string, string> = {};
  for (const line of head.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
  }
  const words = (s: string) =>
    s.replace(/=\?utf-8\?([qb])\?([^?]*)\?=\s*/gi, (_m, enc: string, t: string) =>
      enc.toLowerCase() === 'b' ? Buffer.from(t, 'base64').toString('utf8') : qp(t.replace(/_/g, ' ')),
    );
  let body = rec.raw.slice(split + 4);
  const cte = (headers['content-transfer-encoding'] ?? '').toLowerCase();
  if (cte === 'quoted-printable') body = qp(body.replace(/=\r\n/g, ''));
  else if (cte === 'base64') body = Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  return { from: rec.from, to: rec.to, user: rec.user, subject: words(headers.subject ?? '').trim(), text: body.replace(/\r\n/g, '\n'), headers };
}

function qp(s: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '=' && /^[0-9A-F]{2}$/i.test(s.slice(i + 1, i + 3))) {
      bytes.push(Number.parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(...Buffer.from(s[i] as string, 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

export interface Received {
  path: string;
  contentType: string | undefined;
  body: any;
}

export interface Receiver {
  url: string;
  received: Received[];
  /** Paths answered with HTTP 500. */
  failing: Set<string>;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const received: Received[] = [];
  const failing = new Set<string>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        /* kept as text */
      }
      received.push({ path: req.url ?? '', contentType: req.headers['content-type'], body });
      if (failing.has(req.url ?? '')) {
        res.writeHead(500, { 'content-type': 'text/plain' }).end('channel_is_archived');
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}`, received, failing, close: () => new Promise<void>((r) => server.close(() => r())) };
}

export const testSecretKey = () => randomBytes(32).toString('base64');

/** The process-wide notification settings a server would set from its configuration. */
export function configure(opts: { smtpUrl: string | null; key: string }) {
  configureNotifications({
    smtpUrl: opts.smtpUrl ?? undefined,
    mailFrom: 'patchloop <patchloop@patchloop.test>',
    publicUrl: 'https://patchloop.test',
    secretKey: Buffer.from(opts.key, 'base64'),
    databaseUrl: undefined,
    dataDir: '/nonexistent',
  });
}

export const DAY = 86_400_000;

/** An open finding of a new vulnerability with its priority and deadline set by hand (nothing re-prioritises it: delete priority_requests first). */
export async function prioritisedFinding(
  database: Database,
  cve: string,
  assetId: string,
  p: { priority: number; classSince: Date; dueAt: Date; status?: string; exceptionId?: string },
): Promise<string> {
  const v = await database.db.insertInto('vulnerabilities').values({ id: cve, cvss_score: 7.5, cvss_version: '3.1', updated_at: new Date() } as never).returning('num').executeTakeFirstOrThrow();
  const r = await database.db
    .insertInto('findings')
    .values({
      asset_id: assetId, vulnerability_num: v.num, name_id: 0, package_id: null, source: 'nessus', first_seen: p.classSince, last_seen: p.classSince, status: p.status ?? 'open',
      priority: p.priority, class_since: p.classSince, sla_start: p.classSince, due_at: p.dueAt, prioritised_at: p.classSince, policy_version: 1, exception_id: p.exceptionId ?? null,
    } as never)
    .returning('id')
    .executeTakeFirstOrThrow();
  return String(r.id);
}
