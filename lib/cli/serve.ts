import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { parseArgs } from "node:util";
import { childProcessEnv, env, mediaDir } from "../env";
import { db, dbReady } from "../db";
import { ownerExists } from "../domain/owner";
import { issueSetupCode } from "../domain/setup-code";
import { getSetting } from "../domain/settings";
import { ensureAuthSecret } from "../secret";
import { listeningPort, startFront } from "../server/front";
import { CliError } from "./errors";
import { migrateDatabase } from "./migrate";
import { STANDALONE_SERVER } from "./paths";

const MiB = 1024 * 1024;

function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

async function waitForUpstream(port: number, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new CliError("The app server exited while starting; see the messages above.");
    try {
      const res = await fetch(`http://127.0.0.1:${port}/api/health`);
      if (res.status < 500 || res.status === 503) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new CliError("The app server did not start within 60 seconds.");
}

function banner(lines: string[]): string {
  const width = Math.max(...lines.map((l) => l.length));
  const rule = "─".repeat(width + 2);
  return [`┌${rule}┐`, ...lines.map((l) => `│ ${l.padEnd(width)} │`), `└${rule}┘`].join("\n");
}

/** Prepare the data dir and database, print the setup URL if needed, then run the front and Next. */
export async function serveCommand(argv: string[]): Promise<void> {
  parseArgs({ args: argv, options: {}, strict: true });
  const e = env();
  if (!fs.existsSync(STANDALONE_SERVER)) {
    throw new CliError("The app is not built yet: run `npm start` (or `npm run build`) first.");
  }
  fs.mkdirSync(mediaDir(), { recursive: true });
  await migrateDatabase();
  await dbReady();
  ensureAuthSecret();

  if (!(await ownerExists())) {
    const code = await issueSetupCode();
    console.log(
      "\n" +
        banner([
          "Moiety is not set up yet. Open this address in your browser to begin:",
          "",
          `  ${e.origin}/setup?code=${code}`,
          "",
          `Setup code: ${code}  (single use; a new one is printed on every start)`,
        ]) +
        "\n",
    );
  } else {
    const recorded = await getSetting("origin");
    if (recorded && recorded !== e.origin) {
      console.warn(
        `Warning: MOIETY_ORIGIN is ${e.origin}, but this instance was set up as ${recorded}. ` +
          "Other servers know you by the old address; change MOIETY_ORIGIN back unless you mean to move.",
      );
    }
  }
  // The Next child opens its own connection; this process only needed it for the checks above.
  await db().$disconnect();

  const upstreamPort = await freeLoopbackPort();
  const child = spawn(process.execPath, [STANDALONE_SERVER], {
    cwd: path.dirname(STANDALONE_SERVER),
    env: childProcessEnv({ PORT: String(upstreamPort), HOSTNAME: "127.0.0.1" }),
    stdio: ["ignore", "pipe", "inherit"],
  });
  // Next announces its private loopback address; people should only see the public one.
  child.stdout!.setEncoding("utf8");
  let pending = "";
  child.stdout!.on("data", (chunk: string) => {
    const lines = (pending + chunk).split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) if (!line.includes(`:${upstreamPort}`)) process.stdout.write(line + "\n");
  });

  let stopping = false;
  const front = await startFront({
    host: e.host,
    port: e.port,
    upstreamPort,
    trustProxy: e.trustProxy,
    maxBodyBytes: 4 * MiB,
    maxInboxBodyBytes: 1 * MiB,
  }).catch((err: NodeJS.ErrnoException) => {
    child.kill("SIGTERM");
    throw new CliError(
      err.code === "EADDRINUSE"
        ? `Port ${e.port} on ${e.host} is already in use: stop the other program or set PORT.`
        : `Cannot listen on ${e.host}:${e.port}: ${err.message}`,
    );
  });

  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    console.log(`Received ${signal}, shutting down…`);
    front.close();
    front.closeIdleConnections();
    child.kill("SIGTERM");
    // Long-lived connections (live updates) must not hold the exit forever.
    setTimeout(() => front.closeAllConnections(), 5_000).unref();
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);

  const exited = new Promise<number>((resolve) => child.on("exit", (code, sig) => resolve(code ?? (sig ? 0 : 1))));
  await waitForUpstream(upstreamPort, child);
  console.log(`Moiety is listening on http://${e.host.includes(":") ? `[${e.host}]` : e.host}:${listeningPort(front)} (public address ${e.origin})`);

  const code = await exited;
  front.close();
  if (!stopping) throw new CliError(`The app server stopped unexpectedly (exit code ${code}).`);
}
