import { readCavageSignature } from "./cavage";
import { readRfc9421Signature } from "./rfc9421";
import { header, type InboundRequest, type SignatureResult } from "./signed-request";

// HTTP signatures on inbox POSTs, read and checked without a key: the header
// syntax, the time, what is signed, the body's digest. What comes back is the
// keyId and a `verify(key)` bound to the exact bytes that were signed, so the
// caller fetches a key only for a request that could be genuine, and may try
// a second key (after a rotation) without reading the request again. Pure:
// no I/O, never throws on any input (tests/unit/federation/inbound-signature.test.ts fuzzes it).
//
// Two standards: draft-cavage-http-signatures-12 (`Signature`, what Mastodon
// and nearly everyone sends) and RFC 9421 (`Signature-Input` + `Signature`),
// lib/federation/inbound/rfc9421.ts.

/** Any signature of a request: RFC 9421 when Signature-Input is sent, draft-cavage otherwise. */
export function readSignature(req: InboundRequest, now = Date.now()): SignatureResult {
  try {
    if (header(req, "signature-input") !== undefined) return readRfc9421Signature(req, now);
    return readCavageSignature(req, now);
  } catch {
    // Nothing above should throw; if it does, the request is refused, not the server.
    return { ok: false, error: "The signature could not be read." };
  }
}

export type { InboundRequest, ReadSignature, SignatureResult } from "./signed-request";
