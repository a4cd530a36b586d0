import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { sshCollectSchema, sshHostSchema, sshTargetInputSchema, sshTargetSchema } from '../../domain/ssh/target.js';
import type { Config } from '../../lib/config.js';
import { masterKey } from '../../lib/secrets.js';
import * as ssh from '../../services/ssh/ssh-targets.service.js';
import type { Db } from '../../storage/db.js';
import { errorResponses } from '../problem.js';
import { ctxOf } from '../types.js';

const tags = ['Agentless collection (SSH)'];
const idParams = z.strictObject({ id: z.uuid() });
const WRITERS = ['asset:write', 'asset:write_own'] as const;

const scannedKeySchema = z.object({
  type: z.string(),
  key: z.string(),
  fingerprint: z.string().describe('SHA256 fingerprint, as ssh-keygen -l prints it: compare it with the one on the host\'s console before pinning'),
  line: z.string().describe('What to pin (hostKeys of the target)'),
});

export function sshRoutes(app: FastifyInstance, db: Db, config: Config) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const deps: ssh.SshDeps = { db, secrets: masterKey(config) };

  r.get('/api/ssh-targets', {
    config: { permission: 'asset:read' },
    schema: { tags, operationId: 'listSshTargets', summary: 'Every SSH collection target with its last collection', response: { 200: z.object({ items: z.array(sshTargetSchema) }), ...errorResponses } },
  }, async (req) => ({ items: await ssh.listTargets(db, ctxOf(req)) }));

  r.get('/api/assets/:id/ssh-target', {
    config: { permission: 'asset:read' },
    schema: {
      tags, operationId: 'getSshTarget', summary: "The asset's SSH collection target (credentials are never returned)",
      params: idParams, response: { 200: sshTargetSchema, ...errorResponses },
    },
  }, (req) => ssh.getTarget(db, ctxOf(req), req.params.id));

  r.put('/api/assets/:id/ssh-target', {
    config: { permission: [...WRITERS] },
    schema: {
      tags, operationId: 'putSshTarget', summary: "Create or replace the asset's SSH collection target",
      description:
        'The credential is checked (a key and its passphrase with ssh-keygen) and stored encrypted (AES-256-GCM under the server\'s master key); leave it out to keep the stored one. hostKeys pins the keys the host must present: collection refuses any other. 201 when created.',
      params: idParams, body: sshTargetInputSchema, response: { 200: sshTargetSchema, 201: sshTargetSchema, ...errorResponses },
    },
  }, async (req, reply) => {
    const { target, created } = await ssh.putTarget(deps, ctxOf(req), req.params.id, req.body);
    return reply.code(created ? 201 : 200).send(target);
  });

  r.delete('/api/assets/:id/ssh-target', {
    config: { permission: [...WRITERS] },
    schema: { tags, operationId: 'deleteSshTarget', summary: "Remove the asset's SSH target and its stored credential", params: idParams, response: { 204: z.null(), ...errorResponses } },
  }, async (req, reply) => {
    await ssh.deleteTarget(db, ctxOf(req), req.params.id);
    return reply.code(204).send(null);
  });

  r.post('/api/assets/:id/ssh-target/collect', {
    config: { permission: [...WRITERS] },
    schema: {
      tags, operationId: 'collectOverSsh', summary: 'Collect the inventory over SSH now',
      description:
        'Connects with strict host key checking against the pinned keys, copies the files the agent\'s collectors read (os-release, the dpkg, rpm or apk database) and collects them here, then stores the inventory (source "ssh") and re-matches the asset. A failure (unknown or changed host key, authentication, unreachable host…) is answered with status "failed" and its kind, stores no inventory, and is kept on the target and in the audit trail.',
      params: idParams, response: { 200: sshCollectSchema, ...errorResponses },
    },
  }, (req) => ssh.collectNow(deps, ctxOf(req), req.params.id));

  r.post('/api/ssh/host-keys/scan', {
    config: { permission: 'system:admin' },
    schema: {
      tags, operationId: 'scanSshHostKeys', summary: 'Read the host keys a server offers (ssh-keyscan), to check and pin',
      description: 'Nothing is pinned or trusted by this call: an administrator compares the fingerprint with the host and then pins the key on the target. An empty list means no SSH server answered.',
      body: z.strictObject({ host: sshHostSchema, port: z.number().int().min(1).max(65535).default(22) }),
      response: { 200: z.object({ host: z.string(), port: z.number().int(), keys: z.array(scannedKeySchema) }), ...errorResponses },
    },
  }, async (req) => ({ host: req.body.host, port: req.body.port, keys: await ssh.scanHostKeys(ctxOf(req), req.body.host, req.body.port) }));
}
