import { describe, expect, it } from 'vitest';
import type { DpkgPackage } from '../../domain/inventory/dpkg-status.js';
import { applyDpkgUpdates, dpkgToInventory } from './dpkg.js';

const pkg = (name: string, version: string, architecture: string | null, state = 'installed', source = name, sourceVersion = version): DpkgPackage => ({
  name,
  version,
  architecture,
  source,
  sourceVersion,
  state,
});

describe('dpkg database', () => {
  it('applies journal records by name and architecture; a new architecture replaces the only instance', () => {
    const status = [pkg('libssl3', '3.0.15-1', 'amd64'), pkg('libssl3', '3.0.15-1', 'i386'), pkg('tool', '1.0-1', 'amd64'), pkg('keep', '1', 'all')];
    const merged = applyDpkgUpdates(status, [pkg('libssl3', '3.0.17-1', 'i386'), pkg('tool', '1.1-1', 'all'), pkg('new', '2', 'all'), pkg('tool', '1.2-1', 'all')]);
    expect(merged.map((p) => `${p.name}:${p.architecture}=${p.version}`).sort()).toEqual([
      'keep:all=1',
      'libssl3:amd64=3.0.15-1',
      'libssl3:i386=3.0.17-1',
      'new:all=2',
      'tool:all=1.2-1',
    ]);
  });

  it('keeps installed packages with source name and version, reports partly installed ones, drops config-files', () => {
    const r = dpkgToInventory([
      pkg('libfoo1', '1.2-3+b1', 'amd64', 'installed', 'foo', '1.2-3'),
      pkg('gone', '0.9-1', 'all', 'config-files'),
      pkg('never', '', null, 'not-installed'),
      pkg('broken', '2.0-1', 'amd64', 'half-configured'),
      pkg('old', '1', null),
    ]);
    expect(r.packages).toEqual([
      { name: 'libfoo1', version: '1.2-3+b1', arch: 'amd64', sourceName: 'foo', sourceVersion: '1.2-3' },
      { name: 'old', version: '1', arch: '', sourceName: 'old', sourceVersion: '1' },
    ]);
    expect(r.skipped).toEqual([{ name: 'broken', version: '2.0-1', arch: 'amd64', reason: 'dpkg state is half-configured, not installed' }]);
  });
});
