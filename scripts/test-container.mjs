#!/usr/bin/env node
// `npm run test:container`: build the image (docker/Dockerfile) and smoke-test it
// with podman through ../shared/tools/container (see its README):
//   1. run it on a data volume (plain HTTP on a 127.0.0.x port, host network),
//      wait for the HEALTHCHECK, set up the owner with `exec … moiety setup`,
//      check WebFinger and the actor, stop it (SIGTERM must end it cleanly);
//   2. recreate it on the same volume: the owner is still there;
//   3. recreate it once more with MOIETY_DOMAIN: it gets a certificate from a
//      pebble ACME server on the host and serves HTTPS with it.
// Flags: --size also measures the compressed image size (podman save | gzip).
//        --if-available exits 0 with a skip line when podman cannot be used here.
import { spawn, spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import https from "node:https";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { freePort } from "../lib/server/free-port.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const CONTAINER_TOOL = process.env.MOIETY_CONTAINER_TOOL ?? path.resolve(ROOT, "..", "shared", "tools", "container");
const IMAGE = "moiety:test";
const OUT = path.join(ROOT, "tests", ".output");

/** Why the container suite cannot run here, or null when it can. */
export function containerUnavailable() {
  if (!fs.existsSync(CONTAINER_TOOL)) return `no container tool at ${CONTAINER_TOOL}`;
  if (process.platform !== "linux") return "needs Linux";
  if (typeof process.getuid !== "function" || process.getuid() !== 0) return "needs root (rootful podman)";
  const hasPodman = spawnSync("sh", ["-c", "command -v podman"]).status === 0;
  const hasApt = spawnSync("sh", ["-c", "command -v apt-get"]).status === 0;
  if (!hasPodman && !hasApt) return "podman is missing and cannot be installed (no apt-get)";
  return null;
}

const started = Date.now();
const stamp = () => `${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s`;
const step = (msg) => console.log(`[${stamp()}] ${msg}`);

/** Run the container tool; throws with its output on failure unless allowFail. */
function tool(args, { input, allowFail = false, quiet = true } = {}) {
  const r = spawnSync("bash", [CONTAINER_TOOL, ...args], {
    cwd: ROOT,
    input,
    encoding: "utf8",
    stdio: [input === undefined ? "ignore" : "pipe", quiet ? "pipe" : "inherit", quiet ? "pipe" : "inherit"],
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0 && !allowFail) {
    throw new Error(`container ${args.join(" ")} failed (exit ${r.status}):\n${(r.stdout ?? "") + (r.stderr ?? "")}`.trim());
  }
  return { code: r.status, out: (r.stdout ?? "").trim(), err: (r.stderr ?? "").trim() };
}

function check(cond, message) {
  if (!cond) throw new Error(message);
}

async function getJson(url, accept = "application/json") {
  // The health check runs inside the container; the published port may take a moment longer
  // after a fast start, so a refused or reset connection is tried again for a few seconds.
  let res;
  for (let attempt = 1; ; attempt++) {
    try {
      res = await fetch(url, { headers: { accept }, signal: AbortSignal.timeout(10_000) });
      break;
    } catch (error) {
      if (attempt >= 20) throw error;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  const text = await res.text();
  check(res.ok, `${url} answered ${res.status}: ${text.slice(0, 200)}`);
  return JSON.parse(text);
}

const logs = (name) => {
  const r = tool(["logs", name], { allowFail: true });
  return `${r.out}\n${r.err}`;
};

/** Run the image's HEALTHCHECK until it passes (podman runs it on demand here: no systemd timers). */
async function waitHealthy(name, seconds = 120) {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const state = tool(["inspect", "--format", "{{.State.Status}}", name], { allowFail: true }).out;
    if (state !== "running") throw new Error(`container ${name} is ${state}:\n${logs(name)}`);
    if (tool(["podman", "healthcheck", "run", name], { allowFail: true }).code === 0) return;
    if (Date.now() > deadline) throw new Error(`container ${name} did not become healthy in ${seconds} s:\n${logs(name)}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

async function waitForLog(name, text, seconds = 60) {
  const deadline = Date.now() + seconds * 1000;
  while (!logs(name).includes(text)) {
    if (Date.now() > deadline) throw new Error(`no "${text}" in the log of ${name} after ${seconds} s:\n${logs(name)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

function httpsGet(host, port, servername, pathname, ca) {
  return new Promise((resolve, reject) => {
    https
      .get({ host, port, servername, path: pathname, ca, agent: false, headers: { host: `${servername}:${port}` } }, (res) => {
        const peer = res.socket.getPeerCertificate();
        let body = "";
        res.on("data", (d) => (body += d));
        res.on("end", () => resolve({ status: res.statusCode, body, cert: new crypto.X509Certificate(peer.raw), issuer: String(peer.issuer?.CN) }));
      })
      .on("error", reject);
  });
}

async function main() {
  const args = new Set(process.argv.slice(2));
  const unavailable = containerUnavailable();
  if (unavailable) {
    if (args.has("--if-available")) {
      console.log(`- container suite skipped: ${unavailable}.`);
      return 0;
    }
    console.error(`✗ the container suite cannot run here: ${unavailable}.`);
    return 1;
  }

  const dockerfile = fs.readFileSync(path.join(ROOT, "docker", "Dockerfile"), "utf8");
  const nodeMajor = /^ARG NODE_MAJOR=(\d+)/m.exec(dockerfile)?.[1] ?? "22";
  step(`preparing base images (node ${nodeMajor}) with ${path.relative(ROOT, CONTAINER_TOOL)}`);
  tool(["prepare", nodeMajor], { quiet: false });

  step("building the image (docker/Dockerfile)…");
  fs.mkdirSync(OUT, { recursive: true });
  const buildStart = Date.now();
  const build = spawnSync("bash", [CONTAINER_TOOL, "build", "--format", "docker", "-t", IMAGE, "-f", "docker/Dockerfile", "."], {
    cwd: ROOT,
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
  });
  fs.writeFileSync(path.join(OUT, "container-build.log"), (build.stdout ?? "") + (build.stderr ?? ""));
  if (build.status !== 0) {
    console.error(((build.stdout ?? "") + (build.stderr ?? "")).split("\n").slice(-40).join("\n"));
    throw new Error("image build failed (full log: tests/.output/container-build.log)");
  }
  step(`built ${IMAGE} in ${Math.round((Date.now() - buildStart) / 1000)} s`);

  const image = JSON.parse(tool(["podman", "image", "inspect", IMAGE]).out)[0];
  const config = image.Config;
  check(config.User === "node", `the image runs as "${config.User}", not the non-root user node`);
  check((image.Healthcheck ?? config.Healthcheck)?.Test?.join(" ").includes("healthcheck.mjs"), "the image has no HEALTHCHECK");
  check(Object.keys(config.Volumes ?? {}).includes("/data"), "the image declares no /data volume");
  for (const p of ["80/tcp", "443/tcp", "3000/tcp"]) check(Object.keys(config.ExposedPorts ?? {}).includes(p), `port ${p} is not exposed`);
  const size = image.Size;
  step(`image: user node, HEALTHCHECK, VOLUME /data, EXPOSE 80 443 3000; ${Math.round(size / 1e6)} MB uncompressed`);
  if (args.has("--size")) {
    const r = spawnSync("sh", ["-c", `bash '${CONTAINER_TOOL}' podman save ${IMAGE} | gzip | wc -c`], { encoding: "utf8" });
    step(`compressed (podman save | gzip): ${(Number(r.stdout.trim()) / 1e6).toFixed(1)} MB`);
  }

  const suffix = `${process.pid}`;
  const name = `moiety-test-${suffix}`;
  const volume = `moiety-test-data-${suffix}`;
  const host = `127.0.0.${2 + (process.pid % 200)}`;
  const port = await freePort(host);
  const origin = `http://${host}:${port}`;
  let pebble;
  const cleanup = () => {
    tool(["rm", "-f", "-t", "2", name], { allowFail: true });
    tool(["podman", "volume", "rm", "-f", volume], { allowFail: true });
    pebble?.stop();
  };

  try {
    const run = (extra) =>
      tool(["run", "-d", "--name", name, "--network", "host", "-v", `${volume}:/data`, "-e", `HOST=${host}`, ...extra, IMAGE]);
    const plain = ["-e", "MOIETY_TLS=off", "-e", `PORT=${port}`, "-e", `MOIETY_ORIGIN=${origin}`];

    // 1. fresh volume
    run(plain);
    step(`started ${name} on ${origin} with volume ${volume}; waiting for the health check…`);
    await waitHealthy(name);
    check((await getJson(`${origin}/api/health`)).setup === "pending", "health should say setup pending");
    const firstLogs = logs(name);
    check(new RegExp(`${origin.replace(/\./g, "\\.")}/setup\\?code=[0-9A-Z]{4}-`).test(firstLogs), `no setup URL in the log:\n${firstLogs}`);
    step("healthy; the log shows the setup URL");

    check(tool(["exec", name, "id", "-u"]).out === "1000", "the server does not run as uid 1000");
    const setup = tool(["exec", "-i", name, "moiety", "setup", "--username", "alice", "--display-name", "Alice", "--password-stdin"], {
      input: "a long enough password\n",
    });
    check(setup.out.includes(`Owner @alice@${host}:${port} created`), `unexpected setup output: ${setup.out} ${setup.err}`);
    const webfinger = async () => {
      const jrd = await getJson(`${origin}/.well-known/webfinger?resource=acct:alice@${host}:${port}`, "application/jrd+json");
      const self = jrd.links.find((l) => l.rel === "self")?.href;
      check(self === `${origin}/users/alice`, `WebFinger self link is ${self}`);
      const actor = await getJson(self, "application/activity+json");
      check(actor.id === self && actor.preferredUsername === "alice" && actor.inbox && actor.publicKey, "the actor document is incomplete");
    };
    await webfinger();
    step("`docker exec … moiety setup` created @alice; WebFinger and the actor answer");

    const stopStart = Date.now();
    tool(["stop", "-t", "20", name]);
    const exit = tool(["inspect", "--format", "{{.State.ExitCode}}", name]).out;
    check(exit === "0", `moiety serve exited with ${exit} on SIGTERM:\n${logs(name)}`);
    check(logs(name).includes("Received SIGTERM, shutting down"), "no shutdown message in the log");
    step(`SIGTERM: clean exit (code 0) in ${((Date.now() - stopStart) / 1000).toFixed(1)} s`);
    tool(["rm", name]);

    // 2. recreated on the same volume
    run(plain);
    await waitHealthy(name);
    check((await getJson(`${origin}/api/health`)).setup === "complete", "after recreation, health should say setup complete");
    await webfinger();
    check(!logs(name).includes("/setup?code="), "a recreated container must not print a setup code");
    const again = tool(["exec", "-i", name, "moiety", "setup", "--username", "bob", "--display-name", "Bob", "--password-stdin"], {
      input: "a long enough password\n",
      allowFail: true,
    });
    check(again.code !== 0 && /already has an owner/.test(again.err), `a second setup should be refused: ${again.out} ${again.err}`);
    // doctor (its database access is a dynamic import): an http origin is a problem, the rest answers.
    const doc = tool(["exec", name, "moiety", "doctor", "--json"], { allowFail: true });
    const report = JSON.parse(doc.out);
    const status = Object.fromEntries(report.checks.map((c) => [c.name, c.status]));
    check(doc.code === 1 && status.HTTPS === "problem" && status.WebFinger === "ok" && status.Actor === "ok" && status.Queue === "ok", `unexpected doctor report: ${doc.out}`);
    step("recreated on the same volume: the owner is still there; `moiety doctor` runs inside");
    tool(["rm", "-f", "-t", "10", name]);

    // 3. built-in HTTPS from a real ACME server (pebble on the host)
    const domain = "moiety.test";
    const httpPort = await freePort(host);
    const httpsPort = await freePort(host);
    // The pebble helper is TypeScript (shared with tests/integration/acme.test.ts): load tsx first.
    await import(pathToFileURL(createRequire(path.join(ROOT, "package.json")).resolve("tsx")).href);
    const { startPebble } = await import(pathToFileURL(path.join(ROOT, "tests", "helpers", "pebble.ts")).href);
    pebble = await startPebble({ domain, address: host, httpPort, tlsPort: httpsPort });
    fs.chmodSync(pebble.dir, 0o755);
    run([
      "-e", `MOIETY_DOMAIN=${domain}`,
      "-e", `MOIETY_ORIGIN=https://${domain}:${httpsPort}`,
      // Ports below 1024 need privileges with --network host; the image's 80/443 work on a bridge network.
      "-e", `MOIETY_HTTP_PORT=${httpPort}`, "-e", `MOIETY_HTTPS_PORT=${httpsPort}`,
      "-e", `MOIETY_ACME_DIRECTORY=${pebble.directory}`,
      "-e", "NODE_EXTRA_CA_CERTS=/pki/ca.pem", "-v", `${pebble.dir}/ca.pem:/pki/ca.pem:ro`,
    ]);
    await waitForLog(name, `HTTPS: certificate for ${domain} installed`);
    await waitHealthy(name, 60);
    const served = await httpsGet(host, httpsPort, domain, "/api/health", pebble.root);
    check(served.status === 200 && JSON.parse(served.body).setup === "complete", `HTTPS health: ${served.status} ${served.body}`);
    check(served.cert.subjectAltName === `DNS:${domain}` && /^Pebble Intermediate CA/.test(served.issuer), `unexpected certificate ${served.cert.subjectAltName} from ${served.issuer}`);
    const files = tool(["exec", name, "ls", "/data/tls"]).out.split(/\s+/).sort().join(" ");
    check(files === "account.key cert.key cert.pem", `/data/tls holds: ${files}`);
    step(`MOIETY_DOMAIN: certificate from pebble for ${domain}, served over HTTPS, kept in /data/tls`);
  } catch (err) {
    cleanup();
    throw err;
  }
  cleanup();
  step(`✓ container suite passed (the image ${IMAGE} is kept; remove it with: bash ${path.relative(ROOT, CONTAINER_TOOL)} rmi ${IMAGE})`);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      console.error(`✗ ${err instanceof Error ? err.message : err}`);
      process.exit(1);
    },
  );
}
