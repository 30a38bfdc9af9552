import http from "node:http";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client } from "../helpers/http";
import { PASSWORD, eventually, startInstance, type Instance } from "../helpers/instances";

// Sessions live on the server: logging out ends a session for every copy of its cookie, and
// Settings lists the logged-in browsers and ends them.

let alice: Instance;
beforeAll(async () => {
  alice = await startInstance("alice");
});
afterAll(async () => {
  await alice?.stop();
});

const FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0";
const SAFARI_IPHONE =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Mobile/15E148 Safari/604.1";

async function loggedIn(address: string, userAgent: string): Promise<Client> {
  const c = new Client(alice.url, address);
  c.headers["user-agent"] = userAgent;
  expect((await c.login("alice", PASSWORD)).ok).toBe(true);
  return c;
}

/** A second client holding a copy of the first one's cookies, as someone who copied them would. */
function copyOf(c: Client): Client {
  const copy = new Client(alice.url, "127.0.0.99");
  copy.cookies = new Map(c.cookies);
  return copy;
}

const opensSettings = async (c: Client) => (await c.get("/settings")).status === 200;

/** The session rows, read straight from the instance's SQLite file. */
function sessionRows(): { id: string; userAgent: string; address: string }[] {
  const file = new Database(path.join(alice.dataDir, "moiety.db"), { readonly: true });
  try {
    return file.prepare(`SELECT "id", "userAgent", "address" FROM "Session"`).all() as { id: string; userAgent: string; address: string }[];
  } finally {
    file.close();
  }
}

async function logOut(c: Client) {
  const csrf = JSON.parse((await c.get("/api/auth/csrf")).body).csrfToken as string;
  const res = await c.request("POST", "/api/auth/signout", {
    headers: { "content-type": "application/x-www-form-urlencoded", origin: alice.url },
    body: new URLSearchParams({ csrfToken: csrf, json: "true" }).toString(),
  });
  expect(res.status).toBe(200);
}

describe("sessions", () => {
  it("Log out ends the session on the server: a cookie copied before it opens nothing afterwards", async () => {
    const laptop = await loggedIn("127.0.0.20", FIREFOX_LINUX);
    const stolen = copyOf(laptop);
    expect(await opensSettings(stolen)).toBe(true);

    await logOut(laptop);
    const after = await stolen.get("/settings");
    expect(after.status).toBe(307);
    expect(new URL(after.headers.location!, alice.url).pathname).toBe("/login");
    expect((await stolen.get("/api/events")).status).toBe(401);
    expect((await stolen.get("/settings/export")).status).toBe(401);
  });

  it("Settings lists each browser with its device and address, and ends one or all others", async () => {
    const phone = await loggedIn("127.0.0.21", SAFARI_IPHONE);
    const laptop = await loggedIn("127.0.0.22", FIREFOX_LINUX);
    const tablet = await loggedIn("127.0.0.23", FIREFOX_LINUX);

    const page = (await phone.get("/settings")).body;
    expect(page).toContain("Safari on iPhone");
    expect(page).toContain("Firefox on Linux");
    expect(page).toContain("127.0.0.22");
    expect(page).toContain("this browser");

    const rows = sessionRows();
    const laptopRow = rows.find((r) => r.address === "127.0.0.22")!;
    const phoneRow = rows.find((r) => r.address === "127.0.0.21")!;
    expect(laptopRow.userAgent).toBe(FIREFOX_LINUX);

    // The laptop's open page stream is cut when its session ends elsewhere.
    const stream = openEvents(laptop);
    await stream.connected;
    const ended = await phone.action("/settings", "endSessionAction", [laptopRow.id]);
    expect(ended.result).toEqual({ ok: true });
    expect(await opensSettings(laptop)).toBe(false);
    expect(await opensSettings(phone)).toBe(true);
    await eventually(async () => (stream.closed() ? true : null), "the laptop's event stream to close", 30_000);

    // Ending it twice, or ending this browser's own session from the list, says why not.
    expect((await phone.action("/settings", "endSessionAction", [laptopRow.id])).result).toEqual({ ok: false, error: "That session had already ended." });
    expect((await phone.action("/settings", "endSessionAction", [phoneRow.id])).result).toMatchObject({ ok: false });
    expect(await opensSettings(phone)).toBe(true);

    // "End all other sessions" keeps only the browser that asked.
    const other = await loggedIn("127.0.0.24", SAFARI_IPHONE);
    const all = await phone.action("/settings", "endOtherSessionsAction", []);
    expect(all.result).toMatchObject({ ok: true });
    expect((all.result as { value: number }).value).toBeGreaterThanOrEqual(2);
    expect(await opensSettings(tablet)).toBe(false);
    expect(await opensSettings(other)).toBe(false);
    expect(await opensSettings(phone)).toBe(true);
    expect(sessionRows().map((r) => r.id)).toEqual([phoneRow.id]);
  });

  it("a session action without a session is refused", async () => {
    const r = await new Client(alice.url).action("/settings", "endOtherSessionsAction", []);
    expect(r.redirect).toBe("/login");
  });
});

/** GET /api/events and watch whether the server ends the stream. */
function openEvents(c: Client): { connected: Promise<void>; closed: () => boolean } {
  let closed = false;
  const url = new URL("/api/events", alice.url);
  const cookie = [...c.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  const connected = new Promise<void>((resolve, reject) => {
    const req = http.get({ host: url.hostname, port: url.port, path: url.pathname, headers: { cookie } }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`events answered ${res.statusCode}`));
      res.on("data", () => resolve());
      res.on("end", () => (closed = true));
      res.on("close", () => (closed = true));
    });
    req.on("error", () => (closed = true));
  });
  return { connected, closed: () => closed };
}
