/**
 * Reads dpkg's status database (/var/lib/dpkg/status, deb822 paragraphs).
 * Each installed binary package carries the source package it was built from
 * and that source's version: distribution advisories name source packages,
 * and a binary's own version can differ (binNMU "+bN", packages whose
 * version embeds another project's). Format: deb-control(5), dpkg(1).
 */
export interface DpkgPackage {
  name: string;
  version: string;
  architecture: string | null;
  /** Source package name (the binary's own name when the Source field is absent). */
  source: string;
  /** Source version (the binary's version when Source carries no version). */
  sourceVersion: string;
  /** The Status field's third word: installed, half-configured, unpacked, config-files, … */
  state: string;
}

export class DpkgStatusError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
  }
}

const SOURCE_RE = /^([a-zA-Z0-9.+-]+)(?:\s+\((\S+)\))?$/;

/** Paragraphs of a deb822 file: field name → value (continuation lines joined with newlines), with the line each starts on. */
export function* deb822Paragraphs(text: string): Generator<{ line: number; fields: Map<string, string> }> {
  let fields = new Map<string, string>();
  let start = 0;
  let last: string | null = null;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = (lines[i] as string).replace(/\r$/, '');
    if (raw.trim() === '') {
      if (fields.size) yield { line: start, fields };
      fields = new Map();
      last = null;
      continue;
    }
    if (raw.startsWith('#')) continue;
    if (raw[0] === ' ' || raw[0] === '\t') {
      if (last === null) throw new DpkgStatusError(i + 1, 'continuation line without a field before it');
      fields.set(last, `${fields.get(last)}\n${raw.slice(1)}`);
      continue;
    }
    const colon = raw.indexOf(':');
    if (colon <= 0) throw new DpkgStatusError(i + 1, `expected "Field: value", got ${JSON.stringify(raw.slice(0, 60))}`);
    if (fields.size === 0) start = i + 1;
    last = raw.slice(0, colon);
    fields.set(last, raw.slice(colon + 1).trim());
  }
  if (fields.size) yield { line: start, fields };
}

/** Every package record in the status file, whatever its state. */
export function parseDpkgStatus(text: string): DpkgPackage[] {
  const out: DpkgPackage[] = [];
  for (const { line, fields } of deb822Paragraphs(text)) {
    const name = fields.get('Package');
    if (!name) throw new DpkgStatusError(line, 'record has no Package field');
    const status = fields.get('Status');
    if (!status) throw new DpkgStatusError(line, `package ${name} has no Status field`);
    const state = status.split(/\s+/)[2] ?? '';
    const version = fields.get('Version') ?? '';
    if (!version && state !== 'not-installed' && state !== 'config-files') {
      throw new DpkgStatusError(line, `package ${name} has no Version field`);
    }
    let source = name;
    let sourceVersion = version;
    const src = fields.get('Source');
    if (src) {
      const m = SOURCE_RE.exec(src);
      if (!m) throw new DpkgStatusError(line, `package ${name} names an invalid source package ${JSON.stringify(src)}`);
      source = m[1] as string;
      if (m[2]) sourceVersion = m[2];
    }
    out.push({ name, version, architecture: fields.get('Architecture') ?? null, source, sourceVersion, state });
  }
  return out;
}

/** Packages whose files are on the system (dpkg state "installed"), the set vulnerability matching considers. */
export function installedPackages(pkgs: readonly DpkgPackage[]): DpkgPackage[] {
  return pkgs.filter((p) => p.state === 'installed');
}
