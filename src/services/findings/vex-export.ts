import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { cyclonedxVex, openVex, type VexDecision } from '../../domain/vex/export.js';
import type { CycloneDxVex, OpenVex } from '../../domain/vex/schema.js';
import type { VexJustification } from '../../domain/scanners/report.js';
import { packageVersion } from '../../lib/paths.js';
import type { Db } from '../../storage/db.js';
import { authorize, type Ctx } from '../context.js';

/**
 * VEX export of the register's decisions (issue #5 §5): every validation in
 * force (not lifted) on a finding still marked, with its vulnerability,
 * package, asset, justification, reason, reviewer and time. The document
 * is built whole: it holds one entry per distinct (vulnerability, package),
 * far fewer than findings, and a statement can only be written once all the
 * products it names are known.
 */
export type VexFormat = 'cyclonedx' | 'openvex';

export interface VexExportQuery {
  format: VexFormat;
  assetId?: string;
  vulnerabilityId?: string;
}

/** Rows are read in pages of this many, so a register with many decisions never arrives as one result. */
const PAGE = 5000;

export async function loadDecisions(db: Db, q: { assetId?: string; vulnerabilityId?: string }): Promise<VexDecision[]> {
  const out: VexDecision[] = [];
  let after = '0';
  for (;;) {
    const page = await sql<{
      vid: string; vuln: string; aliases: string[] | null; status: 'false_positive' | 'not_affected'; justification: string | null; reason: string;
      reviewer: string; at: Date; asset_id: string; hostname: string; ecosystem: string | null; name: string | null; version: string | null;
      arch: string | null; purl: string | null; distro: string | null;
    }>`select fv.id::text as vid, v.id as vuln,
        (select array_agg(va.alias order by va.alias) from vulnerability_aliases va where va.vulnerability_id = v.id) as aliases,
        fv.status, fv.justification, fv.reason, fv.reviewer_name as reviewer, fv.at,
        a.id as asset_id, a.hostname, p.ecosystem, p.name, p.version, p.arch, p.purl, ai.distro
      from finding_validations fv
        join findings f on f.id = fv.finding_id and f.status = fv.status
        join vulnerabilities v on v.num = f.vulnerability_num
        join assets a on a.id = f.asset_id
        left join packages p on p.id = f.package_id
        left join asset_inventories ai on ai.asset_id = f.asset_id
      where fv.lifted_at is null and fv.id > ${after}::bigint
        ${q.assetId ? sql`and f.asset_id = ${q.assetId}::uuid` : sql``}
        ${q.vulnerabilityId ? sql`and v.id = ${q.vulnerabilityId}` : sql``}
      order by fv.id limit ${PAGE}`.execute(db);
    for (const r of page.rows) {
      out.push({
        vulnerabilityId: r.vuln,
        aliases: r.aliases ?? [],
        status: r.status,
        justification: r.justification as VexJustification | null,
        reason: r.reason,
        reviewer: r.reviewer,
        at: r.at.toISOString(),
        package: r.name ? { ecosystem: r.ecosystem, name: r.name, version: r.version, arch: r.arch || null, purl: r.purl } : null,
        distro: r.distro,
        asset: { id: r.asset_id, hostname: r.hostname },
      });
    }
    if (page.rows.length < PAGE) return out;
    after = page.rows[page.rows.length - 1]?.vid as string;
  }
}

export async function exportVex(db: Db, ctx: Ctx, q: VexExportQuery): Promise<{ document: CycloneDxVex | OpenVex; statements: number; fileName: string }> {
  authorize(ctx, 'asset:read');
  const decisions = await loadDecisions(db, q);
  const info = { id: randomUUID(), timestamp: new Date().toISOString(), author: `patchloop (exported by ${ctx.principal.name})`, toolVersion: packageVersion() };
  const stamp = info.timestamp.slice(0, 10);
  if (q.format === 'openvex') {
    const document = openVex(decisions, info);
    return { document, statements: document.statements.length, fileName: `patchloop-vex-${stamp}.openvex.json` };
  }
  const document = cyclonedxVex(decisions, info);
  return { document, statements: document.vulnerabilities.length, fileName: `patchloop-vex-${stamp}.cdx.json` };
}
