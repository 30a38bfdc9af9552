// `npm start`: install what is missing, build when stale, then `moiety serve`
// (which migrates the database and prints the setup URL while no owner exists).
import path from "node:path";
import { pathToFileURL } from "node:url";
import { ROOT, ensureBuild, ensureDependencies, ensurePrismaClient } from "./prepare.mjs";

ensureDependencies();
ensurePrismaClient();
await ensureBuild();

process.env.NEXT_TELEMETRY_DISABLED = "1";
process.env.CHECKPOINT_DISABLE = "1";
// Same process: the CLI's serve command (compiled, or from source: scripts/cli-entry.mjs).
const { loadCli } = await import(pathToFileURL(path.join(ROOT, "scripts", "cli-entry.mjs")).href);
const cli = await loadCli();
process.exitCode = await cli.main(["serve", ...process.argv.slice(2)]);
