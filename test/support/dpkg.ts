import type { DpkgPackage } from '../../src/domain/inventory/dpkg-status.js';
import type { Inventory } from '../../src/domain/inventory/inventory.js';
import { rng } from '../../src/domain/random.js';

/**
 * A dpkg status file whose packages sit just below, at and above the given
 * fixed versions, with binNMUs, binaries with versions of their own, epochs,
 * backports and removed packages: the cases where matchers go wrong.
 */
export function syntheticStatus(fixedBySource: Map<string, string[]>, seed: number, count = 150): string {
  const r = rng(seed);
  const sources = [...fixedBySource.keys()];
  const paras: string[] = [];
  for (let i = 0; i < count; i++) {
    const source = r.pick(sources);
    const fixed = fixedBySource.get(source) ?? [];
    const base = fixed.length ? r.pick(fixed) : '1.0-1';
    const variants = [base, `${base}~bpo1`, `${base}+1`, `${base.replace(/-[^-]*$/, '')}-0`, /^\d+:/.test(base) ? base : `1:${base}`, '0.0.1-1'];
    const srcVersion = r.pick(variants);
    const binNmu = r.chance(0.3);
    const ownVersion = !binNmu && r.chance(0.25) ? `${r.int(2, 9)}:1.0-1` : null;
    const name = r.chance(0.5) ? source : `lib${source}-${i}`;
    const state = r.chance(0.1) ? 'deinstall ok config-files' : 'install ok installed';
    paras.push(
      [
        `Package: ${name}`,
        `Status: ${state}`,
        'Architecture: amd64',
        ...(name !== source || binNmu || ownVersion ? [`Source: ${source}${binNmu || ownVersion ? ` (${srcVersion})` : ''}`] : []),
        `Version: ${binNmu ? `${srcVersion}+b1` : (ownVersion ?? srcVersion)}`,
        `Description: synthetic package ${i}`,
      ].join('\n'),
    );
  }
  return `${paras.join('\n\n')}\n`;
}

/** Installed packages of a status file as an inventory upload (the same package twice keeps the last). */
export function toInventory(pkgs: DpkgPackage[], release: string): Inventory {
  const byKey = new Map<string, Inventory['packages'][number]>();
  for (const p of pkgs) {
    if (p.state !== 'installed') continue;
    byKey.set(`${p.name}:${p.architecture ?? ''}`, { name: p.name, version: p.version, arch: p.architecture ?? '', sourceName: p.source, sourceVersion: p.sourceVersion });
  }
  return { ecosystem: 'deb', distro: 'debian', release, source: 'test', packages: [...byKey.values()] };
}
