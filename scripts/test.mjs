// `npm test`: install what is missing (npm packages; Debian's chromium when
// running as root), build, then run every suite: Vitest unit + integration,
// then Playwright in Chromium. Exits non-zero if anything fails or is missing.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { ROOT, BUILD_ENV, ensureBuild, ensureDependencies, ensurePrismaClient } from "./prepare.mjs";
import { containerUnavailable } from "./test-container.mjs";

const CHROMIUM = process.env.MOIETY_CHROMIUM ?? "/usr/bin/chromium";

function ensureChromium() {
  if (fs.existsSync(CHROMIUM)) return;
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  const hasApt = spawnSync("sh", ["-c", "command -v apt-get"]).status === 0;
  if (!isRoot || !hasApt) {
    console.error(
      `✗ The browser tests need Chromium at ${CHROMIUM}. Install it (Debian/Ubuntu: sudo apt-get install chromium) ` +
        "or point MOIETY_CHROMIUM at a Chromium binary, then run npm test again.",
    );
    process.exit(1);
  }
  console.log("→ Installing Debian's chromium for the browser tests (apt-get)…");
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  for (const args of [["update"], ["install", "-y", "--no-install-recommends", "chromium"]]) {
    const r = spawnSync("apt-get", args, { stdio: "inherit", env });
    if (r.status !== 0) {
      console.error(`✗ apt-get ${args.join(" ")} failed; install chromium by hand and run npm test again.`);
      process.exit(1);
    }
  }
}

function suite(name, cmd, args) {
  console.log(`\n━━ ${name} ━━`);
  const started = Date.now();
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: "inherit", env: { ...process.env, ...BUILD_ENV } });
  return { name, ok: r.status === 0, seconds: Math.round((Date.now() - started) / 1000) };
}

ensureDependencies();
ensurePrismaClient();
await ensureBuild();
ensureChromium();

const bin = (p) => path.join(ROOT, "node_modules", ...p.split("/"));
const results = [
  suite("unit + integration (Vitest)", process.execPath, [bin("vitest/vitest.mjs"), "run"]),
  suite("browser (Playwright, Chromium)", process.execPath, [bin("@playwright/test/cli.js"), "test"]),
];
// The container image suite needs rootful podman (../shared/tools/container); elsewhere it is skipped, saying why.
const noContainer = containerUnavailable();
if (noContainer) console.log(`\n━━ container image ━━\n- skipped: ${noContainer}.`);
else results.push(suite("container image (podman)", process.execPath, [path.join(ROOT, "scripts", "test-container.mjs")]));

console.log("\n━━ summary ━━");
for (const r of results) console.log(`${r.ok ? "✓" : "✗"} ${r.name} (${r.seconds} s)`);
if (noContainer) console.log(`- container image: skipped (${noContainer})`);
console.log("Screenshots: tests/.output/screenshots/  ·  Playwright report: tests/.output/e2e-report/");
process.exit(results.every((r) => r.ok) ? 0 : 1);
