import { randomBytes } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client, actionId, type Res } from "../helpers/http";
import { PASSWORD, eventually, startInstance, type Instance } from "../helpers/instances";
import { Peer, directMessage, type PeerActor } from "../helpers/peer";
import { appServer, startServer, type TestServer } from "../helpers/server";

// The front server against clients that try to wear it out or go around it:
// hundreds of slow uploads, slow headers, too many connections from one
// address, local processes talking to the app server's private port, and
// server-action POSTs that do not come from a page of the site.

let alice: Instance;
let peer: Peer;
let pat: PeerActor;
let dms = 0;

beforeAll(async () => {
  peer = await Peer.start();
  // A front secret of the test's own, to show that it is what opens the private port.
  const secret = randomBytes(32).toString("base64url");
  [alice, pat] = await Promise.all([startInstance("alice", { env: { MOIETY_FRONT_SECRET: secret } }), peer.addActor("pat")]);
  // One DM first, so the timed one below does not include fetching pat's key for the first time,
  // nor loading the workers that store it (lib/server/lazy-workers.ts): wait until it is stored.
  expect((await sendDm("warming up")).status).toBe(202);
  await eventually(async () => JSON.stringify(await alice.json(["dm", "list"])).includes("warming up"), "the first DM stored", 60_000);
});
afterAll(async () => {
  await Promise.all([alice?.stop(), peer?.close()]);
});

function sendDm(text: string) {
  const noteId = `${peer.url}/notes/front-${++dms}`;
  return peer.post(`${alice.actor}/inbox`, directMessage(pat, alice.actor, text, noteId), pat);
}

async function timed<T>(run: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await run();
  return { value, ms: Math.round(performance.now() - started) };
}

/** Resident memory of a process, in MiB. */
function rssMiB(pid: number): number {
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))![1]) / 1024);
}

type Conn = { socket: net.Socket; opened: number; answer: string; closedAfter: number | null };

/** A raw connection from `localAddress` that writes `head` at once; what it gets back and when it closed are recorded. */
function connect(localAddress: string, head: string, port = alice.port): Promise<Conn> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port, localAddress });
    const conn: Conn = { socket, opened: Date.now(), answer: "", closedAfter: null };
    socket.setEncoding("utf8");
    socket.on("data", (d: string) => (conn.answer += d));
    socket.on("error", () => {});
    socket.on("close", () => (conn.closedAfter = Date.now() - conn.opened));
    socket.once("connect", () => {
      if (head) socket.write(head);
      resolve(conn);
    });
    socket.once("error", reject);
  });
}

const INBOX_HEAD = (length: number) =>
  `POST /users/alice/inbox HTTP/1.1\r\nhost: 127.0.0.1:${alice.port}\r\ncontent-type: application/activity+json\r\ncontent-length: ${length}\r\n\r\n`;

describe("slow clients", () => {
  it("300 slow uploads held open do not delay /api/health or a signed DM", async () => {
    // 30 connections from each of ten addresses (under the per-address cap), each
    // declaring a body just under the inbox's 1 MiB and sending 5 KiB every 3 s:
    // fast enough to stay open, far too slow to ever finish in this test.
    const frontBefore = rssMiB(alice.process.pid!);
    const attackers = Array.from({ length: 10 }, (_, i) => `127.0.0.${50 + i}`);
    const conns = await Promise.all(Array.from({ length: 300 }, (_, i) => connect(attackers[i % 10], INBOX_HEAD(1024 * 1024 - 1))));
    const drip = setInterval(() => {
      for (const c of conns) if (!c.socket.destroyed) c.socket.write(Buffer.alloc(5 * 1024, 120));
    }, 3_000);
    try {
      await new Promise((r) => setTimeout(r, 1_000));
      const health: number[] = [];
      for (let i = 0; i < 5; i++) {
        const { value, ms } = await timed(() => new Client(alice.url).get("/api/health"));
        expect(value.status).toBe(200);
        health.push(ms);
        await new Promise((r) => setTimeout(r, 500));
      }
      const dm = await timed(() => sendDm("through the crowd"));
      expect(dm.value.status).toBe(202);
      const open = conns.filter((c) => c.closedAfter === null).length;
      const frontDuring = rssMiB(alice.process.pid!);
      console.log(
        `300 slow uploads: /api/health ${health.join(", ")} ms; signed DM ${dm.ms} ms; ${open} uploads still open; ` +
          `front process ${frontBefore} → ${frontDuring} MiB resident`,
      );
      expect(Math.max(...health)).toBeLessThan(2_000);
      expect(dm.ms).toBeLessThan(2_000);
      // They were all still there: the answers came despite them, not because they were cut off.
      expect(open).toBe(300);
    } finally {
      clearInterval(drip);
      for (const c of conns) c.socket.destroy();
    }
    const stored = await eventually(async () => {
      const list = await alice.json<any[]>(["dm", "list"]);
      return JSON.stringify(list).includes("through the crowd") || null;
    }, "the DM sent during the attack to be stored");
    expect(stored).toBe(true);
  });

  it("a body that trickles in gets 408 within seconds, and the connection is closed", async () => {
    const conn = await connect("127.0.0.60", INBOX_HEAD(1_000));
    const drip = setInterval(() => !conn.socket.destroyed && conn.socket.write("x"), 500);
    try {
      await eventually(async () => conn.closedAfter !== null, "the slow body's connection to close", 20_000);
    } finally {
      clearInterval(drip);
    }
    console.log(`trickled body: 408 and closed after ${conn.closedAfter} ms`);
    expect(conn.answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(conn.answer).toContain("The request body arrived too slowly");
    expect(conn.closedAfter).toBeGreaterThanOrEqual(4_000);
    expect(conn.closedAfter).toBeLessThan(12_000);
  });

  it("headers that trickle in get 408 after 10 s", async () => {
    const conn = await connect("127.0.0.61", "GET /api/health HTTP/1.1\r\nhost: 127.0.0.1\r\n");
    const drip = setInterval(() => !conn.socket.destroyed && conn.socket.write("x-slow: 1\r\n"), 1_000);
    try {
      await eventually(async () => conn.closedAfter !== null, "the slow headers' connection to close", 25_000);
    } finally {
      clearInterval(drip);
    }
    console.log(`trickled headers: closed after ${conn.closedAfter} ms`);
    expect(conn.answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(conn.closedAfter).toBeGreaterThanOrEqual(9_000);
    expect(conn.closedAfter).toBeLessThan(14_000);
  });

  it("one address gets at most 64 connections at once; others are not affected", async () => {
    const conns = await Promise.all(Array.from({ length: 100 }, () => connect("127.0.0.70", "")));
    try {
      await new Promise((r) => setTimeout(r, 1_500));
      expect(conns.filter((c) => c.closedAfter !== null)).toHaveLength(36);
      expect((await new Client(alice.url, "127.0.0.71").get("/api/health")).status).toBe(200);
    } finally {
      for (const c of conns) c.socket.destroy();
    }
    // Once they are closed, the address may connect again.
    const again = await eventually(async () => (await new Client(alice.url, "127.0.0.70").get("/api/health")).status === 200, "a new connection");
    expect(again).toBe(true);
  });
});

describe("behind a trusted proxy", () => {
  let proxied: TestServer;
  beforeAll(async () => {
    proxied = await startServer({ env: { MOIETY_TRUST_PROXY: "1" } });
  });
  afterAll(async () => {
    await proxied?.stop();
  });

  it("counts requests in flight per forwarded client, an IPv6 /64 as one", async () => {
    // Everything comes from the proxy's one address; the clients differ only in X-Forwarded-For.
    const slowUpload = (client: string) =>
      connect(
        "127.0.0.1",
        `POST /setup HTTP/1.1\r\nhost: 127.0.0.1:${proxied.port}\r\norigin: http://127.0.0.1:${proxied.port}\r\n` +
          `x-forwarded-for: ${client}\r\ncontent-type: text/plain\r\ncontent-length: 100000\r\n\r\n`,
        proxied.port,
      );
    // 64 different addresses in one /64: the most one client may have in flight.
    const held = await Promise.all(Array.from({ length: 64 }, (_, i) => slowUpload(`2001:db8:1:2::${(i + 1).toString(16)}`)));
    try {
      await new Promise((r) => setTimeout(r, 500));
      const more = await slowUpload("2001:db8:1:2:ffff:ffff:ffff:ffff");
      await eventually(async () => more.closedAfter !== null, "the 65th request from the /64 to be answered");
      expect(more.answer).toMatch(/^HTTP\/1\.1 429 /);
      expect(more.answer).toContain("Too many requests at once from your address");
      expect(held.filter((c) => c.closedAfter !== null)).toHaveLength(0);
      // The next /64 is someone else.
      const other = await new Client(proxied.url).get("/api/health", { "x-forwarded-for": "2001:db8:1:3::1" });
      expect(other.status).toBe(200);
    } finally {
      for (const c of held) c.socket.destroy();
    }
  });
});

/** A client that adds `extra` headers to every request (a local process talking to the private port). */
class HeaderClient extends Client {
  constructor(
    base: string,
    readonly extra: Record<string, string>,
  ) {
    super(base);
  }
  override request(method: string, pathname: string, opts: { headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<Res> {
    return super.request(method, pathname, { ...opts, headers: { ...this.extra, ...opts.headers } });
  }
}

describe("the app server's private port", () => {
  it("refuses a local process that claims another client address to get past a login lockout", async () => {
    const attacker = new Client(alice.url, "127.0.0.80");
    for (let i = 0; i < 4; i++) await attacker.login("alice", `guess number ${i}!`);
    expect((await attacker.login("alice", PASSWORD)).error).toMatch(/^Too many failed attempts/);

    const app = appServer(alice);
    const forged = { "x-moiety-client-address": "198.51.100.7" };
    const direct = new HeaderClient(`http://127.0.0.1:${app.port}`, forged);
    for (const res of [await direct.get("/api/auth/csrf"), await direct.get("/login")]) {
      expect(res.status).toBe(403);
      expect(JSON.parse(res.body).error).toMatch(/public address/);
    }
    const guessed = new HeaderClient(`http://127.0.0.1:${app.port}`, { ...forged, "x-moiety-front-secret": "a".repeat(43) });
    expect((await guessed.get("/login")).status).toBe(403);
    const post = await direct.request("POST", "/api/auth/callback/credentials", {
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ username: "alice", password: PASSWORD, json: "true" }).toString(),
    });
    expect(post.status).toBe(403);
    expect(direct.cookies.has("next-auth.session-token")).toBe(false);

    // The gate is the secret, which only the front (and here the test, which chose it) knows.
    const front = new HeaderClient(`http://127.0.0.1:${app.port}`, { ...forged, "x-moiety-front-secret": app.secret! });
    expect((await front.get("/login")).status).toBe(200);
  });

  it("is not reachable with a secret a client sends to the front: the front replaces it", async () => {
    // /login, not /api/health: the front answers that one itself.
    const res = await new HeaderClient(alice.url, { "x-moiety-front-secret": "a".repeat(43) }).get("/login");
    expect(res.status).toBe(200);
  });
});

function actionForm(id: string, fields: [string, string][]): { body: string; type: string } {
  const boundary = "----moiety-test-boundary";
  const parts = [[`$ACTION_ID_${id}`, ""], ...fields].map(
    ([name, value]) => `--${boundary}\r\ncontent-disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
  );
  return { body: parts.join("") + `--${boundary}--\r\n`, type: `multipart/form-data; boundary=${boundary}` };
}

describe("server-action POSTs", () => {
  it("refuses one with a Next-Action header and no Origin", async () => {
    const res = await new Client(alice.url).request("POST", "/setup", {
      headers: { "next-action": actionId("verifySetupCodeAction"), accept: "text/x-component", "content-type": "text/plain;charset=UTF-8" },
      body: JSON.stringify(["AAAA-BBBB-CCCC"]),
    });
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body)).toEqual({ error: "Cross-site request refused." });
  });

  it("refuses a plain form post naming an action without Origin or from another site; from the site it runs", async () => {
    const owner = new Client(alice.url, "127.0.0.81");
    expect((await owner.login("alice", PASSWORD)).ok).toBe(true);
    const send = (text: string, origin?: string) => {
      const form = actionForm(actionId("sendNewMessageAction"), [
        ["to", pat.id],
        ["text", text],
      ]);
      return owner.request("POST", "/messages/new", { headers: { "content-type": form.type, ...(origin ? { origin } : {}) }, body: form.body });
    };
    const noOrigin = await send("forged without an origin");
    expect(noOrigin.status).toBe(403);
    expect(JSON.parse(noOrigin.body)).toEqual({ error: "Cross-site request refused." });
    expect((await send("forged from elsewhere", "https://evil.example")).status).toBe(403);

    // The same form from the site itself does send: the 403s above stopped a real action.
    const same = await send("sent from the site itself", alice.url);
    expect(same.status).not.toBe(403);
    const texts = () => peer.inboxActivities("pat").map((a) => JSON.stringify(a.activity));
    await eventually(async () => texts().some((t) => t.includes("sent from the site itself")), "the same-site form's DM to reach pat", 30_000);
    expect(texts().some((t) => t.includes("forged"))).toBe(false);
  });
});
