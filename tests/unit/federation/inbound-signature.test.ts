import { createHash, generateKeyPairSync, sign as cryptoSign, type KeyObject } from "node:crypto";
import fc from "fast-check";
import { createSigner, httpbis } from "http-message-signatures";
import { describe, expect, it } from "vitest";
import { contentDigestProblem, digestProblem } from "@/lib/federation/inbound/body-digest";
import { readSignature, type InboundRequest } from "@/lib/federation/inbound/http-signature";

// The inbox's signature readers against real signatures: draft-cavage signed
// here by hand, RFC 9421 signed by the http-message-signatures package (an
// independent implementation), good and broken; and fuzzed: no input makes
// them throw, and no change to a signed request keeps it verifying.

const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
const otherRsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
const ed = generateKeyPairSync("ed25519");
const ec = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
const KEY_ID = "https://remote.example/users/pat#main-key";
const body = Buffer.from(JSON.stringify({ type: "Create", actor: "https://remote.example/users/pat" }));
const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("base64");

function cavage(opts: { key?: KeyObject; names?: string[]; date?: Date; algorithm?: string; extra?: string; body?: Buffer } = {}): InboundRequest {
  const sent = opts.body ?? body;
  const headers: Record<string, string> = {
    host: "moiety.example",
    date: (opts.date ?? new Date()).toUTCString(),
    digest: `SHA-256=${sha256(body)}`,
    "content-type": "application/activity+json",
  };
  const names = opts.names ?? ["(request-target)", "host", "date", "digest", "content-type"];
  const base = names.map((n) => (n === "(request-target)" ? "(request-target): post /inbox" : `${n}: ${headers[n]}`)).join("\n");
  const key = opts.key ?? rsa.privateKey;
  const sig = cryptoSign(key.asymmetricKeyType === "ed25519" ? null : "sha256", Buffer.from(base), key).toString("base64");
  headers.signature = `keyId="${KEY_ID}",algorithm="${opts.algorithm ?? "rsa-sha256"}",headers="${names.join(" ")}",signature="${sig}"${opts.extra ?? ""}`;
  return { method: "POST", path: "/inbox", authority: "moiety.example", scheme: "https", headers, body: sent };
}

async function rfc9421(opts: { key: KeyObject; alg: string; fields?: string[]; created?: Date; body?: Buffer }): Promise<InboundRequest> {
  const headers: Record<string, string> = {
    host: "moiety.example",
    "content-type": "application/activity+json",
    "content-digest": `sha-256=:${sha256(body)}:`,
  };
  const signed = await httpbis.signMessage(
    {
      key: createSigner(opts.key, opts.alg, KEY_ID),
      fields: opts.fields ?? ["@method", "@target-uri", "content-digest"],
      params: ["created", "keyid", "alg"],
      paramValues: { created: opts.created ?? new Date() },
    },
    { method: "POST", url: "https://moiety.example/inbox", headers },
  );
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(signed.headers)) out[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : v;
  return { method: "POST", path: "/inbox", authority: "moiety.example", scheme: "https", headers: out, body: opts.body ?? body };
}

function verifies(req: InboundRequest, key: KeyObject): boolean | string {
  const r = readSignature(req);
  return r.ok ? r.signature.verify(key) : r.error;
}

describe("draft-cavage signatures", () => {
  it("verify with the right key only, rsa-sha256 and hs2019 alike", () => {
    expect(verifies(cavage(), rsa.publicKey)).toBe(true);
    expect(verifies(cavage({ algorithm: "hs2019" }), rsa.publicKey)).toBe(true);
    expect(verifies(cavage(), otherRsa.publicKey)).toBe(false);
    expect(verifies(cavage({ key: ed.privateKey, algorithm: "hs2019" }), ed.publicKey)).toBe(true);
    expect(verifies(cavage({ key: ed.privateKey, algorithm: "rsa-sha256" }), ed.publicKey)).toBe(false);
    const r = readSignature(cavage());
    expect(r.ok && r.signature.keyId).toBe(KEY_ID);
  });

  it("refuse what today's inbox refused, with the reason", () => {
    const refused = (req: InboundRequest) => {
      const r = readSignature(req);
      return r.ok ? "accepted" : r.error;
    };
    expect(refused({ ...cavage(), headers: { ...cavage().headers, signature: undefined } })).toMatch(/not signed/);
    expect(refused(cavage({ extra: `,keyId="${KEY_ID}"` }))).toMatch(/twice/);
    expect(refused(cavage({ algorithm: "hmac-sha256" }))).toMatch(/not supported/);
    expect(refused(cavage({ date: new Date(Date.now() - 2 * 3600_000) }))).toMatch(/hour/);
    expect(refused(cavage({ date: new Date(Date.now() + 2 * 3600_000) }))).toMatch(/hour/);
    expect(refused(cavage({ names: ["(request-target)", "host", "digest"] }))).toMatch(/date/);
    expect(refused(cavage({ names: ["(request-target)", "host", "date"] }))).toMatch(/digest/);
    expect(refused(cavage({ extra: ',created="99999999999999999999"' }))).toMatch(/created is not a time/);
    expect(refused(cavage({ extra: ',expires="1"' }))).toMatch(/expired/);
    expect(refused(cavage({ body: Buffer.from("{}") }))).toMatch(/Digest header does not match/);
    const notBase64 = cavage();
    notBase64.headers.signature = (notBase64.headers.signature as string).replace(/signature="[^"]*"/, 'signature="@@@###"');
    expect(refused(notBase64)).toMatch(/base64/);
    const badKeyId = cavage();
    badKeyId.headers.signature = (badKeyId.headers.signature as string).replace(KEY_ID, "urn:x:y");
    expect(refused(badKeyId)).toMatch(/keyId/);
  });
});

describe("RFC 9421 signatures", () => {
  const cases: [string, KeyObject, KeyObject][] = [
    ["rsa-v1_5-sha256", rsa.privateKey, rsa.publicKey],
    ["rsa-pss-sha512", rsa.privateKey, rsa.publicKey],
    ["ecdsa-p256-sha256", ec.privateKey, ec.publicKey],
    ["ed25519", ed.privateKey, ed.publicKey],
  ];
  for (const [alg, priv, pub] of cases) {
    it(`verify ${alg} signed by http-message-signatures, and not with another key`, async () => {
      const req = await rfc9421({ key: priv, alg });
      const r = readSignature(req);
      expect(r.ok && r.signature.standard).toBe("RFC 9421");
      expect(r.ok && r.signature.keyId).toBe(KEY_ID);
      expect(verifies(req, pub)).toBe(true);
      expect(verifies(req, otherRsa.publicKey)).toBe(false);
    });
  }

  it("accept @authority + @path in place of @target-uri", async () => {
    expect(verifies(await rfc9421({ key: ed.privateKey, alg: "ed25519", fields: ["@method", "@authority", "@path", "content-digest"] }), ed.publicKey)).toBe(true);
  });

  it("refuse a signature that does not cover the method, the target or the digest, an old one, and a changed body", async () => {
    const refused = async (o: Parameters<typeof rfc9421>[0]) => {
      const r = readSignature(await rfc9421(o));
      return r.ok ? "accepted" : r.error;
    };
    const k = { key: ed.privateKey, alg: "ed25519" };
    expect(await refused({ ...k, fields: ["@target-uri", "content-digest"] })).toMatch(/@method/);
    expect(await refused({ ...k, fields: ["@method", "content-digest"] })).toMatch(/@target-uri/);
    expect(await refused({ ...k, fields: ["@method", "@target-uri"] })).toMatch(/content-digest/);
    expect(await refused({ ...k, created: new Date(Date.now() - 2 * 3600_000) })).toMatch(/hour/);
    expect(await refused({ ...k, body: Buffer.from("{}") })).toMatch(/Content-Digest header does not match/);
    // Signed for another target.
    const req = await rfc9421(k);
    expect(verifies({ ...req, path: "/users/ivy/inbox" }, ed.publicKey)).toBe(false);
    expect(verifies({ ...req, method: "PUT" }, ed.publicKey)).toBe(false);
  });
});

describe("Digest and Content-Digest", () => {
  it("take SHA-256 and SHA-512, refuse a wrong, malformed or unsupported one", () => {
    const sha512 = createHash("sha512").update(body).digest("base64");
    expect(digestProblem(`SHA-256=${sha256(body)}`, body)).toBeNull();
    expect(digestProblem(`sha-512=${sha512}`, body)).toBeNull();
    expect(digestProblem(`SHA-256=${sha256(body)},SHA-512=${createHash("sha512").update("x").digest("base64")}`, body)).toMatch(/does not match/);
    expect(digestProblem(`MD5=${createHash("md5").update(body).digest("base64")}`, body)).toMatch(/no SHA-256/);
    expect(digestProblem("SHA-256=***", body)).toMatch(/base64/);
    expect(digestProblem("SHA-256=AAAA", body)).toMatch(/does not match/);
    expect(contentDigestProblem(`sha-256=:${sha256(body)}:`, body)).toBeNull();
    expect(contentDigestProblem(`sha-512=:${sha512}:`, body)).toBeNull();
    expect(contentDigestProblem(`sha-256=:${sha256(Buffer.from("x"))}:`, body)).toMatch(/does not match/);
    expect(contentDigestProblem(`sha-256="${sha256(body)}"`, body)).toMatch(/byte sequence/);
    expect(contentDigestProblem("not a (dictionary", body)).toMatch(/structured field/);
    expect(contentDigestProblem(`md5=:${sha256(body)}:`, body)).toMatch(/no sha-256/);
  });
});

describe("fuzzed", () => {
  const headerNames = ["signature", "signature-input", "date", "digest", "content-digest", "host"];

  it("never throw on arbitrary headers", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...headerNames), fc.string({ maxLength: 300 })), fc.uint8Array({ maxLength: 64 }), (headers, bytes) => {
        const r = readSignature({ method: "POST", path: "/inbox", authority: "moiety.example", scheme: "https", headers, body: Buffer.from(bytes) });
        if (r.ok) expect(r.signature.verify(rsa.publicKey)).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it("never throw on mutations of real signature headers, nor accept a mutated one", async () => {
    const good = [cavage(), await rfc9421({ key: rsa.privateKey, alg: "rsa-v1_5-sha256" })];
    fc.assert(
      fc.property(
        fc.constantFrom(0, 1),
        fc.constantFrom(...headerNames, "@body", "@path"),
        fc.nat(),
        fc.string({ minLength: 1, maxLength: 4 }),
        (which, target, at, insert) => {
          const req = structuredClone({ ...good[which], body: undefined }) as unknown as InboundRequest;
          req.body = Buffer.from(good[which].body);
          let original: string;
          let mutated: string;
          if (target === "@body") {
            original = req.body.toString("latin1");
            mutated = original.slice(0, at % (original.length + 1)) + insert + original.slice(at % (original.length + 1));
            req.body = Buffer.from(mutated, "latin1");
          } else if (target === "@path") {
            original = req.path;
            mutated = original.slice(0, at % (original.length + 1)) + insert + original.slice(at % (original.length + 1));
            req.path = mutated;
          } else {
            original = String(req.headers[target] ?? "");
            const i = at % (original.length + 1);
            mutated = original.slice(0, i) + insert + original.slice(i);
            req.headers[target] = mutated;
          }
          const r = readSignature(req);
          if (!r.ok) return;
          // Only a change the signature does not cover (an unsigned header, an ignored parameter) may still verify.
          if (r.signature.verify(rsa.publicKey)) {
            const coveredHeaders = which === 0 ? ["digest", "host", "date"] : ["content-digest"];
            const covered = target === "@body" || target === "@path" || coveredHeaders.includes(target);
            expect(covered && mutated.trim() !== original.trim(), `${target}: ${JSON.stringify(mutated)}`).toBe(false);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});
