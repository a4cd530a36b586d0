import type { FastifyInstance, FastifyReply } from 'fastify';
import * as oidc from 'openid-client';
import type { Logger } from 'pino';
import { isRole, type Role } from '../../domain/auth/roles.js';
import { USERNAME_RE } from '../../domain/auth/accounts.js';
import type { Config } from '../../lib/config.js';
import { systemPrincipal } from '../../domain/auth/principal.js';
import * as auth from '../../services/auth/auth.service.js';
import * as audit from '../../services/audit/audit.service.js';
import { insertUser } from '../../services/users/users.service.js';
import type { Db } from '../../storage/db.js';
import { setSessionCookie } from './auth.js';

/** OIDC single sign-on (SEC-1): authorization code flow with PKCE, state and nonce. */
export interface OidcClient {
  readonly configuration: oidc.Configuration;
  readonly issuer: string;
}

const FLOW_COOKIE = 'patchloop_oidc';

export async function createOidcClient(config: Config, logger: Logger): Promise<OidcClient> {
  const o = config.oidc;
  if (!o) throw new Error('OIDC is not configured');
  const insecure = o.issuer.startsWith('http://');
  if (insecure) logger.warn({ issuer: o.issuer }, 'OIDC issuer uses plain HTTP: acceptable only for tests and local development');
  const configuration = await oidc.discovery(
    new URL(o.issuer),
    o.clientId,
    o.clientSecret,
    o.clientSecret ? undefined : oidc.None(),
    insecure ? { execute: [oidc.allowInsecureRequests] } : undefined,
  );
  return { configuration, issuer: configuration.serverMetadata().issuer };
}

export function oidcRoutes(app: FastifyInstance, db: Db, config: Config, client: OidcClient | undefined) {
  const redirectUri = `${config.publicUrl}/api/auth/oidc/callback`;
  const fail = (reply: FastifyReply, message: string) => reply.clearCookie(FLOW_COOKIE, { path: '/api/auth/oidc' }).redirect(`/login?error=${encodeURIComponent(message)}`);

  app.get('/api/auth/oidc/login', { config: { public: true }, schema: { tags: ['Authentication'], operationId: 'oidcLogin', summary: 'Start single sign-on (redirects to the identity provider)' } }, async (_req, reply) => {
    if (!client || !config.oidc) return fail(reply, 'Single sign-on is not configured');
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(client.configuration, {
      redirect_uri: redirectUri,
      scope: config.oidc.scopes,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    reply.setCookie(FLOW_COOKIE, JSON.stringify({ verifier, state, nonce }), { httpOnly: true, sameSite: 'lax', secure: config.secureCookies, path: '/api/auth/oidc', maxAge: 600 });
    return reply.redirect(url.href);
  });

  app.get('/api/auth/oidc/callback', { config: { public: true }, schema: { tags: ['Authentication'], operationId: 'oidcCallback', summary: 'Identity provider redirects here; starts the session' } }, async (req, reply) => {
    if (!client || !config.oidc) return fail(reply, 'Single sign-on is not configured');
    let flow: { verifier: string; state: string; nonce: string };
    try {
      flow = JSON.parse(req.cookies[FLOW_COOKIE] ?? '');
    } catch {
      return fail(reply, 'The sign-on attempt expired or was started in another browser; try again');
    }
    let claims: oidc.IDToken;
    try {
      const current = new URL(req.url, config.publicUrl);
      const tokens = await oidc.authorizationCodeGrant(client.configuration, current, {
        pkceCodeVerifier: flow.verifier,
        expectedState: flow.state,
        expectedNonce: flow.nonce,
        idTokenExpected: true,
      });
      claims = tokens.claims() as oidc.IDToken;
      // Many providers release profile claims (and custom ones such as the role) only
      // through UserInfo when an access token is issued: merge them, the ID token winning.
      if (tokens.access_token && client.configuration.serverMetadata().userinfo_endpoint) {
        const info = await oidc.fetchUserInfo(client.configuration, tokens.access_token, claims.sub);
        claims = { ...info, ...claims } as oidc.IDToken;
      }
    } catch (err) {
      req.log.warn({ err }, 'OIDC callback rejected');
      return fail(reply, 'The identity provider\'s answer was not accepted');
    }
    const roleClaim = claims[config.oidc.roleClaim];
    const claimedRole = Array.isArray(roleClaim) ? roleClaim.find(isRole) : isRole(roleClaim) ? roleClaim : undefined;
    const user = await db.transaction().execute(async (tx) => {
      const ctx = { principal: systemPrincipal(`sso (${client.issuer})`), requestId: String(req.id), ip: req.ip };
      let u = await tx.selectFrom('users').selectAll().where('oidc_issuer', '=', client.issuer).where('oidc_subject', '=', claims.sub).executeTakeFirst();
      // An e-mail address names (and may link) an account only when the provider verified it.
      const verifiedEmail = claims.email_verified === true && typeof claims.email === 'string' ? claims.email : '';
      const preferred = String(claims.preferred_username ?? verifiedEmail);
      if (!u && preferred) {
        // An administrator may pre-create an SSO-only account (no password) with the same user name.
        const pre = await tx.selectFrom('users').selectAll().where((eb) => eb(eb.fn('lower', ['username']), '=', preferred.toLowerCase())).executeTakeFirst();
        if (pre && !pre.password_hash && !pre.oidc_subject) {
          u = await tx.updateTable('users').set({ oidc_issuer: client.issuer, oidc_subject: claims.sub, updated_at: new Date() }).where('id', '=', pre.id).returningAll().executeTakeFirstOrThrow();
          await audit.record(tx, ctx, { action: 'user.link_sso', entityType: 'user', entityId: u.id, after: { issuer: client.issuer, subject: claims.sub } });
        }
      }
      if (!u) {
        const role = claimedRole ?? (config.oidc?.defaultRole && isRole(config.oidc.defaultRole) ? (config.oidc.defaultRole as Role) : undefined);
        if (!role) return null;
        const fallback = `sso-${claims.sub}`.slice(0, 64).replace(/[^A-Za-z0-9._@-]/g, '-');
        // A preferred name already used by another account (a local one, or one linked to
        // another identity) must neither take it over nor fail the sign-in: use the fallback.
        const taken = USERNAME_RE.test(preferred)
          ? await tx.selectFrom('users').select('id').where((eb) => eb(eb.fn('lower', ['username']), '=', preferred.toLowerCase())).executeTakeFirst()
          : undefined;
        const username = USERNAME_RE.test(preferred) && !taken ? preferred : fallback;
        const row = await insertUser(tx, ctx, {
          username,
          role,
          displayName: String(claims.name ?? username),
          email: typeof claims.email === 'string' ? claims.email : null,
          oidcIssuer: client.issuer,
          oidcSubject: claims.sub,
        });
        return row;
      }
      if (claimedRole && claimedRole !== u.role) {
        const after = await tx.updateTable('users').set({ role: claimedRole, updated_at: new Date() }).where('id', '=', u.id).returningAll().executeTakeFirstOrThrow();
        await audit.record(tx, ctx, { action: 'user.role_from_sso', entityType: 'user', entityId: u.id, before: { role: u.role }, after: { role: claimedRole } });
        u = after;
      }
      return u;
    });
    if (!user) return fail(reply, 'Your identity provider account has no patchloop role; ask an administrator for access');
    if (user.disabled) return fail(reply, 'This account is disabled');
    const s = await auth.startSession(db, user, { sessionHours: config.sessionHours, ip: req.ip, userAgent: req.headers['user-agent'] ?? null, requestId: String(req.id), method: 'oidc' });
    setSessionCookie(reply, config, s);
    return reply.clearCookie(FLOW_COOKIE, { path: '/api/auth/oidc' }).redirect('/');
  });
}
