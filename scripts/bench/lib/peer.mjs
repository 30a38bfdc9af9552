// The benchmark's "remote server": one HTTP server on loopback that hosts M
// actors with their own RSA-2048 keys (Mastodon-shaped actor documents with
// the key inline at ACTOR#main-key), answers every inbox POST with 202 and
// counts what it was asked. It also pre-signs activities for a Moiety inbox
// (draft-cavage with a Digest, via Fedify's signRequest).

import { generateKeyPair, createPrivateKey, createPublicKey, webcrypto } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { signRequest } from "@fedify/fedify";

const KEY_CACHE = path.join(os.tmpdir(), "moiety-bench-rsa-keys.json");
import { AS, dmActivity } from "./dm.mjs";

export { dmActivity };

/**
 * `count` RSA-2048 key pairs as PEM. Generating one takes ~50-150 ms, so they
 * are kept in the temp dir between runs (they only ever sign benchmark traffic).
 */
export async function benchKeys(count) {
  let cached = [];
  try {
    cached = JSON.parse(fs.readFileSync(KEY_CACHE, "utf8"));
  } catch {
    // none yet
  }
  if (cached.length >= count) return cached.slice(0, count);
  const gen = promisify(generateKeyPair);
  const fresh = await Promise.all(
    Array.from({ length: count - cached.length }, () =>
      gen("rsa", {
        modulusLength: 2048,
        publicKeyEncoding: { type: "spki", format: "pem" },
        privateKeyEncoding: { type: "pkcs8", format: "pem" },
      }),
    ),
  );
  const all = [...cached, ...fresh.map((k) => ({ publicKeyPem: k.publicKey, privateKeyPem: k.privateKey }))];
  fs.writeFileSync(KEY_CACHE, JSON.stringify(all), { mode: 0o600 });
  return all;
}

async function toCryptoKey(privateKeyPem) {
  const der = createPrivateKey(privateKeyPem).export({ type: "pkcs8", format: "der" });
  return webcrypto.subtle.importKey("pkcs8", der, { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, true, ["sign"]);
}

/**
 * Start the peer with `actors` actors named u0, u1, …
 * Returns { origin, actors: [{ id, keyId, inbox, cryptoKey, … }], stats, inboxLog, close() }.
 */
export async function startPeer({ actors: count, host = "127.0.0.1" }) {
  const keys = await benchKeys(count);
  const stats = { actorGets: 0, otherGets: 0, inboxPosts: 0, unsignedPosts: 0 };
  /** Every inbox POST: { at (performance.now()), path, bytes }. */
  const inboxLog = [];
  let onPost = null;

  const server = http.createServer((req, res) => {
    const url = new URL(req.url, "http://peer");
    if (req.method === "POST") {
      const chunks = [];
      req.on("data", (c) => chunks.push(c));
      req.on("end", () => {
        stats.inboxPosts++;
        if (!req.headers.signature) stats.unsignedPosts++;
        res.writeHead(202, { "content-length": "0" });
        res.end();
        const entry = { at: performance.now(), path: url.pathname, body: Buffer.concat(chunks).toString("utf8") };
        inboxLog.push(entry);
        onPost?.(entry);
      });
      return;
    }
    const m = /^\/users\/(u\d+)$/.exec(url.pathname);
    const actor = m ? byName.get(m[1]) : undefined;
    if (!actor) {
      stats.otherGets++;
      res.writeHead(404).end();
      return;
    }
    stats.actorGets++;
    res.writeHead(200, { "content-type": "application/activity+json" });
    res.end(actor.document);
  });
  server.keepAliveTimeout = 30_000;
  await new Promise((r) => server.listen(0, host, r));
  const origin = `http://${host}:${server.address().port}`;

  const actors = await Promise.all(
    keys.map(async (k, i) => {
      const name = `u${i}`;
      const id = `${origin}/users/${name}`;
      const doc = {
        "@context": [AS, "https://w3id.org/security/v1"],
        id,
        type: "Person",
        preferredUsername: name,
        name: `Bench User ${i}`,
        url: id,
        inbox: `${id}/inbox`,
        outbox: `${id}/outbox`,
        followers: `${id}/followers`,
        following: `${id}/following`,
        endpoints: { sharedInbox: `${origin}/inbox` },
        publicKey: { id: `${id}#main-key`, owner: id, publicKeyPem: createPublicKey(k.publicKeyPem).export({ type: "spki", format: "pem" }) },
      };
      return { name, id, keyId: `${id}#main-key`, inbox: doc.inbox, document: JSON.stringify(doc), privateKeyPem: k.privateKeyPem, cryptoKey: await toCryptoKey(k.privateKeyPem) };
    }),
  );
  const byName = new Map(actors.map((a) => [a.name, a]));

  return {
    origin,
    actors,
    stats,
    inboxLog,
    /** Called with each inbox POST entry as it is answered. */
    onPost(fn) {
      onPost = fn;
    },
    close: () =>
      new Promise((r) => {
        server.closeAllConnections?.();
        server.close(() => r());
      }),
  };
}

/** Sign a POST of `body` to `inbox` as `actor`; returns what node:http needs to send it. */
export async function presign(actor, inbox, body) {
  const request = new Request(inbox, {
    method: "POST",
    headers: { "content-type": "application/activity+json", accept: "application/activity+json", "user-agent": "MoietyBench/1.0" },
    body,
  });
  const signed = await signRequest(request, actor.cryptoKey, new URL(actor.keyId));
  /** @type {Record<string, string>} */
  const headers = {};
  signed.headers.forEach((v, k) => (headers[k] = v));
  headers["content-length"] = String(Buffer.byteLength(body));
  return { path: new URL(inbox).pathname, headers, body };
}
