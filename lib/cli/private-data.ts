import fs from "node:fs";
import path from "node:path";

// The data dir holds the private signing keys, the password hash, the session
// secret and every DM; backups and exports hold the same. Nothing Moiety
// writes is for other users of the machine: files 0600, directories 0700.

/**
 * Every file this process and its children create (the database and its WAL
 * and SHM files — SQLite gives them the database's mode —, media, certificates,
 * backups, exports) is readable by this user only. Called first thing by every
 * command; the app server runs inside `moiety serve` and so writes under it too.
 */
export function usePrivateUmask(): void {
  process.umask(0o077);
}

const octal = (mode: number) => (mode & 0o7777).toString(8).padStart(4, "0");

export type PrivacyReport = {
  /** The data dir's mode before, when it had to change. */
  dirWas: number | null;
  /** Entries inside it (files and directories) that other users could read. */
  changed: number;
  /** Entries that could not be changed (owned by someone else), with the reason. */
  failed: { path: string; reason: string }[];
};

/**
 * Create the data dir 0700, or take group and other permissions away from an
 * existing one and everything in it (installs from before this was done, or
 * files copied in). Symbolic links are left alone and not followed.
 */
export function makeDataDirPrivate(dataDir: string): PrivacyReport {
  const report: PrivacyReport = { dirWas: null, changed: 0, failed: [] };
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const restrict = (p: string, mode: number): boolean => {
    if ((mode & 0o077) === 0) return false;
    try {
      fs.chmodSync(p, mode & 0o7700);
      return true;
    } catch (err) {
      report.failed.push({ path: p, reason: (err as NodeJS.ErrnoException).code ?? String(err) });
      return false;
    }
  };
  const top = fs.statSync(dataDir).mode;
  if (restrict(dataDir, top)) report.dirWas = top;
  const walk = (dir: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch (err) {
      report.failed.push({ path: dir, reason: (err as NodeJS.ErrnoException).code ?? String(err) });
      return;
    }
    for (const d of entries) {
      const p = path.join(dir, d.name);
      if (d.isSymbolicLink()) continue;
      let st: fs.Stats;
      try {
        st = fs.lstatSync(p);
      } catch {
        continue; // removed meanwhile
      }
      if (restrict(p, st.mode)) report.changed++;
      if (st.isDirectory()) walk(p);
    }
  };
  walk(dataDir);
  return report;
}

/** What to tell the person starting the server; nothing when nothing changed. */
export function describePrivacyReport(dataDir: string, r: PrivacyReport): string[] {
  const lines: string[] = [];
  const others = (n: number) => `${n} ${n === 1 ? "file or folder" : "files and folders"} in it`;
  if (r.dirWas !== null) {
    const inside = r.changed > 0 ? `, and ${others(r.changed)} could be read by other users` : "";
    lines.push(`Made the data dir private (was ${octal(r.dirWas)}${inside}): only this user can read it now.`);
  } else if (r.changed > 0) {
    lines.push(`Made ${others(r.changed).replace(" in it", " in the data dir")} private (other users could read them): only this user can read them now.`);
  }
  if (r.failed.length > 0) {
    const first = r.failed[0];
    lines.push(
      `Warning: could not make ${r.failed.length === 1 ? "1 entry" : `${r.failed.length} entries`} in the data dir private ` +
        `(${first.path}: ${first.reason}); other users of this machine may read them. ` +
        `Fix it with: chown -R "$(id -u)" '${dataDir}' && chmod -R go= '${dataDir}'`,
    );
  }
  return lines;
}
