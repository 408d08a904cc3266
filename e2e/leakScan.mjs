// Byte-level search for a secret in every file under some directories: proves the API key typed into the
// workbench was not written in the clear anywhere (settings, logs, extension storage, browser profile, ...).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const MAX_FILE_BYTES = 50 * 1024 * 1024;

/**
 * Returns { files, bytes, hits: [{file, encoding}], skipped: [{file, reason}] }.
 * Searches raw bytes for the UTF-8 and the UTF-16LE encoding of `secret` (Chromium stores localStorage /
 * DOM strings as UTF-16). Symlinks are not followed (they would lead outside the roots); sockets and FIFOs
 * are not files; files larger than maxBytes are listed in `skipped`, as are unreadable ones.
 */
export function scanForSecret(roots, secret, { maxBytes = MAX_FILE_BYTES } = {}) {
  const needles = [
    ['utf-8', Buffer.from(secret, 'utf8')],
    ['utf-16le', Buffer.from(secret, 'utf16le')],
  ];
  const out = { files: 0, bytes: 0, hits: [], skipped: [] };
  const walk = (dir) => {
    let entries;
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      if (e.code !== 'ENOENT') out.skipped.push({ file: dir, reason: e.code });
      return;
    }
    for (const e of entries) {
      const f = path.join(dir, e.name);
      if (e.isDirectory()) {
        walk(f);
        continue;
      }
      if (!e.isFile()) continue;
      let buf;
      try {
        const { size } = fs.statSync(f);
        if (size > maxBytes) {
          out.skipped.push({ file: f, reason: `${size} bytes > ${maxBytes}` });
          continue;
        }
        buf = fs.readFileSync(f);
      } catch (err) {
        if (err.code !== 'ENOENT') out.skipped.push({ file: f, reason: err.code ?? err.message });
        continue;
      }
      out.files += 1;
      out.bytes += buf.length;
      for (const [encoding, needle] of needles) if (buf.includes(needle)) out.hits.push({ file: f, encoding });
    }
  };
  for (const r of roots) walk(r);
  return out;
}

/** Positive control: a scanner that can't find a planted secret would make a clean scan meaningless. */
export function selfTest(secret) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vse2e-scan-selftest-'));
  try {
    fs.writeFileSync(
      path.join(dir, 'a.bin'),
      Buffer.concat([Buffer.from([0, 1, 2]), Buffer.from(`x${secret}y`, 'utf8')]),
    );
    fs.mkdirSync(path.join(dir, 'sub'));
    fs.writeFileSync(
      path.join(dir, 'sub', 'b.bin'),
      Buffer.concat([Buffer.from([0xff]), Buffer.from(`"${secret}"`, 'utf16le')]),
    );
    const r = scanForSecret([dir], secret);
    const got = r.hits
      .map((h) => `${path.relative(dir, h.file)}:${h.encoding}`)
      .sort()
      .join(',');
    if (got !== 'a.bin:utf-8,sub/b.bin:utf-16le') throw new Error(`leak scanner self-test failed: found [${got}]`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Files under `dir` whose name contains `needle` (e.g. an output channel's log file). */
export function findFiles(dir, needle) {
  const found = [];
  const walk = (d) => {
    let entries;
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const f = path.join(d, e.name);
      if (e.isDirectory()) walk(f);
      else if (e.isFile() && e.name.includes(needle)) found.push(f);
    }
  };
  walk(dir);
  return found;
}
