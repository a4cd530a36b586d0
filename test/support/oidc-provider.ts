/**
 * A real OpenID Connect provider (the `oidc-provider` package) on 127.0.0.1,
 * for single sign-on tests, plus a tiny cookie-keeping "browser" that follows
 * redirects by hand and fills in the provider's development login and consent
 * forms.
 */
import http from 'node:http';
import { freePort } from './net.js';

export interface TestAccount {
  sub: string;
  claims: Record<string, unknown>;
}

export interface TestProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Accounts by sub; change the claims between logins to simulate the IdP. */
  accounts: Map<string, TestAccount>;
  close(): Promise<void>;
}

export { freePort };

interface ProviderOptions {
  redirectUri: string;
  /** false puts scope claims (profile, email, the role claim) into the ID token as well as UserInfo. */
  conformIdTokenClaims?: boolean;
  /** How the client authenticates at the token endpoint (the provider's default is client_secret_basic). */
  tokenEndpointAuthMethod?: 'client_secret_basic' | 'client_secret_post';
}

type ProviderCtor = new (
  issuer: string,
  config: Record<string, unknown>,
) => { callback(): http.RequestListener; on(event: string, fn: (...args: unknown[]) => void): void };

export async function startOidcProvider(opts: ProviderOptions): Promise<TestProvider> {
  // The package ships no type declarations; a computed specifier keeps tsc from looking for them.
  const specifier = 'oidc-provider';
  const { Provider } = (await import(specifier)) as { Provider: ProviderCtor };
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const clientId = 'patchloop-test';
  const clientSecret = 'patchloop-test-secret-0123456789abcdef';
  const accounts = new Map<string, TestAccount>();

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [opts.redirectUri],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: opts.tokenEndpointAuthMethod ?? 'client_secret_basic',
      },
    ],
    async findAccount(_ctx: unknown, sub: string) {
      const acc = accounts.get(sub);
      if (!acc) return undefined;
      return { accountId: sub, claims: async () => ({ sub, ...acc.claims }) };
    },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'preferred_username', 'patchloop_role'],
    },
    conformIdTokenClaims: opts.conformIdTokenClaims ?? false,
    features: { devInteractions: { enabled: true } },
    pkce: { required: () => true },
    cookies: { keys: ['patchloop-test-cookie-key-0123456789'] },
    ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 3600, Grant: 3600 },
  });
  // Surface provider-side failures in the test output (they otherwise only become a 500 page).
  provider.on('server_error', (_ctx, err) => console.error('oidc-provider server_error', err));

  const server = http.createServer(provider.callback());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    issuer,
    clientId,
    clientSecret,
    accounts,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// ---- a minimal browser ------------------------------------------------------

interface StoredCookie {
  value: string;
  path: string;
  expires: number | null;
}

/**
 * Cookies by name for one host, as a browser keeps them (cookies ignore the
 * port, so patchloop and the provider on 127.0.0.1 share the jar just like in
 * a real browser). Redirects are not followed automatically.
 */
export class Browser {
  readonly cookies = new Map<string, StoredCookie>();

  cookieHeader(url: URL): string {
    const now = Date.now();
    const out: string[] = [];
    for (const [name, c] of this.cookies) {
      if (c.expires !== null && c.expires <= now) continue;
      if (url.pathname === c.path || url.pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`) || c.path === '/') out.push(`${name}=${c.value}`);
    }
    return out.join('; ');
  }

  get(name: string): string | undefined {
    const c = this.cookies.get(name);
    if (!c || (c.expires !== null && c.expires <= Date.now())) return undefined;
    return c.value;
  }

  private store(url: URL, setCookies: string[]) {
    for (const sc of setCookies) {
      const [pair, ...attrs] = sc.split(';').map((s) => s.trim());
      const eq = (pair as string).indexOf('=');
      const name = (pair as string).slice(0, eq);
      const value = (pair as string).slice(eq + 1);
      let p = url.pathname.replace(/\/[^/]*$/, '') || '/';
      let expires: number | null = null;
      for (const a of attrs) {
        const [k, v = ''] = a.split('=');
        const key = (k as string).toLowerCase();
        if (key === 'path') p = v || '/';
        else if (key === 'max-age') expires = Date.now() + Number(v) * 1000;
        else if (key === 'expires' && expires === null) expires = Date.parse(v);
      }
      if (expires !== null && expires <= Date.now()) this.cookies.delete(name);
      else this.cookies.set(name, { value, path: p, expires });
    }
  }

  async fetch(input: string | URL, init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {}): Promise<Response & { url: string }> {
    const url = new URL(input);
    const headers: Record<string, string> = { ...init.headers };
    const cookie = this.cookieHeader(url);
    if (cookie) headers.cookie = cookie;
    let body: string | undefined;
    if (init.form) {
      body = new URLSearchParams(init.form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    const res = await fetch(url, { method: init.method ?? (body ? 'POST' : 'GET'), headers, body, redirect: 'manual' });
    this.store(url, res.headers.getSetCookie());
    Object.defineProperty(res, 'url', { value: url.href });
    return res as Response & { url: string };
  }
}

/**
 * Follows redirects and fills the provider's dev login (as `accountId`) and
 * consent forms until the browser is sent to a URL for which `stop` answers
 * true; returns that URL without visiting it.
 */
export async function browseUntil(browser: Browser, start: string, accountId: string, stop: (u: URL) => boolean): Promise<URL> {
  let res = await browser.fetch(start);
  for (let step = 0; step < 20; step++) {
    if (res.status >= 300 && res.status < 400) {
      const next = new URL(res.headers.get('location') as string, res.url);
      if (stop(next)) return next;
      res = await browser.fetch(next);
      continue;
    }
    const html = await res.text();
    if (res.status !== 200) throw new Error(`unexpected ${res.status} at ${res.url}: ${html.slice(0, 500)}`);
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
    const prompt = /name="prompt" value="([^"]+)"/.exec(html)?.[1];
    if (!action || !prompt) throw new Error(`no interaction form at ${res.url}: ${html.slice(0, 500)}`);
    const form: Record<string, string> = prompt === 'login' ? { prompt, login: accountId, password: 'any' } : { prompt };
    res = await browser.fetch(new URL(action.replace(/&amp;/g, '&'), res.url), { form });
  }
  throw new Error('too many steps in the sign-on flow');
}
