import fs from 'node:fs';
import https from 'node:https';
import { type Duplex, Readable } from 'node:stream';
import tls from 'node:tls';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { buildApp } from '../http/app.js';
import type { Config } from '../lib/config.js';
import { randomSecret } from '../lib/crypto.js';
import { cliTokenPath } from '../main/server.js';
import { type Database, dataDirHolder, migrate, openDatabase } from '../storage/db.js';

/**
 * Every CLI command speaks the REST API, so the CLI can do exactly what the
 * API allows and every change is audited the same way. The API is reached:
 *  - over HTTP at PATCHLOOP_URL with PATCHLOOP_TOKEN (a remote server), or
 *  - over HTTP to the local server that holds the embedded database, with
 *    the operator token it leaves in the data directory, or
 *  - in-process, opening the database directly, when no server holds it.
 */
export interface ApiResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  bytes: Buffer;
  json<T = any>(): T;
}

export interface ApiClient {
  readonly via: string;
  request(method: string, path: string, opts?: { body?: unknown; raw?: string | Buffer; stream?: Readable; contentType?: string; query?: Record<string, string | undefined> }): Promise<ApiResponse>;
  close(): Promise<void>;
  /** The database, when the CLI opened it itself (backup, worker-less jobs). */
  readonly database?: Database;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: { title?: string; detail?: string; errors?: { field: string; message: string }[]; requestId?: string },
  ) {
    const lines = [problem.detail ?? problem.title ?? `HTTP ${status}`];
    for (const e of problem.errors ?? []) lines.push(`  ${e.field}: ${e.message}`);
    super(lines.join('\n'));
  }
}

function queryString(q?: Record<string, string | undefined>): string {
  if (!q) return '';
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== '') p.set(k, v);
  const s = p.toString();
  return s ? `?${s}` : '';
}

function wrap(status: number, headers: Record<string, any>, bytes: Buffer): ApiResponse {
  const body = bytes.toString('utf8');
  return { status, headers, body, bytes, json: () => (body ? JSON.parse(body) : null) };
}

/** A stream (a scanner report of hundreds of MB) is sent as it is read, never held whole. */
function encode(opts: { body?: unknown; raw?: string | Buffer; stream?: Readable; contentType?: string } = {}) {
  if (opts.stream !== undefined) return { payload: opts.stream, contentType: opts.contentType ?? 'application/octet-stream' };
  if (opts.raw !== undefined) return { payload: opts.raw, contentType: opts.contentType ?? 'text/plain' };
  if (opts.body !== undefined) return { payload: JSON.stringify(opts.body), contentType: 'application/json' };
  return { payload: undefined, contentType: undefined };
}

/**
 * HTTPS to the local server, trusting exactly the certificate it announced in the data directory: the connection is
 * handed to the request only after the fingerprint matched, so nothing (the operator token least) is sent before.
 */
function pinnedRequest(url: string, method: string, headers: Record<string, string>, body: string | Buffer | Readable | undefined, certSha256: string): Promise<ApiResponse> {
  const agent = new https.Agent({ keepAlive: false });
  const create = (options: tls.ConnectionOptions, done: (err: Error | null, socket?: Duplex) => void) => {
    const socket = tls.connect({ ...options, rejectUnauthorized: false });
    socket.once('error', (err) => done(err));
    socket.once('secureConnect', () => {
      const seen = socket.getPeerCertificate().fingerprint256;
      if (seen === certSha256) done(null, socket);
      else {
        socket.destroy();
        done(new Error(`the server at ${url} presented certificate ${seen}, not the one it announced in the data directory (${certSha256})`));
      }
    });
    return undefined;
  };
  (agent as unknown as { createConnection: typeof create }).createConnection = create;
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(wrap(res.statusCode ?? 0, res.headers, Buffer.concat(chunks))));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body instanceof Readable) body.on('error', reject).pipe(req);
    else req.end(body);
  });
}

export function httpClient(baseUrl: string, token: string, via: string, certSha256?: string): ApiClient {
  return {
    via,
    async request(method, path, opts = {}) {
      const { payload, contentType } = encode(opts);
      if (certSha256) {
        const headers: Record<string, string> = { authorization: `Bearer ${token}`, ...(contentType ? { 'content-type': contentType } : {}) };
        return pinnedRequest(`${baseUrl.replace(/\/$/, '')}${path}${queryString(opts.query)}`, method, headers, payload, certSha256);
      }
      const res = await fetch(`${baseUrl.replace(/\/$/, '')}${path}${queryString(opts.query)}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(contentType ? { 'content-type': contentType } : {}) },
        body: typeof payload === 'string' || payload === undefined ? payload : payload instanceof Readable ? (payload as unknown as Uint8Array) : new Uint8Array(payload),
        ...(payload instanceof Readable ? { duplex: 'half' } : {}),
      } as RequestInit);
      return wrap(res.status, Object.fromEntries(res.headers.entries()), Buffer.from(await res.arrayBuffer()));
    },
    async close() {},
  };
}

/** Requests straight into an app in this process (no socket), encoded as over HTTP. Closing it leaves the app open. */
export function injectClient(app: FastifyInstance, token: string, via: string): ApiClient {
  return {
    via,
    async request(method, path, opts = {}) {
      const { payload, contentType } = encode(opts);
      const res = await app.inject({
        method: method as 'GET',
        url: `${path}${queryString(opts.query)}`,
        headers: { authorization: `Bearer ${token}`, ...(contentType ? { 'content-type': contentType } : {}) },
        payload,
      });
      return wrap(res.statusCode, res.headers, res.rawPayload);
    },
    async close() {},
  };
}

export async function inProcessClient(config: Config): Promise<ApiClient> {
  const database = await openDatabase(config);
  let app: FastifyInstance;
  try {
    await migrate(database.db);
    const token = randomSecret('plo_');
    app = await buildApp({ database, config, logger: pino({ level: 'silent' }), localOperatorToken: token, webDir: null });
    await app.ready();
    const client = injectClient(app, token, database.kind === 'embedded' ? `embedded database ${config.dataDir}` : 'PostgreSQL (DATABASE_URL)');
    return {
      ...client,
      database,
      async close() {
        await app.close();
        await database.close();
      },
    };
  } catch (err) {
    await database.close();
    throw err;
  }
}

export async function connect(config: Config, env: Record<string, string | undefined> = process.env): Promise<ApiClient> {
  if (env.PATCHLOOP_URL) {
    if (!env.PATCHLOOP_TOKEN) throw new Error('PATCHLOOP_URL is set but PATCHLOOP_TOKEN is not: create a token in the web UI (Settings → API tokens)');
    return httpClient(env.PATCHLOOP_URL, env.PATCHLOOP_TOKEN, env.PATCHLOOP_URL);
  }
  if (!config.databaseUrl && dataDirHolder(config.dataDir) !== null) {
    try {
      const { url, token, certSha256 } = JSON.parse(fs.readFileSync(cliTokenPath(config.dataDir), 'utf8'));
      return httpClient(url, token, `server at ${url}`, certSha256);
    } catch {
      throw new Error(`The embedded database in ${config.dataDir} is held by another process that is not a patchloop server (or it is still starting); try again shortly`);
    }
  }
  return inProcessClient(config);
}

/** Sends a request and returns the parsed JSON, or throws the API's problem as an error. */
export async function call<T = any>(client: ApiClient, method: string, path: string, opts?: Parameters<ApiClient['request']>[2]): Promise<T> {
  const res = await client.request(method, path, opts);
  if (res.status >= 400) {
    let problem = {};
    try {
      problem = res.json();
    } catch {
      problem = { detail: res.body.slice(0, 500) };
    }
    throw new ApiError(res.status, problem);
  }
  const ct = String(res.headers['content-type'] ?? '');
  return (ct.includes('json') && !ct.includes('ndjson') ? res.json() : res.body) as T;
}
