import { sql } from 'kysely';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ENVIRONMENTS, SYSTEM_TYPES, CRITICALITIES, EXPOSURES, OS_FAMILIES } from '../../domain/assets/asset.js';
import { PERMISSIONS, ROLE_LABELS, ROLE_PERMISSIONS, ROLES } from '../../domain/auth/roles.js';
import type { JobQueue } from '../../jobs/queue.js';
import { packageVersion } from '../../lib/paths.js';
import { authorize } from '../../services/context.js';
import * as audit from '../../services/audit/audit.service.js';
import { BadRequestError } from '../../lib/errors.js';
import * as demo from '../../services/demo/demo.service.js';
import type { Database } from '../../storage/db.js';
import { errorResponses } from '../problem.js';
import { ctxOf } from '../types.js';

const VERSION = packageVersion();

export function systemRoutes(app: FastifyInstance, database: Database, jobs: JobQueue | undefined) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const db = database.db;

  r.get('/healthz', { config: { public: true }, schema: { hide: true } }, async () => ({ status: 'ok' }));
  r.get('/readyz', { config: { public: true }, schema: { hide: true } }, async (_req, reply) => {
    try {
      await sql`select 1`.execute(db);
      return { status: 'ready', database: database.kind };
    } catch {
      return reply.code(503).send({ status: 'unavailable', reason: 'database not reachable' });
    }
  });

  const tags = ['System'];
  r.get('/api/system/info', {
    config: { permission: 'asset:read' },
    schema: {
      tags, operationId: 'systemInfo', summary: 'Version, database kind, vocabularies and job queue state',
      response: {
        200: z.object({
          version: z.string(),
          database: z.enum(['embedded', 'postgres']),
          roles: z.array(z.object({ id: z.enum(ROLES), label: z.string(), permissions: z.array(z.enum(PERMISSIONS)) })),
          vocabularies: z.object({
            environments: z.array(z.string()), systemTypes: z.array(z.string()), criticalities: z.array(z.string()),
            exposures: z.array(z.string()), osFamilies: z.array(z.string()),
          }),
          jobs: z.array(z.object({ name: z.string(), queued: z.number() })),
        }),
        ...errorResponses,
      },
    },
  }, async (req) => {
    const ctx = ctxOf(req);
    authorize(ctx, 'asset:read');
    return {
      version: VERSION,
      database: database.kind,
      roles: ROLES.map((id) => ({ id, label: ROLE_LABELS[id], permissions: [...ROLE_PERMISSIONS[id]] })),
      vocabularies: { environments: [...ENVIRONMENTS], systemTypes: [...SYSTEM_TYPES], criticalities: [...CRITICALITIES], exposures: [...EXPOSURES], osFamilies: [...OS_FAMILIES] },
      jobs: jobs ? await jobs.stats() : [],
    };
  });

  r.post('/api/system/demo', {
    config: { permission: 'system:admin' },
    schema: {
      tags, operationId: 'loadDemo', summary: 'Load the sample organisation (users, teams, 300+ assets)',
      response: { 201: z.object({ users: z.number(), teams: z.number(), assets: z.number() }), ...errorResponses },
    },
  }, async (req, reply) => reply.code(201).send(await demo.loadDemo(db, ctxOf(req))));

  r.get('/api/system/backup', {
    config: { permission: 'system:admin' },
    schema: {
      tags, operationId: 'backup', summary: 'Download a consistent backup of the embedded database (gzipped tar)',
      description: 'Only for the embedded database; back up a PostgreSQL server with pg_dump.',
      produces: ['application/gzip'],
      response: { 200: z.any(), ...errorResponses },
    },
  }, async (req, reply) => {
    const ctx = ctxOf(req);
    authorize(ctx, 'system:admin');
    if (!database.dump) throw new BadRequestError('This server uses PostgreSQL: back it up with pg_dump');
    const tarball = await database.dump();
    await database.db.transaction().execute((tx) => audit.record(tx, ctx, { action: 'system.backup', entityType: 'system', entityId: null, after: { bytes: tarball.byteLength } }));
    return reply.header('content-type', 'application/gzip').header('content-disposition', 'attachment; filename="patchloop-backup.tar.gz"').send(Buffer.from(tarball));
  });
}
