import { lookup as dnsLookup } from "node:dns/promises";
import type { LookupAddress } from "node:dns";
import http from "node:http";
import https from "node:https";
import { isIP, type LookupFunction } from "node:net";
import { Readable } from "node:stream";
import { env } from "../env";

// SSRF protection for requests this server makes on behalf of others: an
// inbox URL, a key id or a redirect target comes from a remote document, and
// must not make us talk to our own loopback, the LAN or a cloud metadata
// service. Every hop is checked, and the connection goes to exactly the
// addresses that were checked (see pinnedLookup), so a DNS answer that
// changes between check and connect (DNS rebinding) cannot steer it elsewhere.

/** The URL is not http(s), or its host is (or resolves to) a non-public address. */
export class PrivateAddressError extends Error {
  constructor(message: string) {
    super(message);
    // Checked by name, not instanceof: Next may load this module more than once.
    this.name = "PrivateAddressError";
  }
}

/** safeFetch gave up waiting (timeoutMs). */
export class FetchTimeoutError extends Error {
  constructor(ms: number, url: URL) {
    super(`No answer from ${url.host} within ${ms} ms`);
    this.name = "TimeoutError";
  }
}

// ─── address classification ──────────────────────────────────────────────────

type V4Range = [a: number, b: number, c: number, d: number, prefix: number];

// IPv4 space is fully allocated, so list what is not public (IANA special-purpose registry).
const PRIVATE_V4: V4Range[] = [
  [0, 0, 0, 0, 8], // "this network", 0.0.0.0
  [10, 0, 0, 0, 8], // private
  [100, 64, 0, 0, 10], // carrier-grade NAT
  [127, 0, 0, 0, 8], // loopback
  [169, 254, 0, 0, 16], // link-local (cloud metadata lives at 169.254.169.254)
  [172, 16, 0, 0, 12], // private
  [192, 0, 0, 0, 24], // IETF protocol assignments
  [192, 0, 2, 0, 24], // documentation
  [192, 88, 99, 0, 24], // 6to4 relay anycast (deprecated)
  [192, 168, 0, 0, 16], // private
  [198, 18, 0, 0, 15], // benchmarking
  [198, 51, 100, 0, 24], // documentation
  [203, 0, 113, 0, 24], // documentation
  [224, 0, 0, 0, 4], // multicast
  [240, 0, 0, 0, 4], // reserved, and 255.255.255.255 broadcast
];

function v4ToInt(b: number[]): number {
  return ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
}

function isPrivateV4(bytes: number[]): boolean {
  const ip = v4ToInt(bytes);
  return PRIVATE_V4.some(([a, b, c, d, prefix]) => {
    const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
    return ((ip & mask) >>> 0) === ((v4ToInt([a, b, c, d]) & mask) >>> 0);
  });
}

function parseV4(s: string): number[] | null {
  if (isIP(s) !== 4) return null;
  return s.split(".").map(Number);
}

/** Eight 16-bit groups, or null. Accepts "::", an embedded dotted IPv4 tail and a %zone. */
function parseV6(input: string): number[] | null {
  let s = input.replace(/%.*$/, "");
  if (isIP(s) !== 6) return null;
  if (s.includes(".")) {
    // Rewrite the dotted tail as two hex groups: ::ffff:127.0.0.1 → ::ffff:7f00:1.
    const cut = s.lastIndexOf(":") + 1;
    const v4 = parseV4(s.slice(cut));
    if (!v4) return null;
    s = s.slice(0, cut) + `${((v4[0] << 8) | v4[1]).toString(16)}:${((v4[2] << 8) | v4[3]).toString(16)}`;
  }
  const parse = (part: string) => (part === "" ? [] : part.split(":").map((h) => parseInt(h, 16)));
  const halves = s.split("::");
  if (halves.length === 1) {
    const groups = parse(s);
    return groups.length === 8 ? groups : null;
  }
  const left = parse(halves[0]);
  const right = parse(halves[1]);
  const missing = 8 - left.length - right.length;
  return missing >= 1 ? [...left, ...new Array<number>(missing).fill(0), ...right] : null;
}

function embeddedV4(hi: number, lo: number): number[] {
  return [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff];
}

function isPrivateV6(g: number[]): boolean {
  const zero = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  // ::/96 holds ::, ::1 and the deprecated IPv4-compatible form (::a.b.c.d): never public.
  if (zero(0, 6)) return true;
  // IPv4-mapped ::ffff:a.b.c.d — the IPv4 address is what a dual-stack socket reaches.
  if (zero(0, 5) && g[5] === 0xffff) return isPrivateV4(embeddedV4(g[6], g[7]));
  // IPv4-translated ::ffff:0:a.b.c.d (SIIT).
  if (zero(0, 4) && g[4] === 0xffff && g[5] === 0) return isPrivateV4(embeddedV4(g[6], g[7]));
  // NAT64 64:ff9b::a.b.c.d reaches the IPv4 address through a translator.
  if (g[0] === 0x64 && g[1] === 0xff9b && zero(2, 6)) return isPrivateV4(embeddedV4(g[6], g[7]));
  // 6to4 2002:aabb:ccdd::/48 tunnels to IPv4 aa.bb.cc.dd.
  if (g[0] === 0x2002) return isPrivateV4(embeddedV4(g[1], g[2]));
  // Default deny: only global unicast 2000::/3 is public. This excludes
  // link-local fe80::/10, unique-local fc00::/7, multicast ff00::/8,
  // discard 100::/64, local NAT64 64:ff9b:1::/48, SRv6 5f00::/16, ...
  if ((g[0] & 0xe000) !== 0x2000) return true;
  if (g[0] === 0x2001 && g[1] < 0x0200) return true; // 2001::/23 IETF assignments (Teredo, ORCHID, ...)
  if (g[0] === 0x2001 && g[1] === 0x0db8) return true; // 2001:db8::/32 documentation
  if (g[0] === 0x3fff && g[1] < 0x1000) return true; // 3fff::/20 documentation
  return false;
}

/**
 * Whether a literal IP address is anything but a public unicast address.
 * Not an IP address at all (a host name, garbage) counts as private: callers
 * use this to decide whether to connect, so unknown means no.
 */
export function isPrivateAddress(ip: string): boolean {
  const bare = ip.trim().replace(/^\[(.*)\]$/, "$1");
  const v4 = parseV4(bare);
  if (v4) return isPrivateV4(v4);
  const v6 = parseV6(bare);
  if (v6) return isPrivateV6(v6);
  return true;
}

// ─── URL checks ──────────────────────────────────────────────────────────────

export type Resolver = (hostname: string) => Promise<LookupAddress[]>;

const systemResolver: Resolver = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

type CheckOptions = { allowPrivate?: boolean; resolve?: Resolver; signal?: AbortSignal };

/**
 * Check a URL and resolve its host. Returns the addresses to connect to (null
 * for a literal IP, which needs no lookup). Throws PrivateAddressError when
 * the URL must not be fetched, and the resolver's error (ENOTFOUND, ...) when
 * the name does not resolve — that one is a network failure, not a refusal.
 */
async function checkUrl(url: URL, opts: CheckOptions): Promise<LookupAddress[] | null> {
  const allowPrivate = opts.allowPrivate ?? env().allowPrivateAddresses;
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new PrivateAddressError(`Refusing ${url.protocol} URL ${url.href}: only http and https are fetched`);
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1").replace(/\.+$/, "").toLowerCase();
  if (isIP(host)) {
    if (!allowPrivate && isPrivateAddress(host)) {
      throw new PrivateAddressError(`Refusing ${url.href}: ${host} is not a public address`);
    }
    return null;
  }
  // RFC 6761: these never leave the machine, whatever DNS says.
  if (!allowPrivate && (host === "localhost" || host.endsWith(".localhost"))) {
    throw new PrivateAddressError(`Refusing ${url.href}: ${host} is this machine`);
  }
  const addresses = await abortable((opts.resolve ?? systemResolver)(host), opts.signal);
  if (addresses.length === 0) {
    throw Object.assign(new Error(`${host} has no address`), { code: "ENOTFOUND" });
  }
  if (!allowPrivate) {
    const bad = addresses.find((a) => isPrivateAddress(a.address));
    if (bad) throw new PrivateAddressError(`Refusing ${url.href}: ${host} resolves to ${bad.address}, which is not a public address`);
  }
  return addresses;
}

/**
 * Throw PrivateAddressError unless `url` is http(s) and every address of its
 * host is public. `allowPrivate` defaults to MOIETY_ALLOW_PRIVATE_ADDRESSES.
 * Checking alone does not stop DNS rebinding: fetch with safeFetch, which
 * connects to the checked addresses.
 */
export async function assertPublicUrl(url: URL | string, opts: { allowPrivate?: boolean; resolve?: Resolver } = {}): Promise<void> {
  await checkUrl(toUrl(url), opts);
}

function toUrl(url: URL | string): URL {
  try {
    return new URL(url);
  } catch {
    throw new PrivateAddressError(`Refusing "${String(url)}": not a valid URL`);
  }
}

// ─── fetching ────────────────────────────────────────────────────────────────

export type SafeFetchInit = {
  method?: string;
  headers?: HeadersInit;
  body?: string | Uint8Array | ArrayBuffer | null;
  signal?: AbortSignal;
};

export type SafeFetchOptions = {
  /** Let requests reach loopback/private addresses. Defaults to MOIETY_ALLOW_PRIVATE_ADDRESSES. */
  allowPrivate?: boolean;
  /** Redirects to follow for GET and HEAD (default 5). Other methods never follow one. */
  maxRedirects?: number;
  /** Give up after this long, from the first lookup to the end of the body (default 10 s). */
  timeoutMs?: number;
  /** Name resolution; the system resolver by default. Tests use it to map names to loopback. */
  resolve?: Resolver;
};

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

/**
 * fetch() with SSRF protection. Answers with a standard Response; a redirect
 * that is not followed (POST, or past maxRedirects) is returned as it is, like
 * fetch's redirect: "manual" but readable. The final URL is in response.url.
 */
export async function safeFetch(input: URL | string, init: SafeFetchInit = {}, opts: SafeFetchOptions = {}): Promise<Response> {
  let url = toUrl(input);
  let method = (init.method ?? "GET").toUpperCase();
  // Never re-send a body to wherever a redirect points (an inbox POST must
  // reach the inbox it was signed for, or fail).
  const maxRedirects = method === "GET" || method === "HEAD" ? (opts.maxRedirects ?? 5) : 0;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = init.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
  const headers = headerObject(init.headers);
  let body = init.body ?? null;

  try {
    for (let hop = 0; ; hop++) {
      const addresses = await checkUrl(url, { allowPrivate: opts.allowPrivate, resolve: opts.resolve, signal });
      const response = await requestOnce(url, method, headers, body, addresses, signal);
      const location = response.headers.get("location");
      if (!REDIRECTS.has(response.status) || location === null || hop >= maxRedirects) return response;
      await response.body?.cancel();
      const next = new URL(location, url);
      if (next.origin !== url.origin) {
        // Credentials meant for one server are not handed to the next.
        for (const name of ["authorization", "cookie", "signature"]) delete headers[name];
      }
      delete headers.host; // set from the new URL
      if (response.status === 303 && method !== "HEAD") {
        method = "GET";
        body = null;
      }
      url = next;
    }
  } catch (error) {
    if (timeout.aborted && !(error instanceof PrivateAddressError)) throw new FetchTimeoutError(timeoutMs, url);
    throw error;
  }
}

function headerObject(init: HeadersInit | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  new Headers(init).forEach((value, name) => {
    out[name] = value;
  });
  return out;
}

/**
 * A `lookup` for net.connect that answers only with addresses we already
 * checked. Node calls it instead of DNS when it opens the socket; without it
 * Node would resolve the name a second time, and a rebinding DNS server could
 * answer 127.0.0.1 then. TLS still verifies the certificate against the host
 * name, since only the address lookup is replaced.
 */
function pinnedLookup(addresses: LookupAddress[]): LookupFunction {
  return (_hostname, options, callback) => {
    const family = options.family === "IPv4" ? 4 : options.family === "IPv6" ? 6 : options.family;
    const usable = family ? addresses.filter((a) => a.family === family) : addresses;
    if (usable.length === 0) {
      callback(Object.assign(new Error(`no IPv${family} address was checked`), { code: "ENOTFOUND" }), "", 0);
    } else if (options.all) {
      callback(null, usable);
    } else {
      callback(null, usable[0].address, usable[0].family);
    }
  };
}

function requestOnce(
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: string | Uint8Array | ArrayBuffer | null,
  addresses: LookupAddress[] | null,
  signal: AbortSignal,
): Promise<Response> {
  return new Promise<Response>((resolve, reject) => {
    const payload = body === null ? null : typeof body === "string" ? Buffer.from(body) : Buffer.from(body as ArrayBuffer);
    const reqHeaders = { ...headers };
    if (payload) reqHeaders["content-length"] = String(payload.length);
    const request = (url.protocol === "https:" ? https : http).request(
      url,
      {
        method,
        headers: reqHeaders,
        signal,
        // No connection pool: a pooled socket opened for another request
        // (perhaps with different address rules) must not be reused.
        agent: false,
        ...(addresses ? { lookup: pinnedLookup(addresses) } : {}),
      },
      (res) => {
        const status = res.statusCode ?? 0;
        if (status < 200 || status > 599) {
          res.destroy();
          reject(new Error(`${url.host} answered with HTTP status ${status}`));
          return;
        }
        const responseHeaders = new Headers();
        for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) responseHeaders.append(res.rawHeaders[i], res.rawHeaders[i + 1]);
        const noBody = NULL_BODY.has(status) || method === "HEAD";
        if (noBody) res.resume();
        const response = new Response(noBody ? null : (Readable.toWeb(res) as unknown as ReadableStream<Uint8Array>), {
          status,
          statusText: res.statusMessage,
          headers: responseHeaders,
        });
        Object.defineProperty(response, "url", { value: url.href });
        resolve(response);
      },
    );
    request.on("error", reject);
    request.end(payload ?? undefined);
  });
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
