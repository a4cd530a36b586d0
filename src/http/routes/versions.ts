/**
 * POST /api/versions/compare: the version ordering of src/domain/versions
 * (dpkg, rpm, apk, SemVer/npm, PEP 440/PyPI, Maven, Go) over the API.
 * Pure computation: no database, no audit record.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { type FieldProblem, ValidationError } from '../../lib/errors.js';
import { CMP_SYMBOL, ECOSYSTEMS, UnknownEcosystemError, VersionError, comparatorFor } from '../../domain/versions/index.js';
import { errorResponses } from '../problem.js';

export const MAX_PAIRS = 10_000;
const version = z.string().min(1).max(256);

export const compareVersionsBody = z
  .strictObject({
    ecosystem: z.string().min(1).max(40).describe(`One of ${ECOSYSTEMS.join(', ')}, or an alias: debian, ubuntu, dpkg, redhat, rocky, alma, fedora, suse, alpine, semver, pep440`),
    pairs: z.array(z.strictObject({ a: version, b: version })).min(1).max(MAX_PAIRS),
  })
  .meta({ id: 'VersionCompareRequest' });

export const compareVersionsResult = z
  .object({ results: z.array(z.enum(['<', '=', '>'])).describe('One per pair, in order: a < b, a = b or a > b') })
  .meta({ id: 'VersionCompareResult' });

const tags = ['Versions'];

export function versionRoutes(app: FastifyInstance) {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post('/api/versions/compare', {
    config: { permission: 'asset:read' },
    schema: {
      tags, operationId: 'compareVersions',
      summary: `Compare up to ${MAX_PAIRS} version pairs of one ecosystem; a malformed version fails the request (422) naming its pair`,
      body: compareVersionsBody,
      response: { 200: compareVersionsResult, ...errorResponses },
    },
  }, (req) => {
    const { ecosystem, pairs } = req.body;
    let cmp: ReturnType<typeof comparatorFor>;
    try {
      cmp = comparatorFor(ecosystem);
    } catch (err) {
      if (err instanceof UnknownEcosystemError) throw new ValidationError(err.message, [{ field: 'body.ecosystem', message: err.message }]);
      throw err;
    }
    const results: ('<' | '=' | '>')[] = [];
    const problems: FieldProblem[] = [];
    pairs.forEach((p, i) => {
      try {
        results.push(CMP_SYMBOL[cmp(p.a, p.b)]);
      } catch (err) {
        if (!(err instanceof VersionError)) throw err;
        // name the side(s) at fault: validate each separately
        for (const side of ['a', 'b'] as const) {
          try {
            cmp(p[side], p[side]);
          } catch (e) {
            if (e instanceof VersionError && problems.length < 100) problems.push({ field: `body.pairs.${i}.${side}`, message: e.message });
          }
        }
        results.push('=');
      }
    });
    if (problems.length) {
      const first = problems[0]!;
      throw new ValidationError(`${problems.length === 100 ? '100 or more' : problems.length} invalid version${problems.length === 1 ? '' : 's'}; first at ${first.field.replace(/^body\./, '')}: ${first.message}`, problems);
    }
    return { results };
  });
}
