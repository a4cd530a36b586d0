/**
 * `patchloop version compare`: version ordering of the package ecosystems
 * (dpkg, rpm, apk, SemVer/npm, PEP 440/PyPI, Maven, Go; see
 * src/domain/versions). Pure: it needs neither a server nor a database.
 *
 *   patchloop version compare --ecosystem deb 1.0~rc1 1.0     prints "<"
 *   printf '1.0\t1.1\n' | patchloop version compare -e npm --stdin
 *
 * Exit codes: 0 done; 1 some --stdin lines were malformed (each reported on
 * stderr by line number, with "?" printed in its place so that output line N
 * answers input line N); 2 bad usage, unknown ecosystem or malformed version.
 */
import fs from 'node:fs';
import type { Command } from 'commander';
import { CMP_SYMBOL, UnknownEcosystemError, VersionError, comparatorFor } from '../domain/versions/index.js';

export interface CompareArgs {
  ecosystem?: string;
  a?: string;
  b?: string;
  /** read pairs from `stdin` instead of a and b */
  stdin?: boolean;
}

export interface CompareResult {
  stdout: string;
  stderr: string;
  exitCode: 0 | 1 | 2;
}

const usage = (msg: string): CompareResult => ({ stdout: '', stderr: `error: ${msg}\n`, exitCode: 2 });

/** The whole command as a pure function: arguments and standard input in, output and exit code out. */
export function runCompare(args: CompareArgs, stdin = ''): CompareResult {
  if (!args.ecosystem) return usage('--ecosystem is required (deb, rpm, apk, npm, pypi, maven or go)');
  let cmp: ReturnType<typeof comparatorFor>;
  try {
    cmp = comparatorFor(args.ecosystem);
  } catch (err) {
    if (err instanceof UnknownEcosystemError) return usage(err.message);
    throw err;
  }
  if (!args.stdin) {
    if (args.a === undefined || args.b === undefined) return usage('give two versions A B, or --stdin to read tab-separated pairs');
    try {
      return { stdout: `${CMP_SYMBOL[cmp(args.a, args.b)]}\n`, stderr: '', exitCode: 0 };
    } catch (err) {
      if (err instanceof VersionError) return usage(err.message);
      throw err;
    }
  }
  if (args.a !== undefined || args.b !== undefined) return usage('give either two versions or --stdin, not both');
  const lines = stdin.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const out: string[] = [];
  const errors: string[] = [];
  lines.forEach((raw, i) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const fields = line.split('\t');
    if (fields.length !== 2) {
      out.push('?');
      errors.push(`line ${i + 1}: expected two versions separated by one tab, found ${fields.length} field${fields.length === 1 ? '' : 's'}`);
      return;
    }
    try {
      out.push(CMP_SYMBOL[cmp(fields[0]!, fields[1]!)]);
    } catch (err) {
      if (!(err instanceof VersionError)) throw err;
      out.push('?');
      errors.push(`line ${i + 1}: ${err.message}`);
    }
  });
  return {
    stdout: out.length ? `${out.join('\n')}\n` : '',
    stderr: errors.map((e) => `error: ${e}\n`).join(''),
    exitCode: errors.length ? 1 : 0,
  };
}

export function versionCommands(program: Command) {
  const version = program.command('version').description('Version ordering of package ecosystems (works offline: no server or database)');
  version
    .command('compare')
    .description('Compare two versions and print <, = or >; with --stdin, compare tab-separated pairs, one result per line ("?" for a malformed line, reported on stderr; exit 1)')
    .option('-e, --ecosystem <name>', 'deb (debian, ubuntu, dpkg), rpm (redhat, rocky, alma, fedora, suse), apk (alpine), npm (semver), pypi (pep440), maven, go')
    .option('--stdin', 'read "A<TAB>B" lines from standard input')
    .argument('[a]', 'first version')
    .argument('[b]', 'second version')
    .action((a: string | undefined, b: string | undefined, opts: { ecosystem?: string; stdin?: boolean }) => {
      const input = opts.stdin ? fs.readFileSync(0, 'utf8') : '';
      const r = runCompare({ ecosystem: opts.ecosystem, a, b, stdin: opts.stdin }, input);
      process.stdout.write(r.stdout);
      process.stderr.write(r.stderr);
      process.exitCode = r.exitCode;
    });
}
