import { z } from 'zod';
import { VEX_JUSTIFICATIONS } from '../scanners/report.js';

/**
 * The shapes of the VEX documents patchloop writes, as the specifications
 * require them: CycloneDX 1.6 (bom-1.6.schema.json: bomFormat, specVersion,
 * serialNumber pattern, vulnerability analysis enums) and OpenVEX 0.2.0
 * (OPENVEX-SPEC.md: document @context/@id/author/timestamp/version; a
 * not_affected statement MUST carry a justification or an impact
 * statement). Strict objects: a misspelt field fails here before a consumer
 * silently ignores it.
 */

export const CDX_STATES = ['resolved', 'resolved_with_pedigree', 'exploitable', 'in_triage', 'false_positive', 'not_affected'] as const;
export const CDX_JUSTIFICATIONS = [
  'code_not_present',
  'code_not_reachable',
  'requires_configuration',
  'requires_dependency',
  'requires_environment',
  'protected_by_compiler',
  'protected_at_runtime',
  'protected_at_perimeter',
  'protected_by_mitigating_control',
] as const;

const iso = z.iso.datetime({ offset: true });
const property = z.strictObject({ name: z.string().min(1), value: z.string() });

export const cyclonedxVexSchema = z
  .strictObject({
    bomFormat: z.literal('CycloneDX'),
    specVersion: z.literal('1.6'),
    serialNumber: z.string().regex(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
    version: z.number().int().min(1),
    metadata: z.strictObject({
      timestamp: iso,
      tools: z.strictObject({ components: z.array(z.strictObject({ type: z.literal('application'), name: z.string().min(1), version: z.string().optional() })).min(1) }),
      authors: z.array(z.strictObject({ name: z.string().min(1) })).optional(),
    }),
    components: z.array(
      z.strictObject({
        type: z.enum(['library', 'device', 'operating-system', 'application']),
        'bom-ref': z.string().min(1),
        name: z.string().min(1),
        group: z.string().optional(),
        version: z.string().optional(),
        purl: z.string().startsWith('pkg:').optional(),
      }),
    ),
    vulnerabilities: z.array(
      z.strictObject({
        id: z.string().min(1),
        source: z.strictObject({ name: z.string().min(1), url: z.url().optional() }),
        references: z.array(z.strictObject({ id: z.string().min(1), source: z.strictObject({ name: z.string().min(1) }) })).optional(),
        analysis: z.strictObject({
          state: z.enum(CDX_STATES),
          justification: z.enum(CDX_JUSTIFICATIONS).optional(),
          detail: z.string().optional(),
          firstIssued: iso,
          lastUpdated: iso,
        }),
        affects: z.array(z.strictObject({ ref: z.string().min(1) })).min(1),
        properties: z.array(property).optional(),
      }),
    ),
  })
  .superRefine((doc, ctx) => {
    const refs = new Set<string>();
    for (const [i, c] of doc.components.entries()) {
      if (refs.has(c['bom-ref'])) ctx.addIssue({ code: 'custom', path: ['components', i, 'bom-ref'], message: 'bom-ref must be unique' });
      refs.add(c['bom-ref']);
    }
    for (const [i, v] of doc.vulnerabilities.entries()) {
      for (const [j, a] of v.affects.entries()) {
        if (!refs.has(a.ref)) ctx.addIssue({ code: 'custom', path: ['vulnerabilities', i, 'affects', j, 'ref'], message: 'names no component of this BOM' });
      }
    }
  });
export type CycloneDxVex = z.infer<typeof cyclonedxVexSchema>;

export const openvexSchema = z.strictObject({
  '@context': z.literal('https://openvex.dev/ns/v0.2.0'),
  '@id': z.string().regex(/^[a-z][a-z0-9+.-]*:\S+$/i, 'must be an IRI'),
  author: z.string().min(1),
  role: z.string().optional(),
  timestamp: iso,
  version: z.number().int().min(1),
  tooling: z.string().optional(),
  statements: z.array(
    z
      .strictObject({
        vulnerability: z.strictObject({ name: z.string().min(1), aliases: z.array(z.string().min(1)).optional() }),
        products: z
          .array(z.strictObject({ '@id': z.string().regex(/^[a-z][a-z0-9+.-]*:\S+$/i, 'must be an IRI'), identifiers: z.strictObject({ purl: z.string().startsWith('pkg:') }).optional() }))
          .min(1),
        status: z.enum(['not_affected', 'affected', 'fixed', 'under_investigation']),
        justification: z.enum(VEX_JUSTIFICATIONS).optional(),
        impact_statement: z.string().min(1).optional(),
        status_notes: z.string().optional(),
        timestamp: iso.optional(),
      })
      .refine((s) => s.status !== 'not_affected' || s.justification !== undefined || s.impact_statement !== undefined, {
        message: 'a not_affected statement needs a justification or an impact statement',
      }),
  ),
});
export type OpenVex = z.infer<typeof openvexSchema>;
