import { type Permission, type Role, permissionsOf } from './roles.js';

/** Who is acting. Services receive it and check permissions first. */
export interface Principal {
  readonly kind: 'user' | 'token' | 'system' | 'agent';
  readonly userId: string | null;
  readonly name: string;
  readonly role: Role;
  readonly permissions: ReadonlySet<Permission>;
  readonly tokenId?: string;
  readonly sessionId?: string;
  /** An enrolled host agent acting with its own credential. */
  readonly agentId?: string;
}

export function userPrincipal(user: { id: string; username: string; role: Role }, sessionId?: string): Principal {
  return { kind: 'user', userId: user.id, name: user.username, role: user.role, permissions: permissionsOf(user.role), sessionId };
}

/** A token acts for its user, limited to the scopes it was given. */
export function tokenPrincipal(
  user: { id: string; username: string; role: Role },
  token: { id: string; scopes: readonly string[] },
): Principal {
  const allowed = permissionsOf(user.role);
  const perms = new Set<Permission>();
  for (const s of token.scopes) if (allowed.has(s as Permission)) perms.add(s as Permission);
  return { kind: 'token', userId: user.id, name: user.username, role: user.role, permissions: perms, tokenId: token.id };
}

/** The local operator: whoever can read the data directory or DATABASE_URL (the CLI). */
export function systemPrincipal(name: string): Principal {
  return { kind: 'system', userId: null, name, role: 'admin', permissions: permissionsOf('admin') };
}

export function can(p: Principal, perm: Permission): boolean {
  return p.permissions.has(perm);
}

/** A host agent: it may only check in, and only for its own asset. */
export function agentPrincipal(agent: { id: string; hostname: string }): Principal {
  return { kind: 'agent', userId: null, name: `agent ${agent.hostname}`, role: 'agent', permissions: permissionsOf('agent'), agentId: agent.id };
}
