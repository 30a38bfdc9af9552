import { spawn } from "node:child_process";
import { createHash, createPublicKey, generateKeyPairSync, verify } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Worker } from "node:worker_threads";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alive, cpuMsByThread, killTree, rssOfPids, threadCpuDelta, treePids } from "../../scripts/bench/lib/proctree.mjs";
import { RawConnection, sendAll } from "../../scripts/bench/lib/rawhttp.mjs";
import { parseArgs } from "../../scripts/bench/lib/report.mjs";
import { presignAll, rawPost } from "../../scripts/bench/lib/sign.mjs";

// The benchmark's own tools (scripts/bench/lib): the raw HTTP client must
// frame real Node responses right, pipelined; the signer must produce
// draft-cavage signatures that verify; the process tree must include children
// started from any thread, and a kill of the tree must leave none alive.

let server: http.Server;
let port: number;
const seen: { method?: string; url?: string; body: string; headers: http.IncomingHttpHeaders }[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      seen.push({ method: req.method, url: req.url, body: Buffer.concat(chunks).toString("utf8"), headers: req.headers });
      if (req.url === "/chunked") {
        res.writeHead(401, { "content-type": "application/json" });
        res.write('{"error":');
        res.end('"no signature"}');
      } else if (req.url === "/close") {
        res.writeHead(413, { connection: "close", "content-length": "2" });
        res.end("{}");
      } else {
        res.writeHead(202, { "content-length": "0" });
        res.end();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  port = (server.address() as AddressInfo).port;
});

afterAll(() => new Promise((r) => server.close(r)));

const get = (path: string) => Buffer.from(`POST ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: 3\r\n\r\nabc`);

describe("raw HTTP client", () => {
  it("reads pipelined answers in order, whether sized or chunked", async () => {
    const conn = await new RawConnection({ port }).connect();
    const answers = await Promise.all(["/a", "/chunked", "/b", "/chunked", "/c"].map((p) => conn.send(get(p))));
    expect(answers.map((a) => a.status)).toEqual([202, 401, 202, 401, 202]);
    conn.close();
  });

  it("fails what was pipelined behind a 'connection: close' answer, and sendAll reconnects for the next", async () => {
    const conn = await new RawConnection({ port }).connect();
    const answers = await Promise.all(["/close", "/a"].map((p) => conn.send(get(p))));
    expect(answers.map((a) => a.status)).toEqual([413, "error:closed"]);
    const results = await sendAll([get("/close"), get("/a"), get("/b")], { port, concurrency: 1 });
    expect(results.map((r) => r.status)).toEqual([413, 202, 202]);
  });
});

describe("signer", () => {
  const keys = [0, 1].map(() => generateKeyPairSync("rsa", { modulusLength: 2048, publicKeyEncoding: { type: "spki", format: "pem" }, privateKeyEncoding: { type: "pkcs8", format: "pem" } }));
  const actors = keys.map((k, i) => ({ id: `http://127.0.0.1:9/users/u${i}`, name: `u${i}`, keyId: `http://127.0.0.1:9/users/u${i}#main-key`, privateKeyPem: k.privateKey }));

  /** Check a request the test server received the way a draft-cavage verifier does. */
  function verifies(r: (typeof seen)[number], publicKeyPem: string): boolean {
    const sig = Object.fromEntries([...String(r.headers.signature).matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    const text = sig.headers
      .split(" ")
      .map((h: string) => (h === "(request-target)" ? `(request-target): ${r.method!.toLowerCase()} ${r.url}` : `${h}: ${r.headers[h]}`))
      .join("\n");
    expect(r.headers.digest).toBe(`SHA-256=${createHash("sha256").update(r.body).digest("base64")}`);
    return verify("sha256", Buffer.from(text), createPublicKey(publicKeyPem), Buffer.from(sig.signature, "base64"));
  }

  it("signs DMs on worker threads that verify with the actor's key, and bad ones that do not", async () => {
    seen.length = 0;
    const url = `http://127.0.0.1:${port}/users/alice/inbox`;
    const jobs = [
      { actor: 0, url, recipient: "http://127.0.0.1:9/users/alice", n: 1 },
      { actor: 1, url, recipient: "http://127.0.0.1:9/users/alice", n: 2 },
      { actor: 0, url, recipient: "http://127.0.0.1:9/users/alice", n: 3, signWith: 1 },
      { actor: 0, url, recipient: "http://127.0.0.1:9/users/alice", n: 4, unsigned: true },
    ];
    const requests = await presignAll(jobs, actors, { threads: 2, batch: 1 });
    const results = await sendAll(requests, { port, concurrency: 1 });
    expect(results.every((r) => r.status === 202)).toBe(true);
    expect(seen.map((r) => JSON.parse(r.body).object.id)).toEqual([1, 2, 3, 4].map((n, i) => `${actors[jobs[i].actor].id}/statuses/${n}`));
    expect(seen[0].headers.signature).toContain(`keyId="${actors[0].keyId}"`);
    expect(verifies(seen[0], keys[0].publicKey)).toBe(true);
    expect(verifies(seen[1], keys[1].publicKey)).toBe(true);
    expect(verifies(seen[2], keys[0].publicKey)).toBe(false);
    expect(seen[3].headers.signature).toBeUndefined();
  });

  it("declares a Content-Length other than the body's when asked (oversize junk)", () => {
    const raw = rawPost("http://127.0.0.1:1/inbox", "", { contentLength: 2_097_152 }).toString();
    expect(raw).toContain("content-length: 2097152\r\n\r\n");
    expect(raw).not.toContain("signature:");
  });
});

describe("process tree", () => {
  it("finds children of the root's children and of its worker threads, and kills them all", async () => {
    const shell = spawn("sh", ["-c", "sleep 30 & sleep 30 & wait"], { stdio: "ignore" });
    const worker = new Worker(`const { spawn } = require("node:child_process"); const c = spawn("sleep", ["30"], { stdio: "ignore" }); require("node:worker_threads").parentPort.postMessage(c.pid); setInterval(() => {}, 1000);`, { eval: true });
    const fromThread = await new Promise<number>((r) => worker.once("message", r));
    await new Promise((r) => setTimeout(r, 200));
    const shellTree = treePids(shell.pid!);
    expect(shellTree[0]).toBe(shell.pid);
    expect(shellTree.length).toBe(3);
    const mine = treePids(process.pid);
    expect(mine).toEqual(expect.arrayContaining([...shellTree, fromThread]));
    expect(rssOfPids(shellTree)).toBeGreaterThan(0);

    const exited = new Promise((r) => shell.once("exit", r));
    const killed = killTree(shell.pid!, "SIGKILL");
    await exited;
    await new Promise((r) => setTimeout(r, 200));
    expect(killed.length).toBe(3);
    expect(killed.filter(alive)).toEqual([]);
    process.kill(fromThread, "SIGKILL");
    await worker.terminate();
  });
});

describe("options", () => {
  const defaults = { n: 2000, floor: true, nodeArgs: "", target: "" };

  it("keeps a value whole after its first '=', and gives a string option the next word even when it starts with --", () => {
    expect(parseArgs(["--node-args=--interrupt-budget=300000", "--n", "50"], defaults)).toMatchObject({ nodeArgs: "--interrupt-budget=300000", n: 50 });
    expect(parseArgs(["--node-args", "--v8-pool-size=1 --trace-opt", "--floor", "false"], defaults)).toMatchObject({ nodeArgs: "--v8-pool-size=1 --trace-opt", floor: false });
  });

  it("reads a flag with no value as true, and leaves the defaults alone", () => {
    expect(parseArgs(["--floor", "--n=7"], defaults)).toEqual({ ...defaults, floor: true, n: 7 });
    expect(parseArgs([], defaults)).toEqual(defaults);
  });
});

describe("CPU by thread", () => {
  it("names the main thread and counts a busy worker thread's time apart from it", async () => {
    const before = cpuMsByThread([process.pid]);
    expect(Object.keys(before)).toContain("main");
    const worker = new Worker(`const end = Date.now() + 300; while (Date.now() < end) {} require("node:worker_threads").parentPort.postMessage("done"); setInterval(() => {}, 1000);`, { eval: true });
    await new Promise((r) => worker.once("message", r));
    const delta = threadCpuDelta(before, cpuMsByThread([process.pid]));
    const others = Object.entries(delta).filter(([name]) => name !== "main");
    // The worker spun for 300 ms of wall time on a thread of its own (ticks are 10 ms).
    expect(Math.max(...others.map(([, ms]) => Number(ms)))).toBeGreaterThanOrEqual(150);
    expect(others.every(([name]) => /#\d+$/.test(name))).toBe(true);
    await worker.terminate();
  });
});
