/**
 * The remote half of agentless collection: a POSIX shell script, sent on the
 * standard input of `sh -s` over ssh, that prints a few live facts and then
 * a tar stream of exactly the files the agent's collectors read
 * (src/agent/collect). Nothing is installed or written on the host; the
 * collectors then run here, on a copy of those files, so an SSH host is
 * inventoried by the same code as an agent host.
 *
 * Also the pure helpers around it: reading the facts back, keeping extracted
 * symbolic links inside the copy, and telling apart why ssh failed.
 */

/** Separates the facts from the tar stream. */
export const TAR_MARKER = '@@patchloop:tar@@';
/** Exit status of the script when the root directory cannot be entered. */
export const EXIT_NO_ROOT = 97;

/**
 * Files under the root that the collectors read (facts.ts, dpkg.ts, rpm.ts,
 * apk.ts). Globs name the contents of a database directory. `run/…` and
 * `usr/lib/apk/…` are where `var/run` and `lib` lead on systems where those
 * are links; a link among the parents of a path is sent as the link itself.
 */
export const REMOTE_PATHS = [
  'etc/os-release',
  'usr/lib/os-release',
  'etc/hostname',
  'etc/hosts',
  'etc/machine-id',
  'var/lib/dbus/machine-id',
  'var/lib/dpkg/status',
  // dpkg reads only the numbered journal files; tmp.i is the one it is writing.
  'var/lib/dpkg/updates/[0-9]*',
  'lib/apk/db/installed',
  'usr/lib/apk/db/installed',
  'var/lib/rpm/*',
  'usr/lib/sysimage/rpm/*',
  'var/run/reboot-required',
  'run/reboot-required',
] as const;

/** A remote root directory: absolute, and only characters that need no quoting. */
export const REMOTE_ROOT_RE = /^\/[A-Za-z0-9._+@:/-]{0,4095}$/;

/** The script; `root` must match REMOTE_ROOT_RE (it is placed inside single quotes). */
export function remoteScript(root: string): string {
  if (!REMOTE_ROOT_RE.test(root)) throw new Error(`remote root ${JSON.stringify(root)} is not an absolute path of plain characters`);
  return `set -u
export LC_ALL=C
cd '${root}' 2>/dev/null || { echo "patchloop: cannot change to directory ${root} on the host" >&2; exit ${EXIT_NO_ROOT}; }
printf 'kernel=%s\\n' "$(uname -r 2>/dev/null)"
printf 'uptime=%s\\n' "$(cat /proc/uptime 2>/dev/null)"
printf 'addresses=%s\\n' "$(hostname -I 2>/dev/null)"
printf '%s\\n' '${TAR_MARKER}'
list=''
add() {
  case "
$list
" in *"
$1
"*) ;; *) list="$list
$1" ;; esac
}
for p in ${REMOTE_PATHS.join(' ')}; do
  d=$p
  linked=''
  while :; do
    case $d in */*) d=\${d%/*} ;; *) break ;; esac
    if [ -h "$d" ]; then linked=$d; fi
  done
  if [ -n "$linked" ]; then add "$linked"; continue; fi
  if [ -f "$p" ] || [ -h "$p" ]; then add "$p"; fi
done
[ -n "$list" ] || exit 0
IFS='
'
set -f
set -- $list
exec tar -cf - "$@"
`;
}

export interface RemoteFacts {
  kernel: string | null;
  uptimeSeconds: number | null;
  addresses: string[];
}

/** The lines before TAR_MARKER. Kernel and uptime describe the running host, so they count only when the root is `/`. */
export function parsePreamble(text: string, liveRoot: boolean): RemoteFacts {
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) fields.set(line.slice(0, eq), line.slice(eq + 1).trim());
  }
  if (!liveRoot) return { kernel: null, uptimeSeconds: null, addresses: [] };
  const kernel = fields.get('kernel') ?? '';
  const uptime = Number.parseFloat((fields.get('uptime') ?? '').split(/\s+/)[0] ?? '');
  // hostname -I lists every address but loopback; link-local ones repeat on every host, as in the agent's facts.
  const addresses = (fields.get('addresses') ?? '')
    .split(/\s+/)
    .filter((a) => a && /^[0-9a-f:.]+$/i.test(a) && !/^fe[89ab]/i.test(a) && !a.startsWith('169.254.'));
  return {
    kernel: /^[\x21-\x7e]{1,200}$/.test(kernel) ? kernel : null,
    uptimeSeconds: Number.isFinite(uptime) && uptime >= 0 ? Math.floor(uptime) : null,
    addresses: [...new Set(addresses)].sort(),
  };
}

/**
 * The target of a symbolic link at `linkPath` (relative to the copy's root),
 * rewritten so that the kernel, following it anywhere in the copy, stays
 * inside the copy: resolved as a chroot would (absolute from the root, `..`
 * stopping at the root) and written relative to the link's directory. The
 * collectors resolve links the same way (facts.ts resolveInRoot); rpm, which
 * reads the copy through the kernel, then cannot be led to this server's own
 * files.
 */
export function confineLinkTarget(linkPath: string, target: string): string {
  const linkDir = linkPath.split('/').filter(Boolean).slice(0, -1);
  const resolved = target.startsWith('/') ? [] : [...linkDir];
  for (const c of target.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') resolved.pop();
    else resolved.push(c);
  }
  let common = 0;
  while (common < linkDir.length && common < resolved.length && linkDir[common] === resolved[common]) common++;
  const rel = [...Array(linkDir.length - common).fill('..'), ...resolved.slice(common)].join('/');
  return rel || '.';
}

export type SshFailureKind = 'host_key_unknown' | 'host_key_changed' | 'auth_failed' | 'unreachable' | 'ssh_failed';

/** Why ssh exited 255, from its messages (OpenSSH's wording, stable for many releases). */
export function classifySshError(stderr: string): { kind: SshFailureKind; message: string; offered: string | null } {
  const offered = /(SHA256:[A-Za-z0-9+/]{43})/.exec(stderr)?.[1] ?? null;
  const lastLines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('@') && !l.startsWith('Warning: Permanently added'))
    .slice(-3)
    .join(' ');
  if (/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key for \S+ has changed/.test(stderr)) {
    return { kind: 'host_key_changed', offered, message: `the host presented a key that is not pinned${offered ? ` (${offered})` : ''}: refused, possibly a man-in-the-middle or a reinstalled host; pin the new key only after checking it on the host's console` };
  }
  if (/Host key verification failed|No \S+ host key is known/.test(stderr)) {
    return { kind: 'host_key_unknown', offered, message: `the host's key is not among the pinned keys${offered ? ` (${offered})` : ''}: refused` };
  }
  if (/Permission denied|Too many authentication failures|incorrect passphrase|Load key .*: (invalid format|error in libcrypto)/.test(stderr)) {
    return { kind: 'auth_failed', offered: null, message: `authentication failed: ${lastLines}` };
  }
  if (/Connection refused|Connection timed out|No route to host|Could not resolve hostname|Network is unreachable|Connection closed by|Connection reset/.test(stderr)) {
    return { kind: 'unreachable', offered: null, message: `the host could not be reached: ${lastLines}` };
  }
  return { kind: 'ssh_failed', offered: null, message: `ssh failed: ${lastLines || 'no message'}` };
}
