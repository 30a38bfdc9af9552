import fs from "node:fs";
import { parseArgs } from "node:util";
import { appProcessEnv, env, mediaDir, tlsDir, type Env } from "../env";
import { ensureAuthSecret } from "../secret";
import type { CertificateManager } from "../server/acme";
import { freePort } from "../server/free-port.mjs";
import { listeningPort, newFrontSecret, startFront, startTlsFront } from "../server/front";
import { answerHealth } from "../server/health";
import { startLazyWorkers } from "../server/lazy-workers";
import { startAppServer, type AppServer } from "../server/next-app";
import { CliError } from "./errors";
import { migrateDatabase } from "./migrate";
import { describePrivacyReport, makeDataDirPrivate, usePrivateUmask } from "./private-data";
import { STANDALONE_SERVER } from "./paths";
import { prepareStartState } from "./start-state";
import { startInboundWorker } from "../federation/inbound/worker";
import { closeInboundDb } from "../federation/inbound/sqlite";
import { closeDb } from "../db-close";

const MiB = 1024 * 1024;

/** How long the workers may finish what they are doing at shutdown (Docker sends SIGKILL after 10 s). */
const STOP_DEADLINE_MS = 8_000;

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

/**
 * Prepare the data dir and database, print the setup URL if needed, then serve:
 * one process holds the front, the fast inbox, the workers and Next's request
 * handler, the last two loaded when first needed.
 */
export async function serveCommand(argv: string[]): Promise<void> {
  parseArgs({ args: argv, options: {}, strict: true });
  // The web app runs in this process and is always the production build.
  Object.assign(process.env, { NODE_ENV: "production" });
  // Output that nobody reads any more (a closed pipe) must not stop the server, nor, once
  // Next has added its uncaughtException logger, make every log line another error to log.
  for (const stream of [process.stdout, process.stderr]) stream.on("error", () => undefined);
  const e = env();
  if (!fs.existsSync(STANDALONE_SERVER)) {
    throw new CliError("The app is not built yet: run `npm start` (or `npm run build`) first.");
  }
  // Files the app writes follow the umask; the data dir of an older install is fixed here.
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

  // Any process on this machine can reach the app server's port; only requests
  // carrying this secret (sent by the front) are served there (proxy.ts).
  const frontSecret = e.frontSecret ?? newFrontSecret();
  // Next's copy of lib/env.ts reads these when it loads, in this process.
  // NEXT_MANUAL_SIG_HANDLE: shutdown is ours (below), not Next's.
  Object.assign(process.env, appProcessEnv({ MOIETY_FRONT_SECRET: frontSecret, NEXT_MANUAL_SIG_HANDLE: "1" }));

  // The app server's port is bound before the public ones: a free port that
  // happens to be one of those would take it from the front.
  const publicPorts = e.tls === "acme" ? [e.httpPort, e.httpsPort] : [e.port];
  let upstreamPort = await freePort();
  while (publicPorts.includes(upstreamPort)) upstreamPort = await freePort();
  const app: AppServer = await startAppServer({ standaloneServer: STANDALONE_SERVER, port: upstreamPort });

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
    answerLocally: answerHealth,
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
    app.close();
    throw listenError(err as NodeJS.ErrnoException, e, e.tls === "acme" ? "MOIETY_HTTP_PORT/MOIETY_HTTPS_PORT" : "PORT");
  }

  // The fast inbox's worker applies accepted activities in this process (lib/federation/inbound/worker.ts).
  const inbound = new AbortController();
  const inboundDone = startInboundWorker({ signal: inbound.signal }).catch((err) => console.error("inbox worker stopped:", err));
  // Fedify's queue, deliveries and pushes: loaded when there is work for them (lib/server/lazy-workers.ts).
  const workers = startLazyWorkers();

  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    console.log(`Received ${signal}, shutting down…`);
    certificates?.stop();
    front.close();
    front.closeIdleConnections();
    app.close();
    inbound.abort();
    // Long-lived connections (live updates) must not hold the exit forever.
    setTimeout(() => {
      front.closeAllConnections();
      app.closeAllConnections();
    }, 5_000).unref();
    const deadline = new Promise((resolve) => setTimeout(resolve, STOP_DEADLINE_MS).unref());
    await Promise.race([Promise.all([workers.stop(), inboundDone]), deadline]);
    await closeDb().catch(() => undefined);
    await closeInboundDb().catch(() => undefined);
    // Next's timers and kept-alive sockets would hold the process open; nothing is left to finish.
    process.exit(0);
  };
  process.on("SIGTERM", (signal) => void stop(signal));
  process.on("SIGINT", (signal) => void stop(signal));
  // SIGHUP (docker kill -s HUP): check the certificate now, e.g. after fixing DNS.
  const certs = certificates;
  if (certs) process.on("SIGHUP", () => void certs.check());

  console.log(`Moiety is listening on ${listening} (public address ${e.origin})`);
  certificates?.start();
  // Serving until a signal ends the process (stop above).
  await new Promise<never>(() => {});
}
