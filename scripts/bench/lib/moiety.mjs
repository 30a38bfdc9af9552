// Start and stop real Moiety instances for the benchmarks: `moiety setup`
// (CLI, password on stdin) into a temporary data dir, then `moiety serve`
// exactly as `npm start` runs it once built; its process tree is measured
// with lib/proctree.mjs.

import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "../../../lib/server/free-port.mjs";
import { treePids, treeRss } from "./proctree.mjs";

// MOIETY_BENCH_ROOT: run another checkout's build (e.g. a private copy while others rebuild this one).
export const ROOT = process.env.MOIETY_BENCH_ROOT ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
export const CLI = path.join(ROOT, "scripts", "moiety");
export const PASSWORD = "benchmark password 1234";

const created = [];

/** A fresh directory under the OS temp dir, removed by removeTempDirs(). */
export function tempDir(prefix) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  created.push(dir);
  return dir;
}

/** Remove every directory tempDir() made in this process (a seeded data dir is ~2 GB). */
export function removeTempDirs() {
  for (const dir of created.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

/** Run the moiety CLI to completion; rejects on a non-zero exit. */
export function cli(args, { dataDir, origin, stdin = "", env = {} }) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: ROOT,
      env: { ...process.env, MOIETY_DATA_DIR: dataDir, MOIETY_ORIGIN: origin, MOIETY_ALLOW_PRIVATE_ADDRESSES: "1", ...env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.stdin.end(stdin);
    child.on("exit", (code) =>
      code === 0 ? resolve({ stdout, stderr }) : reject(new Error(`moiety ${args[0]} exited ${code}: ${stderr || stdout}`)),
    );
  });
}

/** A data dir with an owner (migrations applied by `setup`). */
export async function prepareInstance({ username = "alice", port, dataDir } = {}) {
  port ??= await freePort();
  dataDir ??= tempDir("moiety-bench-");
  const origin = `http://127.0.0.1:${port}`;
  await cli(["setup", "--username", username, "--display-name", "Alice Bench", "--password-stdin"], {
    dataDir,
    origin,
    stdin: PASSWORD,
  });
  return { port, dataDir, origin, username, actor: `${origin}/users/${username}` };
}

/**
 * `moiety serve` on a prepared data dir. Resolves once /api/health answers 200,
 * with the time that took (spawn → healthy) and the two PIDs.
 */
export async function serve({ port, dataDir, origin, env = {}, quiet = true, nodeArgs = "", log = "" }) {
  const started = performance.now();
  // nodeArgs: flags on node's own command line (V8's flags, which Node 20 refuses in NODE_OPTIONS).
  const child = spawn(process.execPath, [...nodeArgs.split(" ").filter(Boolean), CLI, "serve"], {
    cwd: ROOT,
    env: {
      ...process.env,
      HOST: "127.0.0.1",
      PORT: String(port),
      MOIETY_DATA_DIR: dataDir,
      MOIETY_ORIGIN: origin,
      MOIETY_ALLOW_PRIVATE_ADDRESSES: "1",
      NODE_ENV: "production",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const keep = (d) => {
    if (log) fs.appendFileSync(log, d);
    output += d;
    if (output.length > 200_000) output = output.slice(-100_000);
    if (!quiet) process.stderr.write(d);
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  const exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve(signal ?? code)));

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  let readyMs = null;
  let listeningMs = null;
  while (readyMs === null) {
    if (child.exitCode !== null) throw new Error(`moiety serve exited (${child.exitCode}):\n${output}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`moiety serve did not become healthy:\n${output}`);
    }
    if (listeningMs === null && output.includes("Moiety is listening")) listeningMs = performance.now() - started;
    try {
      const res = await fetch(`${url}/api/health`);
      await res.arrayBuffer();
      if (res.status === 200) readyMs = performance.now() - started;
    } catch {
      // not yet
    }
    if (readyMs === null) await sleep(20);
  }
  listeningMs ??= readyMs;
  const server = {
    url,
    port,
    dataDir,
    origin,
    process: child,
    readyMs,
    listeningMs,
    output: () => output,
    /** The whole process tree, re-walked each call (lib/proctree.mjs). */
    pids: () => treePids(child.pid),
    rssBytes: () => treeRss(child.pid),
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      const r = await exited;
      clearTimeout(timer);
      return r;
    },
  };
  return server;
}
