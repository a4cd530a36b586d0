/**
 * Helpers for the version oracle tests: finding the reference tools, running
 * them once over many pairs, and collecting real version strings.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Cmp } from '../../src/domain/versions/index.js';

export type Pair = readonly [string, string];

/** First python3 that can import all the given modules, or a reason why none can. */
export function findPython(modules: string[]): { python?: string; reason: string } {
  for (const py of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(py, ['-c', `import ${modules.join(', ')}`], { encoding: 'utf8' });
    if (r.status === 0) return { python: py, reason: '' };
  }
  return { reason: `no python3 can import ${modules.join(', ')}` };
}

export function hasCommand(cmd: string, args: string[] = ['--version']): boolean {
  return spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
}

/** Runs a python script that reads tab-separated pairs on stdin and prints one integer (<0, 0, >0) per line. */
export function pythonCompare(python: string, script: string, pairs: readonly Pair[]): Cmp[] {
  const input = `${pairs.map(([a, b]) => `${a}\t${b}`).join('\n')}\n`;
  const out = execFileSync(python, ['-c', script], { input, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const lines = out.split('\n').filter((l) => l !== '');
  if (lines.length !== pairs.length) throw new Error(`oracle printed ${lines.length} results for ${pairs.length} pairs`);
  return lines.map((l) => Math.sign(Number(l)) as Cmp);
}

/** `dpkg --compare-versions` over many pairs: a few shell loops in parallel (one dpkg process per question). */
export async function dpkgCompare(pairs: readonly Pair[], parallel = 2): Promise<Cmp[]> {
  const script = 'while IFS="\t" read -r a b; do if dpkg --compare-versions "$a" lt "$b"; then echo "<"; elif dpkg --compare-versions "$a" eq "$b"; then echo "="; else echo ">"; fi; done';
  const size = Math.ceil(pairs.length / parallel);
  const chunks = Array.from({ length: parallel }, (_, i) => pairs.slice(i * size, (i + 1) * size));
  const results = await Promise.all(
    chunks.map(
      (chunk) =>
        new Promise<Cmp[]>((resolve, reject) => {
          const p = spawn('sh', ['-c', script], { stdio: ['pipe', 'pipe', 'pipe'] });
          let out = '';
          let err = '';
          p.stdout.on('data', (d) => { out += d; });
          p.stderr.on('data', (d) => { err += d; });
          p.on('error', reject);
          p.on('close', (code) => {
            const lines = out.split('\n').filter(Boolean);
            if (code !== 0 || lines.length !== chunk.length) reject(new Error(`dpkg loop failed (exit ${code}, ${lines.length}/${chunk.length} answers): ${err.slice(0, 500)}`));
            else resolve(lines.map((l) => (l === '<' ? -1 : l === '=' ? 0 : 1)));
          });
          p.stdin.end(chunk.map(([a, b]) => `${a}\t${b}\n`).join(''));
        }),
    ),
  );
  return results.flat();
}

/** Versions from the dpkg status file and the apt package indexes (decompressed with apt-helper), with the file they came from. */
export function realDebianVersions(): { versions: string[]; sources: string[] } {
  const sources: string[] = [];
  const seen = new Set<string>();
  const take = (text: string) => {
    for (const m of text.matchAll(/^Version: (.+)$/gm)) seen.add(m[1]!.trim());
    for (const m of text.matchAll(/^Source: \S+ \((.+)\)$/gm)) seen.add(m[1]!.trim());
  };
  if (fs.existsSync('/var/lib/dpkg/status')) {
    take(fs.readFileSync('/var/lib/dpkg/status', 'utf8'));
    sources.push('/var/lib/dpkg/status');
  }
  const lists = '/var/lib/apt/lists';
  if (fs.existsSync(lists)) {
    for (const f of fs.readdirSync(lists).filter((n) => /_Packages(\.[a-z0-9]+)?$/.test(n))) {
      const file = path.join(lists, f);
      const r = spawnSync('/usr/lib/apt/apt-helper', ['cat-file', file], { encoding: 'utf8', maxBuffer: 1024 * 1024 * 1024 });
      if (r.status === 0) {
        take(r.stdout);
        sources.push(file);
      }
    }
  }
  return { versions: [...seen], sources };
}

/** A maven-artifact jar of Maven 3.9 or later, from PATCHLOOP_MAVEN_ARTIFACT_JAR, the local Maven repository or /usr/share. */
export function findMavenArtifactJar(): { jar?: string; reason: string } {
  const env = process.env['PATCHLOOP_MAVEN_ARTIFACT_JAR'];
  if (env) return fs.existsSync(env) ? { jar: env, reason: '' } : { reason: `PATCHLOOP_MAVEN_ARTIFACT_JAR=${env} does not exist` };
  const dirs = [path.join(os.homedir(), '.m2/repository/org/apache/maven/maven-artifact'), '/usr/share/maven-repo/org/apache/maven/maven-artifact'];
  const found: { v: number[]; jar: string }[] = [];
  for (const d of dirs) {
    if (!fs.existsSync(d)) continue;
    for (const ver of fs.readdirSync(d)) {
      const jar = path.join(d, ver, `maven-artifact-${ver}.jar`);
      const v = ver.split('.').map(Number);
      if (fs.existsSync(jar) && v.every(Number.isFinite) && (v[0]! > 3 || (v[0] === 3 && (v[1] ?? 0) >= 9))) found.push({ v, jar });
    }
  }
  found.sort((a, b) => b.v[0]! - a.v[0]! || b.v[1]! - a.v[1]! || (b.v[2] ?? 0) - (a.v[2] ?? 0));
  if (!found.length) return { reason: 'no maven-artifact 3.9+ jar (set PATCHLOOP_MAVEN_ARTIFACT_JAR; Debian 12 packages only 3.8.7, whose ordering differs)' };
  return { jar: found[0]!.jar, reason: '' };
}

/** ComparableVersion's main compares adjacent arguments; passing a1 b1 a2 b2 … answers every pair on the odd lines. */
export function mavenCompare(jar: string, pairs: readonly Pair[]): Cmp[] {
  const out: Cmp[] = [];
  for (let i = 0; i < pairs.length; i += 4000) {
    const chunk = pairs.slice(i, i + 4000);
    const text = execFileSync('java', ['-cp', jar, 'org.apache.maven.artifact.versioning.ComparableVersion', ...chunk.flat()], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
    const ops = text.split('\n').filter((l) => l.startsWith('   ')).map((l) => l.trim().split(/\s+/)[1]);
    if (ops.length !== chunk.length * 2 - 1) throw new Error(`maven printed ${ops.length} comparisons for ${chunk.length * 2} versions`);
    for (let k = 0; k < ops.length; k += 2) out.push(ops[k] === '<' ? -1 : ops[k] === '==' ? 0 : 1);
  }
  return out;
}

/** A small deterministic PRNG (mulberry32) so that generated pairs are reproducible from the seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function describeDisagreements(pairs: readonly Pair[], ours: readonly Cmp[], theirs: readonly Cmp[], limit = 20): string[] {
  const sym = (c: Cmp) => (c < 0 ? '<' : c > 0 ? '>' : '=');
  const out: string[] = [];
  for (let i = 0; i < pairs.length && out.length < limit; i++) {
    if (ours[i] !== theirs[i]) out.push(`${pairs[i]![0]} ? ${pairs[i]![1]}: ours ${sym(ours[i]!)}, oracle ${sym(theirs[i]!)}`);
  }
  return out;
}
