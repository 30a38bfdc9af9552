import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import type http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, readBody, removeDir, startHttpServer, type TestHttpServer } from "./helpers";

// safeFetch against a real HTTP server on 127.0.0.1.

let sf: typeof import("@/lib/federation/safe-fetch");
let server: TestHttpServer;
let hits: { method: string; url: string; host: string | undefined; body: string }[] = [];

async function handle(req: http.IncomingMessage, res: http.ServerResponse) {
  const body = (await readBody(req)).toString();
  hits.push({ method: req.method!, url: req.url!, host: req.headers.host, body });
  const u = new URL(req.url!, "http://x");
  switch (u.pathname) {
    case "/hello":
      res.writeHead(200, { "content-type": "text/plain", "x-two": ["a", "b"] }).end(`hello ${req.method} ${body}`);
      return;
    case "/redirect": // /redirect?to=URL&status=302
      res.writeHead(Number(u.searchParams.get("status") ?? 302), { location: u.searchParams.get("to")! }).end("moved");
      return;
    case "/chain": {
      const n = Number(u.searchParams.get("n"));
      res.writeHead(302, { location: n > 0 ? `/chain?n=${n - 1}` : "/hello" }).end();
      return;
    }
    case "/hang":
      return; // never answers
    default:
      res.writeHead(404).end();
  }
}

beforeAll(async () => {
  process.env.MOIETY_ALLOW_PRIVATE_ADDRESSES = "1"; // the default for calls that do not say
  sf = await import("@/lib/federation/safe-fetch");
  server = await startHttpServer((req, res) => void handle(req, res));
});

afterAll(async () => {
  await server?.close();
});

describe("safeFetch", () => {
  it("refuses loopback by address and by name when private addresses are not allowed, before connecting", async () => {
    hits = [];
    for (const url of [`${server.url}/hello`, `http://localhost:${server.port}/hello`, `http://[::ffff:127.0.0.1]:${server.port}/hello`]) {
      await expect(sf.safeFetch(url, {}, { allowPrivate: false })).rejects.toBeInstanceOf(sf.PrivateAddressError);
    }
    expect(hits).toEqual([]);
  });

  it("fetches loopback when allowed, explicitly or by MOIETY_ALLOW_PRIVATE_ADDRESSES", async () => {
    const res = await sf.safeFetch(`http://localhost:${server.port}/hello`, {}, { allowPrivate: true });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/plain");
    expect(res.headers.get("x-two")).toBe("a, b");
    expect(res.url).toBe(`http://localhost:${server.port}/hello`);
    expect(await res.text()).toBe("hello GET ");
    const byDefault = await sf.safeFetch(`${server.url}/hello`, { method: "POST", body: "payload" });
    expect(await byDefault.text()).toBe("hello POST payload");
  });

  it("connects to the address it checked, without resolving the name again", async () => {
    hits = [];
    const lookups: string[] = [];
    // A rebinding DNS server: the first answer passes the check, later ones would point elsewhere.
    const resolve = async (host: string) => {
      lookups.push(host);
      return lookups.length === 1 ? [{ address: "127.0.0.1", family: 4 }] : [{ address: "10.9.9.9", family: 4 }];
    };
    const res = await sf.safeFetch(`http://pinned.test:${server.port}/hello`, {}, { allowPrivate: true, resolve });
    expect(await res.text()).toBe("hello GET ");
    expect(lookups).toEqual(["pinned.test"]); // once: the connection used the checked answer
    expect(hits[0].host).toBe(`pinned.test:${server.port}`); // the name still goes in Host (and TLS SNI)
  });

  it("checks what a name resolves to, and refuses a private answer", async () => {
    hits = [];
    const resolve = async () => [{ address: "127.0.0.1", family: 4 }];
    await expect(sf.safeFetch(`http://innocent.test:${server.port}/hello`, {}, { allowPrivate: false, resolve })).rejects.toThrow(
      /innocent\.test resolves to 127\.0\.0\.1/,
    );
    expect(hits).toEqual([]);
  });

  it("follows redirects on GET, resolving and checking every hop", async () => {
    const lookups: string[] = [];
    const resolve = async (host: string) => {
      lookups.push(host);
      return [{ address: "127.0.0.1", family: 4 }];
    };
    const to = encodeURIComponent(`http://second.test:${server.port}/hello`);
    const res = await sf.safeFetch(`http://first.test:${server.port}/redirect?to=${to}`, {}, { allowPrivate: true, resolve });
    expect(res.status).toBe(200);
    expect(res.url).toBe(`http://second.test:${server.port}/hello`);
    expect(lookups).toEqual(["first.test", "second.test"]);
  });

  it("refuses a redirect to a forbidden target, checking the hop like the first URL", async () => {
    hits = [];
    for (const target of ["file:///etc/passwd", "ftp://127.0.0.1/", "gopher://127.0.0.1:70/"]) {
      const url = `${server.url}/redirect?to=${encodeURIComponent(target)}`;
      await expect(sf.safeFetch(url, {}, { allowPrivate: true })).rejects.toBeInstanceOf(sf.PrivateAddressError);
    }
    expect(hits).toHaveLength(3); // the first hop was fetched each time; the redirect was not
  });

  it("stops after maxRedirects and hands back the redirect", async () => {
    const res = await sf.safeFetch(`${server.url}/chain?n=3`, {}, { allowPrivate: true, maxRedirects: 2 });
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/chain?n=0");
    const followed = await sf.safeFetch(`${server.url}/chain?n=3`, {}, { allowPrivate: true });
    expect(followed.status).toBe(200);
  });

  it("never follows a redirect on POST", async () => {
    hits = [];
    const to = encodeURIComponent(`${server.url}/hello`);
    for (const status of [301, 302, 303, 307, 308]) {
      const res = await sf.safeFetch(
        `${server.url}/redirect?status=${status}&to=${to}`,
        { method: "POST", body: "{}", headers: { "content-type": "application/activity+json" } },
        { allowPrivate: true, maxRedirects: 5 },
      );
      expect(res.status).toBe(status);
    }
    expect(hits.map((h) => h.url.split("?")[0])).toEqual(Array(5).fill("/redirect"));
    expect(hits.every((h) => h.method === "POST" && h.body === "{}")).toBe(true);
  });

  it("gives up after timeoutMs", async () => {
    const started = Date.now();
    const error = await sf.safeFetch(`${server.url}/hang`, {}, { allowPrivate: true, timeoutMs: 300 }).catch((e) => e);
    expect(error).toBeInstanceOf(sf.FetchTimeoutError);
    expect(error.name).toBe("TimeoutError");
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("reports a refused connection as a network error", async () => {
    const closed = await startHttpServer(() => {});
    await closed.close();
    const error = await sf.safeFetch(`${closed.url}/`, {}, { allowPrivate: true }).catch((e) => e);
    expect(error).not.toBeInstanceOf(sf.PrivateAddressError);
    expect(error.code).toBe("ECONNREFUSED");
  });

  it("still verifies the TLS certificate against the host name when connecting to a pinned address", async () => {
    // A certificate for pinned.test only, trusted by a child process through NODE_EXTRA_CA_CERTS
    // (read once at start, hence the child).
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "moiety-tls-"));
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "key.pem", "-out", "cert.pem", "-days", "1",
      "-subj", "/CN=pinned.test", "-addext", "subjectAltName=DNS:pinned.test"], { cwd: dir, stdio: "ignore" });
    const tls = https.createServer({ key: fs.readFileSync(path.join(dir, "key.pem")), cert: fs.readFileSync(path.join(dir, "cert.pem")) }, (req, res) =>
      res.end(`tls ok, sni ${(req.socket as import("node:tls").TLSSocket).servername}`),
    );
    await new Promise<void>((r) => tls.listen(0, "127.0.0.1", r));
    const port = (tls.address() as AddressInfo).port;
    const script = `
      import { safeFetch } from ${JSON.stringify(path.join(ROOT, "lib/federation/safe-fetch.ts"))};
      const resolve = async () => [{ address: "127.0.0.1", family: 4 }];
      for (const host of ["pinned.test", "impostor.test"]) {
        try {
          const res = await safeFetch("https://" + host + ":${port}/", {}, { allowPrivate: true, resolve });
          console.log(host, res.status, await res.text());
        } catch (e) {
          console.log(host, "error", e.code);
        }
      }`;
    try {
      // Async spawn: the TLS server lives in this process and must keep answering.
      const out = await new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
          cwd: ROOT,
          env: { ...process.env, NODE_EXTRA_CA_CERTS: path.join(dir, "cert.pem") },
        });
        let text = "";
        child.stdout.on("data", (d: Buffer) => (text += d));
        child.stderr.on("data", (d: Buffer) => (text += d));
        child.on("error", reject);
        child.on("exit", () => resolve(text));
      });
      expect(out).toContain("pinned.test 200 tls ok, sni pinned.test");
      expect(out).toContain("impostor.test error ERR_TLS_CERT_ALTNAME_INVALID");
    } finally {
      tls.close();
      removeDir(dir);
    }
  });
});
