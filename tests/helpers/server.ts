import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort } from "../../lib/server/free-port.mjs";

// Starts a real Moiety server process (the front server with the built
// standalone app in the same process, exactly what `npm start` runs) on a loopback port with its own
// temporary data dir.

export const ROOT = path.resolve(import.meta.dirname, "..", "..");
export { freePort };

export const MOIETY_CLI = path.join(ROOT, "scripts", "moiety");

export type TestServer = {
  url: string;
  port: number;
  dataDir: string;
  /** The setup code printed at start, when no owner existed. */
  setupCode: string | null;
  output: () => string;
  stop: (signal?: NodeJS.Signals) => Promise<number | null>;
  /**
   * kill -9 the whole server at once (`moiety serve` and anything it started),
   * as a power cut or a container being killed would. Resolves when all are gone.
   */
  crash: () => Promise<void>;
  process: ChildProcess;
  /** The environment variables the test set for it (on top of the test's own). */
  env: Record<string, string>;
};

export function tempDataDir(prefix = "moiety-test-"): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * Start `moiety serve`; resolves when it serves pages. The server loads Next
 * on the first request that needs it (lib/server/next-app.ts): that request is
 * made here, so that tests time what they test and not that one-off load.
 * `cold: true` resolves as soon as it listens, with Next not loaded.
 */
export async function startServer(opts: { dataDir?: string; env?: Record<string, string>; origin?: string; cold?: boolean } = {}): Promise<TestServer> {
  const port = opts.env?.PORT ? Number(opts.env.PORT) : await freePort();
  const dataDir = opts.dataDir ?? tempDataDir();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [MOIETY_CLI, "serve"], {
    cwd: ROOT,
    env: {
      ...process.env,
      HOST: "127.0.0.1",
      PORT: String(port),
      MOIETY_DATA_DIR: dataDir,
      MOIETY_ORIGIN: opts.origin ?? url,
      MOIETY_ALLOW_PRIVATE_ADDRESSES: "1",
      NODE_ENV: "production",
      ...opts.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d) => (out += String(d)));
  child.stderr!.on("data", (d) => (out += String(d)));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));

  const deadline = Date.now() + 90_000;
  while (!out.includes("Moiety is listening")) {
    if (child.exitCode !== null) throw new Error(`server exited (${child.exitCode}):\n${out}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`server did not start in time:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  // With built-in HTTPS (MOIETY_DOMAIN) nothing listens on PORT: the test warms up through its own ports, if at all.
  const tls = (opts.env?.MOIETY_TLS ?? (opts.env?.MOIETY_DOMAIN ? "acme" : "off")) === "acme";
  if (!opts.cold && !tls) await fetch(`${url}/login`, { redirect: "manual", signal: AbortSignal.timeout(90_000) }).then((r) => r.arrayBuffer());
  const code = /Setup code: ([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})/.exec(out)?.[1] ?? null;
  return {
    url,
    port,
    dataDir,
    setupCode: code,
    output: () => out,
    process: child,
    env: opts.env ?? {},
    stop: async (signal = "SIGTERM") => {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
    crash: async () => {
      await killTree(child.pid!);
      await exited;
    },
  };
}

/** The pids of a process and all its descendants (Linux /proc). */
export function processTree(pid: number): number[] {
  let children: number[] = [];
  try {
    children = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return []; // already gone
  }
  return [pid, ...children.flatMap(processTree)];
}

export function isAlive(pid: number): boolean {
  try {
    // A zombie still answers signal 0; it has stopped running all the same.
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

async function killTree(pid: number): Promise<void> {
  const pids = processTree(pid);
  for (const p of pids) {
    try {
      process.kill(p, "SIGKILL");
    } catch {
      // exited meanwhile
    }
  }
  while (pids.some(isAlive)) await new Promise((r) => setTimeout(r, 20));
}

/** Run the moiety CLI to completion. */
export function runCli(
  args: string[],
  opts: { dataDir: string; stdin?: string; env?: Record<string, string> },
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MOIETY_CLI, ...args], {
      cwd: ROOT,
      env: { ...process.env, MOIETY_DATA_DIR: opts.dataDir, ...opts.env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += String(d)));
    child.stderr.on("data", (d) => (stderr += String(d)));
    child.stdin.end(opts.stdin ?? "");
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * The private loopback port of a running `moiety serve`, where its Next request
 * handler listens — found in /proc the way any local process could find it —
 * and the front's secret, when the test gave it one (MOIETY_FRONT_SECRET).
 */
export function appServer(server: TestServer): { pid: number; port: number; secret: string | undefined } {
  const pid = server.process.pid!;
  const inodes = new Set(
    fs
      .readdirSync(`/proc/${pid}/fd`)
      .map((fd) => {
        try {
          return /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
        } catch {
          return undefined;
        }
      })
      .filter(Boolean),
  );
  for (const line of fs.readFileSync("/proc/net/tcp", "utf8").split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    // f[1] local address:port (hex), f[3] state (0A = listening), f[9] inode
    const port = f[1] ? parseInt(f[1].split(":")[1], 16) : 0;
    if (f[3] === "0A" && inodes.has(f[9]) && port !== server.port) return { pid, port, secret: server.env.MOIETY_FRONT_SECRET };
  }
  throw new Error("no private listening port found in the moiety serve process");
}
