// Loads the moiety command line (lib/cli/main.ts) for scripts/moiety and
// scripts/start.mjs: the bundle that the build compiled (.next/cli, written
// by scripts/cli-bundle.mjs) while every file it was made from is unchanged,
// or else the TypeScript sources through tsx. The bundle spares `moiety serve`
// tsx's loader (~30 MB and most of a second at every start); a source file
// edited since the build makes the sources win, so nothing stale ever runs.
import { createHash } from "node:crypto";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");
export const CLI_BUNDLE_DIR = path.join(ROOT, ".next", "cli");
/** The bundle's inputs (paths from the root) with the hashes of what they held when it was built. */
export const CLI_BUNDLE_INPUTS = path.join(CLI_BUNDLE_DIR, "inputs.json");

/** What a source file holds, for telling whether the bundle was made from it. */
export function contentHash(file) {
  return createHash("sha1").update(fs.readFileSync(file)).digest("base64url");
}

/**
 * By content, not modification time: an image build may reuse a cached layer
 * with older times for the same bytes. About 130 files, a few milliseconds.
 */
function bundleIsFresh() {
  let inputs;
  try {
    inputs = JSON.parse(fs.readFileSync(CLI_BUNDLE_INPUTS, "utf8"));
  } catch {
    return false;
  }
  for (const [file, hash] of Object.entries(inputs)) {
    try {
      if (contentHash(path.join(ROOT, file)) !== hash) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/** The command line's module: `main(argv)` returns the exit code. */
export async function loadCli() {
  if (process.env.MOIETY_CLI_FROM_SOURCE !== "1" && bundleIsFresh()) {
    return import(pathToFileURL(path.join(CLI_BUNDLE_DIR, "main.mjs")).href);
  }
  // tsx's loader entry registers its hooks for everything imported afterwards.
  const require = createRequire(path.join(ROOT, "package.json"));
  await import(pathToFileURL(require.resolve("tsx")).href);
  return import(pathToFileURL(path.join(ROOT, "lib", "cli", "main.ts")).href);
}
