import fs from 'node:fs';
import { Command } from 'commander';
import { ROLES } from '../domain/auth/roles.js';
import { type Config, ConfigError, loadConfig } from '../lib/config.js';
import { randomSecret } from '../lib/crypto.js';
import { createLogger } from '../lib/logger.js';
import { packageVersion } from '../lib/paths.js';
import { startServer } from '../main/server.js';
import { startWorker } from '../main/worker.js';
import { ChainVerifier } from '../domain/audit/chain.js';
import { dataDirHolder, migrate, openDatabase, restoreEmbedded } from '../storage/db.js';
import { readHead, scanAll } from '../storage/audit.repo.js';
import { agentCommands } from './agent.js';
import { agentAdminCommands } from './agents.js';
import { assetCommands } from './assets.js';
import { feedCommands } from './feeds.js';
import { eolCommands } from './eol.js';
import { exceptionCommands } from './exceptions.js';
import { findingCommands } from './findings.js';
import { importCommands } from './imports.js';
import { validationCommands } from './validation.js';
import { policyCommands } from './policy.js';
import { notificationCommands } from './notifications.js';
import { inventoryCommands } from './inventory.js';
import { scanCommands } from './scan.js';
import { sshCommands } from './ssh.js';
import { versionCommands } from './versions.js';
import { vulnerabilityCommands } from './vulnerabilities.js';
import { ApiError, type ApiClient, call, connect } from './client.js';
import { printJson, table } from './output.js';

export type Runner = (fn: (client: ApiClient, config: Config) => Promise<unknown>) => Promise<void>;

/** Exit codes: 0 ok, 1 failure reported by the server or a check, 2 bad usage or configuration. */
function fail(err: unknown): never {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(2);
  }
  if (err instanceof ApiError) {
    console.error(`error: ${err.message}`);
    process.exit(1);
  }
  console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}

const run: Runner = async (fn) => {
  let client: ApiClient | undefined;
  try {
    const config = loadConfig();
    client = await connect(config);
    const code = await fn(client, config);
    await client.close();
    if (typeof code === 'number' && code !== 0) process.exit(code);
  } catch (err) {
    await client?.close().catch(() => {});
    fail(err);
  }
};

function readSecret(opts: { passwordFile?: string; passwordStdin?: boolean }): string | undefined {
  if (opts.passwordFile) return fs.readFileSync(opts.passwordFile, 'utf8').replace(/\r?\n$/, '');
  if (opts.passwordStdin) return fs.readFileSync(0, 'utf8').replace(/\r?\n$/, '');
  return undefined;
}

export function buildProgram(): Command {
  const program = new Command('patchloop')
    .version(packageVersion())
    .description('Patch and vulnerability management. Commands talk to the API: PATCHLOOP_URL + PATCHLOOP_TOKEN for a remote server; otherwise the local server or database.')
    .showHelpAfterError();

  program.command('serve').description('Run the server with the web UI (npm start)').action(async () => {
    try {
      const config = loadConfig();
      const logger = createLogger(config.logLevel);
      const server = await startServer(config, logger);
      const shutdown = () => server.stop().then(() => process.exit(0), () => process.exit(1));
      process.once('SIGINT', shutdown);
      process.once('SIGTERM', shutdown);
    } catch (err) {
      fail(err);
    }
  });

  program.command('worker').description('Work background jobs (PostgreSQL; run several for more throughput)').action(async () => {
    try {
      const config = loadConfig();
      const logger = createLogger(config.logLevel);
      const w = await startWorker(config, logger);
      const shutdown = () => w.stop().then(() => process.exit(0), () => process.exit(1));
      process.once('SIGINT', shutdown);
      process.once('SIGTERM', shutdown);
    } catch (err) {
      fail(err);
    }
  });

  program.command('migrate').description('Apply database migrations (the server also does this at start)').action(async () => {
    try {
      const config = loadConfig();
      const database = await openDatabase(config);
      const applied = await migrate(database.db);
      await database.close();
      console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
    } catch (err) {
      fail(err);
    }
  });

  program.command('demo').description('Load the sample organisation (300+ assets, teams, users)').action(() =>
    run(async (client) => {
      const s = await call(client, 'POST', '/api/system/demo');
      console.log(`demo organisation loaded: ${s.assets} assets, ${s.teams} teams, ${s.users} users (via ${client.via})`);
    }),
  );

  const admin = program.command('admin').description('Administration');
  admin
    .command('create')
    .description('Create an administrator account (prints a generated password unless one is given)')
    .requiredOption('--username <name>', 'user name')
    .option('--password-file <file>', 'read the password from a file')
    .option('--password-stdin', 'read the password from standard input')
    .option('--email <email>', 'e-mail address')
    .option('--role <role>', `role (${ROLES.join('|')})`, 'admin')
    .action((opts) =>
      run(async (client) => {
        const given = readSecret(opts);
        const password = given ?? randomSecret('', 18);
        const u = await call(client, 'POST', '/api/users', { body: { username: opts.username, password, role: opts.role, email: opts.email ?? null } });
        console.log(`created ${u.role} ${u.username}`);
        if (!given) console.log(`password (shown once): ${password}`);
      }),
    );

  const users = program.command('users').description('User accounts');
  users.command('list').option('--json', 'print JSON').action((opts) =>
    run(async (client) => {
      const list = await call(client, 'GET', '/api/users');
      if (opts.json) printJson(list);
      else console.log(table(list, [{ key: 'username', label: 'USERNAME' }, { key: 'role', label: 'ROLE' }, { key: 'displayName', label: 'NAME' }, { key: 'disabled', label: 'DISABLED' }, { key: 'id', label: 'ID' }]));
    }),
  );
  users
    .command('create')
    .requiredOption('--username <name>', 'user name')
    .requiredOption('--role <role>', ROLES.join('|'))
    .option('--display-name <name>', 'full name')
    .option('--email <email>', 'e-mail')
    .option('--password-file <file>', 'password from a file (omit for SSO-only accounts)')
    .option('--password-stdin', 'password from standard input')
    .action((opts) =>
      run(async (client) => {
        const u = await call(client, 'POST', '/api/users', { body: { username: opts.username, role: opts.role, displayName: opts.displayName, email: opts.email ?? null, password: readSecret(opts) } });
        console.log(`created ${u.role} ${u.username} (${u.id})`);
      }),
    );
  users
    .command('update <id>')
    .option('--role <role>', ROLES.join('|'))
    .option('--disable', 'disable the account')
    .option('--enable', 'enable the account')
    .option('--password-file <file>', 'set a new password from a file')
    .action((id, opts) =>
      run(async (client) => {
        const body: Record<string, unknown> = {};
        if (opts.role) body.role = opts.role;
        if (opts.disable) body.disabled = true;
        if (opts.enable) body.disabled = false;
        const pw = readSecret(opts);
        if (pw) body.password = pw;
        const u = await call(client, 'PATCH', `/api/users/${encodeURIComponent(id)}`, { body });
        console.log(`updated ${u.username}: role ${u.role}${u.disabled ? ', disabled' : ''}`);
      }),
    );

  const teams = program.command('teams').description('Teams and groups');
  teams.command('list').option('--json', 'print JSON').action((opts) =>
    run(async (client) => {
      const list = await call(client, 'GET', '/api/teams');
      if (opts.json) printJson(list);
      else console.log(table(list, [{ key: 'name', label: 'TEAM' }, { key: 'assetCount', label: 'ASSETS' }, { key: 'email', label: 'E-MAIL' }, { key: 'id', label: 'ID' }]));
    }),
  );
  teams.command('create <name>').option('--description <text>').option('--email <email>').action((name, opts) =>
    run(async (client) => {
      const t = await call(client, 'POST', '/api/teams', { body: { name, description: opts.description ?? null, email: opts.email ?? null } });
      console.log(`created team ${t.name} (${t.id})`);
    }),
  );

  const tokens = program.command('tokens').description('API tokens (PATCHLOOP_TOKEN)');
  tokens.command('list').option('--json', 'print JSON').action((opts) =>
    run(async (client) => {
      const list = await call(client, 'GET', '/api/tokens');
      if (opts.json) printJson(list);
      else console.log(table(list, [{ key: 'name', label: 'NAME' }, { key: 'prefix', label: 'PREFIX' }, { key: 'username', label: 'USER' }, { key: 'scopes', label: 'SCOPES', max: 50 }, { key: 'expiresAt', label: 'EXPIRES' }, { key: 'revokedAt', label: 'REVOKED' }, { key: 'id', label: 'ID' }]));
    }),
  );
  tokens.command('revoke <id>').action((id) =>
    run(async (client) => {
      const t = await call(client, 'DELETE', `/api/tokens/${encodeURIComponent(id)}`);
      console.log(`revoked ${t.name} (${t.prefix}…)`);
    }),
  );

  const audit = program.command('audit').description('The tamper-evident audit trail (CMP-5)');
  audit
    .command('verify')
    .description('Check the whole hash chain; exit 1 naming the first altered, removed or reordered record')
    .option('--json', 'print JSON')
    .action((opts) =>
      run(async (client) => {
        const r = await call(client, 'GET', '/api/audit/verify');
        if (opts.json) printJson(r);
        else if (r.ok) console.log(`audit trail intact: ${r.checked} record(s), head ${r.lastHash.slice(0, 16)}…`);
        else console.error(`AUDIT TRAIL BROKEN: ${r.problem.message} (checked ${r.checked} record(s))`);
        return r.ok ? 0 : 1;
      }),
    );
  audit.command('export [file]').description('Write the trail as JSON Lines (stdout without a file)').action((file) =>
    run(async (client) => {
      const jsonl = await call<string>(client, 'GET', '/api/audit/export');
      if (file) fs.writeFileSync(file, jsonl);
      else process.stdout.write(jsonl);
    }),
  );
  audit
    .command('list')
    .option('--actor <name>')
    .option('--entity-type <type>')
    .option('--entity-id <id>')
    .option('--limit <n>', 'records', '50')
    .option('--json', 'print JSON')
    .action((opts) =>
      run(async (client) => {
        const r = await call(client, 'GET', '/api/audit', { query: { actor: opts.actor, entityType: opts.entityType, entityId: opts.entityId, limit: opts.limit } });
        if (opts.json) printJson(r.items);
        else console.log(table(r.items, [{ key: 'seq', label: 'SEQ' }, { key: 'occurredAt', label: 'TIME' }, { key: 'actorName', label: 'ACTOR' }, { key: 'action', label: 'ACTION' }, { key: 'entityType', label: 'ENTITY' }, { key: 'entityId', label: 'ID' }]));
      }),
    );

  program.command('backup <file>').description('Back up the embedded database to a file (works while the server runs)').action((file) =>
    run(async (client) => {
      const res = await client.request('GET', '/api/system/backup');
      if (res.status >= 400) throw new ApiError(res.status, res.json());
      fs.writeFileSync(file, res.bytes, { mode: 0o600 });
      console.log(`backup written to ${file} (${res.bytes.length} bytes)`);
    }),
  );

  program
    .command('restore <file>')
    .description('Restore a backup into the data directory (PATCHLOOP_DATA_DIR), which must be empty; verifies the audit chain')
    .action(async (file) => {
      try {
        const config = loadConfig();
        if (config.databaseUrl) throw new Error('restore is for the embedded database; restore a PostgreSQL server with pg_restore');
        if (dataDirHolder(config.dataDir) !== null) throw new Error(`a server is running on ${config.dataDir}; stop it first`);
        const database = await restoreEmbedded(config.dataDir, new Uint8Array(fs.readFileSync(file)));
        try {
          await migrate(database.db);
          const v = new ChainVerifier();
          for await (const rec of scanAll(database.db)) if (!v.push(rec)) break;
          const r = v.finish(await readHead(database.db));
          const assets = await database.db.selectFrom('assets').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
          console.log(`restored into ${config.dataDir}: ${Number(assets.n)} asset(s), ${r.checked} audit record(s)`);
          if (!r.ok) {
            console.error(`AUDIT TRAIL BROKEN in the backup: ${r.problem?.message}`);
            process.exitCode = 1;
          } else console.log('audit trail intact');
        } finally {
          await database.close();
        }
      } catch (err) {
        fail(err);
      }
    });

  assetCommands(program, run);
  scanCommands(program, fail);
  agentCommands(program, fail);
  agentAdminCommands(program, run);
  findingCommands(program, run);
  validationCommands(program, run);
  policyCommands(program, run);
  notificationCommands(program, run);
  importCommands(program, run);
  inventoryCommands(program, run);
  versionCommands(program);
  feedCommands(program, run);
  vulnerabilityCommands(program, run);
  sshCommands(program, run);
  eolCommands(program, run);
  exceptionCommands(program, run);
  return program;
}
