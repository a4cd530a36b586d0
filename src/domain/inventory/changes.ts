/**
 * An inventory upload's audit record lists what went ("removed") and what
 * came ("added") as "name[:arch] version" strings. Read as changes a person
 * follows: a package in both lists changed version ("openssl:amd64
 * 3.0.15-1 → 3.0.17-1"); the rest were installed or removed.
 */
export interface SoftwareChange {
  package: string;
  from: string | null;
  to: string | null;
}

function split(entry: string): [string, string] {
  const i = entry.lastIndexOf(' ');
  return i < 0 ? [entry, ''] : [entry.slice(0, i), entry.slice(i + 1)];
}

export function softwareChanges(removed: readonly string[], added: readonly string[]): SoftwareChange[] {
  const gone = new Map(removed.map((e) => split(e)));
  const out: SoftwareChange[] = [];
  for (const e of added) {
    const [pkg, version] = split(e);
    out.push({ package: pkg, from: gone.get(pkg) ?? null, to: version });
    gone.delete(pkg);
  }
  for (const [pkg, version] of gone) out.push({ package: pkg, from: version, to: null });
  return out.sort((a, b) => (a.package < b.package ? -1 : a.package > b.package ? 1 : 0));
}
