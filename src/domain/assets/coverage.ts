/**
 * Inventory coverage (INV-5): every active asset must have been inventoried
 * within the policy interval — 7 days by default, and at least weekly for
 * assets that support critical functions (business criticality "critical"
 * or the `dora-critical` tag). An asset never inventoried, or last
 * inventoried longer ago, is overdue: flagged, listed and counted.
 * An asset whose OS or software is past its end of life (LEG-2) is watched
 * more closely: it must be inventoried daily.
 */
export const INVENTORY_MAX_AGE_DAYS = 7;
export const CRITICAL_INVENTORY_MAX_AGE_DAYS = 7;
export const UNSUPPORTED_INVENTORY_MAX_AGE_DAYS = 1;
export const INVENTORY_STATES = ['current', 'overdue', 'never'] as const;
export type InventoryState = (typeof INVENTORY_STATES)[number];

export interface CoverageSubject {
  businessCriticality: string;
  tags: readonly string[];
  /** Past its end of life (asset_eol.unsupported_from has come); absent = not known to be. */
  eolUnsupported?: boolean;
}

export function maxInventoryAgeDays(a: CoverageSubject): number {
  const critical = a.businessCriticality === 'critical' || a.tags.includes('dora-critical');
  const days = critical ? Math.min(INVENTORY_MAX_AGE_DAYS, CRITICAL_INVENTORY_MAX_AGE_DAYS) : INVENTORY_MAX_AGE_DAYS;
  return a.eolUnsupported ? Math.min(days, UNSUPPORTED_INVENTORY_MAX_AGE_DAYS) : days;
}

/** Decommissioned assets are out of scope: null. */
export function inventoryState(
  a: CoverageSubject & { lifecycle: string },
  lastInventoriedAt: Date | null,
  now: Date,
): InventoryState | null {
  if (a.lifecycle !== 'active') return null;
  if (!lastInventoriedAt) return 'never';
  return now.getTime() - lastInventoriedAt.getTime() > maxInventoryAgeDays(a) * 86_400_000 ? 'overdue' : 'current';
}
