import type { Kysely } from 'kysely';

/** Reserved for issue #6 (filled in by the work in progress; not released yet). */
export async function up(_db: Kysely<unknown>): Promise<void> {}
