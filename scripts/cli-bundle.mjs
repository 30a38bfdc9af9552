// Compiles the command line (lib/cli/main.ts and what it imports from lib/)
// into .next/cli for scripts/cli-entry.mjs. Packages stay outside, loaded from
// node_modules as the sources load them; each command stays a chunk of its own,
// so `serve` still loads only what it uses, when it uses it.
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { CLI_BUNDLE_DIR, CLI_BUNDLE_INPUTS, contentHash } from "./cli-entry.mjs";

export async function buildCliBundle(root) {
  // esbuild comes with tsx (the command line's TypeScript runner).
  const requireFromTsx = createRequire(createRequire(path.join(root, "package.json")).resolve("tsx"));
  const { build } = requireFromTsx("esbuild");
  fs.rmSync(CLI_BUNDLE_DIR, { recursive: true, force: true });
  const result = await build({
    absWorkingDir: root,
    entryPoints: ["lib/cli/main.ts"],
    bundle: true,
    splitting: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    outdir: CLI_BUNDLE_DIR,
    entryNames: "[name]",
    chunkNames: "chunk-[hash]",
    // .next/package.json says "commonjs"; these are ES modules.
    outExtension: { ".js": ".mjs" },
    metafile: true,
    logLevel: "warning",
  });
  const inputs = {};
  for (const file of Object.keys(result.metafile.inputs).sort()) inputs[file] = contentHash(path.join(root, file));
  fs.writeFileSync(CLI_BUNDLE_INPUTS, JSON.stringify(inputs, null, 1) + "\n");
}
