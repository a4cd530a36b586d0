import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import fastifyCookie from '@fastify/cookie';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import type { JobQueue } from '../jobs/queue.js';
import { type Config, ConfigError } from '../lib/config.js';
import type { Database } from '../storage/db.js';
import { registerAuth } from './plugins/auth.js';
import { registerErrorHandling } from './plugins/errors.js';
import { registerMetrics } from './plugins/metrics.js';
import { registerWeb } from './plugins/web.js';
import { accountRoutes } from './routes/accounts.js';
import { agentRoutes } from './routes/agents.js';
import { assetRoutes } from './routes/assets.js';
import { auditRoutes } from './routes/audit.js';
import { feedRoutes } from './routes/feeds.js';
import { scanImportRoutes } from './routes/scan-imports.js';
import { eolRoutes } from './routes/eol.js';
import { findingRoutes } from './routes/findings.js';
import { findingValidationRoutes } from './routes/finding-validation.js';
import { policyRoutes } from './routes/policy.js';
import { exceptionRoutes } from './routes/exceptions.js';
import { inventoryRoutes } from './routes/inventory.js';
import { authRoutes } from './routes/auth.js';
import { oidcRoutes, type OidcClient } from './routes/oidc.js';
import { sshRoutes } from './routes/ssh.js';
import { notificationRoutes } from './routes/notifications.js';
import { configureNotifications } from '../services/notifications/settings.js';
import { systemRoutes } from './routes/system.js';
import { versionRoutes } from './routes/versions.js';
import { vulnerabilityRoutes } from './routes/vulnerabilities.js';
import './types.js';

export interface AppDeps {
  database: Database;
  config: Config;
  logger: Logger;
  jobs?: JobQueue;
  /** Secret the CLI on this machine presents to act as the local operator. */
  localOperatorToken?: string;
  oidc?: OidcClient;
  /** Folder of the built web UI, or null for an API-only server. */
  webDir?: string | null;
  /** Told when an agent report was accepted (wakes the report applier). */
  onReportAccepted?: () => void;
}

function readTls(tls: NonNullable<Config['tls']>) {
  const read = (file: string, v: string) => {
    try {
      return fs.readFileSync(file);
    } catch (err) {
      throw new ConfigError(`Invalid configuration:\n  ${v}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  };
  return { cert: read(tls.certFile, 'PATCHLOOP_TLS_CERT'), key: read(tls.keyFile, 'PATCHLOOP_TLS_KEY') };
}

const REQUEST_ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { database, config } = deps;
  // Process-wide: escalations raised by code without the configuration at hand (a feed import, a job) read it from there.
  configureNotifications(config, deps.logger);
  const app: FastifyInstance = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: config.bodyLimitBytes,
    trustProxy: config.trustProxy,
    requestIdHeader: false,
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID_RE.test(incoming) ? incoming : randomUUID();
    },
    routerOptions: { ignoreTrailingSlash: true },
    ...(config.tls ? { https: readTls(config.tls) } : {}),
  }) as unknown as FastifyInstance;
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandling(app);

  app.addHook('onSend', async (req, reply) => {
    reply.header('x-request-id', req.id);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'same-origin');
    if (!req.url.startsWith('/api/docs')) {
      reply.header('x-frame-options', 'DENY');
      reply.header('content-security-policy', "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'");
    }
  });

  await app.register(fastifyCookie);
  await app.register(fastifyRateLimit, { global: false });
  app.addContentTypeParser(['text/csv', 'text/plain'], { parseAs: 'string' }, (_req, body, done) => done(null, body));

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'patchloop API',
        version: '1',
        description:
          'Patch and vulnerability management. Authenticate with a session cookie (browser; writes need the X-CSRF-Token header) or a bearer API token. Errors are RFC 9457 problem+json with a requestId.',
      },
      components: {
        securitySchemes: {
          bearerToken: { type: 'http', scheme: 'bearer', description: 'API token (plt_…) from /api/tokens' },
          sessionCookie: { type: 'apiKey', in: 'cookie', name: 'patchloop_session' },
        },
      },
      security: [{ bearerToken: [] }, { sessionCookie: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/api/docs' });
  app.get('/api/openapi.json', { config: { public: true }, schema: { hide: true } }, () => app.swagger());

  registerAuth(app, database.db, { localOperatorToken: deps.localOperatorToken });
  registerMetrics(app);
  systemRoutes(app, database, deps.jobs);
  authRoutes(app, database.db, config);
  oidcRoutes(app, database.db, config, deps.oidc);
  accountRoutes(app, database.db);
  assetRoutes(app, database.db);
  agentRoutes(app, database.db, deps.onReportAccepted);
  auditRoutes(app, database.db);
  const jobs = deps.jobs;
  const enqueueRun = jobs
    ? async (runId: string, requestedBy: string) => {
        await jobs.send('matching.full', { runId, requestedBy });
      }
    : null;
  findingRoutes(app, database.db, enqueueRun);
  findingValidationRoutes(app, database.db);
  policyRoutes(app, database.db);
  exceptionRoutes(app, database.db);
  inventoryRoutes(app, database.db);
  versionRoutes(app);
  feedRoutes(app, database.db);
  scanImportRoutes(app, database.db, config.importLimitBytes);
  eolRoutes(app, database.db);
  vulnerabilityRoutes(app, database.db);
  sshRoutes(app, database.db, config);
  notificationRoutes(app, database.db);
  await registerWeb(app, deps.webDir ?? null);
  return app;
}
