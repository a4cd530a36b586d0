export const FEEDS = ['debian', 'kev', 'epss'] as const;
export type FeedName = (typeof FEEDS)[number];

export interface PackageKey {
  ecosystem: string;
  release: string;
  package: string;
}

/** What one feed's comparison with the stored data found. */
export interface FeedChanges {
  records: number;
  added: number;
  changed: number;
  removed: number;
  changedPackages: PackageKey[];
  changedVulnerabilities: string[];
  /** New rows in vulnerability_aliases. */
  aliases: number;
}

export interface ImportSummary extends FeedChanges {
  feed: FeedName;
  source: string;
  version: string | null;
  unchanged: number;
  /** Set by a sync whose server answered 304 Not Modified: nothing was downloaded or compared. */
  notModified?: boolean;
  /** The re-match of the assets that have a package whose advisories changed. */
  rematch?: { assets: number; opened: number; reopened: number; resolved: number };
}
