// Pure decisions of the built-in HTTPS: when a certificate must be obtained or
// renewed, how long to wait after a failure, and what the plain-HTTP port
// answers. No I/O and no clock: callers pass `now`.

export type CertificateFacts = {
  notBefore: Date;
  notAfter: Date;
  /** DNS names the certificate covers (subject alternative names, else the common name). */
  names: string[];
};

export type CertificateVerdict =
  | { action: "obtain"; reason: "missing" | "other-name" | "expired" | "unreadable" }
  | { action: "renew"; reason: "due"; renewAt: Date }
  | { action: "keep"; renewAt: Date };

/** Renew once two thirds of the lifetime have passed (Let's Encrypt's 90 days: after 60). */
export function renewalTime(notBefore: Date, notAfter: Date): Date {
  const lifetime = notAfter.getTime() - notBefore.getTime();
  return new Date(notBefore.getTime() + Math.floor((lifetime * 2) / 3));
}

/** Does a certificate name (possibly a wildcard) cover this host? */
export function nameCovers(certName: string, host: string): boolean {
  const name = certName.toLowerCase().replace(/\.$/, "");
  const h = host.toLowerCase().replace(/\.$/, "");
  if (name === h) return true;
  if (name.startsWith("*.")) {
    const rest = name.slice(2);
    const dot = h.indexOf(".");
    return dot > 0 && h.slice(dot + 1) === rest;
  }
  return false;
}

export function certificateVerdict(cert: CertificateFacts | null | "unreadable", domain: string, now: Date): CertificateVerdict {
  if (cert === null) return { action: "obtain", reason: "missing" };
  if (cert === "unreadable") return { action: "obtain", reason: "unreadable" };
  if (!cert.names.some((n) => nameCovers(n, domain))) return { action: "obtain", reason: "other-name" };
  if (now.getTime() >= cert.notAfter.getTime()) return { action: "obtain", reason: "expired" };
  const renewAt = renewalTime(cert.notBefore, cert.notAfter);
  if (now.getTime() >= renewAt.getTime()) return { action: "renew", reason: "due", renewAt };
  return { action: "keep", renewAt };
}

/** Is the certificate still usable for serving (covers the domain, inside its validity)? */
export function servable(cert: CertificateFacts, domain: string, now: Date): boolean {
  return cert.names.some((n) => nameCovers(n, domain)) && now >= cert.notBefore && now < cert.notAfter;
}

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/**
 * Wait after the n-th failed attempt in a row (n >= 1): 5, 10, 20, 40, then
 * every 60 minutes. Let's Encrypt allows 5 failed validations per hostname and
 * hour; this stays below it while still retrying soon after a DNS fix.
 */
export function retryDelay(failures: number): number {
  const n = Math.max(1, Math.floor(failures));
  return Math.min(HOUR, 5 * MINUTE * 2 ** (n - 1));
}

export const CHALLENGE_PREFIX = "/.well-known/acme-challenge/";

export type HttpRoute =
  | { kind: "challenge"; token: string }
  | { kind: "redirect"; status: 301 | 308; location: string }
  | { kind: "bad-request" };

/**
 * What the plain-HTTP listener does with a request: answer an ACME HTTP-01
 * challenge, or send the client to the same path on the public https origin.
 * The redirect target is built from the configured origin, never from the
 * Host header, so it cannot be pointed elsewhere. GET/HEAD get 301 as
 * browsers expect; other methods get 308, which keeps the method and body.
 */
export function routeHttpRequest(method: string | undefined, rawUrl: string | undefined, origin: string): HttpRoute {
  const url = rawUrl ?? "/";
  if (!url.startsWith("/")) return { kind: "bad-request" };
  const pathOnly = url.split("?")[0];
  if (pathOnly.startsWith(CHALLENGE_PREFIX)) {
    const token = pathOnly.slice(CHALLENGE_PREFIX.length);
    if (/^[A-Za-z0-9_-]+$/.test(token) && (method === "GET" || method === "HEAD")) return { kind: "challenge", token };
  }
  const status = method === "GET" || method === "HEAD" ? 301 : 308;
  return { kind: "redirect", status, location: origin.replace(/\/$/, "") + url };
}
