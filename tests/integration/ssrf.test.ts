import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client } from "../helpers/http";
import { runCli, startServer, tempDataDir } from "../helpers/server";

// In production (MOIETY_ALLOW_PRIVATE_ADDRESSES unset) nothing reaches
// loopback or private addresses: not by literal, not by a name that resolves
// there (localhost), not by a redirect. A canary server on loopback records
// whether anything arrived.

let canary: http.Server;
let hits = 0;
let base: string;

beforeAll(async () => {
  canary = http.createServer((req, res) => {
    hits++;
    if (req.url === "/redirect") {
      res.writeHead(302, { location: `http://127.0.0.1:${(canary.address() as AddressInfo).port}/users/bob` });
      return res.end();
    }
    res.writeHead(200, { "content-type": "application/activity+json" });
    res.end(JSON.stringify({ "@context": "https://www.w3.org/ns/activitystreams", id: `${base}/users/bob`, type: "Person", inbox: `${base}/inbox` }));
  });
  await new Promise<void>((r) => canary.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(canary.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => canary.close(() => r())));

describe("no private addresses in production", () => {
  it("refuses loopback by literal, by name and by IPv4-mapped IPv6, and reaches nothing", async () => {
    const dataDir = tempDataDir();
    const env = { MOIETY_ORIGIN: "https://moiety.example", MOIETY_ALLOW_PRIVATE_ADDRESSES: "" };
    const setup = await runCli(["setup", "--username", "alice", "--display-name", "Alice", "--password-stdin"], { dataDir, stdin: "a long enough password", env });
    expect(setup.code).toBe(0);
    const port = (canary.address() as AddressInfo).port;
    for (const target of [
      `${base}/users/bob`,
      `http://localhost:${port}/users/bob`,
      `http://[::ffff:127.0.0.1]:${port}/users/bob`,
      `http://[::1]:${port}/users/bob`,
      `http://10.0.0.1:${port}/users/bob`,
      `http://169.254.169.254/latest/meta-data`,
    ]) {
      const r = await runCli(["dm", "send", target, "--text", "hi"], { dataDir, env });
      expect(r.code, target).not.toBe(0);
      expect(r.stderr.trim().split("\n"), target).toHaveLength(1);
    }
    const f = await runCli(["follow", `http://localhost:${port}/users/bob`], { dataDir, env });
    expect(f.code).not.toBe(0);
    expect(f.stderr.trim()).toMatch(/private or local network address/);
    expect(hits).toBe(0);
  }, 120_000);

  it("does not fetch a JSON-LD @context that points at a private address", async () => {
    const server = await startServer({ env: { MOIETY_ALLOW_PRIVATE_ADDRESSES: "" } });
    try {
      const port = (canary.address() as AddressInfo).port;
      for (const ctx of [`http://[::ffff:127.0.0.1]:${port}/context`, `http://localhost:${port}/context`, `${base}/context`]) {
        const res = await new Client(server.url).request("POST", "/inbox", {
          headers: { "content-type": "application/activity+json" },
          body: JSON.stringify({ "@context": ["https://www.w3.org/ns/activitystreams", ctx], id: `${base}/a`, type: "Create", actor: `${base}/users/bob` }),
        });
        expect(res.status, ctx).toBeGreaterThanOrEqual(400);
        expect(res.status, ctx).toBeLessThan(500);
      }
      expect(hits).toBe(0);
    } finally {
      await server.stop();
    }
    expect(hits).toBe(0);
  }, 120_000);
});
