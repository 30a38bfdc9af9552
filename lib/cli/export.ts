import path from "node:path";
import { parseArgs } from "node:util";
import { ExportError, writeExport } from "../domain/export";
import { CliError } from "./errors";

/** moiety export DIR: the owner's DMs as JSON and as static HTML, with their own attachments. */
export async function exportCommand(argv: string[]): Promise<void> {
  const { positionals } = parseArgs({ args: argv, options: {}, allowPositionals: true, strict: true });
  if (positionals.length !== 1) throw new CliError("Usage: moiety export DIR   (a new or empty directory)");
  const dir = positionals[0];
  let summary;
  try {
    summary = await writeExport(dir);
  } catch (err) {
    if (err instanceof ExportError) throw new CliError(err.message);
    throw err;
  }
  const n = (count: number, word: string) => `${count} ${word}${count === 1 ? "" : "s"}`;
  console.log(
    `Exported ${n(summary.conversations, "conversation")} (${n(summary.messages, "message")}, ${n(summary.attachmentFiles, "attachment file")}) to ${path.resolve(dir)}: open index.html, or read conversations.json.`,
  );
}
