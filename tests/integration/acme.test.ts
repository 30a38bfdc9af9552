import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import https from "node:https";
import path from "node:path";
import type { TLSSocket } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPebble, type Pebble } from "../helpers/pebble";
import WebSocket from "ws";
import { freePort, runCli, startServer, tempDataDir, type TestServer } from "../helpers/server";

// Built-in HTTPS (MOIETY_TLS=acme) against a real ACME server: Debian's pebble
// on loopback, which really fetches the HTTP-01 challenge from Moiety's HTTP
// port. The test domain resolves (for pebble only) through a tiny DNS responder.

const DOMAIN = "moiety.test";
const DAY = 86_400_000;

let pebble: Pebble;
let server: TestServer | undefined;
let unvalidated: TestServer | undefined;
let dataDir: string;
let httpPort: number;
let httpsPort: number;

function start(): Promise<TestServer> {
  return startServer({
    dataDir,
    origin: `https://${DOMAIN}:${httpsPort}`,
    env: {
      MOIETY_DOMAIN: DOMAIN,
      MOIETY_HTTP_PORT: String(httpPort),
      MOIETY_HTTPS_PORT: String(httpsPort),
      MOIETY_ACME_DIRECTORY: pebble.directory,
      // Moiety talks to pebble's own HTTPS listener, certified by the test CA.
      NODE_EXTRA_CA_CERTS: pebble.extraCaFile,
    },
  });
}

type Served = { status: number; body: string; cert: crypto.X509Certificate; issuer: string };

/** GET https://moiety.test:<port>/… from Moiety, trusting only pebble's root. */
function httpsGet(pathname: string): Promise<Served> {
  return new Promise((resolve, reject) => {
    const req = https.get(
      { host: "127.0.0.1", port: httpsPort, servername: DOMAIN, path: pathname, headers: { host: `${DOMAIN}:${httpsPort}` }, ca: pebble.root, agent: false },
      (res) => {
        const peer = (res.socket as TLSSocket).getPeerCertificate();
        let body = "";
        res.on("data", (d) => (body += d));
        res.on("end", () => resolve({ status: res.statusCode!, body, cert: new crypto.X509Certificate(peer.raw), issuer: String(peer.issuer?.CN) }));
      },
    );
    req.on("error", reject);
  });
}

function httpRequest(pathname: string, method = "GET"): Promise<{ status: number; location?: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port: httpPort, path: pathname, method, headers: { host: DOMAIN } }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode!, location: res.headers.location }));
    });
    req.on("error", reject);
    req.end();
  });
}

async function waitFor(what: string, cond: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${server?.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const installed = () => server!.output().split("\n").filter((l) => l.includes(`HTTPS: certificate for ${DOMAIN} installed`)).length;

/** Put a certificate for DOMAIN, 80 of its 90 days gone, where Moiety keeps its own. Returns its serial. */
function writeOldCertificate(): string {
  const old = pebble.issue(`old-${Date.now()}`, DOMAIN, new Date(Date.now() - 80 * DAY), new Date(Date.now() + 10 * DAY));
  fs.copyFileSync(old.key, path.join(dataDir, "tls", "cert.key"));
  fs.copyFileSync(old.cert, path.join(dataDir, "tls", "cert.pem"));
  return new crypto.X509Certificate(fs.readFileSync(old.cert)).serialNumber;
}

describe("automatic HTTPS with ACME (pebble)", () => {
  beforeAll(async () => {
    [httpPort, httpsPort] = [await freePort(), await freePort()];
    pebble = await startPebble({ domain: DOMAIN, httpPort, tlsPort: httpsPort });
    dataDir = tempDataDir();
    // Started together: a second instance whose domain (nowhere.test) does not resolve for
    // pebble, so its validation fails the way it does with a wrong DNS record.
    [server, unvalidated] = await Promise.all([
      start(),
      startServer({
        origin: "https://nowhere.test",
        env: {
          MOIETY_DOMAIN: "nowhere.test",
          MOIETY_HTTP_PORT: String(await freePort()),
          MOIETY_HTTPS_PORT: String(await freePort()),
          MOIETY_ACME_DIRECTORY: pebble.directory,
          NODE_EXTRA_CA_CERTS: pebble.extraCaFile,
        },
      }),
    ]);
  }, 60_000);

  afterAll(async () => {
    await unvalidated?.stop();
    await server?.stop();
    pebble?.stop();
  });

  it("gets a certificate from the ACME server and serves HTTPS with it", async () => {
    expect(server!.output()).toContain(`Moiety is listening on https://127.0.0.1:${httpsPort} and http://127.0.0.1:${httpPort}`);
    expect(server!.output()).toContain(`https://${DOMAIN}:${httpsPort}/setup?code=`);
    await waitFor("the first certificate", () => installed() >= 1);
    expect(server!.output()).toContain(`HTTPS: getting a certificate for ${DOMAIN} from ${pebble.directory} (no certificate yet)`);

    const res = await httpsGet("/api/health");
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ status: "ok", setup: "pending" });
    expect(res.cert.subjectAltName).toBe(`DNS:${DOMAIN}`);
    expect(res.cert.checkHost(DOMAIN)).toBe(DOMAIN);
    expect(res.issuer).toMatch(/^Pebble Intermediate CA/);

    // Kept in the data dir: the account key and the certificate; the keys private.
    const tls = path.join(dataDir, "tls");
    expect(fs.readdirSync(tls).sort()).toEqual(["account.key", "cert.key", "cert.pem"]);
    expect(fs.statSync(path.join(tls, "cert.key")).mode & 0o077).toBe(0);
    expect(fs.statSync(path.join(tls, "account.key")).mode & 0o077).toBe(0);
    expect(new crypto.X509Certificate(fs.readFileSync(path.join(tls, "cert.pem"))).serialNumber).toBe(res.cert.serialNumber);
  });

  it("takes the streaming API's WebSocket over TLS too (wss://)", async () => {
    await waitFor("the first certificate", () => installed() >= 1);
    const made = await runCli(["token", "create", "--name", "wss test", "--scopes", "read", "--json"], {
      dataDir,
      env: { MOIETY_ORIGIN: `https://${DOMAIN}:${httpsPort}`, MOIETY_DOMAIN: DOMAIN },
    });
    expect(made.stderr).toBe("");
    const token = JSON.parse(made.stdout).token as string;
    const tls = { ca: pebble.root, servername: DOMAIN, headers: { host: `${DOMAIN}:${httpsPort}` } };
    const url = `wss://127.0.0.1:${httpsPort}/api/v1/streaming?stream=user`;
    const ws = new WebSocket(url, [token], tls);
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    expect(ws.protocol).toBe(token);
    ws.close();
    const refusedStatus = await new Promise<number>((resolve) => {
      const bad = new WebSocket(url, ["not-a-token"], tls);
      bad.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
      bad.on("error", () => undefined);
    });
    expect(refusedStatus).toBe(401);
  });

  it("redirects plain HTTP to the https origin, except ACME challenges", async () => {
    expect(await httpRequest("/users/alice?x=1")).toEqual({ status: 301, location: `https://${DOMAIN}:${httpsPort}/users/alice?x=1` });
    expect(await httpRequest("/users/alice/inbox", "POST")).toEqual({ status: 308, location: `https://${DOMAIN}:${httpsPort}/users/alice/inbox` });
    expect((await httpRequest("/.well-known/acme-challenge/not-a-token")).status).toBe(404);
  });

  it("renews a certificate two thirds through its life without a restart (SIGHUP check)", async () => {
    const before = (await httpsGet("/api/health")).cert.serialNumber;
    writeOldCertificate();
    const count = installed();
    server!.process.kill("SIGHUP");
    await waitFor("the renewed certificate", () => installed() > count);
    expect(server!.output()).toContain("(two thirds of the certificate's lifetime have passed)");
    const after = await httpsGet("/api/health");
    expect(after.issuer).toMatch(/^Pebble Intermediate CA/);
    expect(after.cert.serialNumber).not.toBe(before);
    expect(server!.process.exitCode).toBeNull();
  });

  it("says why and what to check when the CA cannot validate the domain", async () => {
    const deadline = Date.now() + 30_000;
    while (!unvalidated!.output().includes("HTTPS: could not get a certificate")) {
      if (Date.now() > deadline) throw new Error(`no failure message:\n${unvalidated!.output()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const line = unvalidated!.output().split("\n").find((l) => l.includes("HTTPS: could not get a certificate"))!;
    expect(line).toMatch(/^HTTPS: could not get a certificate for nowhere\.test: .+\. Check that the DNS name nowhere\.test points at this machine and that port 80 is reachable from the internet/);
    expect(line).toMatch(/Trying again in 5 minutes/);
    expect(unvalidated!.process.exitCode).toBeNull();
    await unvalidated!.stop();
  });

  it("checks at start: an old certificate found on disk is renewed", async () => {
    await server!.stop();
    const oldSerial = writeOldCertificate();
    server = await start();
    await waitFor("the renewal at start", () => installed() >= 1);
    const served = await httpsGet("/api/health");
    expect(served.cert.serialNumber).not.toBe(oldSerial);
    expect(served.issuer).toMatch(/^Pebble Intermediate CA/);
  });
});
