import type { Role } from '../../src/domain/auth/roles.js';
import { addDays, utcDay } from '../../src/domain/eol/cycles.js';
import * as assets from '../../src/services/assets/assets.service.js';
import type { Database } from '../../src/storage/db.js';
import { operator, userWithToken } from '../support/app.js';

/**
 * Findings for the exception tests, inserted directly (matching and imports
 * have their own tests): what matters here is their due dates, which
 * processPriorityRequests(db) gives them.
 */
export const DAY = 86_400_000;
export const TODAY = utcDay(new Date());
export const inDays = (n: number) => addDays(TODAY, n);

export async function vuln(database: Database, id: string, cvss: number) {
  const r = await database.db
    .insertInto('vulnerabilities')
    .values({ id, cvss_score: cvss, cvss_version: '3.1', updated_at: new Date() } as never)
    .returning('num')
    .executeTakeFirstOrThrow();
  return r.num;
}

export async function finding(database: Database, assetId: string, num: number, detected: Date) {
  const r = await database.db
    .insertInto('findings')
    .values({ asset_id: assetId, vulnerability_num: num, name_id: 0, package_id: null, source: 'nessus', first_seen: detected, last_seen: detected } as never)
    .returning('id')
    .executeTakeFirstOrThrow();
  return String(r.id);
}

export async function asset(database: Database, hostname: string, extra: Record<string, unknown> = {}) {
  const a = await assets.createAsset(database.db, operator, {
    hostname, environment: 'production', systemType: 'web_server', businessCriticality: 'high', networkExposure: 'internal', ...extra,
  } as never);
  return a.id;
}

export async function people(database: Database, prefix: string) {
  const mk = async (role: Role, name: string) => {
    const u = await userWithToken(database, role, `${prefix}${name}`);
    return { id: u.user.id, token: u.token, name: `${prefix}${name}` };
  };
  return {
    alice: await mk('security_analyst', 'alice'),
    bob: await mk('security_analyst', 'bob'),
    root: await mk('admin', 'root'),
    carol: await mk('change_approver', 'carol'),
    sam: await mk('senior_manager', 'sam'),
    olga: await mk('system_owner', 'olga'),
    audrey: await mk('auditor', 'audrey'),
  };
}
