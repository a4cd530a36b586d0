import type { Migration } from 'kysely';
import * as m0001 from './0001_foundation.js';
import * as m0002 from './0002_asset_search.js';
import * as m0003 from './0003_vulnerabilities.js';
import * as m0004 from './0004_register.js';
import * as m0005 from './0005_match_seen.js';
import * as m0006 from './0006_compact_findings.js';
import * as m0007 from './0007_agents.js';
import * as m0008 from './0008_eol.js';
import * as m0009 from './0009_ssh_targets.js';
import * as m0010 from './0010_scan_imports.js';
import * as m0011 from './0011_register_indexes.js';
import * as m0012 from './0012_prioritisation.js';
import * as m0013 from './0013_notifications.js';
import * as m0014 from './0014_exceptions.js';
import * as m0015 from './0015_escalation_runs.js';

/** Forward-only, in order. Never edit a released migration: add a new one. */
export const migrations: Record<string, Migration> = {
  '0001_foundation': m0001,
  '0002_asset_search': m0002,
  '0003_vulnerabilities': m0003,
  '0004_register': m0004,
  '0005_match_seen': m0005,
  '0006_compact_findings': m0006,
  '0007_agents': m0007,
  '0008_eol': m0008,
  '0009_ssh_targets': m0009,
  '0010_scan_imports': m0010,
  '0011_register_indexes': m0011,
  '0012_prioritisation': m0012,
  '0013_notifications': m0013,
  '0014_exceptions': m0014,
  '0015_escalation_runs': m0015,
};
