import { isActor, Object as ASObject, signRequest, type Actor, type DocumentLoader } from "@fedify/fedify";
import { env } from "../env";
import { loadKeyPairs } from "./keys";
import { INSTANCE_ACTOR, keyId } from "./paths";
import { readCapped } from "./read-capped";
import { safeFetch, type Resolver } from "./safe-fetch";
import { SOFTWARE_VERSION } from "./version";

// Handle look-ups (WebFinger) and actor documents, fetched by us rather than by
// Fedify: every hop goes through safeFetch (address checks, pinned
// connections), within a time budget and a byte cap counted while reading.
// And a document only speaks for its own server: an actor whose `id` names
// another server than the one that served it is not believed (issue 11: a
// fetched "actor" claiming a contact's id replaced that contact's inbox).

/** Whole budget for one document, redirects and body included. */
export const LOOKUP_TIMEOUT_MS = 5_000;
/** A WebFinger answer or an actor document is a few KiB; this is generous. */
export const LOOKUP_MAX_BYTES = 64 * 1024;
const MAX_HOPS = 3;

/**
 * Why a look-up failed, in words for the owner. `transient`: the server was
 * slow or failing (a timeout, 5xx, 429), so asking again later may work; an
 * inbox activity waiting on it is retried rather than dropped.
 */
export class LookupError extends Error {
  readonly transient: boolean;
  constructor(message: string, opts: { transient?: boolean } = {}) {
    super(message);
    this.name = "LookupError";
    this.transient = opts.transient ?? false;
  }
}

const transientStatus = (status: number) => status === 429 || status >= 500;

/** The document claims to be an account on another server than the one that served it. */
export class ForeignIdentityError extends LookupError {
  constructor() {
    super("That server's answer claims to be a different account — not added.");
    this.name = "ForeignIdentityError";
  }
}

export type FetchPolicy = {
  /** Defaults to MOIETY_ALLOW_PRIVATE_ADDRESSES. */
  allowPrivate?: boolean;
  /**
   * Origins fetched even when private addresses are not allowed. Only tests
   * use it, to stand a loopback server in for a public one; a redirect to any
   * other origin is checked as usual.
   */
  trustedOrigins?: string[];
  resolve?: Resolver;
  timeoutMs?: number;
  maxBytes?: number;
};

type Fetched = { status: number; type: string; text: string; finalUrl: URL };

async function readText(response: Response, maxBytes: number, url: URL): Promise<string> {
  const bytes = await readCapped(response, maxBytes);
  if (!bytes) throw new LookupError(`${url.host} sent more than ${Math.round(maxBytes / 1024)} KiB for an account description; not read.`);
  return new TextDecoder().decode(bytes);
}

/**
 * GET `url`, following up to MAX_HOPS redirects one at a time: each hop is
 * checked by safeFetch and, when `sign`, signed again for its own URL
 * (servers in authorized-fetch mode want a signature on actor fetches).
 */
async function getDocument(url: URL, accept: string, sign: boolean, policy: FetchPolicy): Promise<Fetched> {
  const timeoutMs = policy.timeoutMs ?? LOOKUP_TIMEOUT_MS;
  const signal = AbortSignal.timeout(timeoutMs);
  const allowPrivate = policy.allowPrivate ?? env().allowPrivateAddresses;
  let target = url;
  try {
    for (let hop = 0; ; hop++) {
      let request = new Request(target, { headers: { accept, "user-agent": `Moiety/${SOFTWARE_VERSION} (+${env().origin})` } });
      if (sign) {
        const [rsa] = await loadKeyPairs("instance");
        if (rsa) request = await signRequest(request, rsa.privateKey, new URL(keyId(INSTANCE_ACTOR)));
      }
      const headers: Record<string, string> = {};
      request.headers.forEach((v, k) => (headers[k] = v));
      const response = await safeFetch(
        target,
        { headers, signal },
        {
          maxRedirects: 0,
          timeoutMs,
          resolve: policy.resolve,
          allowPrivate: allowPrivate || (policy.trustedOrigins ?? []).includes(target.origin),
        },
      );
      const location = response.headers.get("location");
      if ([301, 302, 303, 307, 308].includes(response.status) && location !== null) {
        await response.body?.cancel();
        if (hop >= MAX_HOPS) throw new LookupError(`${url.host} redirected too many times.`);
        const next = new URL(location, target);
        // No downgrade from https to plain http, except where plain http is allowed at all.
        if (target.protocol === "https:" && next.protocol !== "https:" && !allowPrivate) {
          throw new LookupError(`${url.host} redirected to an insecure address.`);
        }
        target = next;
        continue;
      }
      const text = response.ok ? await readText(response, policy.maxBytes ?? LOOKUP_MAX_BYTES, target) : (await response.body?.cancel(), "");
      return { status: response.status, type: response.headers.get("content-type") ?? "", text, finalUrl: target };
    }
  } catch (error) {
    if (signal.aborted && !(error instanceof LookupError) && (error as Error)?.name !== "PrivateAddressError") {
      throw new LookupError(`${target.host} did not answer within ${Math.round(timeoutMs / 1000)} s.`, { transient: true });
    }
    throw error;
  }
}

function parseJson(text: string, url: URL): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new LookupError(`${url.host} did not answer with a valid account description.`);
  }
}

const ACTIVITY_JSON = 'application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams", application/json;q=0.5';
const SELF_TYPE = /^application\/(activity\+json|ld\+json\s*;\s*profile="https:\/\/www\.w3\.org\/ns\/activitystreams")$/;

/**
 * The actor URL WebFinger gives for `user@host` (its `self` link), or null
 * when the server says there is no such account. Plain http is tried only
 * when https cannot be reached and private addresses are allowed (tests,
 * a LAN), never in production.
 */
export async function webfingerSelf(user: string, host: string, policy: FetchPolicy = {}): Promise<URL | null> {
  const allowPrivate = policy.allowPrivate ?? env().allowPrivateAddresses;
  const path = `/.well-known/webfinger?resource=${encodeURIComponent(`acct:${user}@${host}`)}`;
  try {
    return await webfingerAt(new URL(`https://${host}${path}`), policy);
  } catch (error) {
    const network = !(error instanceof LookupError) && (error as Error)?.name !== "PrivateAddressError";
    if (!(allowPrivate && network)) throw error;
    return webfingerAt(new URL(`http://${host}${path}`), policy);
  }
}

/** The `self` link of the WebFinger answer at `url` (redirects followed, each hop checked), or null. */
export async function webfingerAt(url: URL, policy: FetchPolicy = {}): Promise<URL | null> {
  const fetched = await getDocument(url, "application/jrd+json, application/json;q=0.5", false, policy);
  if (fetched.status === 404 || fetched.status === 410) return null;
  if (fetched.status < 200 || fetched.status > 299) {
    throw new LookupError(`${url.host} answered the address look-up with HTTP ${fetched.status}.`, { transient: transientStatus(fetched.status) });
  }
  const jrd = parseJson(fetched.text, fetched.finalUrl) as { links?: unknown };
  const links = Array.isArray(jrd?.links) ? jrd.links : [];
  for (const link of links as { rel?: unknown; type?: unknown; href?: unknown }[]) {
    if (link?.rel !== "self" || typeof link.type !== "string" || typeof link.href !== "string" || !SELF_TYPE.test(link.type)) continue;
    try {
      const href = new URL(link.href);
      if (href.protocol === "https:" || href.protocol === "http:") return href;
    } catch {
      // not a URL: try the next link
    }
  }
  return null;
}

/** An HTML page may point at its ActivityPub form; only one on the same server counts. */
function alternateLink(html: string, base: URL): URL | null {
  for (const tag of html.match(/<link\b[^>]*>/gi) ?? []) {
    if (!/\brel=["']?alternate\b/i.test(tag) || !/\btype=["']?application\/(activity|ld)\+json/i.test(tag)) continue;
    const href = /\bhref=["']([^"']+)["']/i.exec(tag)?.[1];
    if (!href) continue;
    const url = new URL(href.replace(/&amp;/g, "&"), base);
    if (url.origin === base.origin) return url;
  }
  return null;
}

export type Loaders = { documentLoader: DocumentLoader; contextLoader: DocumentLoader };

/** One actor document as served: the actor it describes and the URL that served it. */
async function fetchActorDocument(url: URL, loaders: Loaders, policy: FetchPolicy): Promise<{ actor: Actor; servedBy: URL }> {
  let fetched = await getDocument(url, ACTIVITY_JSON, true, policy);
  if (fetched.status >= 200 && fetched.status < 300 && /text\/html/i.test(fetched.type)) {
    const alternate = alternateLink(fetched.text, fetched.finalUrl);
    if (!alternate) throw new LookupError(`${url.href} is a web page, not an account.`);
    fetched = await getDocument(alternate, ACTIVITY_JSON, true, policy);
  }
  if (fetched.status === 404 || fetched.status === 410) throw new LookupError(`No account found at ${url.href}.`);
  if (fetched.status < 200 || fetched.status > 299) {
    throw new LookupError(`${url.host} answered with HTTP ${fetched.status}.`, { transient: transientStatus(fetched.status) });
  }
  const json = parseJson(fetched.text, fetched.finalUrl);
  let object;
  try {
    object = await ASObject.fromJsonLd(json, loaders);
  } catch {
    throw new LookupError(`${url.host} did not answer with a valid account description.`);
  }
  if (!isActor(object) || !object.id) throw new LookupError(`${url.href} is not an account.`);
  return { actor: object, servedBy: fetched.finalUrl };
}

export type VerifiedActor = {
  actor: Actor & { id: URL };
  /** Where the accepted document came from: always the origin of actor.id. */
  source: URL;
  /** Where the first document came from (after redirects), before any refetch by id. */
  firstServedBy: URL;
};

/**
 * Fetch the actor at `url` and accept it only if it speaks for itself: its
 * `id` must be on the origin that served it. A document whose id is another
 * URL is not taken at its word: that id is fetched, and its own answer is
 * used only if it gives the same id (an alias or profile URL on the same
 * server resolves this way). Throws ForeignIdentityError otherwise.
 */
export async function fetchActor(url: URL, loaders: Loaders, policy: FetchPolicy = {}): Promise<VerifiedActor> {
  const first = await fetchActorDocument(url, loaders, policy);
  const id = first.actor.id!;
  const selfDescribed = id.origin === first.servedBy.origin && (id.href === first.servedBy.href || id.href === url.href);
  if (selfDescribed) return { actor: first.actor as VerifiedActor["actor"], source: first.servedBy, firstServedBy: first.servedBy };
  let second;
  try {
    second = await fetchActorDocument(id, loaders, policy);
  } catch {
    throw new ForeignIdentityError();
  }
  if (second.actor.id?.href !== id.href || id.origin !== second.servedBy.origin) throw new ForeignIdentityError();
  return { actor: second.actor as VerifiedActor["actor"], source: second.servedBy, firstServedBy: first.servedBy };
}
