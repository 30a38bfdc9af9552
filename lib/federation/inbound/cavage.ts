import { verify as cryptoVerify } from "node:crypto";
import { digestProblem } from "./body-digest";
import { dateProblem, header, isHttpUrl, timeProblem, type InboundRequest, type SignatureResult } from "./signed-request";

// draft-cavage-http-signatures-12 on an inbox POST: what Mastodon and nearly
// every server sends. The checks and words are the ones the inbox had before
// it left Next (parameters given twice, keyId, algorithm, base64, created and
// expires, Date), plus what Fedify's verifier required: the signature covers
// the request target, Host, Date and Digest, and the Digest matches the body.

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * The Signature header's parameters (pairs split on commas; what does not
 * parse is ignored, as Fedify does); null when a parameter appears twice — two
 * readers could otherwise be checking two different keys.
 */
export function cavageParams(value: string): Map<string, string> | null {
  const params = new Map<string, string>();
  for (const pair of value.split(",")) {
    const m = /^\s*([A-Za-z]+)=(?:"([^"]*)"|(\d+))\s*$/.exec(pair);
    if (!m) continue;
    if (params.has(m[1])) return null;
    params.set(m[1], m[2] ?? m[3]);
  }
  return params;
}

/** The signed headers a POST must cover: the target (so it cannot be replayed elsewhere), the time and the body. */
const CAVAGE_REQUIRED = ["(request-target)", "host", "date", "digest"];

export function readCavageSignature(req: InboundRequest, now: number): SignatureResult {
  const value = header(req, "signature");
  if (value === undefined) return { ok: false, error: "The request is not signed (no Signature header)." };
  const params = cavageParams(value);
  if (params === null) return { ok: false, error: "The Signature header gives a parameter twice." };
  const keyId = params.get("keyId");
  if (keyId === undefined || !isHttpUrl(keyId)) return { ok: false, error: "The signature's keyId is not an http(s) URL." };
  const algorithm = (params.get("algorithm") ?? "hs2019").toLowerCase();
  if (algorithm !== "rsa-sha256" && algorithm !== "hs2019") {
    return { ok: false, error: `Signature algorithm "${params.get("algorithm")}" is not supported (rsa-sha256 or hs2019).` };
  }
  const signature = params.get("signature");
  if (signature === undefined || signature.length === 0) return { ok: false, error: "The Signature header has no signature." };
  if (signature.length % 4 !== 0 || !BASE64.test(signature)) return { ok: false, error: "The signature is not base64." };
  const times: Record<string, number | undefined> = {};
  for (const name of ["created", "expires"]) {
    const v = params.get(name);
    if (v !== undefined && !/^\d{1,12}$/.test(v)) return { ok: false, error: `The signature's ${name} is not a time.` };
    times[name] = v === undefined ? undefined : Number(v);
  }
  const dated = dateProblem(header(req, "date"), now) ?? timeProblem(times.created, times.expires, now);
  if (dated) return { ok: false, error: dated };

  const names = (params.get("headers") ?? "").toLowerCase().split(" ").filter(Boolean);
  if (names.length === 0) return { ok: false, error: "The signature does not say which headers it signs." };
  const missing = CAVAGE_REQUIRED.filter((n) => !names.includes(n));
  if (missing.length > 0) return { ok: false, error: `The signature does not cover ${missing.join(", ")}.` };
  const lines: string[] = [];
  for (const name of names) {
    if (name === "(request-target)") lines.push(`(request-target): ${req.method.toLowerCase()} ${req.path}`);
    else if (name === "(created)" || name === "(expires)") {
      const t = times[name.slice(1, -1)];
      if (t === undefined) return { ok: false, error: `The signature covers ${name} but does not give it.` };
      lines.push(`${name}: ${t}`);
    } else {
      const v = header(req, name);
      if (v === undefined) return { ok: false, error: `The signature covers the ${name} header, which the request does not have.` };
      lines.push(`${name}: ${v}`);
    }
  }
  const digestWrong = digestProblem(header(req, "digest")!, req.body);
  if (digestWrong) return { ok: false, error: digestWrong };

  const base = Buffer.from(lines.join("\n"));
  const bytes = Buffer.from(signature, "base64");
  return {
    ok: true,
    signature: {
      standard: "draft-cavage",
      keyId,
      verify: (key) => {
        try {
          if (key.asymmetricKeyType === "rsa") return cryptoVerify("sha256", base, key, bytes);
          // hs2019 takes its algorithm from the key: an Ed25519 key signs with Ed25519.
          if (key.asymmetricKeyType === "ed25519" && algorithm === "hs2019") return cryptoVerify(null, base, key, bytes);
          return false;
        } catch {
          return false;
        }
      },
    },
  };
}
