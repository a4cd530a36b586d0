import { createHash } from 'node:crypto';
import { z } from 'zod';
import { CRITICALITIES, ENVIRONMENTS, EXPOSURES, HOSTNAME_RE, SYSTEM_TYPES } from '../assets/asset.js';
import { inventoryPackageSchema, inventorySchema, MAX_INVENTORY_PACKAGES, packageKey } from '../inventory/inventory.js';
import { name, text } from '../text.js';

/**
 * The agent protocol (issue #4, INV-2/INV-3): enrolment with a one-time token,
 * then check-ins authenticated by the agent's own credential. One definition
 * feeds the server's validation, the API document and the agent itself.
 *
 * A check-in carries a report: a full snapshot of the host's OS packages, or
 * the differences against the snapshot the server acknowledged last (its
 * digest). Reports have an id (the idempotency key: the server accepts an id
 * once and answers a repeat with the first answer) and a sequence number
 * (reports are applied in the order they were collected).
 */

export const ENROLMENT_TOKEN_PREFIX = 'ple_';
export const AGENT_CREDENTIAL_PREFIX = 'pla_';

const hostname = z.string().max(253).regex(HOSTNAME_RE, 'must be a host name');
const ip = z.union([z.ipv4(), z.ipv6()], { error: 'must be an IPv4 or IPv6 address' });

/** What the agent reports about the host besides its packages. */
export const hostFactsSchema = z.strictObject({
  hostname: hostname.nullable(),
  fqdn: hostname.nullable(),
  machineId: z.string().regex(/^[0-9a-f]{32}$/, 'must be 32 lower-case hex digits (/etc/machine-id)').nullable(),
  kernel: text(128).nullable(),
  uptimeSeconds: z.number().int().min(0).max(100 * 365 * 86400).nullable(),
  rebootRequired: z.boolean().nullable(),
  os: z.strictObject({
    id: z.string().max(64),
    versionId: text(64).nullable(),
    codename: text(64).nullable(),
    prettyName: text(200).nullable(),
  }),
  addresses: z.array(ip).max(64, 'at most 64 addresses'),
});
export type HostFactsReport = z.infer<typeof hostFactsSchema>;

/** Asset fields for hosts an enrolment creates (the register needs them; the agent cannot know them). */
export const assetDefaultsSchema = z.strictObject({
  environment: z.enum(ENVIRONMENTS).default('production'),
  systemType: z.enum(SYSTEM_TYPES).default('other'),
  businessCriticality: z.enum(CRITICALITIES).default('medium'),
  networkExposure: z.enum(EXPOSURES).default('internal'),
  ownerTeamId: z.uuid().nullable().default(null),
  tags: z.array(text(64).trim().min(1).regex(/^[^,]+$/, 'must not contain commas')).max(20).default([]),
});
export type AssetDefaults = z.infer<typeof assetDefaultsSchema>;

export const enrolmentTokenCreateSchema = z.strictObject({
  name: name(200).describe('What the token is for, e.g. "web tier rollout"'),
  maxUses: z.number().int().min(1).max(100_000).default(1).describe('How many hosts may enrol with it (one-time by default)'),
  expiresInHours: z.number().int().min(1).max(24 * 30).default(24),
  assetDefaults: assetDefaultsSchema.default(assetDefaultsSchema.parse({})),
});
export type EnrolmentTokenCreate = z.infer<typeof enrolmentTokenCreateSchema>;

export const enrolmentTokenSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  prefix: z.string(),
  maxUses: z.number().int(),
  uses: z.number().int(),
  assetDefaults: assetDefaultsSchema,
  expiresAt: z.string(),
  revokedAt: z.string().nullable(),
  createdBy: z.string(),
  createdAt: z.string(),
  usable: z.boolean(),
});
export type EnrolmentToken = z.infer<typeof enrolmentTokenSchema>;

export const enrolRequestSchema = z.strictObject({
  token: z.string().min(8).max(200).startsWith(ENROLMENT_TOKEN_PREFIX, `must be an enrolment token (${ENROLMENT_TOKEN_PREFIX}…)`),
  agentVersion: text(64),
  facts: hostFactsSchema,
});
export type EnrolRequest = z.infer<typeof enrolRequestSchema>;

export const enrolResponseSchema = z.object({
  agentId: z.uuid(),
  credential: z.string().describe('The agent\'s own secret (shown once); send it as "Authorization: Bearer …" on check-ins'),
  assetId: z.uuid(),
  matchedBy: z.enum(['machine_id', 'fqdn', 'hostname', 'address', 'created']).describe('How the host was matched to the register'),
  checkinIntervalSeconds: z.number().int(),
});
export type EnrolResponse = z.infer<typeof enrolResponseSchema>;

const identitySchema = z.strictObject({
  name: inventoryPackageSchema.shape.name,
  arch: inventoryPackageSchema.shape.arch,
});

const osFields = {
  ecosystem: inventorySchema.shape.ecosystem,
  distro: inventorySchema.shape.distro,
  release: inventorySchema.shape.release,
};

export const SHA256_RE = /^[0-9a-f]{64}$/;

export const reportSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('full'),
    ...osFields,
    packages: z.array(inventoryPackageSchema.omit({ ecosystem: true })).max(MAX_INVENTORY_PACKAGES, `at most ${MAX_INVENTORY_PACKAGES} packages`),
  }),
  z.strictObject({
    kind: z.literal('diff'),
    ...osFields,
    baseDigest: z.string().regex(SHA256_RE, 'must be a SHA-256 hex digest').describe('Digest of the snapshot the differences apply to'),
    digest: z.string().regex(SHA256_RE, 'must be a SHA-256 hex digest').describe('Digest of the snapshot after applying them'),
    added: z.array(inventoryPackageSchema.omit({ ecosystem: true })).max(MAX_INVENTORY_PACKAGES).describe('New packages and new versions of installed ones'),
    removed: z.array(identitySchema).max(MAX_INVENTORY_PACKAGES).describe('Packages no longer installed (name and architecture)'),
  }),
]);
export type Report = z.infer<typeof reportSchema>;

export const checkinSchema = z.strictObject({
  reportId: z.uuid().describe('Idempotency key: a report is accepted once; a repeat gets the first answer'),
  seq: z.number().int().min(1).describe('Position of the report in the agent\'s sequence (1, 2, 3, …)'),
  collectedAt: z.iso.datetime({ offset: true }),
  agentVersion: text(64),
  facts: hostFactsSchema,
  report: reportSchema,
});
export type Checkin = z.infer<typeof checkinSchema>;

export const checkinResponseSchema = z.object({
  status: z.enum(['accepted', 'duplicate', 'full_required']).describe('accepted: stored, applied shortly after in sequence order; duplicate: this report id was accepted before; full_required: the differences do not build on the last accepted report — send the report again as a full snapshot'),
  seq: z.number().int().describe('The last report the server accepted'),
  digest: z.string().nullable().describe('Digest of the OS package snapshot after the last accepted report'),
  packages: z.number().int().nullable(),
  queued: z.number().int().describe("This agent's accepted reports not yet applied"),
  checkinIntervalSeconds: z.number().int(),
});
export type CheckinResponse = z.infer<typeof checkinResponseSchema>;

export const AGENT_STATUSES = ['active', 'revoked', 'replaced'] as const;
export const agentSchema = z.object({
  id: z.uuid(),
  assetId: z.uuid(),
  hostname: z.string(),
  machineId: z.string().nullable(),
  agentVersion: z.string().nullable(),
  status: z.enum(AGENT_STATUSES),
  health: z.enum(['ok', 'late', 'silent', 'never', 'revoked']).describe('late: no check-in for 3 intervals; silent: none for a day'),
  enrolledAt: z.string(),
  revokedAt: z.string().nullable(),
  lastCheckinAt: z.string().nullable(),
  lastIp: z.string().nullable(),
  lastSeq: z.number().int(),
  reports: z.number().int(),
});
export type Agent = z.infer<typeof agentSchema>;

export const DEFAULT_CHECKIN_INTERVAL_SECONDS = 3600;

/** An agent is late after three missed check-ins and silent after a day. */
export function agentHealth(a: { status: string; lastCheckinAt: Date | null }, now: Date, intervalSeconds = DEFAULT_CHECKIN_INTERVAL_SECONDS): Agent['health'] {
  if (a.status !== 'active') return 'revoked';
  if (!a.lastCheckinAt) return 'never';
  const age = (now.getTime() - a.lastCheckinAt.getTime()) / 1000;
  if (age > Math.max(86400, 3 * intervalSeconds)) return 'silent';
  if (age > 3 * intervalSeconds) return 'late';
  return 'ok';
}

// ---- differences ------------------------------------------------------------

type Pkg = z.infer<typeof inventoryPackageSchema>;
type OsPkg = Omit<Pkg, 'ecosystem'>;

/** Digest of a host's OS package snapshot; both sides compute it to agree on what a diff applies to. */
export function snapshotDigest(pkgs: readonly OsPkg[]): string {
  return createHash('sha256').update(pkgs.map(packageKey).sort().join('\n')).digest('hex');
}

const identity = (p: { name: string; arch: string }) => `${p.name}\t${p.arch}`;

/** The differences that turn `before` into `after` (both one host's OS packages). */
export function diffPackages(before: readonly OsPkg[], after: readonly OsPkg[]): { added: OsPkg[]; removed: { name: string; arch: string }[] } {
  const old = new Map(before.map((p) => [identity(p), packageKey(p)]));
  const now = new Set(after.map(identity));
  const added = after.filter((p) => old.get(identity(p)) !== packageKey(p));
  const removed = before.filter((p) => !now.has(identity(p))).map((p) => ({ name: p.name, arch: p.arch }));
  return { added, removed };
}

export class DiffError extends Error {}

/** Applies differences to a snapshot; a removal of something not installed means the two sides disagree. */
export function applyDiff(base: readonly OsPkg[], diff: { added: readonly OsPkg[]; removed: readonly { name: string; arch: string }[] }): OsPkg[] {
  const byId = new Map(base.map((p) => [identity(p), p]));
  for (const r of diff.removed) {
    if (!byId.delete(identity(r))) throw new DiffError(`${r.name}${r.arch ? `:${r.arch}` : ''} is to be removed but is not installed`);
  }
  for (const a of diff.added) byId.set(identity(a), a);
  return [...byId.values()];
}
