import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { HOSTNAME_RE } from '../../domain/assets/asset.js';
import type { ReportTarget } from '../../domain/scanners/report.js';
import type { Tx } from '../../storage/db.js';

/**
 * Which asset a reported host or image is (issue #5 §3): by agent id, image
 * digest, FQDN, host name, then address, in that order of trust. An address
 * shared by several assets (NAT, DHCP reuse) identifies none of them. Only
 * active assets are candidates: a decommissioned host that shows up in a
 * scan becomes a discovered asset, which is what someone should look at.
 * Unknown targets become assets flagged for review, with the import that
 * found them. The whole register is held in memory as five maps: at 50,000
 * assets that is a few MB, against one query per target otherwise.
 */
export type MatchedBy = 'agent' | 'image digest' | 'fqdn' | 'hostname' | 'address' | 'created';

const AMBIGUOUS = '';

export interface Resolution {
  assetId: string;
  by: MatchedBy;
}

export class AssetResolver {
  private readonly byAgent = new Map<string, string>();
  private readonly byDigest = new Map<string, string>();
  private readonly byFqdn = new Map<string, string>();
  private readonly byHostname = new Map<string, string>();
  private readonly byAddress = new Map<string, string>();
  readonly created: { id: string; hostname: string }[] = [];
  readonly matched = new Set<string>();
  /** Image assets matched by name whose digest changed (a rebuilt image). */
  private readonly digestUpdates = new Map<string, string>();

  static async load(tx: Tx): Promise<AssetResolver> {
    const r = new AssetResolver();
    const assets = await sql<{ id: string; hostname: string; fqdn: string | null; ip_addresses: string[]; image_digest: string | null }>`
      select id, hostname, fqdn, ip_addresses, image_digest from assets where lifecycle = 'active'`.execute(tx);
    for (const a of assets.rows) {
      if (a.image_digest) r.byDigest.set(a.image_digest, a.id);
      if (a.fqdn) r.byFqdn.set(a.fqdn.toLowerCase().replace(/\.$/, ''), a.id);
      r.byHostname.set(a.hostname.toLowerCase(), a.id);
      for (const ip of a.ip_addresses) r.byAddress.set(ip, r.byAddress.has(ip) && r.byAddress.get(ip) !== a.id ? AMBIGUOUS : a.id);
    }
    const agents = await sql<{ id: string; asset_id: string }>`select id, asset_id from agents where revoked_at is null`.execute(tx);
    for (const a of agents.rows) r.byAgent.set(a.id, a.asset_id);
    return r;
  }

  resolve(t: ReportTarget): Resolution | null {
    const hit = (m: Map<string, string>, k: string | null | undefined) => {
      const v = k ? m.get(k) : undefined;
      return v === undefined || v === AMBIGUOUS ? null : v;
    };
    const fqdn = t.fqdn?.toLowerCase().replace(/\.$/, '');
    const candidates: [string | null, MatchedBy][] = [
      [hit(this.byAgent, t.agentId), 'agent'],
      [hit(this.byDigest, t.imageDigest), 'image digest'],
      [hit(this.byFqdn, fqdn), 'fqdn'],
      [hit(this.byHostname, t.hostname?.toLowerCase()) ?? hit(this.byHostname, fqdn?.split('.')[0]), 'hostname'],
      ...(t.addresses ?? []).map((a): [string | null, MatchedBy] => [hit(this.byAddress, a), 'address']),
    ];
    // Last, the name an asset created from such a target got (an image reference, an application's path, an address).
    candidates.push([hit(this.byHostname, hostnameFor(t, null)), 'hostname']);
    for (const [id, by] of candidates) {
      if (!id) continue;
      this.matched.add(id);
      if (t.kind === 'image' && t.imageDigest && by !== 'image digest') this.digestUpdates.set(id, t.imageDigest);
      return { assetId: id, by };
    }
    return null;
  }

  /** A new asset for a target nobody registered, flagged for review. */
  async create(tx: Tx, t: ReportTarget, importId: string, scanner: string): Promise<Resolution> {
    const fqdn = t.fqdn && HOSTNAME_RE.test(t.fqdn) && t.fqdn.includes('.') ? t.fqdn.replace(/\.$/, '') : null;
    const hostname = hostnameFor(t, fqdn);
    const addresses = (t.addresses ?? []).filter((a) => /^[0-9a-fA-F:.]+$/.test(a) && a.length <= 45);
    const id = randomUUID();
    await tx
      .insertInto('assets')
      .values({
        id,
        hostname,
        fqdn,
        ip_addresses: addresses,
        os_family: osFamily(t.os),
        os_name: t.os?.slice(0, 200) ?? null,
        os_version: null,
        environment: 'production',
        system_type: 'other',
        department: null,
        location: null,
        owner_user_id: null,
        owner_team_id: null,
        business_criticality: 'medium',
        network_exposure: 'internal',
        maintenance_group: null,
        tags: ['discovered'],
        supplier: null,
        description: `Found by a ${scanner} scan (${t.kind} ${t.name.slice(0, 200)}); not registered before. Review its owner, criticality and exposure.`,
        updated_at: new Date(),
        image_digest: t.imageDigest ?? null,
        discovered_import_id: importId,
        review_required: true,
      })
      .execute();
    this.created.push({ id, hostname });
    // The next target naming the same host within this report finds it.
    if (t.imageDigest) this.byDigest.set(t.imageDigest, id);
    if (fqdn) this.byFqdn.set(fqdn.toLowerCase(), id);
    this.byHostname.set(hostname.toLowerCase(), id);
    for (const a of addresses) this.byAddress.set(a, this.byAddress.has(a) ? AMBIGUOUS : id);
    return { assetId: id, by: 'created' };
  }

  async applyDigestUpdates(tx: Tx): Promise<void> {
    if (!this.digestUpdates.size) return;
    await sql`update assets a set image_digest = d.digest, updated_at = now()
      from unnest(${sql.val([...this.digestUpdates.keys()])}::uuid[], ${sql.val([...this.digestUpdates.values()])}::text[]) as d(id, digest)
      where a.id = d.id and a.image_digest is distinct from d.digest`.execute(tx);
  }
}

function osFamily(os: string | null | undefined): string | null {
  if (!os) return null;
  if (/windows/i.test(os)) return 'windows';
  if (/linux|debian|ubuntu|red hat|rhel|centos|alpine|suse|fedora|rocky|alma|amazon/i.test(os)) return 'linux';
  if (/mac ?os|darwin/i.test(os)) return 'macos';
  if (/bsd/i.test(os)) return 'bsd';
  if (/ios|junos|fortios|pan-os|routeros/i.test(os)) return 'network_os';
  return 'other';
}

/** An image reference as a host-name-shaped key: "docker.io/library/alpine:3.19" → "alpine-3.19". */
function imageHostname(name: string): string {
  const last = name.split('@')[0]?.split('/').pop() ?? name;
  return sanitise(last.replace(/:/g, '-'));
}

function sanitise(s: string): string {
  const out = s
    .toLowerCase()
    .replace(/[^a-z0-9_.-]+/g, '-')
    .replace(/\.{2,}/g, '.')
    .replace(/^[-.]+|[-.]+$/g, '')
    .split('.')
    .map((l) => l.slice(0, 63).replace(/^-+|-+$/g, '') || 'x')
    .join('.')
    .slice(0, 253);
  return HOSTNAME_RE.test(out) ? out : 'discovered';
}

function hostnameFor(t: ReportTarget, fqdn: string | null): string {
  if (fqdn) return sanitise(fqdn.split('.')[0] as string);
  if (t.hostname) return sanitise(t.hostname);
  if (t.kind === 'image') return imageHostname(t.name);
  return sanitise(t.addresses?.[0] ?? t.name);
}
