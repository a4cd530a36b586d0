import { z } from 'zod';
import { text } from '../text.js';
import { EXCEPTION_SCOPES, EXCEPTION_STATUSES, EXTENSION_STATUSES } from './rules.js';

/** What the API, the CLI and the web form send. One schema each: validation, the API docs and the service share it. */
export const MAX_ASSETS = 1000;
export const MAX_EXTENSION_FINDINGS = 1000;

const day = z.iso.date('must be a date (YYYY-MM-DD)');
export const findingIdSchema = z.string().regex(/^[0-9]{1,18}$/, 'must be a finding id (digits)');
const reason = (max: number, what: string) =>
  text(max)
    .trim()
    .min(10, `${what} (at least 10 characters)`);

export const exceptionRequestSchema = z
  .strictObject({
    scope: z.enum(EXCEPTION_SCOPES).describe('finding: one finding; vulnerability: one vulnerability on every asset (or on assetIds); asset: every finding on one asset (e.g. an unsupported system)'),
    findingId: findingIdSchema.optional().describe('scope finding: the finding'),
    vulnerabilityId: z.string().trim().min(1).max(100).optional().describe('scope vulnerability: CVE or other id (an alias works)'),
    assetIds: z
      .array(z.uuid('must be an asset id (UUID)'))
      .max(MAX_ASSETS, `at most ${MAX_ASSETS} assets`)
      .refine((a) => new Set(a).size === a.length, 'each asset once')
      .optional()
      .describe('scope vulnerability: only on these assets (absent or empty: every asset)'),
    assetId: z.uuid('must be an asset id (UUID)').optional().describe('scope asset: the asset'),
    justification: reason(4000, 'say why the risk is accepted').describe('Why it cannot be fixed in time and why the risk is acceptable'),
    compensatingControls: text(4000).trim().default('').describe('What lowers the risk meanwhile (WAF rule, segmentation, monitoring…)'),
    riskOwnerId: z.uuid('must be a user id (UUID)').describe('The person who owns (and accepts) the risk'),
    expiresOn: day.describe("Last day the exception is valid (UTC); at most the policy's exceptions.maxDays ahead"),
    reviewIntervalDays: z.number().int('must be a whole number of days').min(1, 'must be at least 1 day').max(1095).optional().describe("Re-review cadence; default and maximum: the policy's exceptions.reviewIntervalDays"),
    renews: z.uuid('must be an exception id (UUID)').optional().describe('An approved exception this one renews: approval replaces it, rejection ends it'),
  })
  .superRefine((v, ctx) => {
    const forbid = (field: 'findingId' | 'vulnerabilityId' | 'assetIds' | 'assetId') => {
      if (v[field] !== undefined) ctx.addIssue({ code: 'custom', path: [field], message: `is not allowed with scope ${v.scope}` });
    };
    const need = (field: 'findingId' | 'vulnerabilityId' | 'assetId') => {
      if (v[field] === undefined) ctx.addIssue({ code: 'custom', path: [field], message: `is required with scope ${v.scope}` });
    };
    if (v.scope === 'finding') {
      need('findingId');
      forbid('vulnerabilityId');
      forbid('assetIds');
      forbid('assetId');
    } else if (v.scope === 'vulnerability') {
      need('vulnerabilityId');
      forbid('findingId');
      forbid('assetId');
    } else {
      need('assetId');
      forbid('findingId');
      forbid('vulnerabilityId');
      forbid('assetIds');
    }
  })
  .meta({ id: 'RiskExceptionRequest' });
export type ExceptionRequest = z.input<typeof exceptionRequestSchema>;

const expectedVersion = z.number().int().min(1).optional().describe('The version you saw (optimistic locking): refused with 409 if it changed since');

export const approveSchema = z.strictObject({ note: text(2000).trim().optional().describe('Conditions or remarks, kept with the decision'), version: expectedVersion });
export const rejectSchema = z.strictObject({ note: text(2000).trim().min(3, 'say why (at least 3 characters)').describe('Why it is rejected'), version: expectedVersion });
export const revokeSchema = z.strictObject({ reason: text(2000).trim().min(3, 'say why (at least 3 characters)').describe('Why the risk is no longer accepted'), version: expectedVersion });
export const reviewSchema = z.strictObject({ note: text(2000).trim().min(3, 'say what the review found (at least 3 characters)').describe('What the re-review found'), version: expectedVersion });
export const withdrawSchema = z.strictObject({ note: text(2000).trim().optional(), version: expectedVersion });

export const exceptionListQuerySchema = z.strictObject({
  status: z.enum(EXCEPTION_STATUSES).optional(),
  scope: z.enum(EXCEPTION_SCOPES).optional(),
  assetId: z.uuid().optional().describe('Exceptions on this asset: asset scope, findings on it, or vulnerability scope naming it or all assets'),
  vulnerabilityId: z.string().trim().min(1).max(100).optional().describe('Exceptions of this vulnerability (vulnerability scope, or a finding of it)'),
  expiringWithinDays: z.coerce.number().int().min(0).max(3650).optional().describe('Approved and ending within this many days'),
  reviewDue: z.enum(['true', 'false']).optional().describe('true: approved and the re-review date has come'),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});
export type ExceptionListQuery = z.input<typeof exceptionListQuerySchema>;

export const extensionRequestSchema = z
  .strictObject({
    findingIds: z
      .array(findingIdSchema)
      .min(1, 'name at least one finding')
      .max(MAX_EXTENSION_FINDINGS, `at most ${MAX_EXTENSION_FINDINGS} findings`)
      .refine((a) => new Set(a).size === a.length, 'each finding once'),
    newDueOn: day.describe('The new due day (the whole day counts, UTC); later than each finding is due now'),
    justification: reason(4000, 'say why the deadline cannot be met').describe('Why the deadline cannot be met'),
    incidentRef: text(200).trim().min(1, 'must not be empty when given').nullish().describe('The incident this is part of (INC-3), e.g. INC-2026-042'),
  })
  .meta({ id: 'SlaExtensionRequest' });
export type ExtensionRequest = z.input<typeof extensionRequestSchema>;

export const extensionListQuerySchema = z.strictObject({
  status: z.enum(EXTENSION_STATUSES).optional(),
  findingId: findingIdSchema.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});
export type ExtensionListQuery = z.input<typeof extensionListQuerySchema>;
