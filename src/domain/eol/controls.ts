import { z } from 'zod';
import { CONTROL_KINDS } from '../priority/policy.js';
import { name, text } from '../text.js';
import { DATE_RE } from './dataset.js';

/**
 * Compensating controls (LEG-2): what is done instead of vendor fixes on an
 * unsupported system (isolation, extra monitoring, WAF rules …), who answers
 * for it and when it is reviewed next. Retired controls stay as history.
 */
const day = z
  .string()
  .regex(DATE_RE, 'must be a date YYYY-MM-DD')
  .refine((s) => {
    const d = new Date(`${s}T00:00:00Z`);
    return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
  }, 'must be a real calendar date');

const fields = {
  control: name(200).describe('What the control is, e.g. "Isolated in VLAN 99, inbound only from the jump host"'),
  kind: z.enum(CONTROL_KINDS).describe('What kind of control: the priority rules credit WAF, segmentation, isolation and monitoring (VUL-4)'),
  description: text(4000).trim().nullable().optional().describe('How it works, where the evidence is'),
  ownerUserId: z.uuid().nullable().optional().describe('The person who answers for it (default: you)'),
  ownerTeamId: z.uuid().nullable().optional().describe('…or the team'),
  reviewDate: day.describe('When it is reviewed next (YYYY-MM-DD, today or later)'),
};

const oneOwner = (v: { ownerUserId?: string | null; ownerTeamId?: string | null }) => !(v.ownerUserId && v.ownerTeamId);
const oneOwnerMsg = { message: 'a control is owned by a user or a team, not both', path: ['ownerTeamId'] };

export const controlCreateSchema = z.strictObject({ ...fields, kind: fields.kind.default('other') }).refine(oneOwner, oneOwnerMsg);
export type ControlCreate = z.infer<typeof controlCreateSchema>;

export const controlUpdateSchema = z
  .strictObject({
    control: fields.control.optional(),
    kind: fields.kind.optional(),
    description: fields.description,
    ownerUserId: fields.ownerUserId,
    ownerTeamId: fields.ownerTeamId,
    reviewDate: fields.reviewDate.optional(),
  })
  .refine(oneOwner, oneOwnerMsg)
  .refine((v) => Object.values(v).some((x) => x !== undefined), { message: 'name at least one field to change' });
export type ControlUpdate = z.infer<typeof controlUpdateSchema>;

export const controlRetireSchema = z.strictObject({ reason: name(1000).describe('Why it is no longer needed or in force (recorded in the audit trail)') });

export const controlSchema = z
  .object({
    id: z.uuid(),
    assetId: z.uuid(),
    control: z.string(),
    kind: z.enum(CONTROL_KINDS),
    description: z.string().nullable(),
    owner: z.object({ type: z.enum(['user', 'team']), id: z.uuid(), name: z.string() }).nullable(),
    reviewDate: z.string(),
    reviewOverdue: z.boolean().describe('Active and its review date has passed'),
    status: z.enum(['active', 'retired']),
    retiredAt: z.string().nullable(),
    retireReason: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
    version: z.number().int(),
  })
  .meta({ id: 'CompensatingControl' });
export type Control = z.infer<typeof controlSchema>;
