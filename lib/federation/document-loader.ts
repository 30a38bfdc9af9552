import { FetchError, getDocumentLoader, signRequest, type DocumentLoader, type RemoteDocument } from "@fedify/fedify";
import { env } from "../env";
import { SOFTWARE_VERSION } from "./version";
import { safeFetch } from "./safe-fetch";

// Fedify's document loaders (actor, key and object fetches), built on our
// safeFetch. Fedify 1.5's own check misses IPv4-mapped IPv6 literals
// (http://[::ffff:127.0.0.1]/ passes) and resolves names twice; safeFetch
// checks every address and redirect and connects only to what it checked.

const ACCEPT = 'application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams", application/json;q=0.5';
const MAX_BYTES = 1024 * 1024;

function userAgent(): string {
  return `Moiety/${SOFTWARE_VERSION} (+${env().origin})`;
}

async function readJson(response: Response, url: URL): Promise<unknown> {
  const declared = Number(response.headers.get("content-length") ?? "0");
  if (declared > MAX_BYTES) throw new FetchError(url, `${url.href} is larger than 1 MiB`);
  const text = await response.text();
  if (text.length > MAX_BYTES) throw new FetchError(url, `${url.href} is larger than 1 MiB`);
  try {
    return JSON.parse(text);
  } catch {
    throw new FetchError(url, `${url.href} did not answer with JSON`);
  }
}

/** An HTML page may point at its ActivityPub form (<link rel="alternate" type="application/activity+json">). */
function alternateLink(html: string, base: URL): URL | null {
  for (const tag of html.match(/<link\b[^>]*>/gi) ?? []) {
    if (!/\brel=["']?alternate\b/i.test(tag) || !/\btype=["']?application\/(activity|ld)\+json/i.test(tag)) continue;
    const href = /\bhref=["']([^"']+)["']/i.exec(tag)?.[1];
    if (href) return new URL(href.replace(/&amp;/g, "&"), base);
  }
  return null;
}

type Sign = (request: Request) => Promise<Request>;

// JSON-LD contexts Fedify ships preloaded (the keys of its runtime/contexts.js):
// served from memory by Fedify's own loader, never fetched. Every other URL —
// objects and unknown @context documents alike — goes through safeFetch.
const PRELOADED_CONTEXTS = new Set([
  "https://www.w3.org/ns/activitystreams",
  "https://w3id.org/security/v1",
  "https://w3id.org/security/data-integrity/v1",
  "https://www.w3.org/ns/did/v1",
  "https://w3id.org/security/multikey/v1",
  "https://w3id.org/identity/v1",
  "https://purl.archive.org/socialweb/webfinger",
  "http://schema.org/",
  "https://gotosocial.org/ns",
]);
const preloaded = getDocumentLoader();

const MAX_HOPS = 5;

/**
 * Fetch a JSON-LD document. Redirects (and HTML alternates) must stay on the
 * host first asked: a key or actor document reached through a redirect to
 * another server could otherwise claim to be anyone's (Fedify trusts what a
 * key document says about its owner), and hops are limited.
 */
async function load(url: string, sign: Sign | null, followAlternate = true, origin?: string, hops = 0): Promise<RemoteDocument> {
  if (PRELOADED_CONTEXTS.has(url)) return preloaded(url);
  const target = new URL(url);
  const host = origin ?? target.host;
  if (target.host !== host) throw new FetchError(target, `${url} is on another server than the document asked for (${host})`);
  if (hops > MAX_HOPS) throw new FetchError(target, `too many redirects fetching ${url}`);
  let request = new Request(target, { headers: { accept: ACCEPT, "user-agent": userAgent() } });
  if (sign) request = await sign(request);
  const headers: Record<string, string> = {};
  request.headers.forEach((v, k) => (headers[k] = v));
  // Redirects are followed here, one hop at a time, so each is checked (and re-signed).
  const response = await safeFetch(target, { headers }, { maxRedirects: 0, timeoutMs: 10_000 });
  const finalUrl = new URL(response.url || target.href);
  if ([301, 302, 303, 307, 308].includes(response.status)) {
    const location = response.headers.get("location");
    await response.body?.cancel();
    if (!location) throw new FetchError(target, `${target.href} redirected without a location`);
    return load(new URL(location, target).href, sign, followAlternate, host, hops + 1);
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new FetchError(target, `HTTP ${response.status}: ${target.href}`);
  }
  const type = response.headers.get("content-type") ?? "";
  if (/text\/html/i.test(type)) {
    const alternate = followAlternate ? alternateLink(await response.text(), finalUrl) : null;
    if (!alternate) throw new FetchError(target, `${target.href} is an HTML page without an ActivityPub alternate`);
    return load(alternate.href, sign, false, host, hops + 1);
  }
  return { contextUrl: null, document: await readJson(response, target), documentUrl: finalUrl.href };
}

export function safeDocumentLoader(): DocumentLoader {
  return (url: string) => load(url, null);
}

export function safeAuthenticatedDocumentLoader(identity: { keyId: URL; privateKey: CryptoKey }): DocumentLoader {
  return (url: string) => load(url, (request) => signRequest(request, identity.privateKey, identity.keyId));
}
