import fs from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { inject } from 'vitest';
import { type Database, openPostgres, pgliteOptions, wrapPGlite } from '../../src/storage/db.js';

/**
 * The PostgreSQL server tests run against: PATCHLOOP_TEST_DATABASE_URL, or
 * DATABASE_URL (so `DATABASE_URL=… npm test` runs the suite on that server).
 * Each run creates its own databases there and drops them afterwards.
 */
export function testServerUrl(): string | undefined {
  return process.env.PATCHLOOP_TEST_DATABASE_URL || process.env.DATABASE_URL || undefined;
}

export const onPostgres = (): boolean => !!testServerUrl();

let counter = 0;

/** A fresh, migrated, empty database for one test file (PGlite in memory, or a copy on the PostgreSQL server). */
export async function freshDatabase(): Promise<Database & { url?: string }> {
  const serverUrl = testServerUrl();
  if (serverUrl) {
    const template = inject('pgTemplate');
    const name = `${template}_${process.pid}_${++counter}`;
    const admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    await admin.query(`create database ${name} template ${template}`);
    await admin.end();
    const u = new URL(serverUrl);
    u.pathname = `/${name}`;
    return Object.assign(openPostgres(u.toString(), 5), { url: u.toString() });
  }
  const tarball = fs.readFileSync(inject('pgliteTemplate'));
  const pgl = await PGlite.create(pgliteOptions({ loadDataDir: new Blob([tarball]) }));
  return wrapPGlite(pgl);
}

/** A new, empty (unmigrated) database on the test PostgreSQL server; returns its URL. */
export async function emptyPostgresDatabase(): Promise<string> {
  const serverUrl = testServerUrl();
  if (!serverUrl) throw new Error('no PostgreSQL server configured for tests');
  const name = `${inject('pgTemplate')}_empty_${process.pid}_${++counter}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  return u.toString();
}
