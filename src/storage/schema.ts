import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json = ColumnType<unknown, string | null, string | null>;

export interface UsersTable {
  id: Generated<string>;
  username: string;
  display_name: Generated<string>;
  email: string | null;
  role: string;
  password_hash: string | null;
  oidc_issuer: string | null;
  oidc_subject: string | null;
  disabled: Generated<boolean>;
  failed_logins: Generated<number>;
  locked_until: Date | null;
  last_login_at: Date | null;
  created_at: Generated<Date>;
  updated_at: Timestamp;
}

export interface TeamsTable {
  id: Generated<string>;
  name: string;
  description: string | null;
  email: string | null;
  manager_user_id: string | null;
  created_at: Generated<Date>;
  updated_at: Timestamp;
}

export interface TeamMembersTable {
  team_id: string;
  user_id: string;
}

export interface SessionsTable {
  id: string;
  user_id: string;
  csrf_token: string;
  created_at: Generated<Date>;
  expires_at: Date;
  ip: string | null;
  user_agent: string | null;
}

export interface ApiTokensTable {
  id: Generated<string>;
  user_id: string;
  name: string;
  token_hash: string;
  prefix: string;
  scopes: string[];
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
  created_at: Generated<Date>;
}

export interface SetupCodesTable {
  code_hash: string;
  expires_at: Date;
}

export interface AssetsTable {
  id: Generated<string>;
  hostname: string;
  fqdn: string | null;
  ip_addresses: string[];
  os_family: string | null;
  os_name: string | null;
  os_version: string | null;
  environment: string;
  system_type: string;
  department: string | null;
  location: string | null;
  owner_user_id: string | null;
  owner_team_id: string | null;
  business_criticality: string;
  network_exposure: string;
  maintenance_group: string | null;
  tags: string[];
  supplier: string | null;
  description: string | null;
  lifecycle: Generated<string>;
  decommissioned_at: Date | null;
  version: Generated<number>;
  created_at: Generated<Date>;
  updated_at: Timestamp;
}

export interface AuditLogTable {
  seq: number;
  occurred_at: Date;
  actor_type: string;
  actor_id: string | null;
  actor_name: string;
  action: string;
  entity_type: string;
  entity_id: string | null;
  before: Json;
  after: Json;
  request_id: string | null;
  prev_hash: string;
  hash: string;
}

export interface AuditHeadTable {
  id: Generated<boolean>;
  seq: number;
  hash: string;
}

export interface DB {
  users: UsersTable;
  teams: TeamsTable;
  team_members: TeamMembersTable;
  sessions: SessionsTable;
  api_tokens: ApiTokensTable;
  setup_codes: SetupCodesTable;
  assets: AssetsTable;
  audit_log: AuditLogTable;
  audit_head: AuditHeadTable;
}
