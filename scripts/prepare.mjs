// Shared by `npm start` and `npm test`: bring a clean clone (or a stale one)
// to a runnable state. Each step runs only when its inputs changed since the
// last time, which is recorded as a content hash.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildCliBundle } from "./cli-bundle.mjs";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

export const BUILD_ENV = { NEXT_TELEMETRY_DISABLED: "1", CHECKPOINT_DISABLE: "1", PRISMA_HIDE_UPDATE_MESSAGE: "1" };

export function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: "inherit", env: { ...process.env, ...BUILD_ENV }, ...opts });
  if (r.error) throw r.error;
  if (r.status !== 0) {
    console.error(`\n✗ ${cmd} ${args.join(" ")} failed (exit ${r.status}).`);
    process.exit(r.status ?? 1);
  }
}

function hashFiles(entries) {
  const h = createHash("sha256");
  const files = [];
  const walk = (p) => {
    if (!fs.existsSync(p)) return;
    const st = fs.statSync(p);
    if (st.isDirectory()) {
      for (const name of fs.readdirSync(p).sort()) {
        if (name === "node_modules" || name === "generated" || name.startsWith(".")) continue;
        walk(path.join(p, name));
      }
    } else files.push(p);
  };
  for (const e of entries) walk(path.join(ROOT, e));
  for (const f of files) {
    h.update(path.relative(ROOT, f));
    h.update(fs.readFileSync(f));
  }
  return h.digest("hex");
}

function stampFresh(stampFile, hash) {
  try {
    return fs.readFileSync(stampFile, "utf8").trim() === hash;
  } catch {
    return false;
  }
}

function checkNode() {
  const [major, minor] = process.versions.node.split(".").map(Number);
  if (major < 20 || (major === 20 && minor < 19)) {
    console.error(`Moiety needs Node.js 20.19 or newer (this is ${process.versions.node}).`);
    process.exit(1);
  }
  if (major > 24 || (major === 24 && minor >= 19)) {
    console.warn(
      `Warning: Node.js ${process.versions.node} crashes better-sqlite3 12 during garbage collection (nodejs/node#65446); use Node 20 or 22.`,
    );
  }
}

/**
 * Install when node_modules is missing (npm ci: exactly the lockfile) or was
 * installed from another package.json/lockfile (npm install: brings the
 * existing tree up to date without deleting it first).
 */
export function ensureDependencies() {
  checkNode();
  const stamp = path.join(ROOT, "node_modules", ".moiety-deps");
  const hash = hashFiles(["package.json", "package-lock.json"]);
  if (stampFresh(stamp, hash)) return;
  const fresh = !fs.existsSync(path.join(ROOT, "node_modules", ".package-lock.json"));
  console.log(`→ Installing dependencies (npm ${fresh ? "ci" : "install"})…`);
  run(npm, [fresh ? "ci" : "install", "--no-audit", "--no-fund"]);
  fs.writeFileSync(stamp, hashFiles(["package.json", "package-lock.json"]) + "\n");
}

const BUILD_INPUTS = [
  "app", "components", "lib", "public", "prisma/schema.prisma", "instrumentation.ts", "proxy.ts",
  "next.config.js", "postcss.config.mjs", "tsconfig.json", "package-lock.json",
];

/** next build + the standalone copy, when any input changed (call ensurePrismaClient first); the compiled CLI always. */
export async function ensureBuild() {
  const stamp = path.join(ROOT, ".next", "moiety-build");
  const hash = hashFiles(BUILD_INPUTS);
  const standalone = path.join(ROOT, ".next", "standalone", "server.js");
  if (!fs.existsSync(standalone) || !stampFresh(stamp, hash)) nextBuild(stamp, hash);
  // Every time: under a second, and after next build, which empties .next. It is only
  // used while it matches the sources (scripts/cli-entry.mjs).
  await buildCliBundle(ROOT);
}

function nextBuild(stamp, hash) {
  console.log("→ Building Moiety (next build)…");
  run(process.execPath, [path.join(ROOT, "node_modules", "next", "dist", "bin", "next"), "build"]);
  // Standalone output leaves static assets to the deployer; put them beside server.js.
  const out = path.join(ROOT, ".next", "standalone");
  fs.cpSync(path.join(ROOT, ".next", "static"), path.join(out, ".next", "static"), { recursive: true });
  if (fs.existsSync(path.join(ROOT, "public"))) fs.cpSync(path.join(ROOT, "public"), path.join(out, "public"), { recursive: true });
  fs.writeFileSync(stamp, hash + "\n");
}

/** The generated Prisma client, needed by the CLI and by unit tests even without a build. */
export function ensurePrismaClient() {
  const stamp = path.join(ROOT, "lib", "generated", "prisma", ".moiety-schema");
  const hash = hashFiles(["prisma/schema.prisma", "package-lock.json"]);
  if (stampFresh(stamp, hash)) return;
  run(process.execPath, [path.join(ROOT, "node_modules", "prisma", "build", "index.js"), "generate"]);
  fs.writeFileSync(stamp, hash + "\n");
}
