import type { EolCycle, EolDate } from './dataset.js';

/**
 * Support states and the date rules behind them. Dates are UTC calendar days.
 * `eol` is the day support ends: on that day the cycle is unsupported; it is
 * `eol_soon` while that day is at most SOON_DAYS away (90 days away counts).
 */
export const EOL_STATES = ['supported', 'eol_soon', 'unsupported', 'unknown'] as const;
export type EolState = (typeof EOL_STATES)[number];
export const SOON_DAYS = 90;

const DAY = 86_400_000;

export function utcDay(now: Date): string {
  return now.toISOString().slice(0, 10);
}

export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY);
}

export function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY).toISOString().slice(0, 10);
}

export function stateOf(eol: EolDate | null | undefined, today: string): EolState {
  if (eol === true) return 'unsupported';
  if (eol === false) return 'supported';
  if (typeof eol !== 'string') return 'unknown';
  const left = daysBetween(today, eol);
  if (left <= 0) return 'unsupported';
  return left <= SOON_DAYS ? 'eol_soon' : 'supported';
}

const RANK: Record<EolState, number> = { unknown: 0, supported: 1, eol_soon: 2, unsupported: 3 };

/** The worse of known states; unknown only when nothing is known. */
export function worst(states: readonly EolState[]): EolState {
  return states.reduce<EolState>((w, s) => (RANK[s] > RANK[w] ? s : w), 'unknown');
}

/**
 * The upstream part of a package version: without the epoch ("1:") and the
 * distribution's revision (Debian "-0+deb12u1", RPM "-1.el9", Alpine "-r0").
 */
export function upstreamVersion(version: string): string {
  let v = version.trim().replace(/^\d+:/, '');
  const dash = v.lastIndexOf('-');
  if (dash > 0) v = v.slice(0, dash);
  return v;
}

/** The distribution's revision of a package version ("0+deb12u1", "1.el9", "r0"), or null. */
export function revisionOf(version: string): string | null {
  const v = version.trim().replace(/^\d+:/, '');
  const dash = v.lastIndexOf('-');
  return dash > 0 ? v.slice(dash + 1) : null;
}

/**
 * The cycle a version belongs to: the longest cycle name that the version
 * equals or starts with, followed by a non-digit ("15.8" → "15", "1.1.1w" →
 * "1.1.1", "20.10.24" → "20.10"; "18.19.0" is not cycle "1").
 */
export function cycleForVersion(cycles: readonly EolCycle[], version: string): EolCycle | null {
  const v = version.trim().toLowerCase();
  let best: EolCycle | null = null;
  for (const c of cycles) {
    const name = c.cycle.toLowerCase();
    if (!v.startsWith(name)) continue;
    const next = v.charAt(name.length);
    if (next !== '' && /\d/.test(next)) continue;
    if (!best || name.length > best.cycle.length) best = c;
  }
  return best;
}

/** A cycle named by its codename's first word ("bookworm" → Debian 12 "Bookworm", "jammy" → Ubuntu "Jammy Jellyfish"). */
export function cycleForCodename(cycles: readonly EolCycle[], codename: string): EolCycle | null {
  const want = codename.trim().toLowerCase();
  if (!want) return null;
  return cycles.find((c) => c.codename && c.codename.toLowerCase().split(/\s+/)[0] === want) ?? null;
}
