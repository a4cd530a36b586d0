import type { Db } from '../../storage/db.js';

/** Placeholder until escalation lands (issue #6 §4): findings whose priority rose. */
export async function notifyRaised(_db: Db, _findingIds: readonly string[], _trigger: string): Promise<void> {}
