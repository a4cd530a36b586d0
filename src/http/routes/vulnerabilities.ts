import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import * as vulns from '../../services/vulnerabilities/vulnerabilities.service.js';
import type { Db } from '../../storage/db.js';
import { errorResponses } from '../problem.js';
import { ctxOf } from '../types.js';

const tags = ['Vulnerabilities'];

/** CVE, GHSA, DSA/DLA, OSV, TEMP… ids: letters, digits and . _ : - only. */
export const vulnerabilityIdSchema = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'is not a vulnerability id (letters, digits, . _ : - only)');

export const SORT_KEYS = ['openFindings', 'cvss', 'epss', 'id', 'kevDateAdded'] as const;
export const SEVERITIES = ['none', 'low', 'medium', 'high', 'critical'] as const;

export const vulnerabilityListQuerySchema = z.strictObject({
  scope: z.enum(['affected', 'all']).default('affected').describe('affected (default): only vulnerabilities with open findings; all: every known vulnerability'),
  q: z.string().trim().min(1).max(200).optional().describe('Id, alias or text of the description'),
  kev: z.enum(['true', 'false']).optional().describe('true: only those in CISA KEV; false: only those not in it'),
  severity: z
    .string()
    .transform((s) => s.toLowerCase())
    .pipe(z.enum(SEVERITIES))
    .optional()
    .describe('CVSS severity: none, low, medium, high or critical'),
  minCvss: z.coerce.number().min(0).max(10).optional(),
  minEpss: z.coerce.number().min(0).max(1).optional(),
  sort: z.enum(SORT_KEYS).default('openFindings'),
  order: z.enum(['asc', 'desc']).optional().describe('Default: desc, except asc for id'),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(500).optional(),
});

const kevSchema = z.object({ dateAdded: z.string(), dueDate: z.string().nullable(), ransomware: z.boolean().nullable() });

export const vulnerabilitySummarySchema = z
  .object({
    id: z.string(),
    aliases: z.array(z.string()),
    description: z.string().nullable().describe('At most 300 characters; … marks a cut'),
    cvss: z.object({ score: z.number().nullable(), version: z.string().nullable(), severity: z.string().nullable() }),
    epss: z.object({ score: z.number(), percentile: z.number().nullable() }).nullable(),
    kev: kevSchema.nullable(),
    counts: z.object({ assets: z.number().int(), packages: z.number().int(), openFindings: z.number().int() }),
  })
  .meta({ id: 'VulnerabilitySummary' });

const cvssEntrySchema = z.object({
  source: z.string().nullable(),
  version: z.string().nullable(),
  vector: z.string().nullable(),
  score: z.number().nullable().describe('As the source states it'),
  severity: z.string().nullable(),
  computed: z.object({ score: z.number(), severity: z.string(), version: z.string() }).nullable().describe("Our base score of the vector (null without a vector)"),
  error: z.string().nullable().describe('Why the vector could not be scored'),
});

export const vulnerabilityDetailSchema = z
  .object({
    id: z.string(),
    aliases: z.array(z.string()),
    title: z.string().nullable(),
    description: z.string().nullable(),
    publishedAt: z.string().nullable(),
    modifiedAt: z.string().nullable(),
    cvss: z.object({ score: z.number().nullable(), version: z.string().nullable(), severity: z.string().nullable(), entries: z.array(cvssEntrySchema) }),
    epss: z.object({ score: z.number(), percentile: z.number().nullable(), date: z.string().nullable() }).nullable(),
    kev: kevSchema.extend({ name: z.string().nullable(), requiredAction: z.string().nullable() }).nullable(),
    references: z.array(z.object({ url: z.string(), source: z.string().nullable(), tags: z.array(z.string()) })),
    advisories: z.array(
      z.object({
        id: z.number(), feed: z.string(), ref: z.string().nullable(), ecosystem: z.string(), release: z.string(), package: z.string(),
        state: z.string(), fixedVersion: z.string().nullable(), urgency: z.string().nullable(),
      }),
    ),
    counts: z.object({ assets: z.number().int(), packages: z.number().int(), openFindings: z.number().int() }),
    affected: z.array(
      z.object({
        asset: z.object({ id: z.uuid(), hostname: z.string(), environment: z.string(), criticality: z.string() }),
        packages: z.array(
          z.object({
            findingId: z.string(), package: z.string(), arch: z.string(), installedVersion: z.string(), sourcePackage: z.string().nullable(),
            fixedVersion: z.string().nullable().describe('null: no fix yet'), firstSeen: z.string(),
          }),
        ),
      }),
    ),
    affectedTruncated: z.boolean().describe('true when more assets are affected than listed (see counts and GET /api/findings)'),
  })
  .meta({ id: 'Vulnerability' });

export function vulnerabilityRoutes(app: FastifyInstance, db: Db) {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get('/api/vulnerabilities', {
    config: { permission: 'asset:read' },
    schema: {
      tags, operationId: 'listVulnerabilities',
      summary: 'The vulnerability register: what affects the fleet (or everything known), with CVSS, EPSS, KEV and counts (cursor pagination)',
      querystring: vulnerabilityListQuerySchema,
      response: { 200: z.object({ items: z.array(vulnerabilitySummarySchema), nextCursor: z.string().nullable() }), ...errorResponses },
    },
  }, (req) => vulns.listVulnerabilities(db, ctxOf(req), req.query));

  r.get('/api/vulnerabilities/:id', {
    config: { permission: 'asset:read' },
    schema: {
      tags, operationId: 'getVulnerability',
      summary: 'One vulnerability (by id or alias): description, CVSS, EPSS, KEV, references, advisories, affected assets and packages',
      params: z.strictObject({ id: vulnerabilityIdSchema }),
      response: { 200: vulnerabilityDetailSchema, ...errorResponses },
    },
  }, (req) => vulns.getVulnerability(db, ctxOf(req), req.params.id));
}
