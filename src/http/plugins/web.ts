import fs from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/** Serves the built web UI; unknown non-API paths get index.html (client-side routing). */
export async function registerWeb(app: FastifyInstance, webDir: string | null) {
  if (!webDir || !fs.existsSync(path.join(webDir, 'index.html'))) {
    app.log.warn({ webDir }, 'web UI not built: run "npm run build" (the API works without it)');
    return;
  }
  await app.register(fastifyStatic, { root: webDir, prefix: '/', index: ['index.html'], wildcard: false, maxAge: '1h', immutable: false });
  const index = fs.readFileSync(path.join(webDir, 'index.html'));
  app.get('/*', { config: { public: true }, schema: { hide: true } }, (req, reply) => {
    if (req.url.startsWith('/api/')) return reply.callNotFound();
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(index);
  });
}
