import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PASSWORD_BUSY, PASSWORD_CHECKS_BURST, PASSWORD_CHECKS_PER_SECOND } from "@/lib/domain/password-budget";
import { actionId, Client } from "../helpers/http";
import { runCli, startServer, type TestServer } from "../helpers/server";
import { fieldRefusal } from "../helpers/action-result";

// Guessing the setup code and the password against a real server over real
// HTTP, from several loopback addresses (each Client binds its own 127.0.0.x)
// and, through MOIETY_TRUST_PROXY, from IPv6 addresses a proxy reports.

const PASSWORD = "a long enough password";
const WRONG = "Wrong username or password.";
const LOCKED = /^Too many failed attempts\. Try again in \d+ seconds?\.$/;
let server: TestServer;

beforeAll(async () => {
  server = await startServer({ env: { MOIETY_TRUST_PROXY: "1" } });
});
afterAll(async () => {
  await server?.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** next-auth's credentials POST, as the login form sends it; `headers` e.g. a proxy's X-Forwarded-For. */
async function login(c: Client, password: string, csrf?: string, headers: Record<string, string> = {}): Promise<string | null> {
  csrf ??= JSON.parse((await c.get("/api/auth/csrf")).body).csrfToken as string;
  const res = await c.request("POST", "/api/auth/callback/credentials", {
    headers: { "content-type": "application/x-www-form-urlencoded", "x-auth-return-redirect": "1", ...headers },
    body: new URLSearchParams({ csrfToken: csrf!, username: "alice", password, json: "true" }).toString(),
  });
  const url = new URL(JSON.parse(res.body).url as string);
  // null: logged in (next-auth sends the browser on without an error).
  return url.searchParams.get("error");
}

const csrfOf = async (c: Client) => JSON.parse((await c.get("/api/auth/csrf")).body).csrfToken as string;

describe("the setup code", () => {
  it("wrong codes lock out the address that sent them, not the owner at another address", async () => {
    const stranger = new Client(server.url, "127.0.0.21");
    const wrong = async (c: Client) => (await c.action("/setup", "verifySetupCodeAction", ["AAAA-BBBB-CCCC"])).result;
    const notRight = fieldRefusal({ code: expect.stringMatching(/setup code is not right/) });
    for (let i = 0; i < 4; i++) expect(await wrong(stranger)).toEqual(notRight);
    // The delays double (2, 4, 8 s): wait out two, so the lockout below lasts 8 s.
    for (const wait of [2000, 4000]) {
      await sleep(wait + 150);
      expect(await wrong(stranger)).toEqual(notRight);
    }
    // Now even the right code is refused to the stranger…
    const locked = await stranger.action("/setup", "verifySetupCodeAction", [server.setupCode]);
    expect(locked.result).toEqual(fieldRefusal({ code: expect.stringMatching(/^Too many wrong codes\. Try again in \d+ seconds?, or create the owner with `moiety setup` on the server\.$/) }));
    // …and so are 20 parallel guesses: the throttle check and the count are one transaction.
    const parallel = await Promise.all(Array.from({ length: 20 }, () => wrong(stranger)));
    expect(parallel.filter((r) => !JSON.stringify(r).includes("Too many wrong codes"))).toEqual([]);
    // The owner, at another address, gets in with the printed code.
    const owner = new Client(server.url, "127.0.0.22");
    expect((await owner.action("/setup", "verifySetupCodeAction", [server.setupCode])).result).toEqual({ ok: true });
  });

  it("an IPv6 /64 is one address: another host in it is locked out too, the next /64 is not", async () => {
    const c = new Client(server.url);
    const verify = async (address: string, code: string) => {
      const res = await c.request("POST", "/setup", {
        headers: {
          "next-action": actionId("verifySetupCodeAction"),
          accept: "text/x-component",
          "content-type": "text/plain;charset=UTF-8",
          origin: server.url,
          "x-forwarded-for": address,
        },
        body: JSON.stringify([code]),
      });
      return JSON.parse(/^1:(\{.*\})$/m.exec(res.body)![1]);
    };
    for (let i = 0; i < 4; i++) expect(JSON.stringify(await verify(`2001:db8:a:b::${i + 1}`, "AAAA-BBBB-CCCC"))).toContain("not right");
    expect(JSON.stringify(await verify("2001:db8:a:b:ffff:1:2:3", server.setupCode!))).toContain("Too many wrong codes");
    expect(await verify("2001:db8:a:c::1", server.setupCode!)).toEqual({ ok: true });
  });

  it("(the owner is then made with the CLI)", async () => {
    const setup = await runCli(["setup", "--username", "alice", "--display-name", "Alice", "--password-stdin"], {
      dataDir: server.dataDir,
      stdin: PASSWORD,
      env: { MOIETY_ORIGIN: server.url },
    });
    expect(setup.code, setup.stderr).toBe(0);
  });
});

describe("logins", () => {
  it("during a lockout 40 parallel logins with the right password are all refused; when it ends, 40 parallel guesses get one check", async () => {
    // Each lockout is twice the one before; wait out three (1 + 2 + 4 s), so
    // the next ones last 8 and 16 s: far longer than 40 requests take to arrive.
    const attacker = new Client(server.url, "127.0.0.31");
    for (let i = 0; i < 4; i++) expect(await login(attacker, `guess ${i}, wrong`)).toBe(WRONG);
    for (const wait of [1000, 2000, 4000]) {
      await sleep(wait + 150);
      expect(await login(attacker, "one more wrong guess")).toBe(WRONG);
    }
    const csrf = await csrfOf(attacker);
    let started = Date.now();
    const right = await Promise.all(Array.from({ length: 40 }, () => login(attacker, PASSWORD, csrf)));
    const lockedOutTook = Date.now() - started;
    expect(right.filter((r) => !LOCKED.test(r ?? "")), `after ${lockedOutTook} ms: ${JSON.stringify(right)}`).toEqual([]);

    await sleep(8000 + 150 - lockedOutTook);
    started = Date.now();
    const guesses = await Promise.all(Array.from({ length: 40 }, (_, i) => login(attacker, `parallel guess ${i}`, csrf)));
    const guessesTook = Date.now() - started;
    // Exactly one attempt reached the password check; the others were refused before it.
    // (All wrong: a right password clears the bucket, and then the rest would be new tries.)
    expect(guesses.filter((r) => !LOCKED.test(r ?? "")), `after ${guessesTook} ms: ${JSON.stringify(guesses)}`).toEqual([WRONG]);
    console.log(`40 parallel logins: ${lockedOutTook} ms during the lockout, ${guessesTook} ms as it ended`);
  });

  it("two addresses in one IPv6 /64 share a bucket; IPv4-mapped IPv6 is the IPv4 address", async () => {
    const c = new Client(server.url);
    const csrf = await csrfOf(c);
    const as = (address: string, password: string) => login(c, password, csrf, { "x-forwarded-for": address });
    for (let i = 0; i < 4; i++) expect(await as(`2001:db8:1:2::${i + 1}`, "wrong guess")).toBe(WRONG);
    expect(await as("2001:db8:1:2:aaaa:bbbb:cccc:dddd", PASSWORD)).toMatch(LOCKED);
    expect(await as("2001:0db8:0001:0002::ffff", PASSWORD)).toMatch(LOCKED);
    expect(await as("2001:db8:1:3::1", PASSWORD)).toBeNull();

    for (let i = 0; i < 4; i++) expect(await as("198.51.100.7", "wrong guess")).toBe(WRONG);
    expect(await as("::ffff:198.51.100.7", PASSWORD)).toMatch(LOCKED);
    expect(await as("::ffff:c633:6407", PASSWORD)).toMatch(LOCKED);
  });

  it("guesses from many addresses at once are held to a process-wide rate of password checks", async () => {
    await sleep(2500); // let the budget fill up after the tests above
    // 100 addresses: even on a loaded machine that answers only ~6 logins a second, more
    // arrive than the budget (10 at once, then 5 a second) can take.
    const clients = Array.from({ length: 100 }, (_, i) => new Client(server.url, `127.0.1.${i + 1}`));
    const tokens = await Promise.all(clients.map(csrfOf));
    const started = Date.now();
    const results = await Promise.all(clients.map((c, i) => login(c, `guess from address ${i}`, tokens[i])));
    const seconds = (Date.now() - started) / 1000;
    const checked = results.filter((r) => r === WRONG).length;
    const busy = results.filter((r) => r === PASSWORD_BUSY).length;
    expect(checked + busy).toBe(100);
    console.log(`100 parallel guesses from 100 addresses in ${seconds.toFixed(1)} s: ${checked} checked, ${busy} refused as busy`);
    expect(busy).toBeGreaterThan(0);
    expect(checked).toBeLessThanOrEqual(PASSWORD_CHECKS_BURST + Math.ceil(seconds * PASSWORD_CHECKS_PER_SECOND) + 1);
    // The budget refills: a moment later the owner logs in.
    await sleep(1000);
    expect(await login(new Client(server.url, "127.0.0.33"), PASSWORD)).toBeNull();
  });
});
