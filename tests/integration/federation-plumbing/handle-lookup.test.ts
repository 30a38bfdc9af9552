import type http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prepareDatabase, removeDir, startHttpServer, type TestHttpServer } from "./helpers";

// Handle look-ups (WebFinger) and actor fetches go through safeFetch, in
// production mode (private addresses not allowed). A loopback server stands
// in for a public one (trustedOrigins names its exact origin); every redirect
// it answers with, to any private-address form, must be refused before
// anything connects there, and answers that are too large or too slow are cut off.

let af: typeof import("@/lib/federation/actor-fetch");
let server: TestHttpServer;
let dataDir: string;
let hits: string[] = [];
/** Where /.well-known/webfinger redirects to (null: answer the JRD). */
let redirectTo: string | null = null;

const JRD = (self: string) => JSON.stringify({ subject: "acct:bob@social.example", links: [{ rel: "self", type: "application/activity+json", href: self }] });

function handle(req: http.IncomingMessage, res: http.ServerResponse) {
  hits.push(`${req.headers.host}${req.url}`);
  const u = new URL(req.url!, "http://x");
  if (u.pathname === "/.well-known/webfinger") {
    if (redirectTo) return res.writeHead(302, { location: redirectTo }).end();
    return res.writeHead(200, { "content-type": "application/jrd+json" }).end(JRD(`${server.url}/users/bob`));
  }
  if (u.pathname === "/big") {
    // 200 KiB, chunked: no Content-Length to refuse it by, so only counting while reading stops it.
    res.writeHead(200, { "content-type": "application/jrd+json" });
    res.write('{"links":[');
    const chunk = `{"rel":"x","href":"${"a".repeat(1000)}"},`;
    for (let i = 0; i < 200; i++) res.write(chunk);
    return res.end('{"rel":"x"}]}');
  }
  if (u.pathname === "/users/big") {
    res.writeHead(200, { "content-type": "application/activity+json" });
    res.write(`{"id":"${server.url}/users/big","type":"Person","inbox":"${server.url}/inbox","summary":"`);
    for (let i = 0; i < 100; i++) res.write("b".repeat(1024));
    return res.end('"}');
  }
  if (u.pathname === "/slow") {
    res.writeHead(200, { "content-type": "application/jrd+json" });
    res.write('{"links":[');
    return; // never finishes
  }
  res.writeHead(404).end();
}

beforeAll(async () => {
  dataDir = prepareDatabase({ MOIETY_ALLOW_PRIVATE_ADDRESSES: "", MOIETY_ORIGIN: "https://moiety.example" });
  af = await import("@/lib/federation/actor-fetch");
  server = await startHttpServer(handle);
});

afterAll(async () => {
  await server?.close();
  removeDir(dataDir);
});

const production = () => ({
  allowPrivate: false,
  trustedOrigins: [server.url],
  // A rebinding name: resolves to loopback.
  resolve: async () => [{ address: "127.0.0.1", family: 4 }],
});
const webfinger = () => new URL(`${server.url}/.well-known/webfinger?resource=acct:bob@social.example`);

describe("WebFinger in production mode", () => {
  it("follows a redirect on the same (public) server, as a control", async () => {
    redirectTo = null;
    expect((await af.webfingerAt(webfinger(), production()))?.href).toBe(`${server.url}/users/bob`);
    redirectTo = `${server.url}/.well-known/webfinger?resource=acct:bob@social.example&again=1`;
    hits = [];
    // The redirect loops back to itself; the hop limit ends it.
    await expect(af.webfingerAt(webfinger(), production())).rejects.toThrow(/redirected too many times/);
    expect(hits.length).toBe(4);
  });

  it("refuses a redirect to every private-address form, before connecting", async () => {
    const port = server.port;
    const targets = [
      `http://[::ffff:7f00:1]:${port}/.well-known/webfinger`,
      `http://[::ffff:127.0.0.1]:${port}/.well-known/webfinger`,
      `http://[64:ff9b::7f00:1]:${port}/.well-known/webfinger`,
      `http://[::1]:${port}/.well-known/webfinger`,
      `http://100.64.0.1:${port}/.well-known/webfinger`,
      `http://169.254.169.254/latest/meta-data`,
      `http://10.0.0.1:${port}/`,
      `http://localhost.:${port}/.well-known/webfinger`,
      `http://localhost:${port}/.well-known/webfinger`,
      `http://LOCALHOST..:${port}/.well-known/webfinger`,
      `http://rebind.example:${port}/.well-known/webfinger`, // resolves to 127.0.0.1
      `file:///etc/passwd`,
    ];
    for (const target of targets) {
      redirectTo = target;
      hits = [];
      const error = await af.webfingerAt(webfinger(), production()).catch((e) => e);
      expect(error?.name, target).toBe("PrivateAddressError");
      expect(hits, target).toEqual([`127.0.0.1:${port}/.well-known/webfinger?resource=acct:bob@social.example`]);
    }
    redirectTo = null;
  });

  it("would have reached the loopback forms had they been allowed (the refusal is what stops them)", async () => {
    const resolve = async () => [{ address: "127.0.0.1", family: 4 }];
    for (const [target, host] of [
      [`http://[::ffff:7f00:1]:${server.port}/.well-known/webfinger`, `[::ffff:7f00:1]:${server.port}`],
      [`http://localhost.:${server.port}/.well-known/webfinger`, `localhost.:${server.port}`],
    ]) {
      redirectTo = target;
      hits = [];
      await af.webfingerAt(webfinger(), { allowPrivate: true, resolve }).catch(() => null);
      expect(hits.some((h) => h.startsWith(host)), `${target}: ${hits.join(", ")}`).toBe(true);
    }
    redirectTo = null;
  });

  it("looks a handle up over https only: an http-only server is not asked over plain http", async () => {
    hits = [];
    const started = Date.now();
    // https on the same port counts as public too, so the TLS attempt really connects (and fails).
    const policy = { ...production(), trustedOrigins: [server.url, `https://127.0.0.1:${server.port}`] };
    const error = await af.webfingerSelf("bob", `127.0.0.1:${server.port}`, policy).catch((e) => e);
    expect(error).toBeInstanceOf(Error);
    // No plain-http request followed the failed TLS attempt.
    expect(hits).toEqual([]);
    expect(Date.now() - started).toBeLessThan(6000);
    // A host that is loopback itself is refused outright.
    const refused = await af.webfingerSelf("bob", `localhost.:${server.port}`, { allowPrivate: false }).catch((e) => e);
    expect(refused.name).toBe("PrivateAddressError");
  });

  it("stops reading an answer past 64 KiB, and gives up on a slow one after about 5 s", async () => {
    const big = await af.webfingerAt(new URL(`${server.url}/big`), production()).catch((e) => e);
    expect(big).toBeInstanceOf(af.LookupError);
    expect(big.message).toMatch(/more than 64 KiB/);

    const started = Date.now();
    const slow = await af.webfingerAt(new URL(`${server.url}/slow`), production()).catch((e) => e);
    const took = Date.now() - started;
    expect(slow).toBeInstanceOf(af.LookupError);
    expect(slow.message).toMatch(/did not answer within 5 s/);
    expect(took).toBeGreaterThanOrEqual(4900);
    expect(took).toBeLessThan(8000);
  }, 20_000);

  it("stops reading an actor document past 64 KiB", async () => {
    const { getDocumentLoader } = await import("@fedify/fedify");
    const loader = getDocumentLoader();
    const error = await af.fetchActor(new URL(`${server.url}/users/big`), { documentLoader: loader, contextLoader: loader }, production()).catch((e) => e);
    expect(error).toBeInstanceOf(af.LookupError);
    expect(error.message).toMatch(/more than 64 KiB/);
  });
});
