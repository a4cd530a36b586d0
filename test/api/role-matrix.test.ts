/**
 * The role matrix (SEC-2): every route the server registers, called by every
 * role (with a session cookie and with a bearer API token) and anonymously,
 * checked against an EXPECTED table written here independently of
 * src/domain/auth/roles.ts. A route that is not in the table, or a table
 * entry that no longer exists, fails the test: new routes cannot be forgotten.
 *
 * Fastify validates bodies before the handler (and so before the service's
 * authorisation check), so every request carries a VALID body: the answer
 * then reflects authorisation, not validation. Routes with an :id are called
 * with a real id and with a random one, so a service that looks a record up
 * before it authorises (404 instead of 403 for a denied role) is caught.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES, type Role } from '../../src/domain/auth/roles.js';
import { DEFAULT_POLICY } from '../../src/domain/priority/index.js';
import * as assets from '../../src/services/assets/assets.service.js';
import * as teams from '../../src/services/teams/teams.service.js';
import { createUser } from '../../src/services/users/users.service.js';
import { onPostgres } from '../support/db.js';
import { operator, type TestApp, testApp, userWithToken } from '../support/app.js';

const PASSWORD = 'correct horse battery staple';

// ---- the expected table -----------------------------------------------------

const HUMANS = ['admin', 'security_analyst', 'system_owner', 'change_approver', 'senior_manager', 'auditor'] as const satisfies readonly Role[];
const EVERYONE = [...HUMANS, 'agent'] as const satisfies readonly Role[];
const ASSET_WRITERS = ['admin', 'security_analyst', 'system_owner'] as const satisfies readonly Role[];
/** Change any asset (the fixture asset is not the matrix system owner's); bulk import. */
const REGISTER_KEEPERS = ['admin', 'security_analyst'] as const satisfies readonly Role[];
/** Roles that manage their own API tokens; the auditor is read-only even there, the agent is a machine. */
const TOKEN_OWNERS = ['admin', 'security_analyst', 'system_owner', 'change_approver', 'senior_manager'] as const satisfies readonly Role[];
const ADMIN = ['admin'] as const satisfies readonly Role[];
/** Mark findings false positive / not affected and lift such marks (VUL-6): an analyst's judgement. */
const VALIDATORS = ['admin', 'security_analyst'] as const satisfies readonly Role[];
/** Ask for a risk exception or an SLA extension (issue #6): system owners may ask, never decide. */
const REQUESTERS = ['admin', 'security_analyst', 'system_owner'] as const satisfies readonly Role[];
/** Roles the policy may name as approvers (exception:decide); the service then checks the policy and separation of duties. */
const DECIDERS = ['admin', 'security_analyst', 'change_approver', 'senior_manager'] as const satisfies readonly Role[];
const IN_30_DAYS = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);

interface Fixtures {
  assetId: string;
  teamId: string;
  userId: string;
  loginUser: string;
}

interface Req {
  url: string;
  body?: unknown;
  contentType?: string;
}

interface Rule {
  /** Who may call it with a session cookie; 'public' = anyone, signed in or not. */
  access: 'public' | readonly Role[];
  /**
   * Who may call it with a bearer API token (default: same as access).
   * 'refused' = every token gets 401 (the route needs an interactive session).
   */
  viaToken?: readonly Role[] | 'refused';
  /** Statuses an allowed caller may get (proves the handler ran). */
  ok: readonly number[];
  /** Not in the OpenAPI document (infrastructure, docs, web UI). */
  hidden?: boolean;
  /** Real record id for :id (the route is also called with a random id, expecting `missing` for allowed callers). */
  realId?: (f: Fixtures) => string;
  /** Statuses an allowed caller may get for a random :id (default 404). */
  missing?: readonly number[];
  /**
   * Roles whose permission covers only records they own: they pass the route's
   * gate, so a random :id is 404 for them, but the fixture record (owned by
   * someone else) is 403.
   */
  ownScoped?: readonly Role[];
  /** A POST that computes and changes nothing (e.g. version comparison): readers may call it. */
  readOnly?: boolean;
  /** The call ends the session it is made with: give it a session of its own. */
  endsSession?: boolean;
  request: (f: Fixtures, id: string, n: number) => Req;
}

const assetBody = (n: number) => ({ hostname: `matrix-${n}`, environment: 'production', systemType: 'web_server', businessCriticality: 'high', networkExposure: 'internal' });

const EXPECTED: Record<string, Rule> = {
  // infrastructure and docs: public, outside the OpenAPI document
  'GET /healthz': { access: 'public', hidden: true, ok: [200], request: () => ({ url: '/healthz' }) },
  'GET /readyz': { access: 'public', hidden: true, ok: [200], request: () => ({ url: '/readyz' }) },
  'GET /metrics': { access: 'public', hidden: true, ok: [200], request: () => ({ url: '/metrics' }) },
  'GET /api/openapi.json': { access: 'public', hidden: true, ok: [200], request: () => ({ url: '/api/openapi.json' }) },
  'GET /api/docs': { access: 'public', hidden: true, ok: [200, 302], request: () => ({ url: '/api/docs' }) },
  'GET /api/docs/json': { access: 'public', hidden: true, ok: [200], request: () => ({ url: '/api/docs/json' }) },
  'GET /api/docs/yaml': { access: 'public', hidden: true, ok: [200], request: () => ({ url: '/api/docs/yaml' }) },
  'GET /api/docs/static/index.html': { access: 'public', hidden: true, ok: [302], request: () => ({ url: '/api/docs/static/index.html' }) },
  'GET /api/docs/static/swagger-initializer.js': { access: 'public', hidden: true, ok: [200], request: () => ({ url: '/api/docs/static/swagger-initializer.js' }) },
  'GET /api/docs/static/*': { access: 'public', hidden: true, ok: [200], request: () => ({ url: '/api/docs/static/swagger-ui.css' }) },

  // web UI (served when the UI is built)
  'GET /': { access: 'public', hidden: true, ok: [200], request: () => ({ url: '/' }) },
  'GET /index.html': { access: 'public', hidden: true, ok: [200], request: () => ({ url: '/index.html' }) },
  'GET /assets/app.js': { access: 'public', hidden: true, ok: [200], request: () => ({ url: '/assets/app.js' }) },
  'GET /*': { access: 'public', hidden: true, ok: [200], request: () => ({ url: '/assets-page/deep/link' }) },

  // system
  'GET /api/system/info': { access: HUMANS, ok: [200], request: () => ({ url: '/api/system/info' }) },
  'POST /api/system/demo': { access: ADMIN, ok: [201, 409], request: () => ({ url: '/api/system/demo' }) },
  'GET /api/system/backup': { access: ADMIN, ok: onPostgres() ? [400] : [200], request: () => ({ url: '/api/system/backup' }) },

  // authentication
  'GET /api/auth/status': { access: 'public', ok: [200], request: () => ({ url: '/api/auth/status' }) },
  'POST /api/auth/setup': {
    access: 'public', ok: [409],
    request: (_f, _id, n) => ({ url: '/api/auth/setup', body: { code: 'ABCD-EFGH', username: `late-admin-${n}`, password: PASSWORD } }),
  },
  'POST /api/auth/login': { access: 'public', ok: [200], request: (f) => ({ url: '/api/auth/login', body: { username: f.loginUser, password: PASSWORD } }) },
  'POST /api/auth/logout': { access: EVERYONE, ok: [204], endsSession: true, request: () => ({ url: '/api/auth/logout' }) },
  'GET /api/auth/me': { access: EVERYONE, ok: [200], request: () => ({ url: '/api/auth/me' }) },
  'POST /api/auth/password': {
    access: EVERYONE, viaToken: 'refused', ok: [422], // wrong current password: passed authorisation, changed nothing
    request: () => ({ url: '/api/auth/password', body: { currentPassword: 'not the password', newPassword: 'a brand new long password' } }),
  },
  'GET /api/auth/oidc/login': { access: 'public', ok: [302], request: () => ({ url: '/api/auth/oidc/login' }) },
  'GET /api/auth/oidc/callback': { access: 'public', ok: [302], request: () => ({ url: '/api/auth/oidc/callback?code=x&state=y' }) },

  // users
  'GET /api/users': { access: HUMANS, ok: [200], request: () => ({ url: '/api/users' }) },
  'POST /api/users': { access: ADMIN, ok: [201], request: (_f, _id, n) => ({ url: '/api/users', body: { username: `made-${n}`, role: 'auditor' } }) },
  'GET /api/users/:id': { access: HUMANS, ok: [200], realId: (f) => f.userId, request: (_f, id) => ({ url: `/api/users/${id}` }) },
  'PATCH /api/users/:id': { access: ADMIN, ok: [200], realId: (f) => f.userId, request: (_f, id, n) => ({ url: `/api/users/${id}`, body: { displayName: `Target ${n}` } }) },

  // API tokens
  'GET /api/tokens': { access: TOKEN_OWNERS, ok: [200], request: () => ({ url: '/api/tokens' }) },
  'POST /api/tokens': {
    access: TOKEN_OWNERS, viaToken: [], ok: [201], // a token cannot mint further tokens
    request: () => ({ url: '/api/tokens', body: { name: 'matrix', scopes: ['asset:read'], expiresInDays: 1 } }),
  },
  'DELETE /api/tokens/:id': { access: TOKEN_OWNERS, ok: [404], request: (_f, id) => ({ url: `/api/tokens/${id}` }) },

  // teams
  'GET /api/teams': { access: HUMANS, ok: [200], request: () => ({ url: '/api/teams' }) },
  'POST /api/teams': { access: ADMIN, ok: [201], request: (_f, _id, n) => ({ url: '/api/teams', body: { name: `Matrix team ${n}` } }) },
  'GET /api/teams/:id': { access: HUMANS, ok: [200], realId: (f) => f.teamId, request: (_f, id) => ({ url: `/api/teams/${id}` }) },
  'PATCH /api/teams/:id': { access: ADMIN, ok: [200], realId: (f) => f.teamId, request: (_f, id, n) => ({ url: `/api/teams/${id}`, body: { description: `changed ${n}` } }) },
  'DELETE /api/teams/:id': { access: ADMIN, ok: [404], request: (_f, id) => ({ url: `/api/teams/${id}` }) },

  // assets
  'GET /api/assets': { access: HUMANS, ok: [200], request: () => ({ url: '/api/assets?limit=5' }) },
  'POST /api/assets': { access: ASSET_WRITERS, ok: [201], request: (_f, _id, n) => ({ url: '/api/assets', body: assetBody(n) }) },
  'GET /api/assets/facets': { access: HUMANS, ok: [200], request: () => ({ url: '/api/assets/facets' }) },
  'GET /api/assets/stats': { access: HUMANS, ok: [200], request: () => ({ url: '/api/assets/stats' }) },
  'GET /api/assets/export': { access: HUMANS, ok: [200], request: () => ({ url: '/api/assets/export' }) },
  'POST /api/assets/import': {
    access: REGISTER_KEEPERS, ok: [200],
    request: (_f, _id, n) => ({
      url: '/api/assets/import',
      contentType: 'text/csv',
      body: `hostname,environment,system_type,business_criticality,network_exposure\nimported-${n},production,web_server,high,internal\n`,
    }),
  },
  'GET /api/assets/:id': { access: HUMANS, ok: [200], realId: (f) => f.assetId, request: (_f, id) => ({ url: `/api/assets/${id}` }) },
  'PATCH /api/assets/:id': { access: REGISTER_KEEPERS, ownScoped: ['system_owner'], ok: [200], realId: (f) => f.assetId, request: (_f, id, n) => ({ url: `/api/assets/${id}`, body: { department: `Dept ${n}` } }) },
  'POST /api/assets/:id/decommission': { access: REGISTER_KEEPERS, ownScoped: ['system_owner'], ok: [200], realId: (f) => f.assetId, request: (_f, id) => ({ url: `/api/assets/${id}/decommission`, body: { reason: 'matrix' } }) },
  'POST /api/assets/:id/reactivate': { access: REGISTER_KEEPERS, ownScoped: ['system_owner'], ok: [200], realId: (f) => f.assetId, request: (_f, id) => ({ url: `/api/assets/${id}/reactivate`, body: { reason: 'matrix' } }) },
  'POST /api/assets/:id/review': { access: REGISTER_KEEPERS, ownScoped: ['system_owner'], ok: [200], realId: (f) => f.assetId, request: (_f, id) => ({ url: `/api/assets/${id}/review` }) },
  'GET /api/assets/:id/history': { access: HUMANS, ok: [200], realId: (f) => f.assetId, request: (_f, id) => ({ url: `/api/assets/${id}/history` }) },

  // inventory, findings, matching
  'PUT /api/assets/:id/inventory': {
    access: REGISTER_KEEPERS, ownScoped: ['system_owner'], ok: [200], realId: (f) => f.assetId,
    request: (_f, id, n) => ({ url: `/api/assets/${id}/inventory`, body: { release: 'bookworm', packages: [{ name: 'openssl', version: `3.0.${n}-1` }] } }),
  },
  'POST /api/assets/:id/inventory/import': {
    access: REGISTER_KEEPERS, ownScoped: ['system_owner'], ok: [200], realId: (f) => f.assetId,
    request: (_f, id, n) => ({ url: `/api/assets/${id}/inventory/import`, body: { format: 'cyclonedx', release: 'bookworm', content: JSON.stringify({ bomFormat: 'CycloneDX', components: [{ name: 'lodash', purl: `pkg:npm/lodash@4.17.${n}` }] }) } }),
  },
  'GET /api/assets/:id/inventory/history': { access: HUMANS, ok: [200], realId: (f) => f.assetId, request: (_f, id) => ({ url: `/api/assets/${id}/inventory/history` }) },
  'GET /api/assets/:id/inventory': { access: HUMANS, ok: [200], realId: (f) => f.assetId, request: (_f, id) => ({ url: `/api/assets/${id}/inventory` }) },
  'GET /api/findings': { access: HUMANS, ok: [200], request: () => ({ url: '/api/findings?limit=5' }) },
  // Finding ids are digits: a made-up one is a number no finding has.
  'GET /api/findings/:id': { access: HUMANS, ok: [200], request: (_f, id) => ({ url: `/api/findings/${/^\d+$/.test(id) ? id : '900000000001'}` }) },
  // Validation of findings (VUL-6): the matrix has no finding, so an allowed caller gets 422 (no such finding) or 404.
  'POST /api/findings/validation': {
    access: VALIDATORS, ok: [422],
    request: () => ({ url: '/api/findings/validation', body: { findingIds: ['900000000001'], status: 'not_affected', justification: 'component_not_present', reason: 'matrix' } }),
  },
  'DELETE /api/findings/:id/validation': {
    access: VALIDATORS, ok: [404],
    request: (_f, id) => ({ url: `/api/findings/${/^\d+$/.test(id) ? id : '900000000001'}/validation`, body: { reason: 'matrix' } }),
  },
  'GET /api/findings/groups': { access: HUMANS, ok: [200], request: () => ({ url: '/api/findings/groups?by=vulnerability' }) },
  'GET /api/findings/export.csv': { access: HUMANS, ok: [200], request: () => ({ url: '/api/findings/export.csv?status=open' }) },
  'GET /api/findings/sla-summary': { access: HUMANS, ok: [200], request: () => ({ url: '/api/findings/sla-summary?mine=true' }) },
  'GET /api/findings/views': { access: HUMANS, ok: [200], request: () => ({ url: '/api/findings/views' }) },
  'POST /api/findings/views': { access: TOKEN_OWNERS, ok: [201], request: (_f, _id, n) => ({ url: '/api/findings/views', body: { name: `matrix ${n}`, query: 'status=open' } }) },
  'PATCH /api/findings/views/:id': { access: TOKEN_OWNERS, ok: [404], request: (_f, id) => ({ url: `/api/findings/views/${id}`, body: { name: 'renamed' } }) },
  'DELETE /api/findings/views/:id': { access: TOKEN_OWNERS, ok: [404], request: (_f, id) => ({ url: `/api/findings/views/${id}` }) },
  'GET /api/findings/vex': { access: HUMANS, ok: [200], request: () => ({ url: '/api/findings/vex?format=openvex' }) },
  // The patch policy (issue #6, GOV-1, STK-4): every human reads it; only admins version it; staff (not auditors) acknowledge it.
  'GET /api/policy': { access: HUMANS, ok: [200], request: () => ({ url: '/api/policy' }) },
  'PUT /api/policy': {
    access: ADMIN, ok: [201],
    request: (_f, _id, n) => ({ url: '/api/policy', body: { document: { ...DEFAULT_POLICY, sla: { ...DEFAULT_POLICY.sla, low: 100 + (n % 900) } }, reason: `matrix ${n}` } }),
  },
  'GET /api/policy/versions': { access: HUMANS, ok: [200], request: () => ({ url: '/api/policy/versions' }) },
  'GET /api/policy/versions/:version': { access: HUMANS, ok: [200], missing: [400], realId: () => '1', request: (_f, id) => ({ url: `/api/policy/versions/${id}` }) },
  'GET /api/policy/diff': { access: HUMANS, ok: [200], request: () => ({ url: '/api/policy/diff?from=1&to=1' }) },
  'POST /api/policy/acknowledge': { access: TOKEN_OWNERS, ok: [200], request: () => ({ url: '/api/policy/acknowledge', body: {} }) },
  'GET /api/policy/acknowledgements': { access: HUMANS, ok: [200], request: () => ({ url: '/api/policy/acknowledgements' }) },
  'GET /api/findings/:id/priority': { access: HUMANS, ok: [404], request: (_f, id) => ({ url: `/api/findings/${/^\d+$/.test(id) ? id : '900000000001'}/priority` }) },
  'POST /api/priority/reprioritise': { access: ADMIN, ok: [202], request: () => ({ url: '/api/priority/reprioritise', body: { reason: 'matrix' } }) },
  // Scanner imports (issue #5): an empty Trivy report imports cleanly.
  'POST /api/imports': { access: REGISTER_KEEPERS, ok: [200], request: () => ({ url: '/api/imports', body: { SchemaVersion: 2, ArtifactName: 'matrix-app', Results: [] } }) },
  'GET /api/imports': { access: HUMANS, ok: [200], request: () => ({ url: '/api/imports' }) },
  'GET /api/imports/:id': { access: HUMANS, ok: [404], request: (_f, id) => ({ url: `/api/imports/${id}` }) },
  'POST /api/matching/runs': { access: REGISTER_KEEPERS, ok: [202], request: () => ({ url: '/api/matching/runs' }) },
  'GET /api/matching/runs/:id': { access: HUMANS, ok: [200], request: (_f, id) => ({ url: `/api/matching/runs/${id}` }) },

  'POST /api/versions/compare': { access: HUMANS, readOnly: true, ok: [200], request: () => ({ url: '/api/versions/compare', body: { ecosystem: 'deb', pairs: [{ a: '1.0-1', b: '1:0.9' }] } }) },

  // feeds and the vulnerability register
  'GET /api/feeds': { access: HUMANS, ok: [200], request: () => ({ url: '/api/feeds' }) },
  'POST /api/feeds/:feed/import': {
    access: ADMIN, ok: [200],
    request: () => ({ url: '/api/feeds/kev/import', body: { catalogVersion: '2026.11.23', dateReleased: '2026-11-23T00:00:00Z', count: 0, vulnerabilities: [] } }),
  },
  'POST /api/feeds/:feed/sync': { access: ADMIN, ok: [200, 502], request: () => ({ url: '/api/feeds/kev/sync?url=http://127.0.0.1:9/kev.json' }) },
  'GET /api/vulnerabilities': { access: HUMANS, ok: [200], request: () => ({ url: '/api/vulnerabilities?limit=5' }) },
  'GET /api/vulnerabilities/:id': { access: HUMANS, ok: [200], request: () => ({ url: '/api/vulnerabilities/CVE-1999-0001' }) },

  // host agents (issue #4): enrolment is public (the one-time token is the credential); a check-in needs an agent
  // credential from enrolment, which no matrix caller holds: the agent role passes the gate and the service refuses its API token.
  'POST /api/agent/enrol': {
    access: 'public', ok: [401],
    request: () => ({ url: '/api/agent/enrol', body: { token: 'ple_not-a-real-enrolment-token', agentVersion: '0.1.0', facts: { hostname: 'h1', fqdn: null, machineId: null, kernel: null, uptimeSeconds: null, rebootRequired: null, os: { id: 'debian', versionId: '12', codename: 'bookworm', prettyName: null }, addresses: [] } } }),
  },
  'POST /api/agent/checkin': {
    access: ['agent'], ok: [403],
    request: () => ({ url: '/api/agent/checkin', body: { reportId: randomUUID(), seq: 1, collectedAt: '2026-11-23T00:00:00Z', agentVersion: '0.1.0', facts: { hostname: 'h1', fqdn: null, machineId: null, kernel: null, uptimeSeconds: null, rebootRequired: null, os: { id: 'debian', versionId: '12', codename: 'bookworm', prettyName: null }, addresses: [] }, report: { kind: 'full', ecosystem: 'deb', distro: 'debian', release: 'bookworm', packages: [] } } }),
  },
  'GET /api/agents': { access: HUMANS, ok: [200], request: () => ({ url: '/api/agents' }) },
  'POST /api/agents/:id/revoke': { access: ADMIN, ok: [200], request: (_f, id) => ({ url: `/api/agents/${id}/revoke`, body: { reason: 'matrix' } }) },
  'GET /api/agents/enrolment-tokens': { access: ADMIN, ok: [200], request: () => ({ url: '/api/agents/enrolment-tokens' }) },
  'POST /api/agents/enrolment-tokens': { access: ADMIN, ok: [201], request: (_f, _id, n) => ({ url: '/api/agents/enrolment-tokens', body: { name: `matrix ${n}` } }) },
  'DELETE /api/agents/enrolment-tokens/:id': { access: ADMIN, ok: [200], request: (_f, id) => ({ url: `/api/agents/enrolment-tokens/${id}` }) },
  'GET /api/assets/:id/agent': { access: HUMANS, ok: [200], realId: (f) => f.assetId, request: (_f, id) => ({ url: `/api/assets/${id}/agent` }) },

  // audit trail
  'GET /api/audit': { access: HUMANS, ok: [200], request: () => ({ url: '/api/audit?limit=5' }) },
  'GET /api/audit/verify': { access: HUMANS, ok: [200], request: () => ({ url: '/api/audit/verify' }) },
  'GET /api/audit/facets': { access: HUMANS, ok: [200], request: () => ({ url: '/api/audit/facets' }) },
  'GET /api/audit/export': { access: HUMANS, ok: [200], request: () => ({ url: '/api/audit/export' }) },

  // CMDB/CSV inventory import (INV-3): many assets at once, so the register keepers only
  'POST /api/inventory/import/csv': {
    access: REGISTER_KEEPERS, ok: [200],
    request: (_f, _id, n) => ({ url: '/api/inventory/import/csv', body: { csv: `host,name,version\nmatrix-fixture,openssl,3.0.${n}-1\n`, mapping: { host: 'host', name: 'name', version: 'version' }, release: 'bookworm' } }),
  },

  // end of life (LEG-1, LEG-2): the dataset is the administrators'; controls follow the asset's write rules
  'GET /api/eol/dataset': { access: HUMANS, ok: [200], request: () => ({ url: '/api/eol/dataset' }) },
  'POST /api/eol/dataset': {
    access: ADMIN, ok: [200],
    request: () => ({ url: '/api/eol/dataset?source=matrix', body: { products: { debian: [{ cycle: '12', codename: 'Bookworm', eol: '2026-07-11', extendedSupport: '2028-06-30' }] } } }),
  },
  'POST /api/eol/dataset/sync': { access: ADMIN, ok: [502], request: () => ({ url: '/api/eol/dataset/sync?url=http://127.0.0.1:9/eol.json' }) },
  'GET /api/eol/assets': { access: HUMANS, ok: [200], request: () => ({ url: '/api/eol/assets?limit=5' }) },
  'GET /api/assets/:id/eol': { access: HUMANS, ok: [200], realId: (f) => f.assetId, request: (_f, id) => ({ url: `/api/assets/${id}/eol` }) },
  'POST /api/assets/:id/eol/controls': {
    access: REGISTER_KEEPERS, ownScoped: ['system_owner'], ok: [201], realId: (f) => f.assetId,
    request: (_f, id, n) => ({ url: `/api/assets/${id}/eol/controls`, body: { control: `Isolated VLAN ${n}`, reviewDate: '2099-01-01' } }),
  },
  'PATCH /api/assets/:id/eol/controls/:controlId': {
    access: REGISTER_KEEPERS, ownScoped: ['system_owner'], ok: [404], realId: (f) => f.assetId,
    request: (_f, id) => ({ url: `/api/assets/${id}/eol/controls/${randomUUID()}`, body: { reviewDate: '2099-01-01' } }),
  },
  'POST /api/assets/:id/eol/controls/:controlId/retire': {
    access: REGISTER_KEEPERS, ownScoped: ['system_owner'], ok: [404], realId: (f) => f.assetId,
    request: (_f, id) => ({ url: `/api/assets/${id}/eol/controls/${randomUUID()}/retire`, body: { reason: 'matrix' } }),
  },

  // agentless collection over SSH: the fixture asset has no target (404), and a new one needs its credential (422: passed authorisation, stored nothing)
  'GET /api/ssh-targets': { access: HUMANS, ok: [200], request: () => ({ url: '/api/ssh-targets' }) },
  'GET /api/assets/:id/ssh-target': { access: HUMANS, ok: [404], realId: (f) => f.assetId, request: (_f, id) => ({ url: `/api/assets/${id}/ssh-target` }) },
  'PUT /api/assets/:id/ssh-target': {
    access: REGISTER_KEEPERS, ownScoped: ['system_owner'], ok: [422], realId: (f) => f.assetId,
    request: (_f, id) => ({ url: `/api/assets/${id}/ssh-target`, body: { host: '127.0.0.1', port: 9, user: 'matrix', auth: { method: 'password' } } }),
  },
  'DELETE /api/assets/:id/ssh-target': { access: REGISTER_KEEPERS, ownScoped: ['system_owner'], ok: [404], realId: (f) => f.assetId, request: (_f, id) => ({ url: `/api/assets/${id}/ssh-target` }) },
  'POST /api/assets/:id/ssh-target/collect': { access: REGISTER_KEEPERS, ownScoped: ['system_owner'], ok: [404], realId: (f) => f.assetId, request: (_f, id) => ({ url: `/api/assets/${id}/ssh-target/collect` }) },
  'POST /api/ssh/host-keys/scan': { access: ADMIN, ok: [200], request: () => ({ url: '/api/ssh/host-keys/scan', body: { host: '127.0.0.1', port: 9 } }) },

  // risk exceptions and SLA extensions (issue #6 §5–6): request (the owner too), decide (a role the policy may name), read (everyone)
  'POST /api/exceptions': {
    access: REQUESTERS, ok: [201],
    request: (f, _id, n) => ({ url: '/api/exceptions', body: { scope: 'asset', assetId: f.assetId, riskOwnerId: f.userId, justification: `matrix ${n}`, expiresOn: IN_30_DAYS } }),
  },
  'GET /api/exceptions': { access: HUMANS, ok: [200], request: () => ({ url: '/api/exceptions' }) },
  'GET /api/exceptions/export.csv': { access: HUMANS, ok: [200], request: () => ({ url: '/api/exceptions/export.csv' }) },
  'GET /api/exceptions/:id': { access: HUMANS, ok: [404], request: (_f, id) => ({ url: `/api/exceptions/${id}` }) },
  'POST /api/exceptions/:id/approve': { access: DECIDERS, ok: [404], request: (_f, id) => ({ url: `/api/exceptions/${id}/approve`, body: {} }) },
  'POST /api/exceptions/:id/reject': { access: DECIDERS, ok: [404], request: (_f, id) => ({ url: `/api/exceptions/${id}/reject`, body: { note: 'matrix' } }) },
  'POST /api/exceptions/:id/revoke': { access: [...DECIDERS, 'system_owner'], ok: [404], request: (_f, id) => ({ url: `/api/exceptions/${id}/revoke`, body: { reason: 'matrix' } }) },
  'POST /api/exceptions/:id/review': { access: [...DECIDERS, 'system_owner'], ok: [404], request: (_f, id) => ({ url: `/api/exceptions/${id}/review`, body: { note: 'matrix' } }) },
  // The matrix has no finding: an allowed request names one that does not exist (422).
  'POST /api/sla-extensions': {
    access: REQUESTERS, ok: [422],
    request: () => ({ url: '/api/sla-extensions', body: { findingIds: ['900000000001'], newDueOn: IN_30_DAYS, justification: 'matrix: outage window', incidentRef: 'INC-1' } }),
  },
  'GET /api/sla-extensions': { access: HUMANS, ok: [200], request: () => ({ url: '/api/sla-extensions' }) },
  'GET /api/sla-extensions/:id': { access: HUMANS, ok: [404], request: (_f, id) => ({ url: `/api/sla-extensions/${id}` }) },
  'POST /api/sla-extensions/:id/approve': { access: DECIDERS, ok: [404], request: (_f, id) => ({ url: `/api/sla-extensions/${id}/approve`, body: {} }) },
  'POST /api/sla-extensions/:id/reject': { access: DECIDERS, ok: [404], request: (_f, id) => ({ url: `/api/sla-extensions/${id}/reject`, body: { note: 'matrix' } }) },
  'POST /api/sla-extensions/:id/withdraw': { access: REQUESTERS, ok: [404], request: (_f, id) => ({ url: `/api/sla-extensions/${id}/withdraw`, body: {} }) },
  'GET /api/findings/:id/extensions': { access: HUMANS, ok: [404], request: (_f, id) => ({ url: `/api/findings/${/^\d+$/.test(id) ? id : '900000000001'}/extensions` }) },

  // notifications and escalation (issue #6 §4): one's own notifications (marking them read is a write: not the auditor's);
  // chat webhooks are the administrators' (this app has no master key: a new one is refused after authorisation, 409)
  'GET /api/notifications': { access: HUMANS, ok: [200], request: () => ({ url: '/api/notifications' }) },
  'POST /api/notifications/read-all': { access: TOKEN_OWNERS, ok: [200], request: () => ({ url: '/api/notifications/read-all' }) },
  'POST /api/notifications/:id/read': { access: TOKEN_OWNERS, ok: [404], request: (_f, id) => ({ url: `/api/notifications/${/^\d+$/.test(id) ? id : '900000000001'}/read` }) },
  'GET /api/notification-webhooks': { access: ADMIN, ok: [200], request: () => ({ url: '/api/notification-webhooks' }) },
  'POST /api/notification-webhooks': { access: ADMIN, ok: [201, 409], request: (_f, _id, n) => ({ url: '/api/notification-webhooks', body: { name: `matrix ${n}`, url: 'https://hooks.example.com/services/matrix', format: 'slack' } }) },
  'PATCH /api/notification-webhooks/:id': { access: ADMIN, ok: [404], request: (_f, id) => ({ url: `/api/notification-webhooks/${id}`, body: { enabled: false } }) },
  'DELETE /api/notification-webhooks/:id': { access: ADMIN, ok: [404], request: (_f, id) => ({ url: `/api/notification-webhooks/${id}` }) },
  'POST /api/notification-webhooks/:id/test': { access: ADMIN, ok: [404], request: (_f, id) => ({ url: `/api/notification-webhooks/${id}/test` }) },
  'GET /api/escalations': { access: HUMANS, ok: [200], request: () => ({ url: '/api/escalations' }) },
  'POST /api/escalations/run': { access: ADMIN, ok: [200], request: () => ({ url: '/api/escalations/run' }) },
};

// ---- route enumeration ------------------------------------------------------

/** Every (method, path) the app has registered, read from fastify's route tree and confirmed with hasRoute. */
function registeredRoutes(app: FastifyInstance): { routes: Set<string>; unconfirmed: string[] } {
  const routes = new Set<string>();
  const unconfirmed: string[] = [];
  const stack: string[] = [];
  // The default print is the radix tree itself: a route's path is the concatenation of its ancestors.
  for (const line of app.printRoutes().split('\n')) {
    const m = /^((?:│ {3}| {4})*)(?:├── |└── )(.*?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!m) continue;
    const depth = (m[1] as string).length / 4;
    stack.length = depth;
    const parent = stack.join('');
    const seg = m[2] as string;
    const url = parent + seg;
    stack.push(seg);
    if (!m[3]) continue;
    for (const method of m[3].split(', ')) {
      if (!app.hasRoute({ method: method as 'GET', url })) unconfirmed.push(`${method} ${url}`);
      else routes.add(`${method} ${url}`);
    }
  }
  return { routes, unconfirmed };
}

// ---- harness ----------------------------------------------------------------

type Mode = 'session' | 'token';
interface Caller {
  token: string;
  cookie: string;
  csrf: string;
}

let ipCounter = 0;
/** A distinct client address per request, so the login/password rate limits measure nothing here. */
function nextIp(): string {
  const n = ++ipCounter;
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
}

let seq = 0;

describe('role matrix (SEC-2): every route × every role', () => {
  let t: TestApp;
  let app: FastifyInstance;
  let webDir: string;
  const callers = new Map<Role, Caller>();
  let fx: Fixtures;

  async function login(username: string): Promise<{ cookie: string; csrf: string }> {
    const r = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password: PASSWORD }, remoteAddress: nextIp() });
    expect(r.statusCode, r.body).toBe(200);
    const cookie = r.cookies.find((c) => c.name === 'patchloop_session');
    expect(cookie?.httpOnly).toBe(true);
    expect(cookie?.sameSite?.toLowerCase()).toBe('lax');
    return { cookie: cookie?.value as string, csrf: r.json().csrfToken };
  }

  function send(method: string, req: Req, auth: { bearer?: string; cookie?: string; csrf?: string }) {
    const headers: Record<string, string> = {};
    if (auth.bearer) headers.authorization = `Bearer ${auth.bearer}`;
    if (auth.cookie) headers.cookie = `patchloop_session=${auth.cookie}`;
    if (auth.csrf) headers['x-csrf-token'] = auth.csrf;
    if (req.contentType) headers['content-type'] = req.contentType;
    return app.inject({
      method: method as InjectOptions['method'],
      url: req.url,
      headers,
      remoteAddress: nextIp(),
      ...(req.body !== undefined ? { payload: req.body as string } : {}),
    });
  }

  beforeAll(async () => {
    webDir = fs.mkdtempSync(path.join(os.tmpdir(), 'patchloop-matrix-web-'));
    fs.writeFileSync(path.join(webDir, 'index.html'), '<!doctype html><title>patchloop</title>');
    fs.mkdirSync(path.join(webDir, 'assets'));
    fs.writeFileSync(path.join(webDir, 'assets', 'app.js'), 'console.log(1)');
    t = await testApp({ webDir });
    app = t.app;
    for (const role of ROLES) {
      const { token } = await userWithToken(t.database, role, `mx-${role}`);
      const s = await login(`mx-${role}`);
      callers.set(role, { token, cookie: s.cookie, csrf: s.csrf });
    }
    const target = await createUser(t.database.db, operator, { username: 'mx-target', role: 'system_owner', password: PASSWORD });
    const team = await teams.createTeam(t.database.db, operator, { name: 'Matrix owners' });
    const asset = await assets.createAsset(t.database.db, operator, { ...assetBody(0), hostname: 'matrix-fixture' } as never);
    fx = { assetId: asset.id, teamId: team.id, userId: target.id, loginUser: 'mx-target' };
  });
  afterAll(async () => {
    await t?.close();
    fs.rmSync(webDir, { recursive: true, force: true });
  });

  it('the table lists exactly the routes the server registers', () => {
    const { routes, unconfirmed } = registeredRoutes(app);
    expect(unconfirmed, 'route tree lines that hasRoute does not confirm (parser out of date?)').toEqual([]);
    const nonHead = [...routes].filter((r) => !r.startsWith('HEAD '));
    const missingFromTable = nonHead.filter((r) => !(r in EXPECTED));
    const goneFromServer = Object.keys(EXPECTED).filter((r) => !routes.has(r));
    expect(missingFromTable, 'routes with no entry in the EXPECTED table: add them').toEqual([]);
    expect(goneFromServer, 'EXPECTED entries for routes that no longer exist: remove them').toEqual([]);
    // HEAD is fastify's automatic twin of GET and nothing else.
    for (const r of routes) if (r.startsWith('HEAD ')) expect(routes.has(r.replace(/^HEAD /, 'GET ')), r).toBe(true);
    expect(nonHead.length).toBeGreaterThanOrEqual(40);
  });

  it('the OpenAPI document lists exactly the table routes that are not hidden', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/api/openapi.json' })).json() as { paths: Record<string, Record<string, unknown>> };
    const documented = new Set<string>();
    for (const [p, ops] of Object.entries(doc.paths)) {
      for (const m of Object.keys(ops)) documented.add(`${m.toUpperCase()} ${p.replace(/\{(\w+)\}/g, ':$1')}`);
    }
    const expected = Object.entries(EXPECTED).filter(([, r]) => !r.hidden).map(([k]) => k);
    expect([...documented].sort()).toEqual(expected.sort());
  });

  describe.each(Object.entries(EXPECTED))('%s', (key, rule) => {
    const [method, pattern] = key.split(' ') as [string, string];
    const hasId = pattern.includes(':id');

    function allowed(mode: Mode, role: Role): boolean {
      if (rule.access === 'public') return true;
      const list = mode === 'token' && rule.viaToken !== undefined ? rule.viaToken : rule.access;
      return list !== 'refused' && list.includes(role);
    }

    async function check(who: string, mode: Mode | 'anonymous', role: Role | null, auth: () => Promise<{ bearer?: string; cookie?: string; csrf?: string }>) {
      const ids: { id: string; real: boolean }[] = hasId
        ? [...(rule.realId ? [{ id: rule.realId(fx), real: true }] : []), { id: randomUUID(), real: false }]
        : [{ id: '', real: true }];
      for (const { id, real } of ids) {
        const req = rule.request(fx, id, ++seq);
        const methods = method === 'GET' ? ['GET', 'HEAD'] : [method];
        for (const m of methods) {
          const res = await send(m, req, await auth());
          const label = `${who} ${m} ${req.url} → ${res.statusCode} ${m === 'HEAD' ? '' : res.body.slice(0, 200)}`;
          if (mode === 'anonymous') {
            if (rule.access === 'public') expect(rule.ok, label).toContain(res.statusCode);
            else expect(res.statusCode, label).toBe(401);
          } else if (mode === 'token' && rule.viaToken === 'refused') {
            expect(res.statusCode, label).toBe(401);
          } else if (allowed(mode, role as Role)) {
            expect(real ? rule.ok : (rule.missing ?? [404]), label).toContain(res.statusCode);
          } else if (rule.ownScoped?.includes(role as Role)) {
            expect(res.statusCode, label).toBe(real ? 403 : 404);
          } else {
            expect(res.statusCode, label).toBe(403);
          }
        }
      }
    }

    it('anonymous', async () => {
      await check('anonymous', 'anonymous', null, async () => ({}));
    });

    it.each(ROLES)('%s with a bearer token', async (role) => {
      const c = callers.get(role) as Caller;
      await check(`${role} (token)`, 'token', role, async () => ({ bearer: c.token }));
    }, 60_000);

    it.each(ROLES)('%s with a session cookie', async (role) => {
      const c = callers.get(role) as Caller;
      const safe = method === 'GET';
      await check(`${role} (session)`, 'session', role, async () => {
        if (rule.endsSession) {
          const s = await login(`mx-${role}`);
          return { cookie: s.cookie, csrf: s.csrf };
        }
        return { cookie: c.cookie, ...(safe ? {} : { csrf: c.csrf }) };
      });
    }, 60_000);
  });

  // ---- sessions, CSRF and tokens -------------------------------------------

  describe('cookie sessions need the CSRF token for writes', () => {
    it('a write with the cookie but without X-CSRF-Token is refused and changes nothing', async () => {
      const c = callers.get('admin') as Caller;
      const before = await app.inject({ method: 'GET', url: `/api/assets/${fx.assetId}`, cookies: { patchloop_session: c.cookie } });
      const res = await send('PATCH', { url: `/api/assets/${fx.assetId}`, body: { location: 'Nowhere' } }, { cookie: c.cookie });
      expect(res.statusCode).toBe(403);
      expect(res.json().detail).toMatch(/CSRF/);
      const wrong = await send('PATCH', { url: `/api/assets/${fx.assetId}`, body: { location: 'Nowhere' } }, { cookie: c.cookie, csrf: 'x'.repeat(c.csrf.length) });
      expect(wrong.statusCode).toBe(403);
      const after = await app.inject({ method: 'GET', url: `/api/assets/${fx.assetId}`, cookies: { patchloop_session: c.cookie } });
      expect(after.json().version).toBe(before.json().version);
      expect(after.json().location).toBeNull();
    });

    it('another session\'s CSRF token does not work', async () => {
      const a = callers.get('admin') as Caller;
      const b = callers.get('security_analyst') as Caller;
      const res = await send('POST', { url: '/api/assets', body: assetBody(++seq) }, { cookie: a.cookie, csrf: b.csrf });
      expect(res.statusCode).toBe(403);
    });

    it('the same write with the session\'s X-CSRF-Token passes', async () => {
      const c = callers.get('admin') as Caller;
      const res = await send('PATCH', { url: `/api/assets/${fx.assetId}`, body: { location: 'Basement' } }, { cookie: c.cookie, csrf: c.csrf });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().location).toBe('Basement');
    });

    it('reads with the cookie need no CSRF token; an unknown session cookie is anonymous', async () => {
      const c = callers.get('auditor') as Caller;
      expect((await send('GET', { url: '/api/assets' }, { cookie: c.cookie })).statusCode).toBe(200);
      expect((await send('GET', { url: '/api/assets' }, { cookie: 'pls_not-a-session' })).statusCode).toBe(401);
    });

    it('after logout the session cookie no longer works', async () => {
      const s = await login('mx-system_owner');
      expect((await send('POST', { url: '/api/auth/logout' }, { cookie: s.cookie, csrf: s.csrf })).statusCode).toBe(204);
      expect((await send('GET', { url: '/api/auth/me' }, { cookie: s.cookie })).statusCode).toBe(401);
    });
  });

  describe('API tokens', () => {
    async function tokenVia(role: Role, body: object): Promise<{ token: string; id: string }> {
      const c = callers.get(role) as Caller;
      const r = await send('POST', { url: '/api/tokens', body }, { cookie: c.cookie, csrf: c.csrf });
      expect(r.statusCode, r.body).toBe(201);
      return { token: r.json().token, id: r.json().info.id };
    }

    it('an admin token with only asset:read can read assets but not create one', async () => {
      const { token } = await tokenVia('admin', { name: 'read only', scopes: ['asset:read'], expiresInDays: 1 });
      expect((await send('GET', { url: '/api/assets' }, { bearer: token })).statusCode).toBe(200);
      const res = await send('POST', { url: '/api/assets', body: assetBody(++seq) }, { bearer: token });
      expect(res.statusCode).toBe(403);
      expect((await send('GET', { url: '/api/users' }, { bearer: token })).statusCode).toBe(403);
      expect((await send('GET', { url: '/api/audit' }, { bearer: token })).statusCode).toBe(403);
      expect((await send('POST', { url: '/api/system/demo' }, { bearer: token })).statusCode).toBe(403);
    });

    it('a role cannot grant a token more than the role has', async () => {
      const c = callers.get('security_analyst') as Caller;
      const r = await send('POST', { url: '/api/tokens', body: { name: 'greedy', scopes: ['user:write'], expiresInDays: 1 } }, { cookie: c.cookie, csrf: c.csrf });
      expect(r.statusCode).toBe(422);
    });

    it('an expired token is refused with 401', async () => {
      const { token, id } = await tokenVia('admin', { name: 'short lived', scopes: ['asset:read'], expiresInDays: 1 });
      expect((await send('GET', { url: '/api/assets' }, { bearer: token })).statusCode).toBe(200);
      await sql`update api_tokens set expires_at = now() - interval '1 second' where id = ${id}`.execute(t.database.db);
      const res = await send('GET', { url: '/api/assets' }, { bearer: token });
      expect(res.statusCode).toBe(401);
    });

    it('a revoked token is refused with 401', async () => {
      const { token, id } = await tokenVia('system_owner', { name: 'to revoke', scopes: ['asset:read', 'asset:write_own'], expiresInDays: 1 });
      expect((await send('GET', { url: '/api/assets' }, { bearer: token })).statusCode).toBe(200);
      const c = callers.get('system_owner') as Caller;
      const rev = await send('DELETE', { url: `/api/tokens/${id}` }, { cookie: c.cookie, csrf: c.csrf });
      expect(rev.statusCode, rev.body).toBe(200);
      expect(rev.json().revokedAt).not.toBeNull();
      expect((await send('GET', { url: '/api/assets' }, { bearer: token })).statusCode).toBe(401);
    });

    it('only the owner or an admin can revoke a token (others get 404, not a hint)', async () => {
      const { token, id } = await tokenVia('security_analyst', { name: 'mine', scopes: ['asset:read'], expiresInDays: 1 });
      const other = callers.get('change_approver') as Caller;
      expect((await send('DELETE', { url: `/api/tokens/${id}` }, { cookie: other.cookie, csrf: other.csrf })).statusCode).toBe(404);
      expect((await send('GET', { url: '/api/assets' }, { bearer: token })).statusCode).toBe(200);
      const mine = (await send('GET', { url: '/api/tokens' }, { cookie: other.cookie })).json() as { id: string }[];
      expect(mine.map((x) => x.id)).not.toContain(id);
      const admin = callers.get('admin') as Caller;
      expect((await send('DELETE', { url: `/api/tokens/${id}` }, { cookie: admin.cookie, csrf: admin.csrf })).statusCode).toBe(200);
      expect((await send('GET', { url: '/api/assets' }, { bearer: token })).statusCode).toBe(401);
    });

    it('a token follows its user: demoted user → the token loses the write; disabled user → 401', async () => {
      const u = await createUser(t.database.db, operator, { username: 'mx-demoted', role: 'security_analyst', password: PASSWORD });
      const s = await login('mx-demoted');
      const r = await send('POST', { url: '/api/tokens', body: { name: 'w', scopes: ['asset:read', 'asset:write'], expiresInDays: 1 } }, { cookie: s.cookie, csrf: s.csrf });
      const token = r.json().token as string;
      expect((await send('POST', { url: '/api/assets', body: assetBody(++seq) }, { bearer: token })).statusCode).toBe(201);
      const admin = callers.get('admin') as Caller;
      expect((await send('PATCH', { url: `/api/users/${u.id}`, body: { role: 'auditor' } }, { cookie: admin.cookie, csrf: admin.csrf })).statusCode).toBe(200);
      expect((await send('POST', { url: '/api/assets', body: assetBody(++seq) }, { bearer: token })).statusCode).toBe(403);
      expect((await send('GET', { url: '/api/assets' }, { bearer: token })).statusCode).toBe(200);
      // the role change ended the user's sessions
      expect((await send('GET', { url: '/api/auth/me' }, { cookie: s.cookie })).statusCode).toBe(401);
      expect((await send('PATCH', { url: `/api/users/${u.id}`, body: { disabled: true } }, { cookie: admin.cookie, csrf: admin.csrf })).statusCode).toBe(200);
      expect((await send('GET', { url: '/api/assets' }, { bearer: token })).statusCode).toBe(401);
    });

    it('malformed Authorization headers and unknown tokens are 401', async () => {
      for (const header of ['Basic abc', 'Bearer', `Bearer plt_${'0'.repeat(40)}`, 'Bearer pls_session-as-token']) {
        const r = await app.inject({ method: 'GET', url: '/api/assets', headers: { authorization: header } });
        expect(r.statusCode, header).toBe(401);
      }
      // a session secret is not a bearer token
      const c = callers.get('admin') as Caller;
      expect((await send('GET', { url: '/api/assets' }, { bearer: c.cookie })).statusCode).toBe(401);
    });
  });

  describe('separation of duties', () => {
    it('the auditor reads assets, teams, users and the audit trail', async () => {
      const c = callers.get('auditor') as Caller;
      for (const url of ['/api/assets', `/api/assets/${fx.assetId}`, `/api/assets/${fx.assetId}/history`, '/api/teams', '/api/users', '/api/audit', '/api/audit/verify', '/api/audit/export', '/api/assets/export']) {
        for (const auth of [{ bearer: c.token }, { cookie: c.cookie }]) {
          const r = await send('GET', { url }, auth);
          expect(r.statusCode, `${url} ${r.body.slice(0, 200)}`).toBe(200);
        }
      }
    });

    it('the auditor cannot write anything: every non-GET route is refused and no audit record appears', async () => {
      const c = callers.get('auditor') as Caller;
      const count = async () => Number((await sql<{ n: string }>`select count(*) as n from audit_log`.execute(t.database.db)).rows[0]?.n);
      const before = await count();
      const writes = Object.entries(EXPECTED).filter(([k, r]) => !k.startsWith('GET ') && r.access !== 'public' && !r.endsSession && r.viaToken !== 'refused' && !r.readOnly);
      expect(writes.length).toBeGreaterThanOrEqual(12);
      for (const [key, rule] of writes) {
        const [method] = key.split(' ') as [string];
        const req = rule.request(fx, rule.realId?.(fx) ?? randomUUID(), ++seq);
        for (const auth of [{ bearer: c.token }, { cookie: c.cookie, csrf: c.csrf }]) {
          const r = await send(method, req, auth);
          expect(r.statusCode, `${key} ${r.body.slice(0, 200)}`).toBe(403);
        }
      }
      expect(await count()).toBe(before);
    });

    it('the agent (machine identity) reaches nothing but its own identity', async () => {
      const c = callers.get('agent') as Caller;
      expect((await send('GET', { url: '/api/auth/me' }, { bearer: c.token })).json().principal.role).toBe('agent');
      for (const url of ['/api/assets', '/api/users', '/api/audit', '/api/teams', '/api/system/info', '/api/tokens']) {
        expect((await send('GET', { url }, { bearer: c.token })).statusCode, url).toBe(403);
      }
    });
  });

  describe('the authentication gate cannot be side-stepped by URL spelling', () => {
    it.each([
      '/api/assets/',
      '/api/assets?x=1',
      '/api//assets',
      '/%61pi/assets',
      '/api/%61ssets',
      '/API/assets',
      '/api/assets/%2e%2e/users',
      `/api/assets/${'%2e'}/`,
    ])('anonymous GET %s is never answered with data', async (url) => {
      const r = await app.inject({ method: 'GET', url });
      const label = `${url} → ${r.statusCode} ${r.body.slice(0, 200)}`;
      // 401, 404, or the web UI's index.html for a path that is not an API route (case-sensitive routing)
      if (r.statusCode === 200) expect(r.headers['content-type'], label).toMatch(/^text\/html/);
      else expect([401, 404], label).toContain(r.statusCode);
      expect(r.body, label).not.toMatch(/"items"|matrix-fixture/);
    });

    it('a bad bearer token is refused even on a public route (no silent downgrade to anonymous)', async () => {
      const r = await app.inject({ method: 'GET', url: '/api/auth/status', headers: { authorization: 'Bearer plt_forged' } });
      expect(r.statusCode).toBe(401);
    });
  });
});
