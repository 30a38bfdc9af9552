// `npm start`: install what is missing, build when stale, then `moiety serve`
// (which migrates the database and prints the setup URL while no owner exists).
import path from "node:path";
import { pathToFileURL } from "node:url";
import { ROOT, ensureBuild, ensureDependencies, ensurePrismaClient } from "./prepare.mjs";

ensureDependencies();
ensurePrismaClient();
ensureBuild();

process.env.NEXT_TELEMETRY_DISABLED = "1";
process.env.CHECKPOINT_DISABLE = "1";
// Same process: register tsx, then run the CLI's serve command.
await import(pathToFileURL(path.join(ROOT, "node_modules", "tsx", "dist", "loader.mjs")).href);
const cli = await import(pathToFileURL(path.join(ROOT, "lib", "cli", "main.ts")).href);
process.exitCode = await cli.main(["serve", ...process.argv.slice(2)]);
