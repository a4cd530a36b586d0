/**
 * Writes the tar stream a host sends into a fresh private directory, the
 * copy of its root the collectors then read. Only directories, regular
 * files and symbolic links are created; nothing is ever written through a
 * link (every parent is checked to be a real directory, files are opened
 * with O_EXCL | O_NOFOLLOW), and link targets are rewritten to stay inside
 * the copy (domain/ssh/remote.ts confineLinkTarget).
 */
import { constants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { confineLinkTarget, TAR_MARKER } from '../../domain/ssh/remote.js';
import { type TarEntry, TarFormatError, TarReader } from '../../domain/ssh/tar.js';

export class TarExtractor {
  private readonly reader = new TarReader({ maxEntries: 20_000 });
  private file: fs.FileHandle | null = null;
  private readonly dirs = new Set<string>();
  readonly written: string[] = [];

  constructor(private readonly root: string) {}

  /** Creates the parent directories of `rel`, refusing any that exists as something else. */
  private async parents(rel: string) {
    const parts = rel.split('/').slice(0, -1);
    for (let i = 1; i <= parts.length; i++) {
      const sub = parts.slice(0, i).join('/');
      if (this.dirs.has(sub)) continue;
      const abs = path.join(this.root, sub);
      try {
        await fs.mkdir(abs, { mode: 0o700 });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        const st = await fs.lstat(abs);
        if (!st.isDirectory()) throw new TarFormatError(`entry ${rel} lies below ${sub}, which the archive made a ${st.isSymbolicLink() ? 'symbolic link' : 'file'}`);
      }
      this.dirs.add(sub);
    }
  }

  private async begin(e: TarEntry) {
    await this.parents(e.path);
    const abs = path.join(this.root, e.path);
    if (e.type === 'dir') {
      await this.parents(`${e.path}/x`);
    } else if (e.type === 'file') {
      try {
        this.file = await fs.open(abs, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new TarFormatError(`entry ${e.path} appears twice in the archive`);
        throw err;
      }
      this.written.push(e.path);
    } else if (e.type === 'symlink') {
      try {
        await fs.symlink(confineLinkTarget(e.path, e.linkTarget ?? ''), abs);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new TarFormatError(`entry ${e.path} appears twice in the archive`);
        throw err;
      }
      this.written.push(e.path);
    }
    // Hard links, devices and FIFOs are not among the collectors' files: passed over.
  }

  async push(chunk: Buffer): Promise<void> {
    for (const ev of this.reader.push(chunk)) {
      if (ev.kind === 'entry') await this.begin(ev.entry);
      else if (ev.kind === 'data') {
        if (this.file) await this.file.write(ev.bytes);
      } else if (this.file) {
        await this.file.close();
        this.file = null;
      }
    }
  }

  async finish(): Promise<void> {
    await this.close();
    this.reader.finish();
  }

  async close(): Promise<void> {
    await this.file?.close();
    this.file = null;
  }
}

/** Bytes of facts the script may print before its archive. */
const MAX_PREAMBLE = 64 * 1024;

export class PreambleError extends Error {}

/** The remote script's output: the facts up to TAR_MARKER, then the archive, unpacked into `root`. */
export class ScriptOutput {
  private text = '';
  private inTar = false;
  readonly extractor: TarExtractor;

  constructor(root: string) {
    this.extractor = new TarExtractor(root);
  }

  /** The facts' text, once the marker has arrived. */
  get preamble(): string | null {
    return this.inTar ? this.text : null;
  }

  async push(chunk: Buffer): Promise<void> {
    if (this.inTar) return this.extractor.push(chunk);
    this.text += chunk.toString('latin1');
    const at = this.text.indexOf(`${TAR_MARKER}\n`);
    if (at < 0) {
      if (this.text.length > MAX_PREAMBLE) throw new PreambleError('the host sent unexpected output instead of the collection (a login banner on standard output?)');
      return;
    }
    this.inTar = true;
    const rest = Buffer.from(this.text.slice(at + TAR_MARKER.length + 1), 'latin1');
    this.text = this.text.slice(0, at);
    if (rest.length) await this.extractor.push(rest);
  }
}
