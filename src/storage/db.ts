import fs from 'node:fs';
import path from 'node:path';
import { PGlite, type PGliteInterface, type PGliteOptions } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { Kysely, Migrator, PostgresDialect, type Transaction as KyselyTransaction } from 'kysely';
import pg from 'pg';
import { migrations } from './migrations/index.js';
import { PGliteDialect } from './pglite-driver.js';
import type { DB } from './schema.js';

export type Db = Kysely<DB>;
/** Functions that must run inside a transaction take this type, never an optional handle. */
export type Tx = KyselyTransaction<DB>;

export interface Database {
  readonly db: Db;
  readonly kind: 'embedded' | 'postgres';
  /** Raw SQL for libraries that bring their own queries (the job queue). */
  executeSql(text: string, values?: unknown[]): Promise<{ rows: any[] }>;
  /** The PGlite instance when embedded (backup, tests). */
  readonly pglite?: PGliteInterface;
  /** Consistent gzipped tarball of the embedded database (taken between transactions). */
  dump?(): Promise<Uint8Array>;
  close(): Promise<void>;
}

const INT8_OID = 20;

/** Options every embedded database opens with: the extensions the migrations use, int8 as number. */
export function pgliteOptions(extra: PGliteOptions = {}): PGliteOptions {
  return { parsers: { [INT8_OID]: Number }, extensions: { pg_trgm }, ...extra };
}

/** int8 (count(*), seq) fits a JS number for any realistic row count. */
const pgTypes = {
  getTypeParser(oid: number, format?: string) {
    if (oid === INT8_OID) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format as 'text');
  },
};

export function openPostgres(url: string, poolSize = 10): Database {
  const pool = new pg.Pool({ connectionString: url, max: poolSize, types: pgTypes as pg.CustomTypesConfig });
  pool.on('error', () => {
    /* idle client errors surface on the next query */
  });
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    kind: 'postgres',
    executeSql: (text, values) => pool.query(text, values as unknown[]),
    close: () => db.destroy(),
  };
}

export class DataDirBusyError extends Error {}

/** Embedded database in `${dataDir}/pgdata`, guarded by a lock file: one process at a time. */
export async function openEmbedded(dataDir: string): Promise<Database> {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const release = acquireDataDirLock(dataDir);
  try {
    const pgl = await PGlite.create(pgliteOptions({ dataDir: path.join(dataDir, 'pgdata') }));
    return wrapPGlite(pgl, async () => {
      await pgl.close();
      release();
    });
  } catch (err) {
    release();
    throw err;
  }
}

export function wrapPGlite(pgl: PGliteInterface, onClose?: () => Promise<void>): Database {
  const dialect = new PGliteDialect(pgl);
  const db = new Kysely<DB>({ dialect });
  return {
    db,
    kind: 'embedded',
    pglite: pgl,
    async executeSql(text, values) {
      const release = await dialect.lock.acquire();
      try {
        // Without parameters, use the simple protocol: libraries send several statements at once.
        if (!values || values.length === 0) {
          const results = await pgl.exec(text);
          return { rows: (results[results.length - 1]?.rows ?? []) as any[] };
        }
        const res = await pgl.query(text, values, { rowMode: 'object' });
        return { rows: res.rows as any[] };
      } finally {
        release();
      }
    },
    async dump() {
      const release = await dialect.lock.acquire();
      try {
        const blob = await pgl.dumpDataDir('gzip');
        return new Uint8Array(await blob.arrayBuffer());
      } finally {
        release();
      }
    },
    async close() {
      await db.destroy();
      if (onClose) await onClose();
      else await pgl.close();
    },
  };
}

export function lockFilePath(dataDir: string): string {
  return path.join(dataDir, 'patchloop.lock');
}

/** Pid of the live process holding the data directory, if any. */
export function dataDirHolder(dataDir: string): number | null {
  try {
    const pid = Number(JSON.parse(fs.readFileSync(lockFilePath(dataDir), 'utf8')).pid);
    if (!Number.isInteger(pid) || pid <= 0) return null;
    process.kill(pid, 0);
    return pid;
  } catch {
    return null;
  }
}

/** Data directories this process has open: PGlite must not open one twice either. */
const openHere = new Set<string>();

function acquireDataDirLock(dataDir: string): () => void {
  const file = lockFilePath(dataDir);
  const holder = dataDirHolder(dataDir);
  if (openHere.has(path.resolve(dataDir)) || (holder !== null && holder !== process.pid)) {
    throw new DataDirBusyError(
      `the embedded database in ${dataDir} is in use by process ${holder ?? process.pid}; stop it first, or use the running server's API`,
    );
  }
  fs.writeFileSync(file, JSON.stringify({ pid: process.pid, since: new Date().toISOString() }), { mode: 0o600 });
  openHere.add(path.resolve(dataDir));
  return () => {
    openHere.delete(path.resolve(dataDir));
    try {
      if (dataDirHolder(dataDir) === process.pid) fs.unlinkSync(file);
    } catch {
      /* already gone */
    }
  };
}

/** Runs pending migrations. Kysely's migrator takes a database lock, so concurrent start-ups are safe. */
export async function migrate(db: Db): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    migrationTableName: 'patchloop_migrations',
    migrationLockTableName: 'patchloop_migrations_lock',
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

export async function openDatabase(opts: { databaseUrl?: string; dataDir: string }): Promise<Database> {
  return opts.databaseUrl ? openPostgres(opts.databaseUrl) : openEmbedded(opts.dataDir);
}

/** Creates an embedded database directory from a backup tarball. The directory must not hold one already. */
export async function restoreEmbedded(dataDir: string, tarball: Uint8Array): Promise<Database> {
  const pgdata = path.join(dataDir, 'pgdata');
  if (fs.existsSync(pgdata) && fs.readdirSync(pgdata).length > 0) {
    throw new Error(`${dataDir} already holds a database; restore into an empty directory (or move it away first)`);
  }
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const release = acquireDataDirLock(dataDir);
  try {
    const pgl = await PGlite.create(pgliteOptions({ dataDir: pgdata, loadDataDir: new Blob([tarball as unknown as ArrayBuffer]) }));
    return wrapPGlite(pgl, async () => {
      await pgl.close();
      release();
    });
  } catch (err) {
    release();
    throw err;
  }
}
