import { PackageURL } from 'packageurl-js';
import { ecosystemOfPurlType } from './ecosystems.js';
import { MAX_NAME, name as nameAt } from './json-report.js';
import type { JsonPath } from './json-stream.js';
import type { ReportPackage, ReportSink } from './report.js';

/**
 * What the SBOM, VEX and CSV importers share (issue #5): packages from purls,
 * names read with their JSON path, and skips summarised.
 */

/** Longest analysis detail, impact or action statement kept; the rest is cut. */
export const MAX_TEXT = 64 * 1024;

/** How purl types join namespace and name into the name the ecosystem uses; others drop the namespace (a distro, a vendor). */
const NAMESPACE_JOIN: Record<string, string> = { maven: ':', npm: '/', golang: '/', composer: '/', github: '/', swift: '/' };

/** A package from a purl; null when the purl does not parse. */
export function packageOfPurl(purl: string): ReportPackage | null {
  let p: PackageURL;
  try {
    p = PackageURL.fromString(purl);
  } catch {
    return null;
  }
  const join = NAMESPACE_JOIN[p.type];
  const name = join && p.namespace ? `${p.namespace}${join}${p.name}` : p.name;
  return { ecosystem: ecosystemOfPurlType(p.type), name, version: p.version ?? null, purl };
}

/** An identifier or name at obj[key]: control characters removed, trimmed, null when empty; too long is an error naming the path. */
export const text = (obj: unknown, key: string, path: JsonPath, max = MAX_NAME): string | null => nameAt(obj, key, path, max);

/** Skips named with their place for the first few, then counted by reason: a summary, not a million lines. */
export class SkipLog {
  private shown = 0;
  private readonly rest = new Map<string, number>();
  constructor(
    private readonly sink: ReportSink,
    private readonly limit = 20,
  ) {}
  add(where: string, reason: string): void {
    if (this.shown < this.limit) {
      this.shown++;
      this.sink.skip(`${where}: ${reason}`);
    } else this.rest.set(reason, (this.rest.get(reason) ?? 0) + 1);
  }
  end(): void {
    for (const [reason, n] of this.rest) this.sink.skip(reason, n);
  }
}

