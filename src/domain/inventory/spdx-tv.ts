import { packageFromPurl, SbomError, type SbomPackages } from './cyclonedx.js';

/**
 * Installed software from an SPDX 2.x tag-value document (the `.spdx` text
 * that syft, the Yocto build and many vendors ship): the same packages the
 * JSON path (spdx.ts) takes. A package section starts at `PackageName:`; its
 * `ExternalRef: <category> purl <locator>` line gives the package URL and
 * `PackageVersion:` the version when the purl has none. Errors name the line.
 */
const MAX_PACKAGES = 50_000;
const MAX_CHARS = 64 * 1024 * 1024;
// Tags that open a section that is not a package: an ExternalRef after them belongs to no package.
const OTHER_SECTIONS = new Set(['FileName', 'SnippetSPDXID', 'LicenseID']);

interface Section {
  line: number;
  version?: string;
  purl?: { locator: string; line: number };
}

/** True when the text looks like SPDX tag-value (its first tag is SPDXVersion), for format detection. */
export function looksLikeSpdxTagValue(text: string): boolean {
  for (const raw of text.slice(0, 64 * 1024).split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    return /^SPDXVersion\s*:/.test(line);
  }
  return false;
}

export function packagesFromSpdxTagValue(text: string): SbomPackages {
  if (text.length > MAX_CHARS) throw new SbomError('document', `is larger than ${MAX_CHARS} characters`);
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  const sections: Section[] = [];
  let current: Section | null = null;
  let sawVersion = false;
  for (let i = 0; i < lines.length; i++) {
    const n = i + 1;
    const line = (lines[i] as string).trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([A-Za-z][A-Za-z0-9_-]*)\s*:\s?(.*)$/.exec(line);
    if (!m) throw new SbomError(`line ${n}`, `expected "Tag: value", found ${JSON.stringify(line.slice(0, 60))}`);
    const tag = m[1] as string;
    let value = (m[2] as string).trim();
    if (value.startsWith('<text>')) {
      // Multi-line values are wrapped in <text>…</text>; nothing inside is a tag.
      let j = i;
      let body = value;
      while (!body.includes('</text>')) {
        j++;
        if (j >= lines.length) throw new SbomError(`line ${n}`, `${tag}: <text> is not closed by </text>`);
        body += `\n${lines[j]}`;
      }
      value = body.slice(6, body.indexOf('</text>'));
      i = j;
    }
    if (!sawVersion) {
      if (tag !== 'SPDXVersion' || !value.startsWith('SPDX-')) throw new SbomError(`line ${n}`, 'is not an SPDX tag-value document: it must begin with "SPDXVersion: SPDX-2.x"');
      sawVersion = true;
      continue;
    }
    if (tag === 'PackageName') {
      if (sections.length >= MAX_PACKAGES) throw new SbomError(`line ${n}`, `more than ${MAX_PACKAGES} packages`);
      current = { line: n };
      sections.push(current);
    } else if (OTHER_SECTIONS.has(tag)) {
      current = null;
    } else if (tag === 'PackageVersion') {
      if (!current) throw new SbomError(`line ${n}`, 'PackageVersion outside a package (no PackageName before it)');
      current.version = value;
    } else if (tag === 'ExternalRef') {
      const parts = value.split(/\s+/);
      if (parts.length < 3) throw new SbomError(`line ${n}`, 'ExternalRef needs a category, a type and a locator ("PACKAGE-MANAGER purl pkg:…")');
      if (parts[1] !== 'purl') continue;
      if (!current) throw new SbomError(`line ${n}`, 'ExternalRef purl outside a package (no PackageName before it)');
      const locator = parts.slice(2).join(' ');
      if (locator.length > 1000) throw new SbomError(`line ${n}`, 'the package URL is longer than 1,000 characters');
      current.purl ??= { locator, line: n }; // the first purl of a package counts, as in the JSON path
    }
  }
  if (!sawVersion) throw new SbomError('document', 'is empty: expected "SPDXVersion: SPDX-2.x" first');

  const out: SbomPackages = { packages: [], skipped: [] };
  const seen = new Set<string>();
  for (const s of sections) {
    if (!s.purl) {
      out.skipped.push({ where: `line ${s.line}`, reason: 'no purl' });
      continue;
    }
    const version = s.version && s.version !== 'NOASSERTION' ? s.version : undefined;
    const r = packageFromPurl(s.purl.locator, `line ${s.purl.line}`, version);
    if ('skip' in r) {
      out.skipped.push({ where: `line ${s.line}`, reason: r.skip });
      continue;
    }
    const key = `${r.pkg.ecosystem}\t${r.pkg.name}\t${r.pkg.arch}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.packages.push(r.pkg);
  }
  return out;
}
