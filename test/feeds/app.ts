import fastifyCookie from '@fastify/cookie';
import Fastify, { type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { registerAuth } from '../../src/http/plugins/auth.js';
import { registerErrorHandling } from '../../src/http/plugins/errors.js';
import { feedRoutes } from '../../src/http/routes/feeds.js';
import '../../src/http/types.js';
import { type TestApp, testApp } from '../support/app.js';
import { freshDatabase } from '../support/db.js';

/**
 * The full application when feedRoutes is wired into buildApp; until then an
 * app made the way buildApp makes it (auth, errors, zod) with the feed routes.
 */
export async function feedsApp(): Promise<TestApp> {
  const t = await testApp();
  if (t.app.hasRoute({ method: 'GET', url: '/api/feeds' })) return t;
  await t.app.close();
  const database = t.database;
  const app = Fastify({ bodyLimit: 1024 * 1024 }) as unknown as FastifyInstance;
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandling(app);
  await app.register(fastifyCookie);
  app.addContentTypeParser(['text/csv', 'text/plain'], { parseAs: 'string' }, (_req, body, done) => done(null, body));
  registerAuth(app, database.db, {});
  feedRoutes(app, database.db);
  app.post('/api/echo', { config: { public: true } }, (req) => ({ type: typeof req.body, body: req.body }));
  await app.ready();
  return {
    app,
    database,
    async close() {
      await app.close();
      await database.close();
    },
  };
}

export { freshDatabase };
