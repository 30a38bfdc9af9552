import { describePublicAddress } from "../domain/public-address";
import { DAY, HOUR, MINUTE, renewalTime } from "../server/tls-policy";
import { isPrivateAddress } from "./safe-fetch";

// The self-check behind `moiety doctor` and the wizard's "Check my address":
// look at the instance from the outside, through its public origin (DNS →
// TLS → HTTP), the way another server would, and say in plain words what is
// wrong and what to do. This file judges (pure, unit-tested: buildReport);
// self-check-facts.ts gathers (DNS, TLS, HTTP, the database).

export type Status = "ok" | "warn" | "problem" | "skipped";
export type Check = { name: string; status: Status; detail: string; fix?: string };
export type Report = { origin: string; checks: Check[]; ok: boolean };

/** What a fetch of one document found: the parsed JSON, or why there is none. */
export type FetchResult =
  | { ok: true; status: number; json: unknown; date?: Date }
  | { ok: false; status?: number; error: string; code?: string; date?: Date };

export type TlsFacts =
  | { connected: false; error: string; code?: string }
  | {
      connected: true;
      authorized: boolean;
      authorizationError?: string;
      subject?: string;
      names: string[];
      issuer?: string;
      notBefore?: Date;
      notAfter?: Date;
    };

export type DnsFacts =
  | { kind: "ip" }
  | { kind: "resolved"; a: string[]; aaaa: string[]; hostsFile: string[]; error?: string };

export type QueueFacts =
  | { error: string }
  | {
      queuedDeliveries: number;
      oldestQueuedDelivery: Date | null;
      failedDeliveries: number;
      queueMessages: number;
      oldestQueueMessage: Date | null;
    };

export type DoctorFacts = {
  origin: string;
  now: Date;
  /** The owner's username; null before setup. */
  username: string | null;
  dns: DnsFacts;
  /** null when the origin is http:// */
  tls: TlsFacts | null;
  webfinger?: FetchResult;
  actor?: FetchResult & { url?: string };
  nodeinfo?: FetchResult;
  queue: QueueFacts;
};


export function hostAndPort(origin: string): { host: string; hostname: string; port: number; https: boolean } {
  const u = new URL(origin);
  const https = u.protocol === "https:";
  return { host: u.host, hostname: u.hostname.replace(/^\[|\]$/g, ""), port: Number(u.port || (https ? 443 : 80)), https };
}

/** A plain-language reason and fix for a failed connection or request. */
export function explainFetchFailure(r: Extract<FetchResult, { ok: false }>, origin: string, what: string): { detail: string; fix: string } {
  const { hostname, port } = hostAndPort(origin);
  const code = r.code ?? "";
  if (code === "ECONNREFUSED") {
    return {
      detail: `port ${port} of ${hostname} refused the connection`,
      fix: `Nothing listens on port ${port} there. Check that Moiety (or your reverse proxy) is running, that the port is published (docker run -p ${port}:${port}) and forwarded by your router or firewall.`,
    };
  }
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") {
    return { detail: `${hostname} does not resolve`, fix: `Add an A (IPv4) and/or AAAA (IPv6) DNS record for ${hostname} that points at this server's public address.` };
  }
  if (code === "ETIMEDOUT" || code === "UND_ERR_CONNECT_TIMEOUT" || code === "TIMEOUT" || code === "EHOSTUNREACH" || code === "ENETUNREACH") {
    return {
      detail: `port ${port} of ${hostname} is not reachable from here (${code === "EHOSTUNREACH" ? "no route to host" : code === "ENETUNREACH" ? "network unreachable" : "timed out"})`,
      fix: `Open port ${port} in the firewall and forward it to this machine. If this check runs inside your own network, your router may not support "hairpin NAT": try from outside (a phone without Wi-Fi).`,
    };
  }
  if (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code)) {
    return { detail: `the HTTPS certificate was refused (${code})`, fix: "See the HTTPS check above." };
  }
  if (r.status !== undefined) {
    return {
      detail: `${what} answered HTTP ${r.status}${r.error ? `: ${r.error}` : ""}`,
      fix:
        r.status === 404
          ? "The address answers but not with Moiety's documents: check that MOIETY_ORIGIN is the address people use, and that your reverse proxy forwards /.well-known/ and /users/ to Moiety."
          : r.status >= 500
            ? "Moiety or the reverse proxy in front of it failed: look at its log (docker logs moiety)."
            : "Check that your reverse proxy passes requests to Moiety unchanged.",
    };
  }
  return { detail: `${what} failed: ${r.error}`, fix: "Check that the server is running and reachable at its public address." };
}

export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

function ago(from: Date, now: Date): string {
  const ms = now.getTime() - from.getTime();
  if (ms < 2 * HOUR) return plural(Math.max(1, Math.round(ms / MINUTE)), "minute");
  if (ms < 2 * DAY) return plural(Math.round(ms / HOUR), "hour");
  return plural(Math.round(ms / DAY), "day");
}

export function jrdSelf(json: unknown): string | undefined {
  const links = (json as { links?: { rel?: string; type?: string; href?: string }[] })?.links ?? [];
  return links.find((l) => l.rel === "self" && /activity\+json|ld\+json/.test(l.type ?? ""))?.href;
}

/** Pure: the checks and their verdicts from what was observed. */
export function buildReport(f: DoctorFacts): Report {
  const checks: Check[] = [];
  const { hostname, port, https } = hostAndPort(f.origin);
  const handle = f.username ? `@${f.username}@${new URL(f.origin).host}` : null;

  // Address: is it a public https address at all?
  const address = describePublicAddress(f.origin);
  const local = address.warnings.find((w) => w.code === "local");
  checks.push(
    local
      ? { name: "Address", status: "problem", detail: `${f.origin} is not a public address`, fix: local.message }
      : { name: "Address", status: "ok", detail: handle ? `${f.origin} (your handle: ${handle})` : f.origin },
  );

  // DNS
  if (f.dns.kind === "ip") {
    checks.push({ name: "DNS", status: "skipped", detail: `${hostname} is an IP address; nothing to look up` });
  } else if (local) {
    // No DNS record can make "localhost" public: the fix is a real domain (see Address), not a record.
    checks.push({ name: "DNS", status: "skipped", detail: `${hostname} is a local name that other servers cannot look up; see Address` });
  } else {
    const answers = [...f.dns.a, ...f.dns.aaaa];
    if (answers.length === 0 && f.dns.hostsFile.length === 0) {
      checks.push({
        name: "DNS",
        status: "problem",
        detail: `${hostname} has no A or AAAA record${f.dns.error ? ` (${f.dns.error})` : ""}`,
        fix: `At your domain's DNS provider, add an A record (and an AAAA record if you have IPv6) for ${hostname} pointing at this server's public IP address. New records can take a few minutes to appear.`,
      });
    } else if (answers.length === 0) {
      checks.push({
        name: "DNS",
        status: "problem",
        detail: `${hostname} → ${f.dns.hostsFile.join(", ")} only through this machine's hosts file; public DNS has no record`,
        fix: `Other servers use public DNS: add an A/AAAA record for ${hostname} at your DNS provider.`,
      });
    } else {
      const privates = answers.filter(isPrivateAddress);
      checks.push(
        privates.length === answers.length
          ? {
              name: "DNS",
              status: "problem",
              detail: `${hostname} → ${answers.join(", ")}: only private addresses`,
              fix: `Point the DNS record for ${hostname} at this server's public IP address; ${privates.join(", ")} cannot be reached from the internet.`,
            }
          : privates.length > 0
            ? {
                name: "DNS",
                status: "warn",
                detail: `${hostname} → ${answers.join(", ")}; ${privates.join(", ")} ${privates.length === 1 ? "is" : "are"} private`,
                fix: `Remove the DNS records with private addresses (${privates.join(", ")}); servers that pick one of them cannot reach you.`,
              }
            : { name: "DNS", status: "ok", detail: `${hostname} → ${answers.join(", ")}` },
      );
    }
  }

  // TLS
  if (!https || f.tls === null) {
    checks.push({
      name: "HTTPS",
      status: "problem",
      detail: `${f.origin} is not https`,
      fix:
        "Mastodon and other servers only talk to https:// addresses. Run the container with MOIETY_DOMAIN=your.domain " +
        "(Moiety then gets its own certificate), or put a reverse proxy that terminates HTTPS in front and set MOIETY_ORIGIN=https://your.domain.",
    });
  } else if (!f.tls.connected) {
    const { detail, fix } = explainFetchFailure({ ok: false, error: f.tls.error, code: f.tls.code }, f.origin, "TLS");
    checks.push({ name: "HTTPS", status: "problem", detail, fix });
  } else if (!f.tls.authorized) {
    const err = f.tls.authorizationError ?? "not trusted";
    const names = f.tls.names.join(", ") || f.tls.subject || "?";
    const fix =
      err === "CERT_HAS_EXPIRED"
        ? `The certificate expired on ${f.tls.notAfter?.toISOString().slice(0, 10)}. Renewal failed: look for "HTTPS:" lines in the log (docker logs moiety); port 80 must be reachable for renewal.`
        : err === "ERR_TLS_CERT_ALTNAME_INVALID" || /altname|hostname/i.test(err)
          ? `The certificate is for ${names}, not ${hostname}. Set MOIETY_DOMAIN=${hostname} (built-in HTTPS) or fix the certificate in your reverse proxy.`
          : /SELF_SIGNED|UNABLE_TO_GET_ISSUER|UNABLE_TO_VERIFY/.test(err)
            ? `The certificate (issued by ${f.tls.issuer ?? "?"}) is not from a publicly trusted authority. If MOIETY_ACME_DIRECTORY points at a staging or test server, remove it to use Let's Encrypt.`
            : "Other servers will refuse this certificate; replace it with one from a public authority (MOIETY_DOMAIN does that for you).";
    checks.push({ name: "HTTPS", status: "problem", detail: `the certificate is refused (${err})`, fix });
  } else {
    const left = f.tls.notAfter ? f.tls.notAfter.getTime() - f.now.getTime() : Infinity;
    const expires = f.tls.notAfter ? `expires ${f.tls.notAfter.toISOString().slice(0, 10)} (in ${ago(f.now, new Date(f.now.getTime() + left))})` : "";
    const overdue = f.tls.notBefore && f.tls.notAfter && f.now.getTime() > renewalTime(f.tls.notBefore, f.tls.notAfter).getTime() + 2 * DAY;
    const detail = `valid certificate for ${f.tls.names.join(", ") || f.tls.subject} from ${f.tls.issuer ?? "?"}, ${expires}`;
    if (left < 3 * DAY) {
      checks.push({ name: "HTTPS", status: "problem", detail, fix: 'The certificate is about to expire and was not renewed: look for "HTTPS:" lines in the log; port 80 must be reachable from the internet for renewal.' });
    } else if (overdue) {
      checks.push({ name: "HTTPS", status: "warn", detail, fix: 'The certificate should have been renewed by now: look for "HTTPS:" lines in the log; port 80 must be reachable from the internet for renewal.' });
    } else {
      checks.push({ name: "HTTPS", status: "ok", detail });
    }
  }

  // WebFinger → actor
  if (!f.username) {
    checks.push({ name: "WebFinger", status: "problem", detail: "no owner yet", fix: "Finish the setup: open the setup URL printed in the log (docker logs moiety), or run `moiety setup`." });
    checks.push({ name: "Actor", status: "skipped", detail: "no owner yet" });
  } else if (!f.webfinger) {
    checks.push({ name: "WebFinger", status: "skipped", detail: "not checked" });
    checks.push({ name: "Actor", status: "skipped", detail: "not checked" });
  } else if (!f.webfinger.ok) {
    const { detail, fix } = explainFetchFailure(f.webfinger, f.origin, "WebFinger");
    checks.push({ name: "WebFinger", status: "problem", detail: `${handle} cannot be looked up: ${detail}`, fix });
    checks.push({ name: "Actor", status: "skipped", detail: "needs WebFinger" });
  } else {
    const self = jrdSelf(f.webfinger.json);
    if (!self) {
      checks.push({ name: "WebFinger", status: "problem", detail: `the answer for ${handle} has no link to an actor`, fix: "Something in front of Moiety rewrote the answer; check the reverse proxy." });
      checks.push({ name: "Actor", status: "skipped", detail: "needs WebFinger" });
    } else {
      checks.push({ name: "WebFinger", status: "ok", detail: `${handle} → ${self}` });
      if (!new URL(self).href.startsWith(f.origin + "/")) {
        checks.push({ name: "Actor", status: "problem", detail: `WebFinger points at ${self}, outside ${f.origin}`, fix: "MOIETY_ORIGIN differs from the address the instance was set up with; set it back (see the warning at start)." });
      } else if (!f.actor) {
        checks.push({ name: "Actor", status: "skipped", detail: "not checked" });
      } else if (!f.actor.ok) {
        const { detail, fix } = explainFetchFailure(f.actor, f.origin, "the actor");
        checks.push({ name: "Actor", status: "problem", detail, fix });
      } else {
        const a = f.actor.json as { id?: string; inbox?: string; publicKey?: unknown };
        if (a?.id !== self || !a.inbox || !a.publicKey) {
          checks.push({ name: "Actor", status: "problem", detail: `${self} did not answer with an actor document`, fix: "Make sure your reverse proxy forwards the Accept header and does not cache /users/ pages." });
        } else {
          checks.push({ name: "Actor", status: "ok", detail: `${self} (inbox ${a.inbox})` });
        }
      }
    }
  }

  // NodeInfo
  if (!f.nodeinfo) {
    checks.push({ name: "NodeInfo", status: "skipped", detail: "not checked" });
  } else if (!f.nodeinfo.ok) {
    const { detail, fix } = explainFetchFailure(f.nodeinfo, f.origin, "NodeInfo");
    checks.push({ name: "NodeInfo", status: "problem", detail, fix });
  } else {
    const n = f.nodeinfo.json as { software?: { name?: string; version?: string }; version?: string };
    checks.push(
      n?.software?.name
        ? { name: "NodeInfo", status: "ok", detail: `${n.software.name} ${n.software.version ?? ""} (NodeInfo ${n.version ?? "?"})`.replace(/\s+\(/, " (") }
        : { name: "NodeInfo", status: "problem", detail: "the NodeInfo document has no software name", fix: "Check that /.well-known/nodeinfo and /nodeinfo/ reach Moiety through your reverse proxy." },
    );
  }

  // Clock: the Date header of the public address against this machine's clock.
  const date = [f.webfinger, f.actor, f.nodeinfo].find((r) => r?.date)?.date;
  if (!date) {
    checks.push({ name: "Clock", status: "skipped", detail: "no Date header seen" });
  } else {
    const skew = Math.round((date.getTime() - f.now.getTime()) / 1000);
    const detail = skew === 0 ? "in step with this machine" : `the server's clock is ${Math.abs(skew)} s ${skew > 0 ? "ahead of" : "behind"} this machine's`;
    const fix = "Signed messages carry the time; servers refuse them when clocks differ by much. Turn on time synchronisation (NTP) on the host: `timedatectl set-ntp true`.";
    checks.push(
      Math.abs(skew) >= 300
        ? { name: "Clock", status: "problem", detail, fix }
        : Math.abs(skew) >= 30
          ? { name: "Clock", status: "warn", detail, fix }
          : { name: "Clock", status: "ok", detail },
    );
  }

  // Queue
  if ("error" in f.queue) {
    checks.push({ name: "Queue", status: "problem", detail: `the database cannot be read: ${f.queue.error}`, fix: "Run doctor where the server runs (docker exec moiety moiety doctor), with the same MOIETY_DATA_DIR." });
  } else {
    const q = f.queue;
    const parts = [
      `${plural(q.queuedDeliveries, "delivery", "deliveries")} waiting`,
      `${q.failedDeliveries} failed`,
      `${plural(q.queueMessages, "incoming activity", "incoming activities")} to process`,
    ];
    const oldDelivery = q.oldestQueuedDelivery && f.now.getTime() - q.oldestQueuedDelivery.getTime();
    const oldInbound = q.oldestQueueMessage && f.now.getTime() - q.oldestQueueMessage.getTime();
    if (oldInbound && oldInbound > 15 * MINUTE) {
      checks.push({
        name: "Queue",
        status: "problem",
        detail: `${parts.join(", ")}; the oldest incoming activity has waited ${ago(q.oldestQueueMessage!, f.now)}`,
        fix: "Incoming messages are not being processed. Is the server running (docker ps)? Restart it and look for errors in the log.",
      });
    } else if (oldDelivery && oldDelivery > DAY) {
      checks.push({
        name: "Queue",
        status: "problem",
        detail: `${parts.join(", ")}; the oldest has waited ${ago(q.oldestQueuedDelivery!, f.now)}`,
        fix: "Some servers have not accepted your messages for a day. `moiety dm show <conversation>` shows each recipient's state and the last error; if nothing is delivered at all, check that the server runs and can reach the internet.",
      });
    } else if (oldDelivery && oldDelivery > HOUR) {
      checks.push({
        name: "Queue",
        status: "warn",
        detail: `${parts.join(", ")}; the oldest has waited ${ago(q.oldestQueuedDelivery!, f.now)}`,
        fix: "Usually the other server is down for a while; Moiety keeps retrying. `moiety dm show <conversation>` shows the last error per recipient.",
      });
    } else {
      checks.push({ name: "Queue", status: "ok", detail: parts.join(", ") });
    }
  }

  return { origin: f.origin, checks, ok: checks.every((c) => c.status !== "problem") };
}

const MARK: Record<Status, string> = { ok: "✓", warn: "!", problem: "✗", skipped: "-" };

export function formatReport(r: Report): string {
  const width = Math.max(...r.checks.map((c) => c.name.length));
  const lines = [`Moiety doctor: ${r.origin}, as other servers see it`, ""];
  for (const c of r.checks) {
    lines.push(`${MARK[c.status]} ${c.name.padEnd(width)}  ${c.detail}`);
    if (c.fix && c.status !== "ok") lines.push(`  ${"".padEnd(width)}  Fix: ${c.fix}`);
  }
  const problems = r.checks.filter((c) => c.status === "problem").length;
  const warnings = r.checks.filter((c) => c.status === "warn").length;
  lines.push("", problems === 0 ? `All good${warnings ? ` (${plural(warnings, "warning")})` : ""}.` : `${plural(problems, "problem")} found${warnings ? `, ${plural(warnings, "warning")}` : ""}.`);
  return lines.join("\n");
}
