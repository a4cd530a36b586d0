export const FEEDS = ['debian', 'kev', 'epss', 'nvd', 'osv'] as const;
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
  /** NVD only. */
  nvd?: NvdStats;
}

/** What an NVD import or sync fetched, and how the NVD's CVSS compared with our computation. */
export interface NvdStats {
  /** HTTP requests, retries included (0 for a file). */
  requests: number;
  pages: number;
  /** Records older than the stored ones (lastModified), left as they were. */
  stale: number;
  rejected: number;
  /** CVSS entries whose stated base score differs from ours; the NVD's is kept. */
  cvssDisagreements: number;
  /** CVSS entries whose vector our CVSS module refuses; kept with the NVD's score. */
  cvssInvalid: number;
  /** The first few of both, for the log. */
  cvssNotes: string[];
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
  /** The re-prioritisation of the findings of the changed vulnerabilities (deferred: left to the background worker). */
  reprioritised?: { evaluated: number; changed: number; raised: number; deferred: boolean };
}
