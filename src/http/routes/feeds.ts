import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { type ImportSummary, importFeed, listFeeds } from '../../services/feeds/feeds.service.js';
import { syncFeed } from '../../services/feeds/sync.js';
import { FEEDS } from '../../services/feeds/types.js';
import type { Db } from '../../storage/db.js';
import { errorResponses } from '../problem.js';
import { ctxOf } from '../types.js';

const tags = ['Feeds'];
export const FEED_BODY_LIMIT = 512 * 1024 * 1024;
/** Longest list of changed vulnerability ids in a response (a daily EPSS file changes nearly every CVE). */
export const MAX_LISTED_CHANGES = 10_000;

const feedParams = z.strictObject({ feed: z.enum(FEEDS).describe('debian (security tracker JSON), kev (CISA KEV JSON), epss (FIRST EPSS CSV, gzip or not), nvd (NVD CVE API 2.0 response page)') });
const releases = z.string().max(500).regex(/^[a-z][a-z0-9._-]*(,[a-z][a-z0-9._-]*)*$/, 'must be release names separated by commas').optional()
  .describe('Debian: import only these releases (comma-separated); records of other releases stay as they are');

const feedStateSchema = z.object({
  feed: z.string(),
  source: z.string(),
  version: z.string().nullable(),
  fetchedAt: z.string(),
  records: z.number().int(),
  changed: z.number().int(),
  etag: z.string().nullable(),
  lastModified: z.string().nullable(),
});

export const importSummarySchema = z.object({
  feed: z.enum(FEEDS),
  source: z.string(),
  version: z.string().nullable(),
  records: z.number().int(),
  added: z.number().int(),
  changed: z.number().int(),
  removed: z.number().int(),
  unchanged: z.number().int(),
  aliases: z.number().int().describe('New alias → vulnerability mappings'),
  notModified: z.boolean().optional().describe('The server answered 304 Not Modified: nothing was downloaded'),
  nvd: z.object({
    requests: z.number().int(), pages: z.number().int(), stale: z.number().int().describe('Records older than the stored ones, left as they were'), rejected: z.number().int(),
    cvssDisagreements: z.number().int().describe("CVSS entries whose stated base score differs from our computation (the NVD's is kept)"),
    cvssInvalid: z.number().int().describe('CVSS entries whose vector our CVSS module refuses (kept with the stated score)'),
    cvssNotes: z.array(z.string()).describe('The first few of both'),
  }).optional().describe('NVD only'),
  rematch: z.object({ assets: z.number().int(), opened: z.number().int(), reopened: z.number().int(), resolved: z.number().int() }).optional().describe('Findings re-evaluated on the assets that have a changed package'),
  reprioritised: z
    .object({ evaluated: z.number().int(), changed: z.number().int(), raised: z.number().int(), deferred: z.boolean() })
    .optional()
    .describe('Open findings of the changed vulnerabilities re-prioritised (deferred: too many for the request; the background worker does it)'),
  changedPackages: z.array(z.object({ ecosystem: z.string(), release: z.string(), package: z.string() })).describe('Packages whose advisories were added, changed or removed: re-match the assets that have them'),
  changedVulnerabilities: z.array(z.string()).describe(`Vulnerabilities whose feed data changed (the first ${MAX_LISTED_CHANGES})`),
  changedVulnerabilitiesTruncated: z.boolean(),
  changedVulnerabilitiesTotal: z.number().int().describe('How many vulnerabilities changed (the list holds at most the first of them)'),
}).meta({ id: 'FeedImportSummary' });

function shape(s: ImportSummary) {
  const truncated = s.changedVulnerabilities.length > MAX_LISTED_CHANGES;
  return { ...s, changedVulnerabilities: truncated ? s.changedVulnerabilities.slice(0, MAX_LISTED_CHANGES) : s.changedVulnerabilities, changedVulnerabilitiesTruncated: truncated, changedVulnerabilitiesTotal: s.changedVulnerabilities.length };
}

export function feedRoutes(app: FastifyInstance, db: Db) {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get('/api/feeds', {
    config: { permission: 'asset:read' },
    schema: {
      tags, operationId: 'listFeeds', summary: 'Vulnerability feeds: source, version, last fetch, record counts',
      response: { 200: z.array(feedStateSchema), ...errorResponses },
    },
  }, (req) => listFeeds(db, ctxOf(req)));

  r.post('/api/feeds/:feed/sync', {
    config: { permission: 'system:admin' },
    schema: {
      tags, operationId: 'syncFeed', summary: 'Download a feed from its public URL (or ?url=) and import it',
      description: 'Conditional (ETag / Last-Modified of the last download from the same URL), with retries and resumption. Answers with what changed; notModified when the server had nothing new. Download problems are 502. nvd: pages through the CVE API 2.0 (?url= an API mirror) for what changed since the last sync, everything on the first (~300,000 CVEs, about 15 minutes without PATCHLOOP_NVD_API_KEY); imported in one transaction once every page has arrived.',
      params: feedParams,
      querystring: z.strictObject({ url: z.url({ protocol: /^https?$/ }).max(2000).optional().describe('Mirror to fetch from instead of the public URL'), release: releases }),
      response: { 200: importSummarySchema, ...errorResponses },
    },
  }, async (req) => shape(await syncFeed(db, ctxOf(req), req.params.feed, { url: req.query.url, releases: req.query.release?.split(',') })));

  // Feed files arrive as raw bytes (JSON, CSV or gzip) and are parsed by the service, which names the
  // line or entry of any problem. The parsers are scoped to this plugin; other routes keep theirs.
  app.register(async (scope) => {
    for (const ct of ['application/json', 'text/csv', 'text/plain']) if (scope.hasContentTypeParser(ct)) scope.removeContentTypeParser(ct);
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: FEED_BODY_LIMIT }, (_req, body, done) => done(null, body));
    const s = scope.withTypeProvider<ZodTypeProvider>();
    s.post('/api/feeds/:feed/import', {
      config: { permission: 'system:admin' },
      bodyLimit: FEED_BODY_LIMIT,
      schema: {
        tags, operationId: 'importFeed', summary: 'Import a feed file (all or nothing; incremental)',
        description: 'Send the file as the body: the Debian tracker export, the KEV catalogue or one NVD API 2.0 response page as application/json, EPSS as text/csv or its .csv.gz bytes (application/gzip). Gzip is detected by content. The stored data is compared with the file: only differences are written; importing the same file again changes nothing. A malformed file changes nothing and the error names the entry or line.',
        params: feedParams,
        querystring: z.strictObject({
          source: z.string().min(1).max(500).optional().describe('Where the file came from (kept as the feed source); default "upload"'),
          version: z.string().min(1).max(200).optional().describe('The feed version, when the file does not say'),
          release: releases,
        }),
        consumes: ['application/json', 'text/csv', 'application/gzip', 'application/octet-stream'],
        response: { 200: importSummarySchema, ...errorResponses },
      },
    }, async (req) => {
      const body = req.body;
      const bytes = Buffer.isBuffer(body) ? body : Buffer.alloc(0);
      return shape(await importFeed(db, ctxOf(req), req.params.feed, bytes, { source: req.query.source ?? 'upload', version: req.query.version, releases: req.query.release?.split(',') }));
    });
  });
}
