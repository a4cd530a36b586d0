import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { liftInputSchema, liftValidation, validateFindings, validateInputSchema } from '../../services/findings/validation.service.js';
import { exportVex } from '../../services/findings/vex-export.js';
import type { Db } from '../../storage/db.js';
import { errorResponses } from '../problem.js';
import { ctxOf } from '../types.js';

const tags = ['Findings'];

/** Validation of findings and VEX export (issue #5 §5, VUL-6). */
export function findingValidationRoutes(app: FastifyInstance, db: Db) {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post('/api/findings/validation', {
    config: { permission: 'finding:validate' },
    schema: {
      tags, operationId: 'validateFindings', summary: 'Mark open findings false positive or not affected (all or nothing)',
      description:
        'Every finding named must exist and be open, or nothing is marked: unknown ids are a 422 and findings in another status a 409, each naming them. The mark records the reviewer and the evidence it was made on; a later scan that reports another version or output lifts it again. not_affected needs a VEX justification.',
      body: validateInputSchema,
      response: {
        200: z.object({ validated: z.number(), status: z.enum(['false_positive', 'not_affected']), findingIds: z.array(z.string()) }).meta({ id: 'ValidationResult' }),
        ...errorResponses,
      },
    },
  }, (req) => validateFindings(db, ctxOf(req), req.body));

  r.delete('/api/findings/:id/validation', {
    config: { permission: 'finding:validate' },
    schema: {
      tags, operationId: 'liftFindingValidation', summary: 'Take back a false positive / not affected mark: the finding is open again',
      params: z.strictObject({ id: z.string().max(40) }),
      body: liftInputSchema,
      response: { 200: z.object({ id: z.string(), status: z.literal('open'), lifted: z.number().describe('Validation records lifted') }), ...errorResponses },
    },
  }, (req) => liftValidation(db, ctxOf(req), req.params.id, req.body));

  r.get('/api/findings/vex', {
    config: { permission: 'asset:read' },
    schema: {
      tags, operationId: 'exportVex', summary: 'Download the validation decisions as a VEX document (CycloneDX 1.6 or OpenVEX 0.2.0)',
      description:
        'One statement per vulnerability, status, justification and reason, naming every package (by purl) it covers. A false positive is the CycloneDX analysis state false_positive; OpenVEX has no such status, so it is not_affected with the impact statement "false positive: <reason>". A finding without a package is stated of its asset (urn:uuid:<asset id>).',
      querystring: z.strictObject({
        format: z.enum(['cyclonedx', 'openvex']).default('cyclonedx'),
        assetId: z.uuid().optional(),
        vulnerabilityId: z.string().min(1).max(100).optional(),
      }),
      produces: ['application/vnd.cyclonedx+json', 'application/json'],
      response: { 200: z.string().describe('The VEX document (JSON)'), ...errorResponses },
    },
  }, async (req, reply) => {
    const { document, fileName, statements } = await exportVex(db, ctxOf(req), req.query);
    const type = req.query.format === 'openvex' ? 'application/json; charset=utf-8' : 'application/vnd.cyclonedx+json; version=1.6; charset=utf-8';
    return reply
      .header('content-type', type)
      .header('content-disposition', `attachment; filename="${fileName}"`)
      .header('x-vex-statements', String(statements))
      .send(`${JSON.stringify(document, null, 2)}\n`);
  });
}
