import { z } from 'zod';
import { PRIORITIES } from './policy.js';

/** The overdue figures' shape (GET /api/findings/sla-summary): one definition for validation, the API docs and the UI. */
const counts = z.object({
  total: z.number().int(),
  onTrack: z.number().int(),
  dueSoon: z.number().int(),
  overdue: z.number().int(),
  excepted: z.number().int().describe('A valid risk exception covers them: not overdue'),
  noDeadline: z.number().int(),
  emergencies: z.number().int().describe('Under the emergency procedure (actively exploited on an exposed asset), whatever their state'),
});
export const slaSummarySchema = z
  .object({
    asOf: z.string(),
    policyVersion: z.number().int(),
    dueSoonPercent: z.number().int().describe('"Due soon" from this share of the SLA window'),
    byPriority: z.array(counts.extend({ priority: z.enum(PRIORITIES) })).describe('Critical first; every class, zeros included'),
    unprioritised: z.number().int().describe('Open findings not evaluated yet (the re-prioritisation job will)'),
    totals: counts,
  })
  .meta({ id: 'SlaSummary' });
export type SlaSummary = z.infer<typeof slaSummarySchema>;
export type SlaCounts = z.infer<typeof counts>;

