// Start and stop real Moiety instances for the benchmarks: `moiety setup`
// (CLI, password on stdin) into a temporary data dir, then `moiety serve`
// exactly as `npm start` runs it once built. Also: the two server PIDs (the
// front process and Next's standalone child) and their resident memory.

import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "../../../lib/server/free-port.mjs";

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
export async function serve({ port, dataDir, origin, env = {}, quiet = true }) {
  const started = performance.now();
  const child = spawn(process.execPath, [CLI, "serve"], {
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
    pids: () => serverPids(child.pid),
    rssBytes: () => rssOf(serverPids(child.pid)),
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

/** The front process and every descendant (Next's child). */
export function serverPids(rootPid) {
  const pids = [rootPid];
  for (let i = 0; i < pids.length; i++) {
    try {
      const children = fs.readFileSync(`/proc/${pids[i]}/task/${pids[i]}/children`, "utf8").trim();
      if (children) pids.push(...children.split(/\s+/).map(Number));
    } catch {
      // gone, or no such file: fall back to scanning ppids
      for (const p of childrenByScan(pids[i])) if (!pids.includes(p)) pids.push(p);
    }
  }
  return pids;
}

function childrenByScan(ppid) {
  const out = [];
  for (const name of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[1]) === ppid) out.push(Number(name));
    } catch {
      // raced with an exit
    }
  }
  return out;
}

/** Sum of VmRSS (bytes) of these processes. */
export function rssOf(pids) {
  let total = 0;
  for (const pid of pids) {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
      if (m) total += Number(m[1]) * 1024;
    } catch {
      // exited
    }
  }
  return total;
}

/** CPU time (user+system, ms) used so far by these processes. */
export function cpuMsOf(pids) {
  const tick = 100; // USER_HZ on Linux
  let total = 0;
  for (const pid of pids) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      total += ((Number(f[11]) + Number(f[12])) * 1000) / tick;
    } catch {
      // exited
    }
  }
  return total;
}

/** Sample the peak RSS of a server (sum, and of each process) every `everyMs` until stop() is called. */
export function rssSampler(server, everyMs = 100) {
  let peak = 0;
  const pids = server.pids();
  const peaks = pids.map(() => 0);
  const sample = () => {
    const each = pids.map((p) => rssOf([p]));
    each.forEach((v, i) => (peaks[i] = Math.max(peaks[i], v)));
    peak = Math.max(peak, each.reduce((a, b) => a + b, 0));
  };
  sample();
  const timer = setInterval(sample, everyMs);
  return {
    /** { peak: of the sum, peaks: each process's own (front first) }, in bytes. */
    stop() {
      clearInterval(timer);
      sample();
      return { peak, peaks };
    },
  };
}
