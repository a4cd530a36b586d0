import { sql } from 'kysely';
import type { HostFactsReport } from '../../domain/agents/protocol.js';
import type { AssetUpdate } from '../../domain/assets/asset.js';
import type { Db, Tx } from '../../storage/db.js';
import { patchAsset } from '../assets/assets.service.js';
import type { Ctx } from '../context.js';

/** The register fields a host's own report is the authority on (what people cannot know better than the machine). */
export function assetFieldsFromFacts(f: HostFactsReport): Pick<AssetUpdate, 'fqdn' | 'ipAddresses' | 'osFamily' | 'osName' | 'osVersion'> {
  const out: Pick<AssetUpdate, 'fqdn' | 'ipAddresses' | 'osFamily' | 'osName' | 'osVersion'> = { osFamily: 'linux' };
  if (f.fqdn) out.fqdn = f.fqdn.replace(/\.$/, '');
  if (f.addresses.length) out.ipAddresses = f.addresses.slice(0, 64);
  const name = f.os.prettyName ?? f.os.id;
  if (name) out.osName = name.slice(0, 128);
  if (f.os.versionId) out.osVersion = f.os.versionId.slice(0, 64);
  return out;
}

/**
 * Keeps the facts a collector reported (kernel, uptime, reboot flag, machine id: shown on the asset page, the machine
 * id identifies the host at its next enrolment) and brings the register's FQDN, addresses and OS up to date — each
 * change of those an audited asset update. A name another active asset already holds is left alone rather than failing
 * the report.
 */
export async function storeHostFacts(tx: Tx, ctx: Ctx, assetId: string, f: HostFactsReport, source: string, at: Date): Promise<void> {
  const row = {
    machine_id: f.machineId,
    kernel: f.kernel,
    uptime_seconds: f.uptimeSeconds,
    reboot_required: f.rebootRequired,
    os: JSON.stringify(f.os),
    addresses: f.addresses,
    source,
    collected_at: at,
  };
  await tx.insertInto('asset_host_facts').values({ asset_id: assetId, ...row }).onConflict((oc) => oc.column('asset_id').doUpdateSet(row)).execute();
  const update = assetFieldsFromFacts(f);
  if (update.fqdn) {
    const taken = await tx
      .selectFrom('assets')
      .select('id')
      .where('lifecycle', '=', 'active')
      .where('id', '<>', assetId)
      .where(sql<boolean>`lower(fqdn) = lower(${update.fqdn})`)
      .executeTakeFirst();
    if (taken) delete update.fqdn;
  }
  await patchAsset(tx, ctx, assetId, update, { action: 'asset.facts_update' });
}

export interface HostFacts {
  machineId: string | null;
  kernel: string | null;
  uptimeSeconds: number | null;
  rebootRequired: boolean | null;
  os: HostFactsReport['os'] | null;
  addresses: string[];
  source: string;
  collectedAt: string;
}

export async function readHostFacts(tx: Db, assetId: string): Promise<HostFacts | null> {
  const r = await tx.selectFrom('asset_host_facts').selectAll().where('asset_id', '=', assetId).executeTakeFirst();
  if (!r) return null;
  return {
    machineId: r.machine_id,
    kernel: r.kernel,
    uptimeSeconds: r.uptime_seconds === null ? null : Number(r.uptime_seconds),
    rebootRequired: r.reboot_required,
    os: (typeof r.os === 'string' ? JSON.parse(r.os) : r.os) as HostFacts['os'],
    addresses: r.addresses,
    source: r.source,
    collectedAt: r.collected_at.toISOString(),
  };
}
