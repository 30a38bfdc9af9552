import { FetchError, getDocumentLoader, signRequest, type DocumentLoader, type RemoteDocument } from "@fedify/fedify";
import { env } from "../env";
import { SOFTWARE_VERSION } from "./version";
import { ContextCache } from "./context-cache";
import { SqliteKvStore } from "./kv-store";
import { IN_MEMORY_CONTEXTS, ownContext } from "./preloaded-contexts";
import { nextFetchTimeout } from "./fetch-budget";
import { readCapped } from "./read-capped";
import { safeFetch } from "./safe-fetch";

// Fedify's document loaders (actor, key and object fetches), built on our
// safeFetch. Fedify 1.5's own check misses IPv4-mapped IPv6 literals
// (http://[::ffff:127.0.0.1]/ passes) and resolves names twice; safeFetch
// checks every address and redirect and connects only to what it checked.

const ACCEPT = 'application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams", application/json;q=0.5';
/** Actors, keys and objects: a real one is a few KiB. */
const DOCUMENT_MAX_BYTES = 1024 * 1024;
/** @context documents: the largest in use (schema.org's, preloaded anyway) is about 130 KiB. */
const CONTEXT_MAX_BYTES = 256 * 1024;
/** Per fetch when no budget applies (lib/federation/fetch-budget.ts): an owner's lookup, a delivery's actor. */
const DEFAULT_TIMEOUT_MS = 10_000;

function userAgent(): string {
  return `Moiety/${SOFTWARE_VERSION} (+${env().origin})`;
}

/** The body as text, or a FetchError once it passes `maxBytes` (counted while reading). */
async function readText(response: Response, url: URL, maxBytes: number): Promise<string> {
  const bytes = await readCapped(response, maxBytes);
  if (!bytes) throw new FetchError(url, `${url.href} is larger than ${Math.round(maxBytes / 1024)} KiB`);
  return bytes.toString("utf8");
}

async function readJson(response: Response, url: URL, maxBytes: number): Promise<unknown> {
  const text = await readText(response, url, maxBytes);
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

const preloaded = getDocumentLoader();

const MAX_HOPS = 5;

type LoadOptions = { maxBytes: number; followAlternate: boolean; origin?: string; hops: number };

/**
 * Fetch a JSON-LD document. Redirects (and HTML alternates) must stay on the
 * host first asked: a key or actor document reached through a redirect to
 * another server could otherwise claim to be anyone's (Fedify trusts what a
 * key document says about its owner), and hops are limited.
 */
async function load(url: string, sign: Sign | null, opts: LoadOptions): Promise<RemoteDocument> {
  if (IN_MEMORY_CONTEXTS.has(url)) return ownContext(url) ?? preloaded(url);
  const { maxBytes, followAlternate, hops } = opts;
  const target = new URL(url);
  const host = opts.origin ?? target.host;
  if (target.host !== host) throw new FetchError(target, `${url} is on another server than the document asked for (${host})`);
  if (hops > MAX_HOPS) throw new FetchError(target, `too many redirects fetching ${url}`);
  let request = new Request(target, { headers: { accept: ACCEPT, "user-agent": userAgent() } });
  if (sign) request = await sign(request);
  const headers: Record<string, string> = {};
  request.headers.forEach((v, k) => (headers[k] = v));
  // Redirects are followed here, one hop at a time, so each is checked (and re-signed).
  const response = await safeFetch(target, { headers }, { maxRedirects: 0, timeoutMs: nextFetchTimeout(DEFAULT_TIMEOUT_MS) });
  const finalUrl = new URL(response.url || target.href);
  if ([301, 302, 303, 307, 308].includes(response.status)) {
    const location = response.headers.get("location");
    await response.body?.cancel();
    if (!location) throw new FetchError(target, `${target.href} redirected without a location`);
    return load(new URL(location, target).href, sign, { ...opts, origin: host, hops: hops + 1 });
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new FetchError(target, `HTTP ${response.status}: ${target.href}`);
  }
  const type = response.headers.get("content-type") ?? "";
  if (/text\/html/i.test(type)) {
    if (!followAlternate) {
      await response.body?.cancel();
      throw new FetchError(target, `${target.href} is an HTML page, not an ActivityPub document`);
    }
    const alternate = alternateLink(await readText(response, target, maxBytes), finalUrl);
    if (!alternate) throw new FetchError(target, `${target.href} is an HTML page without an ActivityPub alternate`);
    return load(alternate.href, sign, { ...opts, followAlternate: false, origin: host, hops: hops + 1 });
  }
  return { contextUrl: null, document: await readJson(response, target, maxBytes), documentUrl: finalUrl.href };
}

const DOCUMENT: LoadOptions = { maxBytes: DOCUMENT_MAX_BYTES, followAlternate: true, hops: 0 };

/** Actors, keys and objects, fetched unsigned. */
export function safeDocumentLoader(): DocumentLoader {
  return (url: string) => load(url, null, DOCUMENT);
}

export function safeAuthenticatedDocumentLoader(identity: { keyId: URL; privateKey: CryptoKey }): DocumentLoader {
  return (url: string) => load(url, (request) => signRequest(request, identity.privateKey, identity.keyId), DOCUMENT);
}

const kv = new SqliteKvStore();

/** Shared on globalThis with the inbox's check of the same contexts (lib/federation/inbound/remote-contexts.ts). */
const g = globalThis as unknown as { moietyContextCache?: ContextCache };

/**
 * JSON-LD @context documents: the well-known ones from memory, others
 * fetched (smaller cap, no HTML alternates) and kept (lib/federation/context-cache.ts).
 */
export function safeContextLoader(): DocumentLoader {
  g.moietyContextCache ??= new ContextCache();
  const cache = g.moietyContextCache;
  return (url: string) =>
    IN_MEMORY_CONTEXTS.has(url)
      ? (ownContext(url) ?? preloaded(url))
      : cache.get(url, async (u) => {
          // The inbox loaded it already when it accepted the activity (lib/federation/inbound/remote-contexts.ts).
          const shared = await kv.get<unknown>(["moiety", "context", u]);
          if (shared !== undefined) return { contextUrl: null, document: shared, documentUrl: u };
          return load(u, null, { maxBytes: CONTEXT_MAX_BYTES, followAlternate: false, hops: 0 });
        });
}
