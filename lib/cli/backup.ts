import { parseArgs } from "node:util";
import { BackupError, createBackup, formatBytes, restoreBackup } from "../domain/backup";
import { CliError } from "./errors";

// moiety backup FILE [--force] / moiety restore FILE [--force]. Neither goes
// through the migration step: a backup copies the database as it is, and a
// restore must not create a database in the data dir before it looks there.

async function guarded<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof BackupError) throw new CliError(err.message);
    throw err;
  }
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

export async function backupCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, options: { force: { type: "boolean", default: false } }, allowPositionals: true, strict: true });
  if (positionals.length !== 1) throw new CliError("Usage: moiety backup FILE [--force]   (FILE is the .tar.gz to write)");
  const r = await guarded(() => createBackup(positionals[0], { force: values.force }));
  const c = r.manifest.counts;
  const extras = ["signing keys", c.authSecret ? "session secret" : "", c.tlsFiles ? "TLS certificate" : ""].filter(Boolean).join(", ");
  console.log(
    `Backup written to ${r.file} (${formatBytes(r.bytes)}): ${plural(c.conversations, "conversation")}, ${plural(c.messages, "message")}, ${plural(c.mediaFiles, "media file")}; includes ${extras}.`,
  );
}

export async function restoreCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { force: { type: "boolean", default: false }, "allow-large": { type: "boolean", default: false } },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length !== 1) throw new CliError("Usage: moiety restore FILE [--force] [--allow-large]");
  const r = await guarded(() => restoreBackup(positionals[0], { force: values.force, allowLarge: values["allow-large"] }));
  const kept = r.replacedInto ? ` The replaced files are in ${r.replacedInto}; delete them once the restored instance works.` : "";
  console.log(
    `Restored the backup of ${r.manifest.createdAt}${r.manifest.origin ? ` from ${r.manifest.origin}` : ""} into ${r.dataDir}: ${plural(r.conversations, "conversation")}, ${plural(r.messages, "message")}, ${plural(r.mediaFiles, "media file")}.${kept}`,
  );
}
