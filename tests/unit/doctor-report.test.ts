import { describe, expect, it } from "vitest";
import { buildReport, explainFetchFailure, formatReport, type DoctorFacts } from "@/lib/federation/self-check";
import { isPrivateAddress } from "@/lib/federation/safe-fetch";

const now = new Date("2026-05-01T12:00:00Z");
const origin = "https://social.example";
const actorUrl = `${origin}/users/alice`;

/** A healthy public instance; each test breaks one thing. */
function healthy(): DoctorFacts {
  return {
    origin,
    now,
    username: "alice",
    dns: { kind: "resolved", a: ["93.184.215.14"], aaaa: ["2606:2800:21f::7"], hostsFile: [] },
    tls: {
      connected: true,
      authorized: true,
      names: ["social.example"],
      subject: "social.example",
      issuer: "Let's Encrypt E6",
      notBefore: new Date("2026-04-01T00:00:00Z"),
      notAfter: new Date("2026-06-30T00:00:00Z"),
    },
    webfinger: { ok: true, status: 200, json: { subject: "acct:alice@social.example", links: [{ rel: "self", type: "application/activity+json", href: actorUrl }] }, date: now },
    actor: { ok: true, status: 200, json: { id: actorUrl, inbox: `${actorUrl}/inbox`, publicKey: { id: `${actorUrl}#main-key` } }, url: actorUrl, date: now },
    nodeinfo: { ok: true, status: 200, json: { version: "2.1", software: { name: "moiety", version: "0.1.0" } }, date: now },
    queue: { queuedDeliveries: 0, oldestQueuedDelivery: null, failedDeliveries: 0, queueMessages: 0, oldestQueueMessage: null },
  };
}

const check = (facts: DoctorFacts, name: string) => buildReport(facts).checks.find((c) => c.name === name)!;

describe("buildReport", () => {
  it("is all good for a healthy public instance", () => {
    const r = buildReport(healthy());
    expect(r.ok).toBe(true);
    expect(r.checks.map((c) => [c.name, c.status])).toEqual([
      ["Address", "ok"],
      ["DNS", "ok"],
      ["HTTPS", "ok"],
      ["WebFinger", "ok"],
      ["Actor", "ok"],
      ["NodeInfo", "ok"],
      ["Clock", "ok"],
      ["Queue", "ok"],
    ]);
    expect(check(healthy(), "DNS").detail).toBe("social.example → 93.184.215.14, 2606:2800:21f::7");
    expect(check(healthy(), "Address").detail).toContain("@alice@social.example");
    expect(formatReport(r)).toMatch(/All good\.$/);
  });

  it("calls an http origin a problem and says how to get https", () => {
    const f = { ...healthy(), origin: "http://127.0.0.1:3000", dns: { kind: "ip" as const }, tls: null };
    const r = buildReport(f);
    expect(r.ok).toBe(false);
    const https = r.checks.find((c) => c.name === "HTTPS")!;
    expect(https).toMatchObject({ status: "problem", detail: "http://127.0.0.1:3000 is not https" });
    expect(https.fix).toMatch(/MOIETY_DOMAIN/);
    expect(r.checks.find((c) => c.name === "Address")!.status).toBe("problem");
    expect(r.checks.find((c) => c.name === "DNS")!.status).toBe("skipped");
  });

  it("for localhost asks for a real domain, not for a DNS record", () => {
    const f = { ...healthy(), origin: "http://localhost:3000", dns: { kind: "resolved" as const, a: [], aaaa: [], hostsFile: ["127.0.0.1"] }, tls: null };
    const r = buildReport(f);
    const address = r.checks.find((c) => c.name === "Address")!;
    expect(address.status).toBe("problem");
    expect(address.fix).toMatch(/MOIETY_DOMAIN=social\.example/);
    expect(address.fix).toMatch(/MOIETY_ORIGIN=https:\/\/social\.example/);
    const dns = r.checks.find((c) => c.name === "DNS")!;
    expect(dns).toMatchObject({ status: "skipped", detail: "localhost is a local name that other servers cannot look up; see Address" });
    expect(formatReport(r)).not.toMatch(/record for localhost|DNS provider/);
  });

  it("reports missing and private DNS answers with a fix", () => {
    const none = check({ ...healthy(), dns: { kind: "resolved", a: [], aaaa: [], hostsFile: [], error: "ENOTFOUND" } }, "DNS");
    expect(none.status).toBe("problem");
    expect(none.fix).toMatch(/add an A record/);
    const priv = check({ ...healthy(), dns: { kind: "resolved", a: ["192.168.1.20"], aaaa: [], hostsFile: [] } }, "DNS");
    expect(priv).toMatchObject({ status: "problem" });
    expect(priv.fix).toMatch(/public IP address/);
    const mixed = check({ ...healthy(), dns: { kind: "resolved", a: ["93.184.215.14", "10.0.0.5"], aaaa: [], hostsFile: [] } }, "DNS");
    expect(mixed.status).toBe("warn");
    const hosts = check({ ...healthy(), dns: { kind: "resolved", a: [], aaaa: [], hostsFile: ["127.0.0.1"] } }, "DNS");
    expect(hosts.status).toBe("problem");
  });

  it("explains an unreachable port 443", () => {
    const c = check({ ...healthy(), tls: { connected: false, error: "connect ECONNREFUSED", code: "ECONNREFUSED" } }, "HTTPS");
    expect(c.status).toBe("problem");
    expect(c.detail).toBe("port 443 of social.example refused the connection");
    expect(c.fix).toMatch(/-p 443:443/);
    const t = check({ ...healthy(), tls: { connected: false, error: "timed out", code: "ETIMEDOUT" } }, "HTTPS");
    expect(t.detail).toBe("port 443 of social.example is not reachable from here (timed out)");
    expect(t.fix).toMatch(/firewall/);
  });

  it("explains refused certificates", () => {
    const base = healthy().tls as Extract<DoctorFacts["tls"], { connected: true }>;
    const expired = check({ ...healthy(), tls: { ...base, authorized: false, authorizationError: "CERT_HAS_EXPIRED" } }, "HTTPS");
    expect(expired.status).toBe("problem");
    expect(expired.fix).toMatch(/expired on 2026-06-30/);
    const other = check({ ...healthy(), tls: { ...base, names: ["other.example"], authorized: false, authorizationError: "ERR_TLS_CERT_ALTNAME_INVALID" } }, "HTTPS");
    expect(other.fix).toMatch(/is for other.example, not social.example/);
    const staging = check({ ...healthy(), tls: { ...base, issuer: "(STAGING) Let's Encrypt", authorized: false, authorizationError: "UNABLE_TO_GET_ISSUER_CERT_LOCALLY" } }, "HTTPS");
    expect(staging.fix).toMatch(/MOIETY_ACME_DIRECTORY/);
  });

  it("warns when renewal is overdue and fails shortly before expiry", () => {
    const base = healthy().tls as Extract<DoctorFacts["tls"], { connected: true }>;
    // 90-day certificate: renewal from day 60; day 63 is overdue.
    const overdue = { ...healthy(), now: new Date("2026-06-03T00:00:00Z"), tls: { ...base } };
    overdue.webfinger = { ...healthy().webfinger!, date: overdue.now } as DoctorFacts["webfinger"];
    expect(check(overdue, "HTTPS").status).toBe("warn");
    const soon = { ...overdue, now: new Date("2026-06-28T00:00:00Z") };
    soon.webfinger = { ...healthy().webfinger!, date: soon.now } as DoctorFacts["webfinger"];
    expect(check(soon, "HTTPS").status).toBe("problem");
  });

  it("says what to do when WebFinger or the actor fail", () => {
    const wf = check({ ...healthy(), webfinger: { ok: false, status: 404, error: "Not Found" } }, "WebFinger");
    expect(wf.status).toBe("problem");
    expect(wf.fix).toMatch(/reverse proxy forwards \/\.well-known\//);
    expect(check({ ...healthy(), webfinger: { ok: false, status: 404, error: "" } }, "Actor").status).toBe("skipped");
    const actor = check({ ...healthy(), actor: { ok: true, status: 200, json: "<html>", url: actorUrl } }, "Actor");
    expect(actor.status).toBe("problem");
    expect(actor.fix).toMatch(/Accept header/);
    const moved = check({ ...healthy(), webfinger: { ok: true, status: 200, json: { links: [{ rel: "self", type: "application/activity+json", href: "https://old.example/users/alice" }] } } }, "Actor");
    expect(moved).toMatchObject({ status: "problem" });
    const noOwner = buildReport({ ...healthy(), username: null, webfinger: undefined, actor: undefined });
    expect(noOwner.checks.find((c) => c.name === "WebFinger")!.fix).toMatch(/setup URL/);
  });

  it("measures clock skew from the Date header", () => {
    const at = (s: number) => new Date(now.getTime() + s * 1000);
    const f = (s: number) => ({ ...healthy(), webfinger: { ...healthy().webfinger!, date: at(s) } as DoctorFacts["webfinger"] });
    expect(check(f(2), "Clock").status).toBe("ok");
    expect(check(f(-45), "Clock")).toMatchObject({ status: "warn", detail: "the server's clock is 45 s behind this machine's" });
    const bad = check(f(600), "Clock");
    expect(bad).toMatchObject({ status: "problem", detail: "the server's clock is 600 s ahead of this machine's" });
    expect(bad.fix).toMatch(/NTP/);
  });

  it("reports the queue backlog", () => {
    const q = (over: Partial<Extract<DoctorFacts["queue"], { queuedDeliveries: number }>>) => ({
      ...healthy(),
      queue: { queuedDeliveries: 0, oldestQueuedDelivery: null, failedDeliveries: 0, queueMessages: 0, oldestQueueMessage: null, ...over },
    });
    expect(check(q({ queuedDeliveries: 3, oldestQueuedDelivery: new Date(now.getTime() - 60_000) }), "Queue")).toMatchObject({
      status: "ok",
      detail: "3 deliveries waiting, 0 failed, 0 incoming activities to process",
    });
    expect(check(q({ queuedDeliveries: 2, oldestQueuedDelivery: new Date(now.getTime() - 3 * 3600_000) }), "Queue").status).toBe("warn");
    expect(check(q({ queuedDeliveries: 2, oldestQueuedDelivery: new Date(now.getTime() - 30 * 3600_000) }), "Queue").status).toBe("problem");
    const stuck = check(q({ queueMessages: 5, oldestQueueMessage: new Date(now.getTime() - 3600_000) }), "Queue");
    expect(stuck.status).toBe("problem");
    expect(stuck.fix).toMatch(/not being processed/);
    expect(check({ ...healthy(), queue: { error: "SQLITE_CANTOPEN" } }, "Queue").status).toBe("problem");
  });
});

describe("helpers", () => {
  it("knows private addresses", () => {
    for (const ip of ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.0.1", "169.254.1.1", "100.64.0.1", "::1", "fd00::1", "fe80::1", "::ffff:192.168.1.1"]) {
      expect(isPrivateAddress(ip), ip).toBe(true);
    }
    for (const ip of ["93.184.215.14", "8.8.8.8", "172.32.0.1", "2606:2800:21f::1"]) expect(isPrivateAddress(ip), ip).toBe(false);
  });
  it("turns connection errors into plain words", () => {
    expect(explainFetchFailure({ ok: false, error: "x", code: "ENOTFOUND" }, origin, "WebFinger").fix).toMatch(/A \(IPv4\)/);
    expect(explainFetchFailure({ ok: false, status: 502, error: "Bad Gateway" }, origin, "WebFinger")).toMatchObject({
      detail: "WebFinger answered HTTP 502: Bad Gateway",
    });
  });
  it("prints one line per check, a fix under each problem, and a total", () => {
    const text = formatReport(buildReport({ ...healthy(), origin: "http://127.0.0.1:3000", dns: { kind: "ip" }, tls: null }));
    expect(text).toMatch(/^✗ HTTPS +http:\/\/127\.0\.0\.1:3000 is not https$/m);
    expect(text).toMatch(/^ +Fix: Mastodon and other servers only talk to https/m);
    expect(text).toMatch(/\d problems found\.$/);
  });
});
