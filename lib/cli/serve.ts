import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { FRONT_SECRET_HEADER } from "../client-address";
import { childProcessEnv, env, mediaDir, tlsDir, type Env } from "../env";
import { ensureAuthSecret } from "../secret";
import type { CertificateManager } from "../server/acme";
import { freePort } from "../server/free-port.mjs";
import { listeningPort, newFrontSecret, startFront, startTlsFront } from "../server/front";
import { CliError } from "./errors";
import { migrateDatabase } from "./migrate";
import { describePrivacyReport, makeDataDirPrivate, usePrivateUmask } from "./private-data";
import { STANDALONE_SERVER } from "./paths";
import { prepareStartState } from "./start-state";
import { startInboundWorker } from "../federation/inbound/worker";

const MiB = 1024 * 1024;

async function waitForUpstream(port: number, child: ChildProcess, frontSecret: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null || child.signalCode !== null) throw new CliError("The app server exited while starting; see the messages above.");
    try {
      const res = await fetch(`http://127.0.0.1:${port}/api/health`, { headers: { [FRONT_SECRET_HEADER]: frontSecret } });
      if (res.status < 500 || res.status === 503) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new CliError("The app server did not start within 60 seconds.");
}

function listenError(err: NodeJS.ErrnoException & { port?: number }, e: Env, variable: string): CliError {
  const port = err.port ?? e.port;
  if (err.code === "EADDRINUSE") {
    return new CliError(`Port ${port} on ${e.host} is already in use: stop the other program or set ${variable}.`);
  }
  if (err.code === "EACCES" && port < 1024) {
    return new CliError(
      `Not allowed to listen on port ${port}: ports below 1024 need privileges. ` +
        "Docker allows them in containers on their own network; with Podman add --sysctl net.ipv4.ip_unprivileged_port_start=0; " +
        `elsewhere (or with --network host) set ${variable} to ports above 1024 and forward to them.`,
    );
  }
  return new CliError(`Cannot listen on ${e.host}:${port}: ${err.message}`);
}

function urlHost(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
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
  // The app server inherits the umask; the data dir of an older install is fixed here.
  usePrivateUmask();
  for (const line of describePrivacyReport(e.dataDir, makeDataDirPrivate(e.dataDir))) console.log(line);
  fs.mkdirSync(mediaDir(), { recursive: true, mode: 0o700 });
  await migrateDatabase();
  ensureAuthSecret();

  const state = prepareStartState();
  if (state.setupCode) {
    const code = state.setupCode;
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
  } else if (state.recordedOrigin && state.recordedOrigin !== e.origin) {
    console.warn(
      `Warning: MOIETY_ORIGIN is ${e.origin}, but this instance was set up as ${state.recordedOrigin}. ` +
        "Other servers know you by the old address; change MOIETY_ORIGIN back unless you mean to move.",
    );
  }

  // The app server binds its port before the front binds the public ones: a
  // free port that happens to be one of those would take it from the front.
  const publicPorts = e.tls === "acme" ? [e.httpPort, e.httpsPort] : [e.port];
  let upstreamPort = await freePort();
  while (publicPorts.includes(upstreamPort)) upstreamPort = await freePort();
  // Any process on this machine can reach the app server's port; only requests
  // carrying this secret (sent by the front) are served there.
  const frontSecret = newFrontSecret();
  const child = spawn(process.execPath, [STANDALONE_SERVER], {
    cwd: path.dirname(STANDALONE_SERVER),
    // NEXT_MANUAL_SIG_HANDLE: the app exits when its workers have drained (lib/federation/worker.ts), not at once.
    env: childProcessEnv({ PORT: String(upstreamPort), HOSTNAME: "127.0.0.1", NEXT_MANUAL_SIG_HANDLE: "1", MOIETY_FRONT_SECRET: frontSecret }),
    // The IPC channel is only there to close when this process dies, however it
    // dies (kill -9 included): the app server then shuts down instead of running
    // on as an orphan next to the server a supervisor starts in our place.
    stdio: ["ignore", "pipe", "inherit", "ipc"],
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
  const common = {
    host: e.host,
    upstreamPort,
    trustProxy: e.trustProxy,
    // DM images: up to 4 × 8 MiB through a server action (lib/domain/attachments.ts).
    maxBodyBytes: 40 * MiB,
    maxInboxBodyBytes: 1 * MiB,
    // Bodies are read whole before they go on; this many bytes of them at once, at most.
    maxBufferedBytes: 256 * MiB,
    // Connections per client address (IPv6: per /64). A browser opens at most 6 to a host.
    maxPerClient: 64,
    frontSecret,
  };
  let front: { close(): void; closeIdleConnections(): void; closeAllConnections(): void };
  let listening: string;
  let certificates: CertificateManager | undefined;
  try {
    if (e.tls === "acme") {
      const domain = e.domain!;
      // acme-client is only loaded by instances that use it.
      const { CertificateManager } = await import("../server/acme");
      const manager: CertificateManager = new CertificateManager({
        domain,
        directoryUrl: e.acmeDirectory,
        dir: tlsDir(),
        onCertificate: (pair) => tlsFront.setCertificate(pair),
      });
      const tlsFront = await startTlsFront({
        ...common,
        httpPort: e.httpPort,
        httpsPort: e.httpsPort,
        origin: e.origin,
        challengeResponse: (token) => manager.challengeResponse(token),
      });
      certificates = manager;
      front = tlsFront;
      listening = `https://${urlHost(e.host)}:${listeningPort(tlsFront.https)} and http://${urlHost(e.host)}:${listeningPort(tlsFront.http)}`;
    } else {
      const plain = await startFront({ ...common, port: e.port });
      front = plain;
      listening = `http://${urlHost(e.host)}:${listeningPort(plain)}`;
    }
  } catch (err) {
    child.kill("SIGTERM");
    throw listenError(err as NodeJS.ErrnoException, e, e.tls === "acme" ? "MOIETY_HTTP_PORT/MOIETY_HTTPS_PORT" : "PORT");
  }

  // The fast inbox's worker applies accepted activities in this process (lib/federation/inbound/worker.ts).
  const inbound = new AbortController();
  const inboundDone = startInboundWorker({ signal: inbound.signal }).catch((err) => console.error("inbox worker stopped:", err));

  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    inbound.abort();
    console.log(`Received ${signal}, shutting down…`);
    certificates?.stop();
    front.close();
    front.closeIdleConnections();
    child.kill("SIGTERM");
    // Long-lived connections (live updates) must not hold the exit forever.
    setTimeout(() => front.closeAllConnections(), 5_000).unref();
    // Docker sends SIGKILL after 10 s; end the app server ourselves before that.
    setTimeout(() => child.kill("SIGKILL"), 8_000).unref();
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  // SIGHUP (docker kill -s HUP): check the certificate now, e.g. after fixing DNS.
  const certs = certificates;
  if (certs) process.on("SIGHUP", () => void certs.check());

  const exited = new Promise<string>((resolve) =>
    child.on("exit", (code, sig) => resolve(sig ? `signal ${sig}` : `exit code ${code}`)),
  );
  const shutDown = () => {
    inbound.abort();
    certificates?.stop();
    front.close();
    front.closeAllConnections();
  };
  try {
    await waitForUpstream(upstreamPort, child, frontSecret);
  } catch (err) {
    shutDown();
    child.kill("SIGKILL");
    throw err;
  }
  console.log(`Moiety is listening on ${listening} (public address ${e.origin})`);
  certificates?.start();

  const how = await exited;
  shutDown();
  await inboundDone;
  // Exit non-zero so a container restart policy (or a supervisor) starts it again.
  if (!stopping) throw new CliError(`The app server stopped unexpectedly (${how}).`);
}
