import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  teamCreateSchema,
  teamSchema,
  teamUpdateSchema,
  tokenCreateSchema,
  tokenSchema,
  userCreateSchema,
  userSchema,
  userUpdateSchema,
} from '../../domain/auth/accounts.js';
import * as tokens from '../../services/auth/tokens.service.js';
import * as teams from '../../services/teams/teams.service.js';
import * as users from '../../services/users/users.service.js';
import type { Db } from '../../storage/db.js';
import { errorResponses } from '../problem.js';
import { ctxOf } from '../types.js';

const idParams = z.strictObject({ id: z.uuid() });

export function accountRoutes(app: FastifyInstance, db: Db) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const ut = ['Users'];
  r.get('/api/users', {
    config: { permission: 'user:read' }, schema: { tags: ut, operationId: 'listUsers', summary: 'All user accounts', response: { 200: z.array(userSchema), ...errorResponses } } }, (req) =>
    users.listUsers(db, ctxOf(req)),
  );
  r.post('/api/users', {
    config: { permission: 'user:write' }, schema: { tags: ut, operationId: 'createUser', summary: 'Create a local or SSO account', body: userCreateSchema, response: { 201: userSchema, ...errorResponses } } }, async (req, reply) =>
    reply.code(201).send(await users.createUser(db, ctxOf(req), req.body)),
  );
  r.get('/api/users/:id', {
    config: { permission: 'user:read' }, schema: { tags: ut, operationId: 'getUser', summary: 'One user', params: idParams, response: { 200: userSchema, ...errorResponses } } }, (req) =>
    users.getUser(db, ctxOf(req), req.params.id),
  );
  r.patch('/api/users/:id', {
    config: { permission: 'user:write' }, schema: { tags: ut, operationId: 'updateUser', summary: 'Change role, name, e-mail, password or disable', params: idParams, body: userUpdateSchema, response: { 200: userSchema, ...errorResponses } } }, (req) =>
    users.updateUser(db, ctxOf(req), req.params.id, req.body),
  );

  const tt = ['API tokens'];
  r.get('/api/tokens', {
    config: { permission: 'token:own' }, schema: { tags: tt, operationId: 'listTokens', summary: 'Your API tokens (administrators: everyone\'s)', response: { 200: z.array(tokenSchema), ...errorResponses } } }, (req) =>
    tokens.listTokens(db, ctxOf(req)),
  );
  r.post('/api/tokens', {
    config: { permission: 'token:own' },
    schema: { tags: tt, operationId: 'createToken', summary: 'Create a scoped, expiring API token; the secret is shown once', body: tokenCreateSchema, response: { 201: z.object({ token: z.string(), info: tokenSchema }), ...errorResponses } },
  }, async (req, reply) => reply.code(201).send(await tokens.createToken(db, ctxOf(req), req.body)));
  r.delete('/api/tokens/:id', {
    config: { permission: 'token:own' }, schema: { tags: tt, operationId: 'revokeToken', summary: 'Revoke a token', params: idParams, response: { 200: tokenSchema, ...errorResponses } } }, (req) =>
    tokens.revokeToken(db, ctxOf(req), req.params.id),
  );

  const gt = ['Teams'];
  r.get('/api/teams', {
    config: { permission: 'team:read' }, schema: { tags: gt, operationId: 'listTeams', summary: 'Teams and groups', response: { 200: z.array(teamSchema), ...errorResponses } } }, (req) =>
    teams.listTeams(db, ctxOf(req)),
  );
  r.post('/api/teams', {
    config: { permission: 'team:write' }, schema: { tags: gt, operationId: 'createTeam', summary: 'Create a team', body: teamCreateSchema, response: { 201: teamSchema, ...errorResponses } } }, async (req, reply) =>
    reply.code(201).send(await teams.createTeam(db, ctxOf(req), req.body)),
  );
  r.get('/api/teams/:id', {
    config: { permission: 'team:read' }, schema: { tags: gt, operationId: 'getTeam', summary: 'One team', params: idParams, response: { 200: teamSchema, ...errorResponses } } }, (req) =>
    teams.getTeam(db, ctxOf(req), req.params.id),
  );
  r.patch('/api/teams/:id', {
    config: { permission: 'team:write' }, schema: { tags: gt, operationId: 'updateTeam', summary: 'Change a team (memberIds replaces the member list)', params: idParams, body: teamUpdateSchema, response: { 200: teamSchema, ...errorResponses } } }, (req) =>
    teams.updateTeam(db, ctxOf(req), req.params.id, req.body),
  );
  r.delete('/api/teams/:id', {
    config: { permission: 'team:write' }, schema: { tags: gt, operationId: 'deleteTeam', summary: 'Delete a team that owns no assets', params: idParams, response: { 204: z.null(), ...errorResponses } } }, async (req, reply) => {
    await teams.deleteTeam(db, ctxOf(req), req.params.id);
    return reply.code(204).send(null);
  });
}
