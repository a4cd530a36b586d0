import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { migrate, openPostgres, pgliteOptions, wrapPGlite } from '../../src/storage/db.js';
import { testServerUrl } from './db.js';

/**
 * Builds one migrated template per run: a PGlite tarball (each test file
 * loads it into memory, ~1 s instead of initdb + migrations), or, with
 * PATCHLOOP_TEST_DATABASE_URL, a template database on the PostgreSQL server
 * from which each test file gets its own fresh copy.
 */
export default async function setup(project: TestProject) {
  const serverUrl = testServerUrl();
  if (serverUrl) {
    const name = `patchloop_tmpl_${process.pid}_${Date.now()}`;
    const admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    await admin.query(`create database ${name}`);
    const u = new URL(serverUrl);
    u.pathname = `/${name}`;
    const database = openPostgres(u.toString(), 2);
    await migrate(database.db);
    await database.close();
    project.provide('pgTemplate', name);
    project.provide('pgliteTemplate', '');
    return async () => {
      // Drop the template and every per-file copy made from it.
      const { rows } = await admin.query<{ datname: string }>(`select datname from pg_database where datname like $1`, [`${name}%`]);
      for (const r of rows) await admin.query(`drop database if exists ${r.datname} with (force)`);
      await admin.end();
    };
  }
  const pgl = await PGlite.create(pgliteOptions());
  const database = wrapPGlite(pgl);
  await migrate(database.db);
  const blob = await pgl.dumpDataDir('gzip');
  const file = path.join(os.tmpdir(), `patchloop-test-template-${process.pid}.tgz`);
  fs.writeFileSync(file, Buffer.from(await blob.arrayBuffer()));
  await database.close();
  project.provide('pgliteTemplate', file);
  project.provide('pgTemplate', '');
  return () => fs.rmSync(file, { force: true });
}

declare module 'vitest' {
  export interface ProvidedContext {
    pgliteTemplate: string;
    pgTemplate: string;
  }
}
