import dns from "node:dns";
import { isIP } from "node:net";
import tls from "node:tls";
import { hostAndPort, jrdSelf, type DnsFacts, type DoctorFacts, type FetchResult, type QueueFacts, type TlsFacts } from "./self-check";

// What `moiety doctor` and the wizard's "Check my address" judge
// (self-check.ts, buildReport), gathered from the outside through the public
// origin, the way another server would see it, plus the queue and the owner
// from the database.

const TIMEOUT_MS = 10_000;

function errorCode(err: unknown): string | undefined {
  const e = err as { code?: string; cause?: { code?: string; cause?: { code?: string } }; name?: string };
  if (e?.name === "TimeoutError" || e?.name === "AbortError") return "TIMEOUT";
  return e?.cause?.code ?? e?.cause?.cause?.code ?? e?.code;
}

async function fetchJson(url: string, accept: string): Promise<FetchResult> {
  try {
    const res = await fetch(url, { headers: { accept, "user-agent": "Moiety doctor" }, redirect: "follow", signal: AbortSignal.timeout(TIMEOUT_MS) });
    const dateHeader = res.headers.get("date");
    const date = dateHeader ? new Date(dateHeader) : undefined;
    const text = await res.text();
    if (!res.ok) return { ok: false, status: res.status, error: text.slice(0, 120).replace(/\s+/g, " ").trim(), date };
    try {
      return { ok: true, status: res.status, json: JSON.parse(text), date };
    } catch {
      return { ok: false, status: res.status, error: "the answer is not JSON", date };
    }
  } catch (err) {
    const code = errorCode(err);
    const cause = (err as { cause?: { message?: string } }).cause?.message;
    return { ok: false, error: cause ?? (err instanceof Error ? err.message : String(err)), code };
  }
}

async function gatherDns(hostname: string): Promise<DnsFacts> {
  if (isIP(hostname)) return { kind: "ip" };
  const settle = async (p: Promise<string[]>) => p.catch((err: NodeJS.ErrnoException) => (err.code === "ENODATA" || err.code === "ENOTFOUND" ? [] : Promise.reject(err)));
  try {
    const [a, aaaa] = await Promise.all([settle(dns.promises.resolve4(hostname)), settle(dns.promises.resolve6(hostname))]);
    const hostsFile = a.length + aaaa.length > 0 ? [] : await dns.promises.lookup(hostname, { all: true }).then((l) => l.map((x) => x.address), () => []);
    return { kind: "resolved", a, aaaa, hostsFile };
  } catch (err) {
    const hostsFile = await dns.promises.lookup(hostname, { all: true }).then((l) => l.map((x) => x.address), () => []);
    return { kind: "resolved", a: [], aaaa: [], hostsFile, error: (err as NodeJS.ErrnoException).code ?? String(err) };
  }
}

function gatherTls(hostname: string, port: number): Promise<TlsFacts> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: hostname, port, servername: isIP(hostname) ? undefined : hostname, rejectUnauthorized: false, timeout: TIMEOUT_MS });
    const done = (facts: TlsFacts) => {
      socket.destroy();
      resolve(facts);
    };
    socket.once("timeout", () => done({ connected: false, error: "timed out", code: "ETIMEDOUT" }));
    socket.once("error", (err: NodeJS.ErrnoException) => done({ connected: false, error: err.message, code: err.code }));
    socket.once("secureConnect", () => {
      const c = socket.getPeerCertificate();
      const names = (c.subjectaltname ?? "").split(",").map((s) => s.trim()).filter((s) => s.startsWith("DNS:")).map((s) => s.slice(4));
      const issuer = c.issuer ? [c.issuer.O, c.issuer.CN].filter(Boolean).join(" ") : undefined;
      done({
        connected: true,
        authorized: socket.authorized,
        // Node sets the verification error's code here (a string, despite the typings).
        authorizationError: socket.authorizationError ? String(socket.authorizationError) : undefined,
        subject: [c.subject?.CN].flat()[0],
        names,
        issuer,
        notBefore: c.valid_from ? new Date(c.valid_from) : undefined,
        notAfter: c.valid_to ? new Date(c.valid_to) : undefined,
      });
    });
  });
}

async function gatherQueue(): Promise<QueueFacts> {
  try {
    const { db } = await import("../db");
    const d = db();
    const [queued, failed, messages, accepted] = await Promise.all([
      d.delivery.aggregate({ where: { state: "queued" }, _count: { _all: true }, _min: { createdAt: true } }),
      d.delivery.count({ where: { state: "failed" } }),
      d.queueMessage.aggregate({ _count: { _all: true }, _min: { availableAt: true } }),
      // Accepted by the front but not yet applied by its worker (lib/federation/inbound/worker.ts).
      d.inboxActivity.aggregate({ where: { doneAt: null }, _count: { _all: true }, _min: { receivedAt: true } }),
    ]);
    const oldest = [messages._min.availableAt, accepted._min.receivedAt].filter((t): t is Date => t !== null);
    return {
      queuedDeliveries: queued._count._all,
      oldestQueuedDelivery: queued._min.createdAt,
      failedDeliveries: failed,
      queueMessages: messages._count._all + accepted._count._all,
      oldestQueueMessage: oldest.length ? new Date(Math.min(...oldest.map((t) => t.getTime()))) : null,
    };
  } catch (err) {
    return { error: err instanceof Error ? err.message.split("\n")[0] : String(err) };
  }
}

async function gatherOwner(): Promise<string | null> {
  try {
    const { getOwner } = await import("../domain/owner");
    return (await getOwner())?.username ?? null;
  } catch {
    return null;
  }
}

export async function gatherFacts(origin: string): Promise<DoctorFacts> {
  const { host, hostname, port, https } = hostAndPort(origin);
  const [username, dnsFacts, tlsFacts, queue] = await Promise.all([
    gatherOwner(),
    gatherDns(hostname),
    https ? gatherTls(hostname, port) : Promise.resolve(null),
    gatherQueue(),
  ]);
  const facts: DoctorFacts = { origin, now: new Date(), username, dns: dnsFacts, tls: tlsFacts, queue };
  const jrd = "application/jrd+json, application/json";
  const [webfinger, nodeinfoIndex] = await Promise.all([
    username ? fetchJson(`${origin}/.well-known/webfinger?resource=${encodeURIComponent(`acct:${username}@${host}`)}`, jrd) : Promise.resolve(undefined),
    fetchJson(`${origin}/.well-known/nodeinfo`, "application/json"),
  ]);
  facts.webfinger = webfinger;
  const self = webfinger?.ok ? jrdSelf(webfinger.json) : undefined;
  if (self && self.startsWith(origin + "/")) {
    facts.actor = { ...(await fetchJson(self, "application/activity+json")), url: self };
  }
  if (nodeinfoIndex.ok) {
    const links = (nodeinfoIndex.json as { links?: { rel?: string; href?: string }[] })?.links ?? [];
    const link = links.filter((l) => /nodeinfo\.diaspora\.software\/ns\/schema\/2\./.test(l.rel ?? "")).sort((a, b) => (b.rel ?? "").localeCompare(a.rel ?? ""))[0];
    facts.nodeinfo = link?.href ? await fetchJson(link.href, "application/json") : { ok: false, status: nodeinfoIndex.status, error: "no NodeInfo 2.x link" };
  } else {
    facts.nodeinfo = nodeinfoIndex;
  }
  facts.now = new Date();
  return facts;
}

