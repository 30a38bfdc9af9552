import { createHash, generateKeyPair, generateKeyPairSync, sign as rsaSign, type KeyObject } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { promisify } from "node:util";
import { getDocumentLoader, importJwk, signRequest, verifyRequest } from "@fedify/fedify";

// A fake remote server ("test peer") on 127.0.0.1 for integration tests: it
// hosts actors with real RSA-2048 keys, serves their actor documents, key
// documents and WebFinger, answers inbox POSTs with 202, records every request
// it receives (so a test can see what Moiety delivered), and signs and POSTs
// activities to a Moiety inbox with draft-cavage HTTP signatures — correctly,
// or tampered in the ways a hostile or broken server would.

export type RecordedRequest = {
  method: string;
  /** Path and query as received. */
  url: string;
  /** Header names lowercased; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** The raw header list, name/value pairs, as received (for verification). */
  rawHeaders: string[];
  body: string;
  at: number;
};

export type PeerActorOptions = {
  /** Display name; defaults to the user name capitalised. */
  name?: string;
  /**
   * Where the key lives: `fragment` → `ACTOR#main-key` inside the actor
   * document (Mastodon, Misskey, Pleroma); `path` → `ACTOR/main-key`, where
   * a stub of the actor with just its key is served too (GoToSocial).
   */
  keyStyle?: "fragment" | "path";
  /** The actor document answers 410 Gone (the account was deleted). */
  gone?: boolean;
  /** Actor type; Person unless told. */
  type?: string;
};

export type PeerActor = {
  username: string;
  id: string;
  inbox: string;
  followers: string;
  keyId: string;
  publicKeyPem: string;
  privateKey: KeyObject;
  /** Fedify's CryptoKey form of the private key (for signRequest). */
  cryptoKey: CryptoKey;
  handle: string;
  options: PeerActorOptions;
};

export type SignOptions = {
  /** Send without any Signature header. */
  unsigned?: boolean;
  /** `cavage` (hand-rolled, the default) or `fedify` (Fedify's own signRequest). */
  signer?: "cavage" | "fedify";
  /** The algorithm parameter of the Signature header (hand-rolled only). */
  algorithm?: "rsa-sha256" | "hs2019";
  /** Replace the body after it was digested and signed. */
  bodyAfterSigning?: string;
  /** The Digest header to send instead of the correct one; null → no Digest header (and not signed). */
  digest?: string | null;
  /** Shift the Date header (and the signed date) by this many ms. */
  dateOffsetMs?: number;
  /** Sign with this key instead of the actor's published one. */
  signingKey?: KeyObject;
  /** Put this keyId in the Signature header instead of the actor's. */
  keyId?: string;
  /** Signed header list (hand-rolled only); defaults to `(request-target) host date digest content-type`. */
  headers?: string[];
  /** Content-Type of the POST. */
  contentType?: string;
};

export type PostResult = { status: number; headers: http.IncomingHttpHeaders; body: string };

const AS = "https://www.w3.org/ns/activitystreams";
const SECURITY = "https://w3id.org/security/v1";

/** A fresh RSA-2048 key pair, with the private key also in the JWK (alg RS256) form Fedify imports. */
export async function generateRsaKey(): Promise<{ privateKey: KeyObject; publicKeyPem: string; cryptoKey: CryptoKey }> {
  // Off the event loop (libuv's pool), so a server starting meanwhile is not held up.
  const { privateKey, publicKey } = await promisify(generateKeyPair)("rsa", { modulusLength: 2048 });
  const jwk = { ...(privateKey.export({ format: "jwk" }) as JsonWebKey), alg: "RS256" };
  const cryptoKey = await importJwk(jwk, "private");
  return { privateKey, publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(), cryptoKey };
}

function digestOf(body: string | Buffer): string {
  return `SHA-256=${createHash("sha256").update(body).digest("base64")}`;
}

/** The terms of Pleroma's litepub context (/schemas/litepub-0.1.jsonld) that its activities use. */
export const LITEPUB_TERMS = {
  Emoji: "toot:Emoji",
  Hashtag: "as:Hashtag",
  PropertyValue: "schema:PropertyValue",
  atomUri: "ostatus:atomUri",
  conversation: { "@id": "ostatus:conversation", "@type": "@id" },
  directMessage: "litepub:directMessage",
  litepub: "http://litepub.social/ns#",
  ChatMessage: "litepub:ChatMessage",
  EmojiReact: "litepub:EmojiReact",
  capabilities: "litepub:capabilities",
  ostatus: "http://ostatus.org#",
  schema: "http://schema.org#",
  toot: "http://joinmastodon.org/ns#",
  misskey: "https://misskey-hub.net/ns#",
  sensitive: "as:sensitive",
  value: "schema:value",
};

/**
 * A minimal litepub context as Pleroma serves it at /schemas/litepub-0.1.jsonld,
 * so JSON-LD processing of a Pleroma-shaped activity needs nothing from the internet.
 */
function litepubContext(): unknown {
  return { "@context": [AS, SECURITY, LITEPUB_TERMS] };
}

export class Peer {
  readonly requests: RecordedRequest[] = [];
  readonly actors = new Map<string, PeerActor>();
  /** Status to answer inbox POSTs with (202 unless a test changes it). */
  inboxStatus = 202;
  /** Extra documents served as application/activity+json at their path (e.g. a key document). */
  readonly documents = new Map<string, unknown>();
  /** How long each of those documents takes to arrive, like a busy server's. */
  documentDelayMs = 0;
  /** Paths whose GETs are never answered (a hung server), until removed; takes precedence over `documents`. */
  readonly hanging = new Set<string>();
  /** GETs of hanging paths open right now, and the most open at once. */
  hangingOpen = 0;
  hangingPeak = 0;
  private server!: http.Server;
  url = "";
  host = "";

  static async start(): Promise<Peer> {
    const peer = new Peer();
    peer.server = http.createServer((req, res) => void peer.handle(req, res));
    await new Promise<void>((resolve) => peer.server.listen(0, "127.0.0.1", resolve));
    const { port } = peer.server.address() as AddressInfo;
    peer.url = `http://127.0.0.1:${port}`;
    peer.host = `127.0.0.1:${port}`;
    return peer;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }

  /** Host an actor at /users/NAME with a fresh RSA-2048 key. */
  async addActor(username: string, options: PeerActorOptions = {}): Promise<PeerActor> {
    const { privateKey, publicKeyPem, cryptoKey } = await generateRsaKey();
    const id = `${this.url}/users/${username}`;
    const actor: PeerActor = {
      username,
      id,
      inbox: `${id}/inbox`,
      followers: `${id}/followers`,
      keyId: options.keyStyle === "path" ? `${id}/main-key` : `${id}#main-key`,
      publicKeyPem,
      privateKey,
      cryptoKey,
      handle: `@${username}@${this.host}`,
      options: { ...options },
    };
    this.actors.set(username, actor);
    return actor;
  }

  actor(username: string): PeerActor {
    const a = this.actors.get(username);
    if (!a) throw new Error(`peer has no actor ${username}`);
    return a;
  }

  /** Replace the actor's key pair (same keyId), as a server rotating its keys does. */
  async rotateKey(username: string): Promise<void> {
    const a = this.actor(username);
    Object.assign(a, await generateRsaKey());
  }

  /** From now on the actor's URL answers 410 Gone (or live again with false). */
  setGone(username: string, gone = true): void {
    this.actor(username).options.gone = gone;
  }

  /** The actor document as served. */
  actorDocument(a: PeerActor): Record<string, unknown> {
    return {
      "@context": [AS, SECURITY, { manuallyApprovesFollowers: "as:manuallyApprovesFollowers", toot: "http://joinmastodon.org/ns#", discoverable: "toot:discoverable" }],
      id: a.id,
      type: a.options.type ?? "Person",
      preferredUsername: a.username,
      name: a.options.name ?? a.username[0].toUpperCase() + a.username.slice(1),
      summary: "<p>A test peer account.</p>",
      url: `${this.url}/@${a.username}`,
      inbox: a.inbox,
      outbox: `${a.id}/outbox`,
      followers: a.followers,
      following: `${a.id}/following`,
      endpoints: { sharedInbox: `${this.url}/inbox` },
      manuallyApprovesFollowers: false,
      discoverable: false,
      published: "2025-01-01T00:00:00Z",
      publicKey: { id: a.keyId, owner: a.id, publicKeyPem: a.publicKeyPem },
    };
  }

  /** Requests whose path starts with `prefix` (all when omitted). */
  received(prefix = "", method?: string): RecordedRequest[] {
    return this.requests.filter((r) => r.url.startsWith(prefix) && (!method || r.method === method));
  }

  /** Parsed bodies of the POSTs to one actor's inbox (or the shared inbox). */
  inboxActivities(username?: string): { request: RecordedRequest; activity: any }[] {
    const prefix = username ? new URL(this.actor(username).inbox).pathname : "/inbox";
    return this.received(prefix, "POST").map((request) => ({ request, activity: safeJson(request.body) }));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(", ") : String(v ?? "");
    this.requests.push({ method: req.method ?? "", url: req.url ?? "", headers, rawHeaders: [...req.rawHeaders], body, at: Date.now() });

    const url = new URL(req.url ?? "/", this.url);
    const send = (status: number, doc?: unknown, type = "application/activity+json") => {
      if (doc === undefined) res.writeHead(status).end();
      else res.writeHead(status, { "content-type": type }).end(JSON.stringify(doc));
    };

    if (req.method === "GET" && url.pathname === "/.well-known/webfinger") {
      const resource = url.searchParams.get("resource") ?? "";
      const m = /^acct:([^@]+)@(.+)$/.exec(resource);
      const byUrl = [...this.actors.values()].find((a) => a.id === resource);
      const a = byUrl ?? (m && m[2] === this.host ? this.actors.get(m[1]) : undefined);
      if (!a || a.options.gone) return send(404);
      return send(
        200,
        {
          subject: `acct:${a.username}@${this.host}`,
          aliases: [`${this.url}/@${a.username}`, a.id],
          links: [
            { rel: "http://webfinger.net/rel/profile-page", type: "text/html", href: `${this.url}/@${a.username}` },
            { rel: "self", type: "application/activity+json", href: a.id },
          ],
        },
        "application/jrd+json",
      );
    }
    if (req.method === "GET" && this.hanging.has(url.pathname)) {
      this.hangingPeak = Math.max(this.hangingPeak, ++this.hangingOpen);
      res.on("close", () => this.hangingOpen--);
      return;
    }
    if (req.method === "GET" && this.documents.has(url.pathname)) {
      if (this.documentDelayMs) await new Promise((r) => setTimeout(r, this.documentDelayMs));
      return send(200, this.documents.get(url.pathname));
    }
    if (req.method === "GET" && url.pathname === "/schemas/litepub-0.1.jsonld") {
      return send(200, litepubContext(), "application/ld+json");
    }

    const m = /^\/users\/([^/]+)(\/.*)?$/.exec(url.pathname);
    const a = m ? this.actors.get(m[1]) : undefined;
    if (req.method === "POST") {
      if (url.pathname === "/inbox") return send(this.inboxStatus);
      if (a && m![2] === "/inbox") return send(a.options.gone ? 410 : this.inboxStatus);
      return send(404);
    }
    if (req.method !== "GET" || !a) return send(404);
    if (a.options.gone) return send(410, { error: "Gone" }, "application/json");
    const rest = m![2] ?? "";
    if (rest === "") return send(200, this.actorDocument(a));
    if (rest === "/main-key" && a.options.keyStyle === "path") {
      // GoToSocial serves a stub of the actor at the key's URL: id, preferredUsername, publicKey, type.
      return send(200, {
        "@context": [SECURITY, AS],
        id: a.id,
        preferredUsername: a.username,
        publicKey: { id: a.keyId, owner: a.id, publicKeyPem: a.publicKeyPem },
        type: a.options.type ?? "Person",
      });
    }
    if (["/followers", "/following", "/outbox"].includes(rest)) {
      return send(200, { "@context": AS, id: `${a.id}${rest}`, type: "OrderedCollection", totalItems: 0, first: `${a.id}${rest}?page=1` });
    }
    return send(404);
  }

  /**
   * Sign `activity` as `from` and POST it to `inbox` (a full URL on a Moiety
   * instance). The knobs in `opts` break the request in the ways the inbox
   * must refuse.
   */
  async post(inbox: string, activity: unknown, from: PeerActor, opts: SignOptions = {}): Promise<PostResult> {
    const target = new URL(inbox);
    const body = typeof activity === "string" ? activity : JSON.stringify(activity);
    const contentType = opts.contentType ?? "application/activity+json";
    const date = new Date(Date.now() + (opts.dateOffsetMs ?? 0)).toUTCString();

    let headers: [string, string][];
    if (opts.unsigned) {
      headers = [
        ["host", target.host],
        ["date", date],
        ["digest", digestOf(body)],
        ["content-type", contentType],
      ];
    } else if (opts.signer === "fedify") {
      const signed = await signRequest(
        new Request(target, { method: "POST", headers: { "content-type": contentType, date }, body }),
        from.cryptoKey,
        new URL(opts.keyId ?? from.keyId),
      );
      headers = [...signed.headers];
    } else {
      const digest = opts.digest === undefined ? digestOf(body) : opts.digest;
      const all: Record<string, string> = { host: target.host, date, "content-type": contentType };
      if (digest !== null) all.digest = digest;
      const names = opts.headers ?? ["(request-target)", "host", "date", ...(digest !== null ? ["digest"] : []), "content-type"];
      const signingString = names
        .map((n) => (n === "(request-target)" ? `(request-target): post ${target.pathname}${target.search}` : `${n}: ${all[n] ?? ""}`))
        .join("\n");
      const signature = rsaSign("sha256", Buffer.from(signingString), opts.signingKey ?? from.privateKey).toString("base64");
      headers = Object.entries(all);
      headers.push([
        "signature",
        `keyId="${opts.keyId ?? from.keyId}",algorithm="${opts.algorithm ?? "rsa-sha256"}",headers="${names.join(" ")}",signature="${signature}"`,
      ]);
    }
    const sent = opts.bodyAfterSigning ?? body;
    // The Digest (if any) stays the one computed before tampering.
    return rawPost(target, headers, sent);
  }

  /**
   * GET `url` as `from`'s server would fetch it (an authorized fetch, signed
   * with Fedify's signRequest), or unsigned when `from` is null.
   */
  async get(url: string, from: PeerActor | null, accept = "application/activity+json"): Promise<PostResult> {
    const target = new URL(url);
    let request = new Request(target, { headers: { accept, date: new Date().toUTCString() } });
    if (from) request = await signRequest(request, from.cryptoKey, new URL(from.keyId));
    const headers: [string, string][] = [["host", target.host], ...request.headers];
    return new Promise((resolve, reject) => {
      http
        .get({ host: target.hostname, port: target.port, path: target.pathname + target.search, headers: Object.fromEntries(headers) }, (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (d) => (text += d));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
          res.on("error", reject);
        })
        .on("error", reject);
    });
  }

  /** Verify a recorded request's HTTP signature as a receiving server would (Fedify's verifyRequest, fetching the key). */
  async verify(r: RecordedRequest): Promise<string | null> {
    const headers = new Headers();
    for (let i = 0; i < r.rawHeaders.length; i += 2) headers.append(r.rawHeaders[i], r.rawHeaders[i + 1]);
    const request = new Request(`${this.url}${r.url}`, {
      method: r.method,
      headers,
      body: r.method === "GET" || r.method === "HEAD" ? undefined : r.body,
    });
    const key = await verifyRequest(request, { documentLoader: getDocumentLoader({ allowPrivateAddress: true }) });
    return key?.id?.href ?? null;
  }
}

/**
 * A Mastodon-shaped DM (Create of a Note) from `from` to the actor `to`,
 * addressed to nobody else. The activity id is the note id + "/activity".
 */
export function directMessage(from: PeerActor, to: string, text: string, noteId: string) {
  const { host, pathname } = new URL(to);
  const published = new Date().toISOString();
  return {
    "@context": ["https://www.w3.org/ns/activitystreams", { ostatus: "http://ostatus.org#", conversation: "ostatus:conversation" }],
    id: `${noteId}/activity`,
    type: "Create",
    actor: from.id,
    published,
    to: [to],
    cc: [],
    object: {
      id: noteId,
      type: "Note",
      attributedTo: from.id,
      to: [to],
      cc: [],
      content: `<p>${text}</p>`,
      published,
      tag: [{ type: "Mention", href: to, name: `@${pathname.split("/").pop()}@${host}` }],
    },
  };
}

function safeJson(text: string): any {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** POST with exactly these headers (Host included), as received by the other side. */
export function rawPost(target: URL, headers: [string, string][], body: string | Buffer): Promise<PostResult> {
  return new Promise((resolve, reject) => {
    const flat: string[] = [];
    for (const [k, v] of headers) flat.push(k, v);
    if (!headers.some(([k]) => k.toLowerCase() === "content-length")) flat.push("content-length", String(Buffer.byteLength(body)));
    const req = http.request(
      { host: target.hostname, port: target.port, path: target.pathname + target.search, method: "POST", headers: flat },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (d) => (text += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
        // A server killed mid-answer resets the connection after the headers.
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** A different RSA key than any published one (for "signed with the wrong key"). */
export function strayKey(): KeyObject {
  return generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
}

/**
 * Wait until the instance's inbox queue is empty: every accepted activity has
 * been handled by the worker (or dropped). Reads the SQLite file read-only.
 */
/** Accepted activities not handled yet: the fast inbox's (InboxActivity) and those it handed to Fedify's queue. */
export const PENDING_INBOX_SQL = `SELECT (SELECT COUNT(*) FROM "InboxActivity" WHERE "doneAt" IS NULL)
  + (SELECT COUNT(*) FROM "QueueMessage" WHERE "queue" = 'inbox') AS n`;

export async function waitForInboxIdle(dataDir: string, timeoutMs = 20_000): Promise<void> {
  const { default: Database } = await import("better-sqlite3");
  const db = new Database(path.join(dataDir, "moiety.db"), { readonly: true, fileMustExist: true });
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const row = db.prepare(PENDING_INBOX_SQL).get() as { n: number };
      if (row.n === 0) return;
      if (Date.now() > deadline) throw new Error(`the inbox still holds ${row.n} activities to handle after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    db.close();
  }
}

const FIXTURES = path.resolve(import.meta.dirname, "..", "fixtures", "activitypub");

/**
 * A fixture from tests/fixtures/activitypub with its placeholder URLs
 * rewritten (each `[from, to]` pair replaced everywhere, in order), parsed.
 */
export function adaptFixture(name: string, replacements: [string, string][]): any {
  let text = fs.readFileSync(path.join(FIXTURES, name), "utf8");
  for (const [from, to] of replacements) text = text.split(from).join(to);
  return JSON.parse(text);
}
