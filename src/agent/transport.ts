import http from 'node:http';
import https from 'node:https';
import { gzipSync } from 'node:zlib';

/**
 * The agent's one HTTP call: JSON out (gzip-compressed), JSON back, over HTTPS
 * with the server's certificate verified against the system roots or the CA
 * file given at enrolment. Plain HTTP only when the operator asked for it.
 */
export interface ServerEndpoint {
  url: string;
  /** PEM bundle of the CA that signed the server certificate (private CAs). */
  ca?: string;
  allowHttp?: boolean;
  timeoutMs?: number;
}

export class TransportError extends Error {
  /** A network failure or a server error: the report stays in the spool and is sent again later. */
  readonly retry: boolean;
  constructor(message: string, retry: boolean, readonly status?: number, readonly body?: unknown) {
    super(message);
    this.retry = retry;
  }
}

export function checkServerUrl(raw: string, allowHttp = false): URL {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new Error(`--server: "${raw}" is not a URL (e.g. https://patchloop.example.org)`);
  }
  if (u.protocol === 'http:' && !allowHttp) throw new Error('--server: the agent talks HTTPS only; give an https:// URL (or --allow-http for a test set-up)');
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error(`--server: unsupported scheme ${u.protocol}`);
  return u;
}

export async function postJson(ep: ServerEndpoint, path: string, body: unknown, credential?: string): Promise<{ status: number; json: unknown }> {
  const base = checkServerUrl(ep.url, ep.allowHttp);
  const target = new URL(path, base.href.endsWith('/') ? base.href : `${base.href}/`);
  const payload = gzipSync(Buffer.from(JSON.stringify(body)));
  const headers: Record<string, string | number> = {
    'content-type': 'application/json',
    'content-encoding': 'gzip',
    'content-length': payload.length,
    accept: 'application/json',
    'user-agent': 'patchloop-agent',
  };
  if (credential) headers.authorization = `Bearer ${credential}`;
  const lib = target.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(
      target,
      { method: 'POST', headers, timeout: ep.timeoutMs ?? 120_000, ...(target.protocol === 'https:' ? { ca: ep.ca, rejectUnauthorized: true } : {}) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (err) => reject(new TransportError(`reading the answer of ${target.host}: ${err.message}`, true)));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown = null;
          try {
            json = text ? JSON.parse(text) : null;
          } catch {
            json = { detail: text.slice(0, 500) };
          }
          resolve({ status: res.statusCode ?? 0, json });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (err: NodeJS.ErrnoException) => {
      // Certificate problems are configuration errors, not outages: retrying changes nothing.
      const tls = /certificate|self.signed|unable to verify|CERT_|ERR_TLS/i.test(`${err.code ?? ''} ${err.message}`);
      reject(new TransportError(`${target.origin}: ${err.message}${tls ? ' (check --ca-file)' : ''}`, !tls));
    });
    req.end(payload);
  });
}

/** The problem+json detail of an error answer, for messages. */
export function problemDetail(json: unknown): string {
  const p = json as { detail?: string; errors?: { field: string; message: string }[] } | null;
  if (!p?.detail) return JSON.stringify(json)?.slice(0, 300) ?? '';
  return p.errors?.length ? `${p.detail} (${p.errors.slice(0, 3).map((e) => `${e.field}: ${e.message}`).join('; ')})` : p.detail;
}
