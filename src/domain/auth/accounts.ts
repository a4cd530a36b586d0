import { z } from 'zod';
import { name, text } from '../text.js';
import { PERMISSIONS, ROLES } from './roles.js';

export const USERNAME_RE = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

export const usernameSchema = z
  .string()
  .trim()
  .regex(USERNAME_RE, 'must be 1–64 letters, digits, dots, dashes, underscores or @, starting with a letter or digit');
export const passwordSchema = z
  .string()
  .min(12, 'must be at least 12 characters')
  .max(256, 'must be at most 256 characters');

export const userSchema = z.object({
  id: z.uuid(),
  username: z.string(),
  displayName: z.string(),
  email: z.string().nullable(),
  role: z.enum(ROLES),
  disabled: z.boolean(),
  sso: z.boolean().describe('true when the account signs in through OIDC'),
  lastLoginAt: z.string().nullable(),
  createdAt: z.string(),
  teams: z.array(z.object({ id: z.uuid(), name: z.string() })),
});
export type User = z.infer<typeof userSchema>;

export const userCreateSchema = z.strictObject({
  username: usernameSchema,
  displayName: text(200).trim().optional(),
  email: z.email().max(254).nullable().optional(),
  role: z.enum(ROLES),
  password: passwordSchema.optional().describe('Omit for accounts that only sign in through SSO'),
});
export type UserCreate = z.infer<typeof userCreateSchema>;

export const userUpdateSchema = z.strictObject({
  displayName: text(200).trim().optional(),
  email: z.email().max(254).nullable().optional(),
  role: z.enum(ROLES).optional(),
  disabled: z.boolean().optional(),
  password: passwordSchema.optional(),
});
export type UserUpdate = z.infer<typeof userUpdateSchema>;

export const tokenCreateSchema = z.strictObject({
  name: name(100),
  scopes: z.array(z.enum(PERMISSIONS)).min(1, 'at least one scope is required').max(PERMISSIONS.length),
  expiresInDays: z.number().int().min(1).max(3650).nullable().default(90).describe('null for a token that never expires'),
});
export type TokenCreate = z.infer<typeof tokenCreateSchema>;

export const tokenSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  prefix: z.string().describe('The first characters of the token, to recognise it'),
  scopes: z.array(z.string()),
  expiresAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
  lastUsedAt: z.string().nullable(),
  createdAt: z.string(),
  userId: z.uuid(),
  username: z.string(),
});
export type ApiToken = z.infer<typeof tokenSchema>;

export const teamSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  description: z.string().nullable(),
  email: z.string().nullable(),
  managerUserId: z.uuid().nullable(),
  members: z.array(z.object({ id: z.uuid(), username: z.string(), displayName: z.string() })),
  assetCount: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Team = z.infer<typeof teamSchema>;

export const teamCreateSchema = z.strictObject({
  name: name(128),
  description: text(2000).nullable().optional(),
  email: z.email().max(254).nullable().optional(),
  managerUserId: z.uuid().nullable().optional(),
  memberIds: z.array(z.uuid()).max(1000).optional(),
});
export type TeamCreate = z.infer<typeof teamCreateSchema>;
export const teamUpdateSchema = teamCreateSchema.partial();
export type TeamUpdate = z.infer<typeof teamUpdateSchema>;

/** Account lockout after repeated failures: 5 free tries, then doubling waits up to 15 minutes. */
export function lockoutSeconds(failedLogins: number): number {
  if (failedLogins < 5) return 0;
  return Math.min(15 * 60, 30 * 2 ** (failedLogins - 5));
}
