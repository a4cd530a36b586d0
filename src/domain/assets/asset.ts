import { z } from 'zod';
import { INVENTORY_STATES } from './coverage.js';
import { text } from '../text.js';

/** The asset register's vocabulary (INV-1). One definition feeds validation, API docs and the UI. */
export const ENVIRONMENTS = ['production', 'staging', 'test', 'development'] as const;
export const SYSTEM_TYPES = [
  'web_server',
  'database',
  'application_server',
  'network_hardware',
  'desktop_workstation',
  'mail_server',
  'file_server',
  'directory_service',
  'container_host',
  'hypervisor',
  'laptop',
  'other',
] as const;
export const CRITICALITIES = ['critical', 'high', 'medium', 'low'] as const;
export const EXPOSURES = ['internet_facing', 'internal', 'isolated'] as const;
export const OS_FAMILIES = ['linux', 'windows', 'macos', 'bsd', 'network_os', 'other'] as const;
export const LIFECYCLES = ['active', 'decommissioned'] as const;

export const HOSTNAME_RE = /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62})(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62}))*\.?$/;

const hostname = text(253)
  .trim()
  .min(1, 'must not be empty')
  .regex(HOSTNAME_RE, 'must be a host name (letters, digits, hyphens and dots)');
const ip = z.string().trim().pipe(z.union([z.ipv4(), z.ipv6()], { error: 'must be an IPv4 or IPv6 address' }));
const tag = text(64).trim().min(1, 'must not be empty').regex(/^[^,]+$/, 'must not contain commas');
const optionalText = (max: number) => text(max).trim().nullable().optional();

export const assetFields = {
  hostname,
  fqdn: hostname.nullable().optional(),
  ipAddresses: z.array(ip).max(64, 'at most 64 addresses').optional(),
  osFamily: z.enum(OS_FAMILIES).nullable().optional(),
  osName: optionalText(128),
  osVersion: optionalText(64),
  environment: z.enum(ENVIRONMENTS),
  systemType: z.enum(SYSTEM_TYPES),
  department: optionalText(128),
  location: optionalText(128),
  ownerUserId: z.uuid().nullable().optional(),
  ownerTeamId: z.uuid().nullable().optional(),
  businessCriticality: z.enum(CRITICALITIES),
  networkExposure: z.enum(EXPOSURES),
  maintenanceGroup: optionalText(128),
  tags: z.array(tag).max(50, 'at most 50 tags').optional(),
  supplier: optionalText(200),
  description: optionalText(4000),
};

const ownerCheck = (v: { ownerUserId?: string | null; ownerTeamId?: string | null }) => !(v.ownerUserId && v.ownerTeamId);
const ownerMsg = { message: 'an asset is owned by a user or a team, not both', path: ['ownerTeamId'] };

export const assetCreateSchema = z.strictObject(assetFields).refine(ownerCheck, ownerMsg);
export type AssetCreate = z.infer<typeof assetCreateSchema>;

export const assetUpdateSchema = z
  .strictObject({
    ...Object.fromEntries(Object.entries(assetFields).map(([k, v]) => [k, v.optional()])),
  } as { [K in keyof typeof assetFields]: z.ZodOptional<(typeof assetFields)[K]> })
  .refine(ownerCheck, ownerMsg);
export type AssetUpdate = z.infer<typeof assetUpdateSchema>;

export const assetSchema = z.object({
  id: z.uuid(),
  hostname: z.string(),
  fqdn: z.string().nullable(),
  ipAddresses: z.array(z.string()),
  osFamily: z.enum(OS_FAMILIES).nullable(),
  osName: z.string().nullable(),
  osVersion: z.string().nullable(),
  environment: z.enum(ENVIRONMENTS),
  systemType: z.enum(SYSTEM_TYPES),
  department: z.string().nullable(),
  location: z.string().nullable(),
  owner: z
    .object({ type: z.enum(['user', 'team']), id: z.uuid(), name: z.string() })
    .nullable()
    .describe('Accountable owner (GOV-4); null means the asset is unowned and flagged'),
  unowned: z.boolean(),
  businessCriticality: z.enum(CRITICALITIES),
  networkExposure: z.enum(EXPOSURES),
  maintenanceGroup: z.string().nullable(),
  tags: z.array(z.string()),
  supplier: z.string().nullable(),
  description: z.string().nullable(),
  lifecycle: z.enum(LIFECYCLES),
  decommissionedAt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  version: z.number().int(),
  lastInventoriedAt: z.string().nullable().describe('When its installed software was last reported (INV-5)'),
  inventory: z.enum(INVENTORY_STATES).nullable().describe('Coverage (INV-5): current, overdue (older than the policy interval, 7 days) or never; null when decommissioned'),
  reviewRequired: z.boolean().describe('Created by a scanner import (a host or image nobody had registered): confirm it, or edit it, to clear'),
  discoveredImportId: z.uuid().nullable().describe('The scanner import that found it'),
  imageDigest: z.string().nullable().describe('sha256:… of a container image'),
});
export type Asset = z.infer<typeof assetSchema>;

export const ASSET_SORT_FIELDS = [
  'hostname',
  'environment',
  'systemType',
  'department',
  'location',
  'businessCriticality',
  'networkExposure',
  'updatedAt',
  'createdAt',
] as const;
export type AssetSortField = (typeof ASSET_SORT_FIELDS)[number];

export const assetListQuerySchema = z.strictObject({
  q: text(200).optional().describe('Search in hostname, FQDN, addresses, OS, department, location, tags'),
  environment: z.enum(ENVIRONMENTS).optional(),
  systemType: z.enum(SYSTEM_TYPES).optional(),
  department: text(128).optional(),
  location: text(128).optional(),
  businessCriticality: z.enum(CRITICALITIES).optional(),
  networkExposure: z.enum(EXPOSURES).optional(),
  osFamily: z.enum(OS_FAMILIES).optional(),
  maintenanceGroup: text(128).optional(),
  tag: text(64).optional(),
  ownerTeamId: z.uuid().optional(),
  ownerUserId: z.uuid().optional(),
  unowned: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
  inventory: z.enum(['current', 'overdue', 'never', 'missing']).optional().describe('Coverage: missing = overdue or never (INV-5)'),
  reviewRequired: z.enum(['true', 'false']).transform((v) => v === 'true').optional().describe('Assets scanner imports created and nobody confirmed yet'),
  lifecycle: z.enum([...LIFECYCLES, 'all']).default('active'),
  sort: z.enum(ASSET_SORT_FIELDS).default('hostname'),
  order: z.enum(['asc', 'desc']).default('asc'),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: text(500).optional().describe('Opaque cursor from the previous page\'s nextCursor'),
});
export type AssetListQuery = z.infer<typeof assetListQuerySchema>;
